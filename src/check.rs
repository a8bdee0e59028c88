//! One name checked end to end: the climb's lookups (DNS, the shell), any what-if assumptions
//! overlaid on them, and the verdict (the rules, the core). Everything a report shows comes
//! out of here in one `Check`.

use std::time::Duration;

use tokio::time::Instant;

use crate::answers::Lookup;
use crate::assume::{Assumption, overlay};
use crate::caa::{Evaluation, Requester, evaluate};
use crate::dns::{Resolver, lookup_climb};
use crate::name::CheckName;
use crate::policy::refusal;

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

/// What a run yields for each entry of its input, in order.
#[derive(Clone, Debug)]
pub enum Outcome {
    Checked {
        /// The input line the name came from; none for a command-line argument.
        line: Option<u64>,
        check: Check,
    },
    /// An input line that is not a name.
    Invalid {
        line: u64,
        input: String,
        reason: String,
    },
}

/// What a run checks with: the requester, any what-if assumptions, the run's shared resolver,
/// and how long each name may take.
#[derive(Debug)]
pub struct Checker {
    pub requester: Requester,
    pub assumptions: Vec<Assumption>,
    pub resolver: Resolver,
    /// Each name's lookups must be answered within this time of its start.
    pub deadline: Duration,
}

impl Checker {
    /// Looks up the whole climb of `name` at once and judges it; a name the CA's policy
    /// refuses is judged without asking DNS.
    pub async fn check(&self, name: CheckName) -> Check {
        if self.requester.name_policy
            && let Some(refusal) = refusal(&name, &self.requester.ca)
        {
            return Check {
                name,
                lookups: Vec::new(),
                evaluation: Evaluation::refused(refusal),
                assumed: Vec::new(),
            };
        }
        let deadline = Instant::now() + self.deadline;
        let lookups = lookup_climb(&self.resolver, &name.climb(), deadline).await;
        Check::judge(name, lookups, &self.assumptions, &self.requester)
    }
}
