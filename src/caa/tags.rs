//! Property tags and the critical flag: rulebook §5, rules 15 to 17 (RFC 8659 §4.1, §5.1).

use crate::caa::answers::CaaRecord;

/// A CAA property tag as the CA classifies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Property {
    Issue,
    IssueWild,
    Iodef,
    IssueMail,
    IssueVmc,
    Unknown,
}

impl Property {
    pub fn as_str(self) -> &'static str {
        match self {
            Property::Issue => "issue",
            Property::IssueWild => "issuewild",
            Property::Iodef => "iodef",
            Property::IssueMail => "issuemail",
            Property::IssueVmc => "issuevmc",
            Property::Unknown => "unknown",
        }
    }
}

/// Rules 15 and 16: tags compare case-insensitively; `issue` and `issuewild` are evaluated,
/// `iodef`, `issuemail` and `issuevmc` recognised and ignored, every other tag is unknown
/// (`contactemail` and `contactphone` included, and any tag a DNS library would refuse).
pub fn classify_tag(tag: &[u8]) -> Property {
    const KNOWN: [(&[u8], Property); 5] = [
        (b"issue", Property::Issue),
        (b"issuewild", Property::IssueWild),
        (b"iodef", Property::Iodef),
        (b"issuemail", Property::IssueMail),
        (b"issuevmc", Property::IssueVmc),
    ];
    KNOWN
        .iter()
        .find(|(known, _)| tag.eq_ignore_ascii_case(known))
        .map_or(Property::Unknown, |&(_, property)| property)
}

/// Rule 17: the critical flag is bit 128, and Let's Encrypt takes bit 1 as an alias for it
/// because many people misread the RFC's bit numbering. Other bits are ignored.
pub fn has_critical_flag(flags: u8) -> bool {
    flags & (128 | 1) != 0
}

/// Rule 17: a record that denies issuance by its mere presence in the relevant RRset: an
/// unknown tag flagged critical. A critical flag on a known tag changes nothing.
pub fn is_critical_unknown(record: &CaaRecord) -> bool {
    classify_tag(&record.tag) == Property::Unknown && has_critical_flag(record.flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_15_tags_compare_case_insensitively() {
        assert_eq!(classify_tag(b"ISSUE"), Property::Issue);
        assert_eq!(classify_tag(b"IsSuE"), Property::Issue);
        assert_eq!(classify_tag(b"IssueWild"), Property::IssueWild);
        assert_eq!(classify_tag(b"IODEF"), Property::Iodef);
    }

    #[test]
    fn rule_16_known_and_unknown_tags() {
        assert_eq!(classify_tag(b"issuemail"), Property::IssueMail);
        assert_eq!(classify_tag(b"issuevmc"), Property::IssueVmc);
        for unknown in [
            &b"contactemail"[..],
            b"contactphone",
            b"issue-wild",
            b"issues",
            b"",
            b"tbs",
            b"\xffissue",
        ] {
            assert_eq!(classify_tag(unknown), Property::Unknown, "{unknown:?}");
        }
    }

    #[test]
    fn rule_17_bit_128_and_bit_1_are_critical_other_bits_ignored() {
        assert!(has_critical_flag(128));
        assert!(has_critical_flag(1));
        assert!(has_critical_flag(129));
        assert!(has_critical_flag(255));
        for ignored in [0, 2, 4, 64, 126] {
            assert!(!has_critical_flag(ignored), "{ignored}");
        }
    }

    #[test]
    fn rule_17_only_unknown_tags_are_critical_unknown() {
        assert!(is_critical_unknown(&CaaRecord::new(128, "tbs", "x")));
        assert!(is_critical_unknown(&CaaRecord::new(1, "contactemail", "x")));
        assert!(is_critical_unknown(&CaaRecord::new(128, "bad-tag", "x")));
        assert!(!is_critical_unknown(&CaaRecord::new(0, "tbs", "x")));
        assert!(!is_critical_unknown(&CaaRecord::new(
            128,
            "issue",
            "ca.example"
        )));
        assert!(!is_critical_unknown(&CaaRecord::new(
            1,
            "iodef",
            "mailto:a@b"
        )));
        assert!(!is_critical_unknown(&CaaRecord::new(128, "issuemail", "x")));
    }
}
