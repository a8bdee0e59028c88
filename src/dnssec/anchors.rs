//! Trust anchors: IANA's root keys built in (hickory-proto's copy of them), or `--trust-anchor
//! FILE` with DS or DNSKEY records in zone-file form, as unbound's `trust-anchor-file` takes
//! them, for private or test roots. Records are read by hickory-proto's parsers: its zone-file
//! parser for DS, its trust-anchor parser for DNSKEY.

use std::collections::BTreeMap;

use hickory_resolver::proto::dnssec::rdata::{DNSSECRData, DS};
use hickory_resolver::proto::dnssec::{PublicKey, PublicKeyBuf, TrustAnchors};
use hickory_resolver::proto::rr::{Name, RData};
use hickory_resolver::proto::serialize::txt::Parser;
use hickory_resolver::proto::serialize::txt::trust_anchor::{self, Entry};

use super::keys::Vouchers;

/// What vouches for one zone's keys without a parent: DS records and keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustAnchor {
    pub zone: Name,
    pub ds: Vec<DS>,
    pub keys: Vec<PublicKeyBuf>,
}

impl TrustAnchor {
    pub fn vouchers(&self) -> Vouchers<'_> {
        Vouchers {
            ds: &self.ds,
            keys: &self.keys,
        }
    }
}

/// The root's key signing keys as IANA publishes them (KSK-2017 and KSK-2024).
pub fn iana_root() -> TrustAnchor {
    let builtin = TrustAnchors::default();
    TrustAnchor {
        zone: Name::root(),
        ds: Vec::new(),
        keys: (0..builtin.len())
            .filter_map(|index| builtin.get(index).cloned())
            .collect(),
    }
}

/// Why a trust-anchor file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    #[error("line {line}: {reason}")]
    Syntax { line: usize, reason: String },
    #[error("no DS or DNSKEY record")]
    Empty,
}

/// The trust anchors of a file, one per zone: DS and DNSKEY records in zone-file form, a
/// record over several lines in parentheses, `;` comments. Other record types are refused: a
/// file meant for something else should not pass for an anchor.
pub fn read_trust_anchors(text: &str) -> Result<Vec<TrustAnchor>, AnchorError> {
    let mut anchors: BTreeMap<Name, TrustAnchor> = BTreeMap::new();
    for (line, record) in records(text) {
        let syntax = |reason: String| AnchorError::Syntax { line, reason };
        let anchor = |zone: &Name, anchors: &mut BTreeMap<Name, TrustAnchor>| {
            anchors
                .entry(zone.to_lowercase())
                .or_insert_with(|| TrustAnchor {
                    zone: zone.to_lowercase(),
                    ds: Vec::new(),
                    keys: Vec::new(),
                });
        };
        match record_type(&record).as_deref() {
            Some("DS") => {
                let (_, sets) = Parser::new(record.as_str(), None, Some(Name::root()))
                    .parse()
                    .map_err(|error| syntax(error.to_string()))?;
                for set in sets.values() {
                    for found in set.records_without_rrsigs() {
                        if let RData::DNSSEC(DNSSECRData::DS(ds)) = &found.data {
                            anchor(&found.name, &mut anchors);
                            if let Some(entry) = anchors.get_mut(&found.name.to_lowercase()) {
                                entry.ds.push(ds.clone());
                            }
                        }
                    }
                }
            }
            Some("DNSKEY") => {
                let entries = trust_anchor::Parser::new(record.as_str())
                    .parse()
                    .map_err(|error| syntax(error.to_string()))?;
                for entry in entries {
                    let Entry::DNSKEY(found) = entry else {
                        continue;
                    };
                    let key = found.data();
                    let public = key.public_key();
                    let zone = found.name().clone();
                    anchor(&zone, &mut anchors);
                    if let Some(entry) = anchors.get_mut(&zone.to_lowercase()) {
                        entry.keys.push(PublicKeyBuf::new(
                            public.public_bytes().to_vec(),
                            public.algorithm(),
                        ));
                    }
                }
            }
            other => {
                return Err(syntax(format!(
                    "expected a DS or DNSKEY record, found {}",
                    other.unwrap_or("no record type")
                )));
            }
        }
    }
    if anchors.is_empty() {
        return Err(AnchorError::Empty);
    }
    Ok(anchors.into_values().collect())
}

/// Each record of a zone-file text, with the line it starts on: comments dropped, a record in
/// parentheses joined into one line.
fn records(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let mut depth = 0usize;
    for (index, raw) in text.lines().enumerate() {
        let content = raw.split(';').next().unwrap_or_default();
        for c in content.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        let cleaned = content.replace(['(', ')'], " ");
        let cleaned = cleaned.trim();
        if !cleaned.is_empty() {
            let record = current.get_or_insert_with(|| (index + 1, String::new()));
            record.1.push(' ');
            record.1.push_str(cleaned);
        }
        if depth == 0
            && let Some((line, record)) = current.take()
        {
            found.push((line, record.trim().to_owned()));
        }
    }
    found.extend(current);
    found
}

/// The record type of a record line (after its owner, an optional TTL and class).
fn record_type(record: &str) -> Option<String> {
    record
        .split_whitespace()
        .skip(1)
        .find(|token| {
            !token.chars().all(|c| c.is_ascii_digit()) && !token.eq_ignore_ascii_case("IN")
        })
        .map(str::to_ascii_uppercase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnssec::test_keys::TestKey;
    use hickory_resolver::proto::dnssec::DigestType;
    use hickory_resolver::proto::dnssec::Verifier;

    #[test]
    fn iana_s_root_keys_are_built_in() {
        let root = iana_root();
        assert!(root.zone.is_root());
        assert_eq!(root.keys.len(), 2, "KSK-2017 and KSK-2024");
    }

    #[test]
    fn a_file_of_ds_and_dnskey_records_makes_one_anchor_per_zone() {
        let zone = Name::from_ascii("test.").unwrap();
        let key = TestKey::key_signing(&zone).dnskey();
        let digest = key.to_digest(&zone, DigestType::SHA256).unwrap();
        let hex: String = digest
            .as_ref()
            .iter()
            .map(|byte| format!("{byte:02X}"))
            .collect();
        let text = format!(
            "; a private root and a test TLD\n\
             test. 3600 IN DS {} {} 2 {hex}\n\
             . IN DNSKEY 257 3 13 (\n  mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ== ) ; ksk\n",
            key.calculate_key_tag().unwrap(),
            u8::from(key.algorithm()),
        );
        let anchors = read_trust_anchors(&text).unwrap();
        assert_eq!(anchors.len(), 2);
        let root = anchors.iter().find(|anchor| anchor.zone.is_root()).unwrap();
        assert_eq!((root.ds.len(), root.keys.len()), (0, 1));
        let test = anchors.iter().find(|anchor| anchor.zone == zone).unwrap();
        assert_eq!((test.ds.len(), test.keys.len()), (1, 0));
        assert!(test.ds[0].covers(&zone, &key).unwrap());
    }

    #[test]
    fn anything_but_ds_and_dnskey_is_refused_with_its_line() {
        assert_eq!(read_trust_anchors("; nothing\n\n"), Err(AnchorError::Empty));
        let error = read_trust_anchors("\n. 3600 IN NS a.root-servers.net.\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 2: expected a DS or DNSKEY record, found NS"
        );
        assert!(matches!(
            read_trust_anchors("test. IN DS 1 2\n"),
            Err(AnchorError::Syntax { line: 1, .. })
        ));
    }
}
