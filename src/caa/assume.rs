//! What-if: CAA records assumed present or absent, overlaid on what DNS returned, so a change
//! can be checked before it is made (`--assume`, `--assume-absent`), and so every suggested fix
//! can be verified with the very rules that judged the original.
//!
//! A record at OWNER changes every lookup whose records are at OWNER: the lookup of OWNER
//! itself, or of a name whose alias chain ends at OWNER. A failed lookup stays failed: assuming
//! records does not repair a server.

use crate::caa::answers::{Answer, CaaRecord, Lookup};

/// One record assumed present or absent at an owner (lowercase, no trailing dot).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assumption {
    pub owner: String,
    pub record: CaaRecord,
    pub present: bool,
}

impl Assumption {
    /// `present` or `absent`, as the reports say it.
    pub fn state(&self) -> &'static str {
        if self.present { "present" } else { "absent" }
    }

    /// The command-line flag that states it.
    pub fn flag(&self) -> &'static str {
        if self.present {
            "--assume"
        } else {
            "--assume-absent"
        }
    }
}

/// The lookups with `assumptions` applied in order, and for each assumption whether it changed
/// anything (one that changes nothing is most likely a mistake in its owner or record).
pub fn overlay(mut lookups: Vec<Lookup>, assumptions: &[Assumption]) -> (Vec<Lookup>, Vec<bool>) {
    let applied = assumptions
        .iter()
        .map(|assumption| {
            let mut changed = false;
            for lookup in lookups
                .iter_mut()
                .filter(|lookup| lookup.records_owner() == assumption.owner)
            {
                changed |= apply(&mut lookup.answer, assumption);
            }
            changed
        })
        .collect();
    (lookups, applied)
}

/// Applies one assumption to one answer; says whether the answer changed. Removing the last
/// record leaves NODATA, as DNS would answer.
fn apply(answer: &mut Answer, assumption: &Assumption) -> bool {
    let record = &assumption.record;
    let changed = match (&mut *answer, assumption.present) {
        (Answer::Failed(_), _) | (Answer::NoData | Answer::NxDomain, false) => false,
        (Answer::NoData | Answer::NxDomain, true) => {
            *answer = Answer::Records(vec![record.clone()]);
            true
        }
        (Answer::Records(records), true) => {
            let absent = !records.contains(record);
            if absent {
                records.push(record.clone());
            }
            absent
        }
        (Answer::Records(records), false) => {
            let before = records.len();
            records.retain(|kept| kept != record);
            records.len() != before
        }
    };
    if matches!(answer, Answer::Records(records) if records.is_empty()) {
        *answer = Answer::NoData;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caa::answers::{Alias, AliasKind, Failure, FailureKind};

    fn assume(owner: &str, value: &str, present: bool) -> Assumption {
        Assumption {
            owner: owner.into(),
            record: CaaRecord::new(0, "issue", value),
            present,
        }
    }

    #[test]
    fn a_present_record_joins_or_creates_the_rrset() {
        let lookups = [
            Lookup::new("a.test", Answer::NxDomain),
            Lookup::new(
                "test",
                Answer::Records(vec![CaaRecord::new(0, "issue", "x.example")]),
            ),
        ];
        let (changed, applied) = overlay(
            lookups.to_vec(),
            &[
                assume("a.test", "ca.example", true),
                assume("test", "ca.example", true),
            ],
        );
        assert_eq!(applied, vec![true, true]);
        assert_eq!(changed[0].records().len(), 1);
        assert_eq!(changed[1].records().len(), 2);
    }

    #[test]
    fn an_absent_record_leaves_nodata_when_it_was_the_last() {
        let lookups = [Lookup::new(
            "a.test",
            Answer::Records(vec![CaaRecord::new(0, "issue", "x.example")]),
        )];
        let (changed, applied) = overlay(lookups.to_vec(), &[assume("a.test", "x.example", false)]);
        assert_eq!(applied, vec![true]);
        assert_eq!(changed[0].answer, Answer::NoData);
        let (_, applied) = overlay(
            lookups.to_vec(),
            &[assume("a.test", "other.example", false)],
        );
        assert_eq!(applied, vec![false]);
    }

    #[test]
    fn records_at_an_alias_target_change_the_lookup_that_reached_it() {
        let mut aliased = Lookup::new("www.a.test", Answer::NoData);
        aliased.aliases.push(Alias {
            kind: AliasKind::Cname,
            owner: "www.a.test".into(),
            from: "www.a.test".into(),
            to: "cdn.b.test".into(),
        });
        let (changed, applied) =
            overlay(vec![aliased], &[assume("cdn.b.test", "ca.example", true)]);
        assert_eq!(applied, vec![true]);
        assert_eq!(changed[0].records().len(), 1);
        let (_, applied) = overlay(changed, &[assume("www.a.test", "ca.example", true)]);
        assert_eq!(applied, vec![false], "no record can sit beside a CNAME");
    }

    #[test]
    fn a_failed_lookup_stays_failed() {
        let failed = Lookup::new(
            "a.test",
            Answer::Failed(Failure::new(FailureKind::ServFail, "")),
        );
        let (changed, applied) = overlay(vec![failed.clone()], &[assume("a.test", "ca", true)]);
        assert_eq!(applied, vec![false]);
        assert_eq!(changed[0], failed);
    }
}
