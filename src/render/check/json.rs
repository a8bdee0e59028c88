//! The JSON report: one object per name, one line each (JSON Lines). The schema is a contract
//! for scripts and is documented in README.md; change it only by adding fields.
//!
//! Tags and values are given as text; when they are not valid UTF-8 the text is lossy and a
//! `tag_hex` / `value_hex` field holds the exact bytes.

use std::borrow::Cow;
use std::net::SocketAddr;

use serde::Serialize;

use crate::caa::Requester;
use crate::caa::answers::{Alias, Answer, CaaRecord, Lookup};
use crate::caa::diagnosis::Diagnosis;
use crate::caa::fix::Change;
use crate::caa::verdict::Basis;
use crate::caa::zone::zone_line;
use crate::dnssec::Security;
use crate::escape::{hex, json_line, zone_escape};

use super::advice::advice;
use super::reasons::reasons;
use super::sources::{OutcomesJson, ZoneJson, outcomes_json, zones_json};
use crate::caa::sources::Consistency;

#[derive(Serialize)]
struct CheckJson<'a> {
    name: String,
    line: Option<u64>,
    verdict: &'static str,
    refusal: Option<RefusalJson>,
    ca: &'a str,
    wildcard: bool,
    account_uri: Option<&'a str>,
    method: Option<&'static str>,
    relevant: Option<RelevantJson<'a>>,
    lookups: Vec<LookupJson<'a>>,
    reasons: Vec<String>,
    hypothetical: bool,
    assumed: Vec<AssumedJson>,
    fixes: Vec<FixJson<'a>>,
    advice: Vec<String>,
    /// `--source` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    sources: Option<Vec<ZoneJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consistency: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcomes: Option<OutcomesJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p_issue: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_error: Option<&'a str>,
}

#[derive(Serialize)]
struct RefusalJson {
    code: &'static str,
    ca_error: &'static str,
}

#[derive(Serialize)]
struct AssumedJson {
    state: &'static str,
    zone_line: String,
}

#[derive(Serialize)]
struct FixJson<'a> {
    action: &'static str,
    owner: &'a str,
    #[serde(flatten)]
    record: ZoneRecordJson<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old: Option<ZoneRecordJson<'a>>,
}

#[derive(Serialize)]
struct ZoneRecordJson<'a> {
    #[serde(flatten)]
    record: RecordJson<'a>,
    zone_line: String,
}

#[derive(Serialize)]
struct RelevantJson<'a> {
    owner: &'a str,
    records: Vec<RecordJson<'a>>,
    aliases: Vec<AliasJson<'a>>,
}

#[derive(Serialize)]
struct LookupJson<'a> {
    name: &'a str,
    outcome: Cow<'static, str>,
    aliases: Vec<AliasJson<'a>>,
    records: Vec<RecordJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extended_error: Option<ExtendedErrorJson>,
    #[serde(serialize_with = "server_text")]
    server: Option<SocketAddr>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    other_owners: &'a [String],
    /// `--dnssec` only: secure, insecure, bogus or indeterminate.
    #[serde(skip_serializing_if = "Option::is_none")]
    dnssec: Option<&'static str>,
}

#[derive(Serialize)]
struct ExtendedErrorJson {
    info_code: u16,
    meaning: &'static str,
    dnssec: bool,
    /// The server's extra text, escaped.
    text: String,
}

#[derive(Serialize)]
struct RecordJson<'a> {
    flags: u8,
    tag: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag_hex: Option<String>,
    value: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_hex: Option<String>,
}

#[derive(Serialize)]
struct AliasJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    owner: &'a str,
    from: &'a str,
    to: &'a str,
}

/// The JSON object for one checked name, as a single line without its newline.
pub fn render(diagnosis: &Diagnosis, line: Option<u64>, requester: &Requester) -> String {
    let check = &diagnosis.check;
    let view = diagnosis
        .sources
        .as_ref()
        .and_then(|sources| sources.as_ref().ok());
    let relevant = check.relevant_lookup().map(|lookup| RelevantJson {
        owner: &lookup.name,
        records: records_json(lookup.records()),
        aliases: aliases_json(&lookup.aliases),
    });
    let report = CheckJson {
        name: check.name.to_string(),
        line,
        verdict: diagnosis.verdict().as_str(),
        refusal: match &check.evaluation.basis {
            Basis::NamePolicy(refusal) => Some(RefusalJson {
                code: refusal.code(),
                ca_error: refusal.ca_error(),
            }),
            _ => None,
        },
        ca: &requester.ca,
        wildcard: check.name.wildcard,
        account_uri: requester.account_uri.as_deref(),
        method: requester.method.map(|method| method.as_str()),
        relevant,
        lookups: check.lookups.iter().map(lookup_json).collect(),
        reasons: reasons(check, requester),
        hypothetical: check.is_hypothetical(),
        assumed: check
            .assumed
            .iter()
            .map(|assumption| AssumedJson {
                state: assumption.state(),
                zone_line: zone_line(&assumption.owner, &assumption.record),
            })
            .collect(),
        fixes: diagnosis.changes.iter().map(fix_json).collect(),
        advice: advice(diagnosis, requester),
        sources: view.map(zones_json),
        consistency: view.map(|view| view.consistency.as_str()),
        outcomes: view.and_then(outcomes_json),
        p_issue: view
            .filter(|view| view.consistency == Consistency::Inconsistent)
            .map(|view| view.chance_of_issuance),
        source_error: match &diagnosis.sources {
            Some(Err(error)) => Some(error.as_str()),
            _ => None,
        },
    };
    json_line(&report)
}

fn fix_json(change: &Change) -> FixJson<'_> {
    let owner = change.owner();
    let zone_record = |record| ZoneRecordJson {
        record: record_json(record),
        zone_line: zone_line(owner, record),
    };
    let (record, old) = match change {
        Change::Add { record, .. } | Change::Remove { record, .. } => (zone_record(record), None),
        Change::Replace { old, new, .. } => (zone_record(new), Some(zone_record(old))),
    };
    FixJson {
        action: change.action(),
        owner: change.owner(),
        record,
        old,
    }
}

fn lookup_json(lookup: &Lookup) -> LookupJson<'_> {
    let failure = match &lookup.answer {
        Answer::Failed(failure) => Some(failure),
        _ => None,
    };
    let detail = failure.map(|failure| failure.detail.as_str());
    let extended_error = failure
        .and_then(|failure| failure.extended_error.as_ref())
        .map(|extended| ExtendedErrorJson {
            info_code: extended.info_code,
            meaning: extended.meaning(),
            dnssec: extended.is_dnssec_failure(),
            text: zone_escape(&extended.extra_text),
        });
    LookupJson {
        name: &lookup.name,
        outcome: lookup.outcome(),
        aliases: aliases_json(&lookup.aliases),
        records: records_json(lookup.records()),
        detail,
        extended_error,
        server: lookup.server,
        other_owners: &lookup.other_owners,
        dnssec: lookup.dnssec.as_ref().map(Security::as_str),
    }
}

/// A server as `ip:port`. Nearly every lookup of a run names the same server or two, so each
/// thread keeps the last one written: formatting an address cost a twentieth of a bulk audit.
fn server_text<S: serde::Serializer>(
    server: &Option<SocketAddr>,
    out: S,
) -> Result<S::Ok, S::Error> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(SocketAddr, String)>> = const { std::cell::RefCell::new(None) };
    }
    let Some(server) = server else {
        return out.serialize_none();
    };
    LAST.with_borrow_mut(|last| {
        if last.as_ref().is_none_or(|(address, _)| address != server) {
            *last = Some((*server, server.to_string()));
        }
        match last {
            Some((_, text)) => out.serialize_str(text),
            None => out.serialize_none(),
        }
    })
}

fn records_json(records: &[CaaRecord]) -> Vec<RecordJson<'_>> {
    records.iter().map(record_json).collect()
}

fn record_json(record: &CaaRecord) -> RecordJson<'_> {
    let (tag, tag_hex) = text_and_hex(&record.tag);
    let (value, value_hex) = text_and_hex(&record.value);
    RecordJson {
        flags: record.flags,
        tag,
        tag_hex,
        value,
        value_hex,
    }
}

fn aliases_json(aliases: &[Alias]) -> Vec<AliasJson<'_>> {
    aliases
        .iter()
        .map(|alias| AliasJson {
            kind: alias.kind.as_str(),
            owner: &alias.owner,
            from: &alias.from,
            to: &alias.to,
        })
        .collect()
}

/// The bytes as text, plus their hex when the text had to be lossy.
fn text_and_hex(bytes: &[u8]) -> (Cow<'_, str>, Option<String>) {
    let text = String::from_utf8_lossy(bytes);
    let exact = matches!(text, Cow::Owned(_)).then(|| hex(bytes));
    (text, exact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_utf8_bytes_get_a_lossless_hex_form() {
        assert_eq!(text_and_hex(b"ok"), (Cow::Borrowed("ok"), None));
        assert_eq!(
            text_and_hex(b"a\xffb"),
            ("a\u{fffd}b".into(), Some("61ff62".into()))
        );
    }
}
