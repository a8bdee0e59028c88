//! One name checked end to end: the climb's lookups (DNS, the shell), any what-if assumptions
//! overlaid on them, and the verdict (the rules, the core). Everything a report shows comes
//! out of here in one `Check`.

use std::io;

use futures::{StreamExt, TryStreamExt, stream};

use crate::answers::Lookup;
use crate::assume::{Assumption, overlay};
use crate::caa::{Evaluation, Requester, evaluate};
use crate::dns::{Transport, lookup_climb};
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
        let (lookups, applied) = overlay(&lookups, assumptions);
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

/// What a run checks against: the requester and any what-if assumptions.
#[derive(Clone, Debug)]
pub struct Checker {
    pub requester: Requester,
    pub assumptions: Vec<Assumption>,
    pub transport: Transport,
}

/// Names checked at once; each also runs its whole climb at once.
const NAMES_IN_FLIGHT: usize = 32;

impl Checker {
    /// Looks up the whole climb of `name` at once and judges it.
    pub async fn check(&self, name: CheckName) -> Check {
        let lookups = lookup_climb(&self.transport, &name.climb()).await;
        Check::judge(name, lookups, &self.assumptions, &self.requester)
    }

    /// Checks `names` concurrently and hands each check to `emit` in the order given, stopping
    /// at the first error `emit` returns (a closed stdout, say).
    pub async fn check_in_order(
        &self,
        names: Vec<CheckName>,
        mut emit: impl FnMut(Check) -> io::Result<()>,
    ) -> io::Result<()> {
        stream::iter(names)
            .map(|name| self.check(name))
            .buffered(NAMES_IN_FLIGHT)
            .map(Ok)
            .try_for_each(|check| std::future::ready(emit(check)))
            .await
    }
}
