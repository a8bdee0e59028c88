//! Replies built by hand, byte by byte, as a server might send them: for the unit tests of
//! `wire` and `authority`.

use super::wire::{CLASS_IN, TYPE_CAA};

/// A reply built by hand, byte by byte, as a server might send it.
pub struct ReplyBuilder {
    bytes: Vec<u8>,
    counts: [u16; 4],
}

impl ReplyBuilder {
    pub fn new(id: u16, flags: u16, question: &str) -> Self {
        let mut bytes = Vec::new();
        bytes.extend(id.to_be_bytes());
        bytes.extend(flags.to_be_bytes());
        bytes.extend([0; 8]);
        bytes.extend(wire_name(question));
        bytes.extend(TYPE_CAA.to_be_bytes());
        bytes.extend(CLASS_IN.to_be_bytes());
        ReplyBuilder {
            bytes,
            counts: [1, 0, 0, 0],
        }
    }

    pub fn record(
        mut self,
        section: usize,
        owner: &[u8],
        rtype: u16,
        ttl: u32,
        rdata: &[u8],
    ) -> Self {
        self.bytes.extend(owner);
        self.bytes.extend(rtype.to_be_bytes());
        self.bytes.extend(CLASS_IN.to_be_bytes());
        self.bytes.extend(ttl.to_be_bytes());
        self.bytes
            .extend(u16::try_from(rdata.len()).unwrap().to_be_bytes());
        self.bytes.extend(rdata);
        self.counts[section] += 1;
        self
    }

    pub fn build(mut self) -> Vec<u8> {
        for (i, count) in self.counts.iter().enumerate() {
            self.bytes[4 + 2 * i..6 + 2 * i].copy_from_slice(&count.to_be_bytes());
        }
        self.bytes
    }
}

/// A name in wire form, as typed.
pub fn wire_name(name: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        bytes.push(u8::try_from(label.len()).unwrap());
        bytes.extend(label.as_bytes());
    }
    bytes.push(0);
    bytes
}

/// A CAA rdata: flags, tag length, tag, value.
pub fn caa_rdata(flags: u8, tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut rdata = vec![flags, u8::try_from(tag.len()).unwrap()];
    rdata.extend(tag);
    rdata.extend(value);
    rdata
}
