//! One name judged: the climb's lookups with any what-if assumptions overlaid, and the
//! verdict. Everything a report shows of a name comes out of here in one `Check`.

use crate::caa::answers::Lookup;
use crate::caa::assume::{Assumption, overlay};
use crate::caa::{Evaluation, Requester, evaluate};
use crate::name::CheckName;

/// A checked name: what was asked, what DNS said, what the CA would decide.
#[derive(Clone, Debug)]
pub struct Check {
    pub name: CheckName,
    /// One lookup per name of the climb, full name first, with assumptions applied.
    pub lookups: Vec<Lookup>,
    pub evaluation: Evaluation,
    /// The assumptions that changed these lookups: if any, the verdict is hypothetical.
    pub assumed: Vec<Assumption>,
}

impl Check {
    /// Judges lookups already made, with `assumptions` overlaid: the pure half of a check.
    pub fn judge(
        name: CheckName,
        lookups: Vec<Lookup>,
        assumptions: &[Assumption],
        requester: &Requester,
    ) -> Check {
        let (lookups, applied) = overlay(lookups, assumptions);
        let assumed = assumptions
            .iter()
            .zip(applied)
            .filter(|(_, applied)| *applied)
            .map(|(assumption, _)| assumption.clone())
            .collect();
        let evaluation = evaluate(&lookups, name.wildcard, requester);
        Check {
            name,
            lookups,
            evaluation,
            assumed,
        }
    }

    /// The lookup holding the relevant RRset, if the climb found one.
    pub fn relevant_lookup(&self) -> Option<&Lookup> {
        self.evaluation.relevant.map(|index| &self.lookups[index])
    }

    pub fn is_hypothetical(&self) -> bool {
        !self.assumed.is_empty()
    }
}
