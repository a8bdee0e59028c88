//! What DNS answered for each name of a climb.
//!
//! This is the boundary between the imperative shell and the functional core: the DNS layer
//! (`dns`) produces these values, the rules (`caa`) judge them, the renderers (`output`) show
//! them. Nothing here is interpreted yet: records are kept byte for byte as served, because the
//! CA judges what was served, and a report must be able to show it.

use std::borrow::Cow;
use std::fmt;
use std::net::SocketAddr;

use hickory_resolver::proto::op::ResponseCode;

use crate::dnssec::Security;
use crate::escape::zone_escape;

/// One CAA resource record exactly as served: flags, tag and value bytes, nothing decoded.
///
/// Tags and values are bytes, not strings: real zones hold hyphenated tags, tags longer than
/// 15 octets and non-UTF-8 values, and the CA still reads the records beside them.
/// Records order by flags, tag, then value (field order), to compare sets of them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaaRecord {
    pub flags: u8,
    pub tag: Vec<u8>,
    pub value: Vec<u8>,
}

impl CaaRecord {
    pub fn new(flags: u8, tag: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> Self {
        CaaRecord {
            flags,
            tag: tag.into(),
            value: value.into(),
        }
    }
}

/// Queries one lookup may spend chasing alias targets that a server did not answer for.
pub const MOST_ALIAS_QUERIES: usize = 8;
/// Alias steps one lookup may follow in all, loops aside.
pub const MOST_ALIASES: usize = 16;

/// The kind of alias record that redirected a lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AliasKind {
    Cname,
    Dname,
}

impl AliasKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AliasKind::Cname => "CNAME",
            AliasKind::Dname => "DNAME",
        }
    }
}

/// One step of an alias chain: the lookup of `from` continued at `to`, because of a CNAME at
/// `from` or a DNAME at `owner` (an ancestor of `from`). Names are ASCII, lowercase, no
/// trailing dot, with unusual bytes escaped as in zone files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    pub kind: AliasKind,
    pub owner: String,
    pub from: String,
    pub to: String,
}

/// The outcome of the CAA lookup for one name of the climb, after following aliases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// At least one CAA record (of any tag) came back.
    Records(Vec<CaaRecord>),
    /// NOERROR without CAA records.
    NoData,
    /// The name (or the end of its alias chain) does not exist.
    NxDomain,
    /// The lookup did not produce a usable answer.
    Failed(Failure),
}

impl Answer {
    /// In a word: `records`, `nodata`, `nxdomain` or a failure's name.
    pub fn outcome(&self) -> Cow<'static, str> {
        match self {
            Answer::Records(_) => "records".into(),
            Answer::NoData => "nodata".into(),
            Answer::NxDomain => "nxdomain".into(),
            Answer::Failed(failure) => failure.kind.name(),
        }
    }
}

/// Why a lookup produced no usable answer, with a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    /// What happened, for a report: attempts made, the extended DNS error a resolver gave, ...
    pub detail: String,
    /// The Extended DNS Error (RFC 8914) the server attached to its answer, if any.
    pub extended_error: Option<ExtendedError>,
}

impl Failure {
    pub fn new(kind: FailureKind, detail: impl Into<String>) -> Failure {
        Failure {
            kind,
            detail: detail.into(),
            extended_error: None,
        }
    }
}

/// An Extended DNS Error (RFC 8914): why a resolver failed, by info code, with the server's
/// extra text as served (untrusted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtendedError {
    pub info_code: u16,
    pub extra_text: Vec<u8>,
}

impl ExtendedError {
    /// RFC 8914 §4: info codes 1, 2 and 5 to 12 say DNSSEC validation failed.
    pub fn is_dnssec_failure(&self) -> bool {
        matches!(self.info_code, 1 | 2 | 5..=12)
    }

    /// The registered meaning of the info code (RFC 8914 §4 and IANA's registry).
    pub fn meaning(&self) -> &'static str {
        const MEANINGS: [&str; 25] = [
            "other",
            "DNSSEC: unsupported DNSKEY algorithm",
            "DNSSEC: unsupported DS digest type",
            "stale answer",
            "forged answer",
            "DNSSEC: indeterminate",
            "DNSSEC: bogus",
            "DNSSEC: signature expired",
            "DNSSEC: signature not yet valid",
            "DNSSEC: DNSKEY missing",
            "DNSSEC: RRSIGs missing",
            "DNSSEC: no zone key bit set",
            "DNSSEC: NSEC missing",
            "cached error",
            "not ready",
            "blocked",
            "censored",
            "filtered",
            "prohibited",
            "stale NXDOMAIN answer",
            "not authoritative",
            "not supported",
            "no reachable authority",
            "network error",
            "invalid data",
        ];
        MEANINGS
            .get(usize::from(self.info_code))
            .copied()
            .unwrap_or("unassigned")
    }
}

/// `extended DNS error 6 (DNSSEC: bogus): extra text`, the extra text escaped.
impl fmt::Display for ExtendedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "extended DNS error {} ({})",
            self.info_code,
            self.meaning()
        )?;
        if !self.extra_text.is_empty() {
            write!(f, ": {}", zone_escape(&self.extra_text))?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// RCODE 2.
    ServFail,
    /// RCODE 5.
    Refused,
    /// Any other non-zero RCODE (NOTIMP, FORMERR, ...).
    Rcode(ResponseCode),
    /// No answer within the timeout, after every retry.
    Timeout,
    /// The server could not be reached at all (connection refused, no route).
    Unreachable,
    /// An answer with TC=1 that could not be completed over TCP.
    Truncated,
    /// The CNAME/DNAME chain comes back to a name it passed.
    AliasLoop,
    /// The CNAME/DNAME chain is longer than a resolver follows.
    AliasChainTooLong,
    /// This machine ran out of a resource (open files, buffers) before it could ask: says
    /// nothing about the name.
    LocalLimit,
    /// The reply could not be read as a DNS message (beyond the CAA records we read leniently).
    BadResponse,
    /// `--dnssec`: the answer is signed and does not validate (the reason in the detail): the
    /// CA fails the lookup.
    DnssecBogus,
    /// `--dnssec`: what validation needs could not be had here (the resolver strips DNSSEC,
    /// or did not answer): undetermined, never "no records".
    DnssecIndeterminate,
}

impl FailureKind {
    /// A failure of this machine's rather than of the name's DNS: the resolver out of reach,
    /// a local limit, DNSSEC records this machine could not have. It says nothing of what the
    /// CA sees.
    pub fn is_local(self) -> bool {
        matches!(
            self,
            FailureKind::Unreachable | FailureKind::LocalLimit | FailureKind::DnssecIndeterminate
        )
    }

    /// The name used in JSON `outcome` fields and in reports.
    pub fn name(self) -> Cow<'static, str> {
        match self {
            FailureKind::ServFail => "servfail".into(),
            FailureKind::Refused => "refused".into(),
            FailureKind::Rcode(code) => rcode_name(code),
            FailureKind::Timeout => "timeout".into(),
            FailureKind::Unreachable => "unreachable".into(),
            FailureKind::Truncated => "truncated".into(),
            FailureKind::AliasLoop => "alias-loop".into(),
            FailureKind::AliasChainTooLong => "alias-chain-too-long".into(),
            FailureKind::LocalLimit => "local-limit".into(),
            FailureKind::BadResponse => "bad-response".into(),
            FailureKind::DnssecBogus => "dnssec-bogus".into(),
            FailureKind::DnssecIndeterminate => "dnssec-indeterminate".into(),
        }
    }
}

/// The IANA mnemonic of an RCODE, lowercase, or `rcode-N` for one without a common name.
pub fn rcode_name(code: ResponseCode) -> Cow<'static, str> {
    let code = u16::from(code);
    let name = match code {
        0 => "noerror",
        1 => "formerr",
        2 => "servfail",
        3 => "nxdomain",
        4 => "notimp",
        5 => "refused",
        6 => "yxdomain",
        7 => "yxrrset",
        8 => "nxrrset",
        9 => "notauth",
        10 => "notzone",
        16 => "badvers",
        _ => return format!("rcode-{code}").into(),
    };
    name.into()
}

/// The CAA lookup of one name of the climb: what was asked, what answered, what came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// The name queried: ASCII, lowercase, no trailing dot.
    pub name: String,
    /// The alias chain followed from `name`, in order.
    pub aliases: Vec<Alias>,
    pub answer: Answer,
    /// The server that gave the final answer, or the last one tried when none did.
    pub server: Option<SocketAddr>,
    /// Owners of the answer's CAA records other than the name they belong to (the name asked,
    /// or the end of its alias chain): a broken server's. The CA counts the records anyway.
    pub other_owners: Vec<String>,
    /// `--dnssec`: the answer's security, as validation found it.
    pub dnssec: Option<Security>,
}

impl Lookup {
    /// A lookup of `name` with no alias followed and no server recorded.
    pub fn new(name: impl Into<String>, answer: Answer) -> Lookup {
        Lookup {
            name: name.into(),
            aliases: Vec::new(),
            answer,
            server: None,
            other_owners: Vec::new(),
            dnssec: None,
        }
    }

    /// The CAA records of the answer; empty unless the answer holds records.
    pub fn records(&self) -> &[CaaRecord] {
        match &self.answer {
            Answer::Records(records) => records,
            _ => &[],
        }
    }

    /// The name the answer's records are at: the end of the alias chain, or the name itself.
    pub fn records_owner(&self) -> &str {
        self.aliases.last().map_or(&self.name, |alias| &alias.to)
    }

    /// The `outcome` name of JSON lookups: `records`, `nodata`, `nxdomain` or a failure's name.
    pub fn outcome(&self) -> Cow<'static, str> {
        self.answer.outcome()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rcodes_without_a_variant_are_named_by_mnemonic_or_number() {
        assert_eq!(FailureKind::Rcode(ResponseCode::NotImp).name(), "notimp");
        assert_eq!(FailureKind::Rcode(ResponseCode::FormErr).name(), "formerr");
        assert_eq!(
            FailureKind::Rcode(ResponseCode::Unknown(23)).name(),
            "rcode-23"
        );
    }
}
