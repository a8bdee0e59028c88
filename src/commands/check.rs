//! The `check` command's job: one name end to end, the climb's lookups asked of DNS (the
//! shell) and judged by the CAA core.

use std::time::Duration;

use tokio::time::Instant;

use crate::caa::assume::Assumption;
use crate::caa::policy::refusal;
use crate::caa::{Check, Evaluation, Requester};
use crate::dns::{Resolver, lookup_climb};
use crate::name::CheckName;

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
