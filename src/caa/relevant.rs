//! Which names are asked and which answer decides: rulebook §2 and §3, rules 4 to 9
//! (RFC 8659 §3, "relevant RRset"; the climb as Boulder's `getCAA` and `selectCAA` do it).

use crate::caa::answers::{Answer, Lookup};

/// Rule 4: the name and every parent down to and including the TLD, never the root, from the
/// full name upward. No public-suffix list: `shop.example.co.uk` climbs through `co.uk`.
pub fn names_to_query(base_name: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = base_name;
    loop {
        names.push(rest.to_owned());
        match rest.split_once('.') {
            Some((_, parent)) => rest = parent,
            None => return names,
        }
    }
}

/// How one lookup counts in the climb.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// No CAA records here: keep climbing.
    Empty,
    /// At least one CAA record, of any tag: this is the relevant RRset.
    Present,
    /// The lookup failed: if reached, the whole check is an error.
    Failed,
}

/// Rules 6 to 9 (and 10 to 14, which the DNS layer has already folded into `Answer::Failed`):
/// any record present stops the climb, NODATA is empty, NXDOMAIN is empty except for a TLD,
/// every failure is a failure.
pub fn standing(lookup: &Lookup) -> Standing {
    match &lookup.answer {
        Answer::Records(records) if !records.is_empty() => Standing::Present,
        Answer::Records(_) | Answer::NoData => Standing::Empty,
        Answer::NxDomain if is_tld(&lookup.name) => Standing::Failed,
        Answer::NxDomain => Standing::Empty,
        Answer::Failed(_) => Standing::Failed,
    }
}

/// Rule 8: a TLD is a name without a dot; NXDOMAIN for one is an error, so that a CA does not
/// issue under a TLD that has been removed.
pub fn is_tld(name: &str) -> bool {
    !name.contains('.')
}

/// Where the climb stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Climb {
    /// No CAA records anywhere, and no failure on the way: issuance is allowed.
    NoRecords,
    /// The lookup at this index failed before any records were found.
    Failed(usize),
    /// The lookup at this index holds the relevant RRset.
    Relevant(usize),
}

/// Rule 5: walk the answers from the full name upward; the first failure makes the check an
/// error, the first name with records is the relevant RRset, and failures above it do not
/// matter. `lookups` are in climb order.
pub fn select_relevant(lookups: &[Lookup]) -> Climb {
    for (index, lookup) in lookups.iter().enumerate() {
        match standing(lookup) {
            Standing::Empty => continue,
            Standing::Present => return Climb::Relevant(index),
            Standing::Failed => return Climb::Failed(index),
        }
    }
    Climb::NoRecords
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caa::answers::{CaaRecord, Failure, FailureKind};
    use hickory_resolver::proto::op::ResponseCode;

    fn records() -> Answer {
        Answer::Records(vec![CaaRecord::new(0, "issue", "ca.example")])
    }

    fn servfail() -> Answer {
        Answer::Failed(Failure::new(FailureKind::ServFail, ""))
    }

    #[test]
    fn rule_4_every_parent_down_to_the_tld_never_the_root() {
        assert_eq!(
            names_to_query("a.b.example.com"),
            vec!["a.b.example.com", "b.example.com", "example.com", "com"]
        );
        assert_eq!(
            names_to_query("shop.example.co.uk"),
            vec!["shop.example.co.uk", "example.co.uk", "co.uk", "uk"]
        );
        assert_eq!(names_to_query("com"), vec!["com"]);
    }

    #[test]
    fn rule_5_the_first_name_with_records_is_relevant() {
        let climb = [
            Lookup::new("a.example.com", Answer::NoData),
            Lookup::new("example.com", records()),
            Lookup::new("com", records()),
        ];
        assert_eq!(select_relevant(&climb), Climb::Relevant(1));
    }

    #[test]
    fn rule_5_the_first_failure_below_any_records_is_an_error() {
        let climb = [
            Lookup::new("a.example.com", servfail()),
            Lookup::new("example.com", records()),
            Lookup::new("com", Answer::NoData),
        ];
        assert_eq!(select_relevant(&climb), Climb::Failed(0));
    }

    #[test]
    fn rule_5_failures_above_the_relevant_rrset_do_not_matter() {
        let climb = [
            Lookup::new("example.com", records()),
            Lookup::new("com", servfail()),
        ];
        assert_eq!(select_relevant(&climb), Climb::Relevant(0));
    }

    #[test]
    fn rule_5_no_records_anywhere_is_allowed() {
        let climb = [
            Lookup::new("example.com", Answer::NoData),
            Lookup::new("com", Answer::NoData),
        ];
        assert_eq!(select_relevant(&climb), Climb::NoRecords);
    }

    #[test]
    fn rule_6_any_tag_stops_the_climb() {
        for only in ["iodef", "issuewild", "contactemail"] {
            let climb = [
                Lookup::new(
                    "example.com",
                    Answer::Records(vec![CaaRecord::new(0, only, "x")]),
                ),
                Lookup::new("com", servfail()),
            ];
            assert_eq!(select_relevant(&climb), Climb::Relevant(0), "{only}");
        }
    }

    #[test]
    fn rule_7_nodata_is_empty() {
        assert_eq!(
            standing(&Lookup::new("example.com", Answer::NoData)),
            Standing::Empty
        );
    }

    #[test]
    fn rule_8_nxdomain_is_empty_below_the_tld_and_an_error_at_it() {
        assert_eq!(
            standing(&Lookup::new("a.example.com", Answer::NxDomain)),
            Standing::Empty
        );
        assert_eq!(
            standing(&Lookup::new("com", Answer::NxDomain)),
            Standing::Failed
        );
        let climb = [
            Lookup::new("a.example.invalidtld", Answer::NxDomain),
            Lookup::new("example.invalidtld", Answer::NxDomain),
            Lookup::new("invalidtld", Answer::NxDomain),
        ];
        assert_eq!(select_relevant(&climb), Climb::Failed(2));
    }

    #[test]
    fn rule_9_to_12_every_failure_kind_is_a_failure() {
        for kind in [
            FailureKind::ServFail,
            FailureKind::Refused,
            FailureKind::Rcode(ResponseCode::NotImp),
            FailureKind::Rcode(ResponseCode::FormErr),
            FailureKind::Timeout,
            FailureKind::Truncated,
            FailureKind::Unreachable,
            FailureKind::AliasLoop,
            FailureKind::BadResponse,
        ] {
            let failed = Answer::Failed(Failure::new(kind, ""));
            assert_eq!(
                standing(&Lookup::new("example.com", failed)),
                Standing::Failed,
                "{kind:?}"
            );
        }
    }
}
