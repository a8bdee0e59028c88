//! DNS messages on the wire: the CAA query we send, and a lenient reading of the reply.
//!
//! hickory-proto decodes a whole message or nothing. One CAA record with a hyphenated tag, a
//! tag over 15 octets or an empty one fails the message and loses the good records beside it
//! (over TCP hickory's client even reports it as a timeout). Real zones hold such records, and
//! the CA reads them as unknown tags. So we read replies ourselves: hickory-proto's decoder for
//! the header, the question and names (with compression), our own loop over the records, CAA
//! rdata kept as raw bytes. Everything else about the message stays strict: a reply whose names
//! cannot be read is refused whole, because guessing there could turn into a wrong "allowed".

use hickory_resolver::proto::op::{Header, MessageType, ResponseCode};
use hickory_resolver::proto::rr::rdata::NULL;
use hickory_resolver::proto::rr::{DNSClass, Name, RData, Record, RecordType};
use hickory_resolver::proto::serialize::binary::{BinDecodable, BinDecoder, DecodeError, Restrict};

use crate::caa::answers::{CaaRecord, ExtendedError};

/// The EDNS UDP payload size we advertise: the DNS Flag Day 2020 value, which avoids IP
/// fragmentation; larger answers come back truncated and are fetched over TCP.
pub const UDP_PAYLOAD: u16 = 1232;

const TYPE_NS: u16 = 2;
const TYPE_CNAME: u16 = 5;
const TYPE_SOA: u16 = 6;
const TYPE_DNAME: u16 = 39;
const TYPE_OPT: u16 = 41;
pub(super) const TYPE_CAA: u16 = 257;
pub(super) const CLASS_IN: u16 = 1;
const EDNS_OPTION_EDE: u16 = 15;

/// A name as it goes on the wire (RFC 1035 §3.1): its labels, each behind its length, and the
/// root's empty label; lowercased, as names compare without case. Questions are handled in
/// this form: hashing, sending and matching it costs far less than building a `Name`. At most
/// 255 octets (RFC 1035 §2.3.4), kept inline: no allocation per question.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct WireName {
    length: u8,
    octets: [u8; 255],
}

impl WireName {
    /// Appends a label; false if it is over 63 octets or the name would exceed 255.
    fn push_label(&mut self, label: &[u8]) -> bool {
        let Some(length) = u8::try_from(label.len())
            .ok()
            .filter(|&length| length <= 63)
        else {
            return false;
        };
        let start = usize::from(self.length);
        let Some(room) = self.octets.get_mut(start..start + label.len() + 1) else {
            return false;
        };
        room[0] = length;
        for (to, from) in room[1..].iter_mut().zip(label) {
            *to = from.to_ascii_lowercase();
        }
        // Fits: `room` lies within the 255 octets.
        self.length += length + 1;
        true
    }

    /// Labels, then the root label, or `None` if that exceeds 255 octets.
    fn from_labels<'a>(labels: impl IntoIterator<Item = &'a [u8]>) -> Option<WireName> {
        let mut wire = WireName {
            length: 0,
            octets: [0; 255],
        };
        for label in labels {
            if !wire.push_label(label) {
                return None;
            }
        }
        wire.push_label(&[]).then_some(wire)
    }
}

impl std::ops::Deref for WireName {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.octets[..usize::from(self.length)]
    }
}

impl std::fmt::Debug for WireName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WireName({:?})", &**self)
    }
}

/// The wire form of an ASCII name without its trailing dot (`www.example.com`), or `None` for
/// one longer than DNS allows.
pub fn wire_name(text: &str) -> Option<WireName> {
    WireName::from_labels(
        text.split('.')
            .filter(|label| !label.is_empty())
            .map(str::as_bytes),
    )
}

/// The wire form of a name read from a reply (never longer than DNS allows).
pub fn wire_name_of(name: &Name) -> Option<WireName> {
    WireName::from_labels(name.iter())
}

/// What a query asks: a name (wire form), a type, and whether DNSSEC records are wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ask<'a> {
    pub name: &'a [u8],
    pub qtype: u16,
    /// DO set (RRSIG, NSEC and NSEC3 wanted, RFC 3225) and CD set (RFC 4035 §3.2.2), so that
    /// a validating resolver hands over what it judged bogus and certready can say why.
    pub dnssec: bool,
}

impl<'a> Ask<'a> {
    /// The CAA records of `name`, as `check` asks for them.
    pub fn caa(name: &'a [u8]) -> Ask<'a> {
        Ask {
            name,
            qtype: TYPE_CAA,
            dnssec: false,
        }
    }
}

/// The query for `ask`, recursion desired, with EDNS, under message id `id`. Written directly,
/// as its layout never varies (RFC 1035 §4.1, RFC 6891 §6.1.2): building it as a hickory
/// `Message` cost a tenth of a bulk audit's CPU. The tests read it back with hickory.
pub fn encode_query(ask: Ask, id: u16) -> Vec<u8> {
    let mut query = Vec::with_capacity(12 + ask.name.len() + 4 + 11);
    query.extend(id.to_be_bytes());
    // RD, and CD for DNSSEC.
    query.extend([0x01, if ask.dnssec { 0x10 } else { 0x00 }]);
    query.extend([0, 1, 0, 0, 0, 0, 0, 1]); // one question, one additional (OPT)
    query.extend(ask.name);
    query.extend(ask.qtype.to_be_bytes());
    query.extend(CLASS_IN.to_be_bytes());
    query.push(0); // the OPT record's owner: the root
    query.extend(TYPE_OPT.to_be_bytes());
    query.extend(UDP_PAYLOAD.to_be_bytes());
    // Extended RCODE and version 0; the DO bit; no options.
    query.extend([0, 0, if ask.dnssec { 0x80 } else { 0x00 }, 0, 0, 0]);
    query
}

/// The parts of a reply that a CAA lookup needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub id: u16,
    pub is_response: bool,
    /// The full RCODE, extended by EDNS where the reply has an OPT record.
    pub rcode: ResponseCode,
    pub truncated: bool,
    /// Whether the reply is about our question: it repeats it (any case), or repeats none.
    pub answers_question: bool,
    /// CAA, CNAME and DNAME records of the answer section, in order; others are dropped.
    pub answers: Vec<AnswerRecord>,
    /// Owners of SOA records in the authority section: the zones a negative answer speaks for.
    pub soa_owners: Vec<Name>,
    /// An Extended DNS Error (RFC 8914) the server attached.
    pub extended_error: Option<ExtendedError>,
    /// What an authoritative server's reply says beyond its answer (`check --source`).
    pub provenance: Provenance,
    /// Only when DNSSEC was asked for: every record of the answer and authority sections, as
    /// validation needs them (CAA records' data kept raw, as served).
    pub sections: Sections,
}

/// The answer and authority sections, each record as hickory holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sections {
    pub answers: Vec<Record>,
    pub authority: Vec<Record>,
}

/// What an authoritative server's reply says beyond its answer: read for `check --source`,
/// which must judge replies hickory cannot decode whole (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    /// The AA bit.
    pub authoritative: bool,
    /// The first SOA of the authority section: its serial, and its negative TTL (RFC 2308 §5:
    /// the lesser of the record's TTL and its minimum field).
    pub soa: Option<(u32, u32)>,
    /// NS records in the authority section: a referral when nothing answers.
    pub delegates: bool,
    /// The largest TTL of the answer section's records.
    pub answer_ttl: Option<u32>,
}

/// An answer-section record that matters for a CAA lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerRecord {
    Caa { owner: Name, record: CaaRecord },
    Cname { owner: Name, target: Name },
    Dname { owner: Name, target: Name },
}

impl AnswerRecord {
    /// The name the record is at.
    pub fn owner(&self) -> &Name {
        match self {
            AnswerRecord::Caa { owner, .. }
            | AnswerRecord::Cname { owner, .. }
            | AnswerRecord::Dname { owner, .. } => owner,
        }
    }
}

/// Reads a reply to `ask`, keeping every CAA record whatever its tag or value (see the module
/// docs); with DNSSEC asked for, every record of the answer and authority sections too.
pub fn decode_reply(bytes: &[u8], ask: Ask) -> Result<Reply, DecodeError> {
    let mut decoder = BinDecoder::new(bytes);
    let header = Header::read(&mut decoder)?;
    let mut answers_question = true;
    for _ in 0..header.counts.queries {
        let same_name = read_question_name_is(&mut decoder, ask.name)?;
        let qtype = decoder.read_u16()?.unverified(/* compared, never trusted */);
        decoder.read_u16()?; // class
        answers_question &= same_name && qtype == ask.qtype;
    }
    let mut reply = Reply {
        id: header.metadata.id,
        is_response: header.metadata.message_type == MessageType::Response,
        rcode: ResponseCode::from_low(header.metadata.response_code.low()),
        truncated: header.metadata.truncation,
        answers_question,
        answers: Vec::new(),
        soa_owners: Vec::new(),
        extended_error: None,
        provenance: Provenance {
            authoritative: header.metadata.authoritative,
            ..Provenance::default()
        },
        sections: Sections::default(),
    };
    for _ in 0..header.counts.answers {
        let record = read_record(&mut decoder, bytes)?;
        reply.provenance.answer_ttl = reply.provenance.answer_ttl.max(Some(record.ttl));
        if ask.dnssec {
            reply
                .sections
                .answers
                .extend(as_hickory_record(&record, bytes));
        }
        let answer = match record.rtype {
            TYPE_CAA if record.class == CLASS_IN => Some(AnswerRecord::Caa {
                record: read_caa(record.rdata),
                owner: record.owner,
            }),
            TYPE_CNAME => Some(AnswerRecord::Cname {
                owner: record.owner,
                target: read_rdata_name(bytes, record.rdata_offset)?,
            }),
            TYPE_DNAME => Some(AnswerRecord::Dname {
                owner: record.owner,
                target: read_rdata_name(bytes, record.rdata_offset)?,
            }),
            _ => None,
        };
        reply.answers.extend(answer);
    }
    for _ in 0..header.counts.authorities {
        let record = read_record(&mut decoder, bytes)?;
        if ask.dnssec {
            reply
                .sections
                .authority
                .extend(as_hickory_record(&record, bytes));
        }
        if record.rtype == TYPE_SOA {
            if reply.provenance.soa.is_none() {
                reply.provenance.soa = read_soa(bytes, record.rdata_offset)
                    .map(|(serial, minimum)| (serial, minimum.min(record.ttl)));
            }
            reply.soa_owners.push(record.owner);
        }
        reply.provenance.delegates |= record.rtype == TYPE_NS;
    }
    for _ in 0..header.counts.additionals {
        let record = read_record(&mut decoder, bytes)?;
        if record.rtype == TYPE_OPT {
            // RFC 6891 §6.1.3: the OPT TTL carries the upper 8 bits of the 12-bit RCODE.
            let high = (record.ttl >> 24) as u8;
            reply.rcode = ResponseCode::from(high, reply.rcode.low());
            reply.extended_error = read_extended_error(record.rdata);
        }
    }
    Ok(reply)
}

/// Reads the question's name and says whether it is `asked` (any case). A question is the
/// message's first name, so it is never compressed in practice; one that is goes through
/// hickory's reader.
fn read_question_name_is(decoder: &mut BinDecoder<'_>, asked: &[u8]) -> Result<bool, DecodeError> {
    // A reply is at most 65,535 octets, so the question's offset always fits.
    let Ok(index) = u16::try_from(decoder.index()) else {
        return Ok(false);
    };
    let start = decoder.clone(index);
    let mut same = true;
    let mut offset = 0;
    loop {
        let length = decoder.read_u8()?.unverified(/* bounds-checked by read_slice */);
        if length & 0xc0 != 0 {
            let mut start = start;
            let name = Name::read(&mut start)?;
            *decoder = start;
            return Ok(wire_name_of(&name).is_some_and(|wire| *wire == *asked));
        }
        let label = decoder.read_slice(usize::from(length))?.unverified(/* compared */);
        let expected = asked.get(offset..offset + 1 + label.len());
        same &= expected.is_some_and(|expected| {
            expected[0] == length && expected[1..].eq_ignore_ascii_case(label)
        });
        offset += 1 + label.len();
        if length == 0 {
            return Ok(same && offset == asked.len());
        }
    }
}

/// One resource record's fixed fields, with its rdata left unread.
struct RawRecord<'a> {
    owner: Name,
    rtype: u16,
    class: u16,
    ttl: u32,
    rdata: &'a [u8],
    rdata_offset: usize,
}

fn read_record<'a>(
    decoder: &mut BinDecoder<'a>,
    message: &'a [u8],
) -> Result<RawRecord<'a>, DecodeError> {
    let owner = Name::read(decoder)?;
    let rtype = decoder.read_u16()?.unverified(/* any type is fine: unknown ones are skipped */);
    let class = decoder.read_u16()?.unverified(/* compared, never trusted */);
    let ttl = decoder.read_u32()?.unverified(/* only the OPT pseudo-TTL is read */);
    let length = decoder.read_u16()?.unverified(/* bounds-checked by read_slice */);
    let rdata_offset = message.len() - decoder.len();
    let rdata = decoder.read_slice(usize::from(length))?.unverified(/* raw bytes */);
    Ok(RawRecord {
        owner,
        rtype,
        class,
        ttl,
        rdata,
        rdata_offset,
    })
}

/// A record as hickory holds it, for validation: CAA data kept raw (hickory refuses some tags
/// the CA reads, and a signature covers the bytes as served), any other type read by hickory.
/// A record hickory cannot read is left out: what it signed then does not verify.
fn as_hickory_record(record: &RawRecord<'_>, message: &[u8]) -> Option<Record> {
    let rtype = RecordType::from(record.rtype);
    let data = if record.rtype == TYPE_CAA {
        // hickory's `NULL::with` refuses empty data (it asserts): an empty CAA rdata is `new`.
        let rdata = if record.rdata.is_empty() {
            NULL::new()
        } else {
            NULL::with(record.rdata.to_vec())
        };
        RData::Unknown { code: rtype, rdata }
    } else {
        let mut decoder = BinDecoder::new(message);
        decoder.read_slice(record.rdata_offset).ok()?;
        let length = u16::try_from(record.rdata.len()).ok()?;
        RData::read(&mut decoder, rtype, Restrict::new(length)).ok()?
    };
    let mut read = Record::from_rdata(record.owner.clone(), record.ttl, data);
    read.dns_class = DNSClass::from(record.class);
    Some(read)
}

/// A CAA rdata as raw flags, tag and value (RFC 8659 §4.1), without judging the tag. A tag
/// length running past the rdata is clipped: the record is then an odd unknown tag, which the
/// rules judge like any other.
pub fn read_caa(rdata: &[u8]) -> CaaRecord {
    let flags = rdata.first().copied().unwrap_or(0);
    let tag_length = rdata.get(1).copied().map_or(0, usize::from);
    let body = rdata.get(2..).unwrap_or_default();
    let (tag, value) = body.split_at(tag_length.min(body.len()));
    CaaRecord::new(flags, tag, value)
}

/// A domain name inside rdata, which may point back into the message (compression).
fn read_rdata_name(message: &[u8], offset: usize) -> Result<Name, DecodeError> {
    let mut decoder = BinDecoder::new(message);
    decoder.read_slice(offset)?;
    Name::read(&mut decoder)
}

/// An SOA rdata's serial and minimum field (RFC 1035 §3.3.13), past its two names; none when
/// it is cut short.
fn read_soa(message: &[u8], offset: usize) -> Option<(u32, u32)> {
    let mut decoder = BinDecoder::new(message);
    decoder.read_slice(offset).ok()?;
    Name::read(&mut decoder).ok()?;
    Name::read(&mut decoder).ok()?;
    let mut fields = [0u32; 5];
    for field in &mut fields {
        *field = decoder.read_u32().ok()?.unverified(/* numbers, any value */);
    }
    Some((fields[0], fields[4]))
}

/// The first Extended DNS Error option of an OPT rdata.
fn read_extended_error(mut options: &[u8]) -> Option<ExtendedError> {
    while let [c0, c1, l0, l1, rest @ ..] = options {
        let code = u16::from_be_bytes([*c0, *c1]);
        let length = usize::from(u16::from_be_bytes([*l0, *l1]));
        let data = rest.get(..length)?;
        if code == EDNS_OPTION_EDE && data.len() >= 2 {
            return Some(ExtendedError {
                info_code: u16::from_be_bytes([data[0], data[1]]),
                extra_text: data[2..].to_vec(),
            });
        }
        options = &rest[length..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::test_replies::{ReplyBuilder, caa_rdata, wire_name};
    use super::*;
    use hickory_resolver::proto::op::Message;
    use hickory_resolver::proto::rr::{DNSClass, RecordType};

    /// A pointer to the question name, at offset 12.
    const QNAME: &[u8] = &[0xc0, 12];

    #[test]
    fn tags_hickory_refuses_are_read_beside_the_good_records() {
        let reply = ReplyBuilder::new(7, 0x8180, "example.test.")
            .record(
                1,
                QNAME,
                TYPE_CAA,
                60,
                &caa_rdata(0, b"issue", b"letsencrypt.org"),
            )
            .record(1, QNAME, TYPE_CAA, 60, &caa_rdata(128, b"bad-tag", b"x"))
            .record(
                1,
                QNAME,
                TYPE_CAA,
                60,
                &caa_rdata(0, b"averyveryverylongtag", b"y"),
            )
            .record(1, QNAME, TYPE_CAA, 60, &caa_rdata(0, b"", b"z"))
            .record(
                1,
                QNAME,
                TYPE_CAA,
                60,
                &caa_rdata(0, b"issue", b"\xff\x00\x1b"),
            )
            .build();
        assert!(
            Message::from_vec(&reply).is_err(),
            "hickory refuses this reply whole"
        );
        let reply = decode_reply(&reply, Ask::caa(&wire_name("example.test."))).unwrap();
        assert_eq!(reply.id, 7);
        assert!(reply.answers_question);
        assert_eq!(reply.rcode, ResponseCode::NoError);
        let records: Vec<CaaRecord> = reply
            .answers
            .iter()
            .map(|answer| match answer {
                AnswerRecord::Caa { owner, record } => {
                    assert_eq!(owner, &Name::from_ascii("example.test.").unwrap());
                    record.clone()
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            records,
            vec![
                CaaRecord::new(0, "issue", "letsencrypt.org"),
                CaaRecord::new(128, "bad-tag", "x"),
                CaaRecord::new(0, "averyveryverylongtag", "y"),
                CaaRecord::new(0, "", "z"),
                CaaRecord::new(0, "issue", &b"\xff\x00\x1b"[..]),
            ]
        );
    }

    #[test]
    fn a_tag_length_past_the_rdata_is_clipped_not_fatal() {
        assert_eq!(read_caa(&[0, 9, b'a', b'b']), CaaRecord::new(0, "ab", ""));
        assert_eq!(read_caa(&[]), CaaRecord::new(0, "", ""));
    }

    #[test]
    fn aliases_negative_soa_and_extended_errors_are_read() {
        let mut ede = Vec::new();
        ede.extend(EDNS_OPTION_EDE.to_be_bytes());
        ede.extend(4u16.to_be_bytes());
        ede.extend(7u16.to_be_bytes());
        ede.extend(b"ab");
        let reply = ReplyBuilder::new(1, 0x8182, "www.example.test.")
            .record(1, QNAME, TYPE_CNAME, 60, &wire_name("cdn.other.test."))
            .record(
                1,
                &wire_name("other.test."),
                TYPE_DNAME,
                60,
                &wire_name("x.test."),
            )
            .record(2, &wire_name("other.test."), TYPE_SOA, 60, &[0; 22])
            .record(3, &[0], TYPE_OPT, 0x0100_0000, &ede)
            .build();
        let reply = decode_reply(&reply, Ask::caa(&wire_name("www.example.test."))).unwrap();
        let name = |text: &str| Name::from_ascii(text).unwrap();
        assert_eq!(
            reply.answers,
            vec![
                AnswerRecord::Cname {
                    owner: name("www.example.test."),
                    target: name("cdn.other.test.")
                },
                AnswerRecord::Dname {
                    owner: name("other.test."),
                    target: name("x.test.")
                },
            ]
        );
        assert_eq!(reply.soa_owners, vec![name("other.test.")]);
        // SERVFAIL (2) extended by the OPT high bits (1 << 4).
        assert_eq!(u16::from(reply.rcode), 18);
        let extended = reply.extended_error.unwrap();
        assert!(extended.is_dnssec_failure());
        assert_eq!(
            extended.to_string(),
            "extended DNS error 7 (DNSSEC: signature expired): ab"
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [&b""[..], b"\x00\x01", &[0xff; 40]] {
            let _ = decode_reply(bytes, Ask::caa(&wire_name("a.test.")));
        }
        let truncated_record = {
            let mut bytes = ReplyBuilder::new(1, 0x8180, "a.test.")
                .record(1, QNAME, TYPE_CAA, 60, &caa_rdata(0, b"issue", b"x"))
                .build();
            bytes.truncate(bytes.len() - 3);
            bytes
        };
        assert!(decode_reply(&truncated_record, Ask::caa(&wire_name("a.test."))).is_err());
    }

    #[test]
    fn every_single_byte_corruption_is_read_or_refused_without_panic() {
        let reply = ReplyBuilder::new(9, 0x8180, "www.example.test.")
            .record(1, QNAME, TYPE_CNAME, 60, &[0xc0, 16])
            .record(
                1,
                &[0xc0, 16],
                TYPE_CAA,
                60,
                &caa_rdata(128, b"issue", b"ca.example; a=b"),
            )
            .record(2, &[0xc0, 16], TYPE_SOA, 60, &[0; 22])
            .record(3, &[0], TYPE_OPT, 0, &[0, 15, 0, 3, 0, 6, b'x'])
            .build();
        let asked = wire_name("www.example.test.");
        decode_reply(&reply, Ask::caa(&asked)).expect("the uncorrupted reply reads");
        for position in 0..reply.len() {
            for value in [0x00, 0x01, 0x3f, 0x40, 0x7f, 0xc0, 0xff] {
                let mut corrupted = reply.clone();
                corrupted[position] = value;
                let _ = decode_reply(&corrupted, Ask::caa(&asked));
            }
            let _ = decode_reply(&reply[..position], Ask::caa(&asked));
        }
    }

    #[test]
    fn a_reply_is_matched_to_its_question_in_any_case() {
        let reply = ReplyBuilder::new(1, 0x8180, "WWW.Example.TEST.").build();
        let asked = super::wire_name("www.example.test").unwrap();
        assert!(
            decode_reply(&reply, Ask::caa(&asked))
                .unwrap()
                .answers_question
        );
        let other = super::wire_name("www.example.testx").unwrap();
        assert!(
            !decode_reply(&reply, Ask::caa(&other))
                .unwrap()
                .answers_question
        );
        let shorter = super::wire_name("example.test").unwrap();
        assert!(
            !decode_reply(&reply, Ask::caa(&shorter))
                .unwrap()
                .answers_question
        );
    }

    #[test]
    fn wire_names_are_lowercase_labels_up_to_255_octets() {
        let wire = super::wire_name("Ab.c").unwrap();
        assert_eq!(&*wire, b"\x02ab\x01c\x00");
        assert_eq!(super::wire_name(&vec!["a".repeat(63); 4].join(".")), None);
        assert!(super::wire_name(&[&*"a".repeat(63); 3].join(".")).is_some());
    }

    #[test]
    fn queries_ask_for_caa_with_recursion_and_edns() {
        let name = Name::from_ascii("www.Example.test.").unwrap();
        let message =
            Message::from_vec(&encode_query(Ask::caa(&wire_name_of(&name).unwrap()), 4242))
                .unwrap();
        assert_eq!(message.metadata.id, 4242);
        assert!(message.metadata.recursion_desired);
        assert_eq!(message.metadata.message_type, MessageType::Query);
        assert_eq!(message.queries.len(), 1);
        assert_eq!(message.queries[0].name(), &name);
        assert_eq!(message.queries[0].query_type(), RecordType::CAA);
        assert_eq!(message.queries[0].query_class(), DNSClass::IN);
        assert_eq!(message.max_payload(), UDP_PAYLOAD);
        assert!(message.answers.is_empty() && message.additionals.is_empty());
    }

    #[test]
    fn dnssec_queries_set_do_and_cd_and_ask_their_type() {
        let name = Name::from_ascii("example.test.").unwrap();
        let wire = wire_name_of(&name).unwrap();
        let ask = Ask {
            name: &wire,
            qtype: u16::from(RecordType::DNSKEY),
            dnssec: true,
        };
        let message = Message::from_vec(&encode_query(ask, 7)).unwrap();
        assert!(message.metadata.checking_disabled && message.metadata.recursion_desired);
        assert_eq!(message.queries[0].query_type(), RecordType::DNSKEY);
        assert!(message.edns.as_ref().unwrap().flags().dnssec_ok);
        let plain = Message::from_vec(&encode_query(Ask::caa(&wire), 7)).unwrap();
        assert!(!plain.metadata.checking_disabled);
        assert!(!plain.edns.as_ref().unwrap().flags().dnssec_ok);
    }

    #[test]
    fn with_dnssec_every_record_is_kept_caa_data_raw() {
        use hickory_resolver::proto::dnssec::rdata::{DNSSECRData, NSEC};
        let reply = ReplyBuilder::new(9, 0x8180, "www.example.test")
            .record(1, QNAME, TYPE_CAA, 300, &caa_rdata(0, b"bad-tag", b"x"))
            .build();
        let wire = wire_name("www.example.test");
        let ask = Ask {
            dnssec: true,
            ..Ask::caa(&wire)
        };
        let read = decode_reply(&reply, ask).unwrap();
        assert_eq!(read.sections.answers.len(), 1);
        assert!(matches!(
            read.sections.answers[0].data,
            RData::Unknown { .. }
        ));
        assert!(
            decode_reply(&reply, Ask::caa(&wire))
                .unwrap()
                .sections
                .answers
                .is_empty()
        );
        // An NSEC in the authority section, as hickory writes it.
        let nsec = NSEC::new(
            Name::from_ascii("zz.example.test.").unwrap(),
            [RecordType::A, RecordType::NSEC],
        );
        let owner = Name::from_ascii("www.example.test.").unwrap();
        let mut message = Message::new(
            9,
            MessageType::Response,
            hickory_resolver::proto::op::OpCode::Query,
        );
        message.add_query(hickory_resolver::proto::op::Query::query(
            owner.clone(),
            RecordType::CAA,
        ));
        message.authorities.push(Record::from_rdata(
            owner,
            300,
            RData::DNSSEC(DNSSECRData::NSEC(nsec.clone())),
        ));
        let bytes = message.to_vec().unwrap();
        let read = decode_reply(&bytes, ask).unwrap();
        assert_eq!(
            read.sections.authority[0].data,
            RData::DNSSEC(DNSSECRData::NSEC(nsec))
        );
    }

    #[test]
    fn an_empty_caa_rdata_is_kept_without_a_panic() {
        // Found by fuzz_reply: hickory's `NULL::with` asserts on empty data.
        let reply = ReplyBuilder::new(9, 0x8180, "www.example.test")
            .record(1, QNAME, TYPE_CAA, 300, &[])
            .build();
        let wire = wire_name("www.example.test");
        let ask = Ask {
            dnssec: true,
            ..Ask::caa(&wire)
        };
        let read = decode_reply(&reply, ask).unwrap();
        assert_eq!(read.sections.answers.len(), 1);
    }
}
