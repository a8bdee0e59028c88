//! Asking one authoritative server one question directly, as the CA's own resolver does when it
//! walks from the root (`check --source`, issue 10): recursion not desired, EDNS with a 1232-octet
//! payload or none, over UDP or TCP, the name in random case (0x20, as Unbound sends it). What
//! comes back is read as the `caa::sources` rules need it: the RCODE, whether the answer is
//! authoritative or a referral, whether the question came back in the case it was sent, the
//! records of each section, and the SOA serial. CAA records are read leniently (`wire`), since
//! real zones hold tags and values hickory refuses.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::proto::dnssec::rdata::DNSSECRData;
use hickory_resolver::proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::net::UdpSocket;
use tokio::time::timeout;

use super::lookup::{alias_chain, name_text};
use super::transport::tcp_roundtrip;
use super::wire::{AnswerRecord, Ask, Sections, UDP_PAYLOAD, decode_reply, wire_name_of};
use crate::caa::answers::{Alias, CaaRecord, Failure};
use crate::caa::sources::{Asked, ServerAnswers, step_of};
use crate::dnssec::chain::{Outcome, ServerReply, Signed, Trust, reply_security, rrset_of};

/// How a question is carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carrier {
    Udp,
    Tcp,
}

/// A question for one server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub name: Name,
    pub rtype: RecordType,
    /// Send an OPT record (EDNS, 1232 octets).
    pub edns: bool,
    pub carrier: Carrier,
    /// The zone the server is asked as a server of: records of a CAA reply owned outside it
    /// are dropped, as a resolver scrubs them (Unbound's `scrub_sanitize`), so a server's old
    /// copy of another zone never answers for it.
    pub bailiwick: Option<Name>,
    /// Set DO (RFC 3225): RRSIGs wanted, as the CA's validating resolver always asks.
    pub dnssec: bool,
}

/// What the server said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Said {
    pub rcode: ResponseCode,
    pub authoritative: bool,
    pub truncated: bool,
    /// The question came back in the exact case it was sent.
    pub case_preserved: bool,
    /// No answer, NS records in the authority section: sent elsewhere.
    pub referral: bool,
    /// The SOA serial the reply carries: the answer's, else the authority section's.
    pub serial: Option<u32>,
    /// How long a resolver may keep the answer: the largest TTL of the answer's records, or
    /// for a negative answer its SOA's negative TTL (RFC 2308 §5).
    pub ttl: Option<u32>,
    /// The sections as hickory reads them, for the walk's NS, SOA and address questions; empty
    /// for a CAA question, whose reply is read leniently (`wire`).
    pub answers: Vec<Record>,
    pub authority: Vec<Record>,
    pub additional: Vec<Record>,
    /// The CAA records of the answer, read leniently.
    pub caa: Vec<CaaRecord>,
    /// For a CAA question: the alias chain the answer holds (CNAME, DNAME), and the name it
    /// goes on at when the reply does not answer for its end; or why the chain is broken.
    pub chain: Result<(Vec<Alias>, Option<Name>), Failure>,
    /// For a CAA question with DO: each RRSIG's inception and expiration.
    pub rrsigs: Vec<(u32, u32)>,
    /// For a CAA question with DO: the answer and authority sections, for validation.
    pub signed: Sections,
}

/// `check --source --dnssec`: what a resolver may hold for the zone asked, walked to from the
/// trust anchor (a proven unsigned delegation, an ancestor's keys when the walk ends above
/// the zone, or every DNSKEY set of the zone that validates: `key_sets_held`), and the time
/// signatures are judged at (Unix seconds).
#[derive(Clone, Debug)]
pub struct ZoneTrust {
    pub held: Vec<Trust>,
    pub now: u32,
}

impl Said {
    /// A CAA reply for `name` as the `caa::sources` rules take it, validated under the zone's
    /// trust when there is one: an answer or a denial from the zone itself (authoritative,
    /// complete), not a referral, an error or a truncated reply.
    pub fn asked_caa(&self, name: &Name, zone_trust: Option<&ZoneTrust>) -> Asked {
        let mut asked = self.asked();
        let outcome = match (&self.chain, self.rcode) {
            (Ok((_, Some(_))), _) => Outcome::Onward,
            (_, ResponseCode::NoError) => Outcome::NoError,
            (_, ResponseCode::NXDomain) => Outcome::NxDomain,
            _ => return asked,
        };
        if let (Some(zone_trust), Asked::Replied { securities, .. }) = (zone_trust, &mut asked)
            && self.authoritative
            && !self.truncated
        {
            let reply = ServerReply {
                qname: name,
                qtype: RecordType::CAA,
                outcome,
                answers: &self.signed.answers,
                authority: &self.signed.authority,
            };
            *securities = zone_trust
                .held
                .iter()
                .map(|trust| reply_security(trust, &reply, zone_trust.now))
                .collect();
        }
        asked
    }

    /// The reply as the `caa::sources` rules take it.
    pub fn asked(&self) -> Asked {
        let (aliases, onward) = match &self.chain {
            Ok(chain) => chain,
            Err(failure) => return Asked::Failed(failure.clone()),
        };
        Asked::Replied {
            rcode: self.rcode,
            authoritative: self.authoritative,
            referral: self.referral,
            case_preserved: self.case_preserved,
            records: self.caa.clone(),
            truncated: self.truncated,
            serial: self.serial,
            ttl: self.ttl,
            rrsigs: self.rrsigs.clone(),
            securities: Vec::new(),
            aliases: aliases.clone(),
            onward: onward.as_ref().map(name_text),
        }
    }
}

/// Why nothing was said.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AskFailure {
    #[error("no reply within the timeout")]
    Silent,
    #[error("no route from this machine: {0}")]
    NoRoute(String),
    #[error("refused: {0}")]
    Refused(String),
    #[error("an unreadable reply: {0}")]
    Malformed(String),
}

impl AskFailure {
    /// The failure as the `caa::sources` rules take it.
    pub fn asked(&self) -> Asked {
        match self {
            AskFailure::Silent | AskFailure::Malformed(_) => Asked::Silent,
            AskFailure::Refused(_) => Asked::Refused,
            AskFailure::NoRoute(_) => Asked::NoRoute,
        }
    }
}

/// Asks `server` the question, waiting at most `patience`.
pub async fn ask(
    server: SocketAddr,
    question: &Question,
    patience: Duration,
) -> Result<Said, AskFailure> {
    let (id, sent_name) = randomised(&question.name);
    let query = encode(id, &sent_name, question)?;
    let exchange = async {
        match question.carrier {
            Carrier::Udp => udp_roundtrip(server, &query).await,
            Carrier::Tcp => tcp_roundtrip(server, &query)
                .await
                .map_err(|error| failure_of(&error)),
        }
    };
    let reply = match timeout(patience, exchange).await {
        Err(_) => return Err(AskFailure::Silent),
        Ok(Err(failure)) => return Err(failure),
        Ok(Ok(reply)) => reply,
    };
    read(&reply, id, &sent_name, question)
}

/// A server that gave no reply to a question, over UDP or over TCP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoReply;

/// A zone's DNSKEY RRset with its signatures as one server serves it, asked as a resolver
/// asks: over UDP, then over TCP when the answer is truncated (key sets are large) or UDP
/// fails. None when it replied without one with authority (a resolver takes no keys from
/// it); `NoReply` when it gave no complete reply (what it serves is unknown here).
pub async fn server_dnskey(
    server: SocketAddr,
    zone: &Name,
    patience: Duration,
) -> Result<Option<Signed>, NoReply> {
    let mut question = Question {
        name: zone.clone(),
        rtype: RecordType::DNSKEY,
        edns: true,
        carrier: Carrier::Udp,
        bailiwick: None,
        dnssec: true,
    };
    let said = match ask(server, &question, patience).await {
        Ok(said) if !said.truncated => said,
        // A truncated set that TCP does not complete from here may complete for the CA.
        _ => {
            question.carrier = Carrier::Tcp;
            ask(server, &question, patience)
                .await
                .map_err(|_| NoReply)?
        }
    };
    if said.rcode != ResponseCode::NoError || !said.authoritative {
        return Ok(None);
    }
    Ok(rrset_of(&said.answers, zone, RecordType::DNSKEY))
}

/// Why an exchange failed once sent: refused (a closed port, ICMP port unreachable), or
/// anything else, which a resolver takes for silence.
fn failure_of(error: &io::Error) -> AskFailure {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => AskFailure::Refused(error.to_string()),
        _ => AskFailure::Malformed(error.to_string()),
    }
}

/// A message id and the name with each letter's case drawn at random (0x20).
fn randomised(name: &Name) -> (u16, Name) {
    let mut bits = [0u8; 34];
    // A failure of the system's random source leaves the name as it is and the id 0.
    let _ = SystemRandom::new().fill(&mut bits);
    let id = u16::from_be_bytes([bits[0], bits[1]]);
    let mut bit = 0usize;
    let text: String = name
        .to_ascii()
        .chars()
        .map(|c| {
            bit += 1;
            let flip = bits[2 + (bit / 8) % 32] & (1 << (bit % 8)) != 0;
            if c.is_ascii_alphabetic() && flip {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    (id, Name::from_ascii(&text).unwrap_or_else(|_| name.clone()))
}

fn encode(id: u16, name: &Name, question: &Question) -> Result<Vec<u8>, AskFailure> {
    let mut message = Message::new(id, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = false;
    message.add_query(Query::query(name.clone(), question.rtype));
    if question.edns {
        let mut edns = Edns::new();
        edns.set_max_payload(UDP_PAYLOAD);
        edns.flags_mut().dnssec_ok = question.dnssec;
        message.set_edns(edns);
    }
    message
        .to_vec()
        .map_err(|error| AskFailure::Malformed(error.to_string()))
}

/// One UDP exchange. Binding and connecting a UDP socket send nothing: when they fail, this
/// machine has no route there (an IPv6 address on a host without IPv6), which says nothing
/// of the server.
async fn udp_roundtrip(server: SocketAddr, query: &[u8]) -> Result<Vec<u8>, AskFailure> {
    let local = if server.is_ipv4() {
        SocketAddr::from(([0u8; 4], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let no_route = |error: io::Error| AskFailure::NoRoute(error.to_string());
    let socket = UdpSocket::bind(local).await.map_err(no_route)?;
    socket.connect(server).await.map_err(no_route)?;
    let sent = async {
        socket.send(query).await?;
        let mut reply = vec![0; 65_535];
        let length = socket.recv(&mut reply).await?;
        reply.truncate(length);
        Ok(reply)
    };
    sent.await.map_err(|error: io::Error| failure_of(&error))
}

fn read(bytes: &[u8], id: u16, sent_name: &Name, question: &Question) -> Result<Said, AskFailure> {
    if question.rtype == RecordType::CAA {
        read_caa_reply(
            bytes,
            id,
            sent_name,
            question.bailiwick.as_ref(),
            question.dnssec,
        )
    } else {
        read_message(bytes, id, sent_name)
    }
}

/// A reply to the walk's questions (NS, SOA, A, AAAA), as hickory reads it.
fn read_message(bytes: &[u8], id: u16, sent_name: &Name) -> Result<Said, AskFailure> {
    let message =
        Message::from_vec(bytes).map_err(|error| AskFailure::Malformed(error.to_string()))?;
    if message.metadata.id != id {
        return Err(AskFailure::Malformed("a reply to another query".into()));
    }
    let soa = message
        .answers
        .iter()
        .chain(&message.authorities)
        .find_map(|record| match &record.data {
            RData::SOA(soa) => Some((soa.serial, record.ttl.min(soa.minimum))),
            _ => None,
        });
    let delegates = message
        .authorities
        .iter()
        .any(|record| record.record_type() == RecordType::NS);
    Ok(Said {
        rcode: message.metadata.response_code,
        authoritative: message.metadata.authoritative,
        truncated: message.metadata.truncation,
        case_preserved: message
            .queries
            .first()
            .is_some_and(|query| query.name().to_ascii() == sent_name.to_ascii()),
        referral: is_referral(
            message.metadata.response_code,
            message.metadata.authoritative,
            message.answers.is_empty(),
            delegates,
        ),
        serial: soa.map(|(serial, _)| serial),
        ttl: message
            .answers
            .iter()
            .map(|record| record.ttl)
            .max()
            .or(soa.map(|(_, ttl)| ttl)),
        answers: message.answers,
        authority: message.authorities,
        additional: message.additionals,
        caa: Vec::new(),
        chain: Ok((Vec::new(), None)),
        rrsigs: Vec::new(),
        signed: Sections::default(),
    })
}

/// A reply to a CAA question, read leniently: every record beside one hickory would refuse
/// (a hyphenated or overlong tag) is kept, as the CA reads it.
fn read_caa_reply(
    bytes: &[u8],
    id: u16,
    sent_name: &Name,
    bailiwick: Option<&Name>,
    dnssec: bool,
) -> Result<Said, AskFailure> {
    let asked = wire_name_of(sent_name).ok_or_else(|| AskFailure::Malformed("name".into()))?;
    let ask = Ask {
        dnssec,
        ..Ask::caa(asked.as_ref())
    };
    let mut reply =
        decode_reply(bytes, ask).map_err(|error| AskFailure::Malformed(error.to_string()))?;
    if reply.id != id || !reply.is_response {
        return Err(AskFailure::Malformed("a reply to another query".into()));
    }
    let provenance = reply.provenance.clone();
    let referral = is_referral(
        reply.rcode,
        provenance.authoritative,
        reply.answers.is_empty(),
        provenance.delegates,
    );
    if let Some(zone) = bailiwick {
        reply.answers.retain(|record| zone.zone_of(record.owner()));
        reply.soa_owners.retain(|owner| zone.zone_of(owner));
    }
    let chain = alias_chain(&sent_name.to_lowercase(), &reply);
    // Boulder counts the records of an NXDOMAIN answer, except for a TLD.
    let for_a_tld = reply.rcode == ResponseCode::NXDomain && sent_name.num_labels() <= 1;
    let caa: Vec<CaaRecord> = reply
        .answers
        .iter()
        .filter(|_| !for_a_tld)
        .filter_map(|answer| match answer {
            AnswerRecord::Caa { record, .. } => Some(record.clone()),
            _ => None,
        })
        .collect();
    Ok(Said {
        rcode: reply.rcode,
        authoritative: provenance.authoritative,
        truncated: reply.truncated,
        case_preserved: reply.answers_question && question_case_kept(bytes, sent_name),
        referral,
        serial: provenance.soa.map(|(serial, _)| serial),
        ttl: provenance.answer_ttl.or(provenance.soa.map(|(_, ttl)| ttl)),
        answers: Vec::new(),
        authority: Vec::new(),
        additional: Vec::new(),
        caa,
        chain,
        rrsigs: reply
            .sections
            .answers
            .iter()
            .chain(&reply.sections.authority)
            .filter_map(|record| match &record.data {
                RData::DNSSEC(DNSSECRData::RRSIG(rrsig)) => Some((
                    rrsig.input().sig_inception.get(),
                    rrsig.input().sig_expiration.get(),
                )),
                _ => None,
            })
            .collect(),
        signed: reply.sections,
    })
}

/// No answer and NS records in the authority section, not authoritative: sent elsewhere.
fn is_referral(rcode: ResponseCode, authoritative: bool, no_answer: bool, delegates: bool) -> bool {
    rcode == ResponseCode::NoError && !authoritative && no_answer && delegates
}

/// Whether the reply's question, right after the 12-octet header, is the name exactly as sent
/// (0x20: letter case included).
fn question_case_kept(bytes: &[u8], sent_name: &Name) -> bool {
    let mut sent = Vec::new();
    for label in sent_name.iter() {
        let Ok(length) = u8::try_from(label.len()) else {
            return false;
        };
        sent.push(length);
        sent.extend_from_slice(label);
    }
    sent.push(0);
    bytes.get(12..12 + sent.len()) == Some(&sent[..])
}

/// A reply as a server that cannot take EDNS gives it: FORMERR, NOTIMP or silence.
fn edns_shy(asked: &Asked) -> bool {
    matches!(
        asked,
        Asked::Silent
            | Asked::Replied {
                rcode: ResponseCode::FormErr | ResponseCode::NotImp,
                ..
            }
    )
}

/// What one server of a zone says about one name, as the `--source` rules take it: the zone's
/// SOA, and the name's CAA over UDP with EDNS, over TCP, and (when the first failed as an
/// EDNS-shy server fails) over UDP without EDNS.
pub async fn probe(
    ns: &str,
    server: SocketAddr,
    zone: &Name,
    name: &Name,
    patience: Duration,
    zone_trust: Option<&ZoneTrust>,
) -> ServerAnswers {
    // The CA's validating resolver sets DO whenever it sends EDNS.
    let question = |name: &Name, rtype, edns, carrier| Question {
        name: name.clone(),
        rtype,
        edns,
        carrier,
        bailiwick: Some(zone.clone()),
        dnssec: edns,
    };
    let asked = |result: Result<Said, AskFailure>| match result {
        Ok(said) => said.asked(),
        Err(failure) => failure.asked(),
    };
    let asked_caa = |result: Result<Said, AskFailure>| match result {
        Ok(said) => said.asked_caa(name, zone_trust),
        Err(failure) => failure.asked(),
    };
    let soa = question(zone, RecordType::SOA, true, Carrier::Udp);
    let caa_udp = question(name, RecordType::CAA, true, Carrier::Udp);
    let caa_tcp = question(name, RecordType::CAA, true, Carrier::Tcp);
    let (soa, caa_udp, caa_tcp) = tokio::join!(
        ask(server, &soa, patience),
        ask(server, &caa_udp, patience),
        ask(server, &caa_tcp, patience),
    );
    let caa_udp = asked_caa(caa_udp);
    let caa_without_edns = if edns_shy(&caa_udp) {
        let plain = question(name, RecordType::CAA, false, Carrier::Udp);
        Some(asked_caa(ask(server, &plain, patience).await))
    } else {
        None
    };
    // A server that fails EDNS is judged lame or not by its SOA without EDNS.
    let mut soa = asked(soa);
    if edns_shy(&soa) {
        let plain = question(zone, RecordType::SOA, false, Carrier::Udp);
        soa = asked(ask(server, &plain, patience).await);
    }
    ServerAnswers {
        ns: ns.to_owned(),
        address: server.ip(),
        soa,
        // The TCP answer is validated only when it is the one taken (`used_answer`).
        caa_tcp: if step_of(&caa_udp).is_some() {
            asked(caa_tcp)
        } else {
            asked_caa(caa_tcp)
        },
        caa_udp,
        caa_without_edns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_once_sent_is_a_refusal_or_silence() {
        let failure = |kind| failure_of(&io::Error::from(kind)).asked();
        assert_eq!(failure(io::ErrorKind::ConnectionRefused), Asked::Refused);
        // An ICMP error from the server's network says nothing of this machine's routes.
        assert_eq!(failure(io::ErrorKind::HostUnreachable), Asked::Silent);
        assert_eq!(failure(io::ErrorKind::InvalidData), Asked::Silent);
    }

    #[tokio::test]
    async fn an_address_this_machine_cannot_send_to_is_no_route() {
        // Connecting a UDP socket sends nothing; the broadcast address is refused locally.
        let failed = udp_roundtrip("255.255.255.255:53".parse().unwrap(), b"x").await;
        assert!(matches!(failed, Err(AskFailure::NoRoute(_))), "{failed:?}");
        assert_eq!(failed.unwrap_err().asked(), Asked::NoRoute);
    }

    #[test]
    fn records_outside_the_zone_asked_are_scrubbed_and_the_alias_followed_there() {
        use super::super::test_replies::{ReplyBuilder, caa_rdata, wire_name};
        // A server of example.test that also holds an old copy of cdn.test answers the alias
        // and the target's records: only the alias counts, the target is asked of its own.
        let question = "www.example.test";
        let reply = ReplyBuilder::new(7, 0x8400, question)
            .record(1, &[0xc0, 12], 5, 300, &wire_name("x.cdn.test"))
            .record(
                1,
                &wire_name("x.cdn.test"),
                257,
                300,
                &caa_rdata(0, b"issue", b"letsencrypt.org"),
            )
            .build();
        let sent = Name::from_ascii("www.example.test.").unwrap();
        let zone = Name::from_ascii("example.test.").unwrap();
        let scrubbed = read_caa_reply(&reply, 7, &sent, Some(&zone), false).unwrap();
        assert_eq!(scrubbed.caa, []);
        let (aliases, onward) = scrubbed.chain.unwrap();
        assert_eq!(aliases.len(), 1);
        assert_eq!(
            onward.map(|name| name_text(&name)),
            Some("x.cdn.test".into())
        );
        let trusting = read_caa_reply(&reply, 7, &sent, None, false).unwrap();
        assert_eq!(trusting.caa.len(), 1);
    }

    #[test]
    fn records_in_an_nxdomain_answer_for_a_tld_are_dropped() {
        use super::super::test_replies::{ReplyBuilder, caa_rdata};
        let reply = ReplyBuilder::new(7, 0x8403, "test")
            .record(1, &[0xc0, 12], 257, 300, &caa_rdata(0, b"issue", b"x.org"))
            .build();
        let sent = Name::from_ascii("test.").unwrap();
        let said = read_caa_reply(&reply, 7, &sent, None, false).unwrap();
        assert_eq!(said.rcode, ResponseCode::NXDomain);
        assert_eq!(said.caa, []);
    }
}
