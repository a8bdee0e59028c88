//! One name checked end to end: the climb's lookups (DNS, the shell) fed to the verdict (the
//! rules, the core). Everything a report shows comes out of here in one `Check`.

use std::io;

use futures::{StreamExt, TryStreamExt, stream};

use crate::answers::Lookup;
use crate::caa::{Evaluation, Requester, evaluate};
use crate::dns::{Transport, lookup_climb};
use crate::name::CheckName;

/// A checked name: what was asked, what DNS said, what the CA would decide.
#[derive(Clone, Debug)]
pub struct Check {
    pub name: CheckName,
    /// One lookup per name of the climb, full name first.
    pub lookups: Vec<Lookup>,
    pub evaluation: Evaluation,
}

impl Check {
    /// Judges lookups already made: the pure half of a check.
    pub fn judge(name: CheckName, lookups: Vec<Lookup>, requester: &Requester) -> Check {
        let evaluation = evaluate(&lookups, name.wildcard, requester);
        Check {
            name,
            lookups,
            evaluation,
        }
    }

    /// The lookup holding the relevant RRset, if the climb found one.
    pub fn relevant_lookup(&self) -> Option<&Lookup> {
        self.evaluation.relevant.map(|index| &self.lookups[index])
    }
}

/// Looks up the whole climb of `name` at once and judges it.
pub async fn check_name(name: CheckName, requester: &Requester, transport: &Transport) -> Check {
    let lookups = lookup_climb(transport, &name.climb()).await;
    Check::judge(name, lookups, requester)
}

/// Names checked at once; each also runs its whole climb at once.
const NAMES_IN_FLIGHT: usize = 32;

/// Checks `names` concurrently and hands each check to `emit` in the order given, stopping at
/// the first error `emit` returns (a closed stdout, say).
pub async fn check_in_order(
    names: Vec<CheckName>,
    requester: &Requester,
    transport: &Transport,
    mut emit: impl FnMut(Check) -> io::Result<()>,
) -> io::Result<()> {
    stream::iter(names)
        .map(|name| check_name(name, requester, transport))
        .buffered(NAMES_IN_FLIGHT)
        .map(Ok)
        .try_for_each(|check| std::future::ready(emit(check)))
        .await
}
