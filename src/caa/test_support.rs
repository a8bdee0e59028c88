//! Answers as authoritative servers give them, for the unit tests of `sources` and
//! `propagation`.

use hickory_resolver::proto::op::ResponseCode;

use super::answers::{Alias, AliasKind, CaaRecord};
use super::requester::Requester;
use super::sources::{Asked, ServerAnswers, ZoneAnswers};

/// An authoritative reply with `issue` records for `records`, at `serial`, TTL 300.
pub fn replied(rcode: ResponseCode, records: &[&str], serial: u32) -> Asked {
    Asked::Replied {
        rcode,
        authoritative: true,
        referral: false,
        case_preserved: true,
        records: records
            .iter()
            .map(|value| CaaRecord::new(0, "issue", value.as_bytes()))
            .collect(),
        truncated: false,
        serial: Some(serial),
        ttl: Some(300),
        rrsigs: vec![],
        securities: vec![],
        aliases: vec![],
        onward: None,
    }
}

/// An authoritative CNAME from `from` to `to` in another zone.
pub fn cname(from: &str, to: &str) -> Asked {
    let mut asked = replied(ResponseCode::NoError, &[], 1);
    if let Asked::Replied {
        aliases, onward, ..
    } = &mut asked
    {
        aliases.push(Alias {
            kind: AliasKind::Cname,
            owner: from.into(),
            from: from.into(),
            to: to.into(),
        });
        *onward = Some(to.into());
    }
    asked
}

/// A server of `example.net` whose SOA answers, with these CAA answers.
pub fn server(address: &str, caa_udp: Asked, caa_tcp: Asked) -> ServerAnswers {
    ServerAnswers {
        ns: "ns1.example.net.".into(),
        address: address.parse().unwrap(),
        soa: replied(ResponseCode::NoError, &[], 2026120601),
        caa_udp,
        caa_tcp,
        caa_without_edns: None,
    }
}

/// A server that answers `records` over UDP and TCP, at `serial`.
pub fn healthy(address: &str, records: &[&str], serial: u32) -> ServerAnswers {
    let mut server = server(
        address,
        replied(ResponseCode::NoError, records, serial),
        replied(ResponseCode::NoError, records, serial),
    );
    server.soa = replied(ResponseCode::NoError, &[], serial);
    server
}

/// The climb of `www.example.test`.
pub fn www_climb() -> [String; 3] {
    ["www.example.test", "example.test", "test"].map(String::from)
}

/// `test.`, with no CAA record.
pub fn test_tld() -> ZoneAnswers {
    ZoneAnswers {
        names: vec!["test".into()],
        servers: vec![vec![replied(ResponseCode::NoError, &[], 1)]],
    }
}

/// Let's Encrypt, judging CAA alone.
pub fn lets_encrypt() -> Requester {
    Requester {
        ca: "letsencrypt.org".into(),
        account_uri: None,
        method: None,
        name_policy: false,
    }
}
