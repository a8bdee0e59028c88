//! `dns::wire::decode_reply` on arbitrary bytes: it reads every reply from the network, so no
//! reply, however malformed or hostile, may panic it (a panic would kill a whole run). The
//! first input byte picks the name the query asked for, from a few fixed names, so that replies
//! that repeat the question (and do not) are both reached, and with its top bit whether DNSSEC
//! was asked for (every record then read by hickory); the rest is the reply.
//!
//! Beyond "no panic": an Extended DNS Error as shown to people must be printable ASCII (the
//! server's extra text goes through `zone_escape`), and the full RCODE has 12 bits. With DNSSEC
//! asked for, the sections are validated as a server's reply is (`reply_security`: alias
//! chains, signatures, NSEC and NSEC3 proofs) under a fixed key of `example.test.`.

#![no_main]

use certready::dns::wire::{Ask, decode_reply, wire_name};
use certready::dnssec::chain::{Outcome, ServerReply, Trust, reply_security};
use hickory_resolver::proto::dnssec::rdata::DNSKEY;
use hickory_resolver::proto::dnssec::{Algorithm, PublicKeyBuf};
use hickory_resolver::proto::rr::{Name, RecordType};
use libfuzzer_sys::fuzz_target;

/// Names a query may have asked for. The seeds ask for `www.example.test` (index 1).
const ASKED: [&str; 5] = [
    "example.test",
    "www.example.test",
    "",
    "a.b.c.d.e.f.g.h.example.test",
    "xn--bcher-kva.example",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, reply)) = data.split_first() else {
        return;
    };
    let asked = wire_name(ASKED[usize::from(pick & 0x7f) % ASKED.len()]).expect("a fixed, short name");
    let ask = Ask {
        dnssec: pick & 0x80 != 0,
        ..Ask::caa(&asked)
    };
    if let Ok(reply) = decode_reply(reply, ask) {
        let rcode = u16::from(reply.rcode);
        assert!(rcode <= 0xfff, "RCODE {rcode} over 12 bits");
        if let Some(extended) = &reply.extended_error {
            let text = extended.to_string();
            assert!(
                text.bytes().all(|b| (b' '..=b'~').contains(&b)),
                "extended error not printable ASCII: {text:?}"
            );
        }
        if ask.dnssec {
            let zone = Name::from_ascii("example.test.").expect("a fixed name");
            let key = PublicKeyBuf::new(vec![7; 64], Algorithm::ECDSAP256SHA256);
            let trust = Trust::Keys {
                zone,
                keys: vec![DNSKEY::with_flags(257, key)],
            };
            let qname = Name::from_ascii(format!("{}.", ASKED[usize::from(pick & 0x7f) % ASKED.len()]))
                .unwrap_or_else(|_| Name::root());
            for outcome in [Outcome::NoError, Outcome::NxDomain, Outcome::Onward] {
                let served = ServerReply {
                    qname: &qname,
                    qtype: RecordType::CAA,
                    outcome,
                    answers: &reply.sections.answers,
                    authority: &reply.sections.authority,
                };
                let _ = reply_security(&trust, &served, 1_800_000_000);
            }
        }
    }
});
