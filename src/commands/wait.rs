//! The `wait` command's job: after a DNS change, one name's authoritative servers asked round
//! after round as `check --source` asks them, until every one that answers leads to the
//! awaited verdict at a serial no lower than the highest its zone served when the wait began,
//! two rounds in a row (`caa::propagation` judges); or until `--timeout`. Each server's
//! standing goes to stderr as it changes; the report says how the wait ended.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::caa::policy::refusal;
use crate::caa::propagation::{
    Awaiting, Baseline, Ending, Round, SETTLED_ROUNDS, ServerKey, Standing, ending_at_timeout,
    judge_round,
};
use crate::caa::sources::Judging;
use crate::caa::{Requester, Verdict};
use crate::commands::check::refuse_wildcard_line;
use crate::diagnostics::warn;
use crate::dns::delegation::{WalkFailure, Walker};
use crate::dns::source::gather;
use crate::exit::{Class, ExitStatus};
use crate::name::CheckName;
use crate::render::wait::{progress_line, render_wait, settled_line};
use crate::render::{Format, InvalidKeys, render_invalid};
use crate::runner::{Job, Performed};

/// How long one round's walk and questions may take: as `check`'s default `--deadline`.
const ROUND_LIMIT: Duration = Duration::from_secs(30);
/// Names waited for at once at most: each asks every server of its zones every round.
pub const MOST_NAMES_AT_ONCE: usize = 16;

/// What a wait waits for, and how.
#[derive(Debug)]
pub struct Waiter {
    pub requester: Requester,
    pub walker: Walker,
    /// How long one server's reply is waited for.
    pub patience: Duration,
    /// Allowed, or denied.
    pub until: Verdict,
    pub timeout: Duration,
    pub interval: Duration,
    /// Whether each server's standing is said on stderr as it changes.
    pub progress: bool,
}

/// How one name's wait went.
#[derive(Clone, Debug)]
pub struct Waited {
    pub name: CheckName,
    pub until: Verdict,
    pub ending: Ending,
    /// The `--timeout` it had.
    pub timeout: Duration,
    /// Rounds asked, and the time the wait took.
    pub rounds: u32,
    pub elapsed: Duration,
    /// The last round judged, if any walk went through.
    pub last: Option<Round>,
    /// Why the last round could not be asked, if it could not.
    pub walk_failure: Option<String>,
    /// The largest TTL of any answer seen during the wait.
    pub largest_ttl: Option<u32>,
    /// The CA's name policy refuses the name: nothing was asked.
    pub refused: Option<String>,
}

impl Waited {
    /// The last round, unless a later one could not be asked.
    pub fn latest_round(&self) -> Option<&Round> {
        self.last.as_ref().filter(|_| self.walk_failure.is_none())
    }
}

impl Waiter {
    /// Waits for one name.
    pub async fn wait(&self, name: CheckName) -> Waited {
        let mut waited = Waited {
            until: self.until,
            ending: Ending::Unsettled,
            timeout: self.timeout,
            rounds: 0,
            elapsed: Duration::ZERO,
            last: None,
            walk_failure: None,
            largest_ttl: None,
            refused: None,
            name,
        };
        if self.requester.name_policy
            && let Some(refused) = refusal(&waited.name, &self.requester.ca)
        {
            waited.refused = Some(refused.to_string());
            // The CA will not issue for it: a wait for denied is over, one for allowed never.
            waited.ending = if self.until == Verdict::Denied {
                Ending::Settled
            } else {
                Ending::Elsewhere
            };
            return waited;
        }
        let climb = waited.name.climb();
        let awaiting = Awaiting {
            judging: Judging {
                climb: &climb,
                wildcard: waited.name.wildcard,
                requester: &self.requester,
            },
            verdict: self.until,
        };
        let started = Instant::now();
        let deadline = started + self.timeout;
        let mut baseline = Baseline::default();
        let mut shown: HashMap<ServerKey, (Option<u32>, Standing)> = HashMap::new();
        let mut settled_in_a_row = 0;
        loop {
            let round_started = Instant::now();
            let walker = self.walker.afresh();
            // A round ends by the wait's deadline; one cut short by it says nothing, and the
            // wait ends on the round before.
            let limit = ROUND_LIMIT.min(deadline.saturating_duration_since(round_started));
            let gathered =
                match tokio::time::timeout(limit, gather(&walker, &climb, self.patience, None))
                    .await
                {
                    Ok(gathered) => gathered,
                    Err(_) if limit < ROUND_LIMIT => {
                        waited.elapsed = started.elapsed();
                        waited.ending = ending_at_timeout(waited.latest_round(), self.until);
                        return waited;
                    }
                    Err(_) => Err(WalkFailure::Deadline),
                };
            waited.rounds += 1;
            match gathered {
                Ok(zones) => {
                    baseline.learn(&zones);
                    let round = judge_round(&awaiting, &zones, &baseline);
                    waited.largest_ttl = waited.largest_ttl.max(round.largest_ttl);
                    settled_in_a_row = if round.settled {
                        settled_in_a_row + 1
                    } else {
                        0
                    };
                    self.show(&waited.name, &round, &mut shown, settled_in_a_row);
                    waited.walk_failure = None;
                    waited.last = Some(round);
                }
                Err(failure) => {
                    settled_in_a_row = 0;
                    if self.progress && waited.walk_failure.as_deref() != Some(&failure.to_string())
                    {
                        warn(format_args!(
                            "{}: could not walk from the root: {failure}",
                            waited.name
                        ));
                    }
                    waited.walk_failure = Some(failure.to_string());
                }
            }
            waited.elapsed = started.elapsed();
            if settled_in_a_row >= SETTLED_ROUNDS {
                waited.ending = Ending::Settled;
                return waited;
            }
            let next = round_started + self.interval;
            if next > deadline {
                waited.ending = ending_at_timeout(waited.latest_round(), self.until);
                return waited;
            }
            tokio::time::sleep_until(next).await;
        }
    }

    /// Says on stderr each server whose standing changed and that holds the wait or was said
    /// before (a zone's many caught-up servers are not listed), and when a round settles.
    fn show(
        &self,
        name: &CheckName,
        round: &Round,
        shown: &mut HashMap<ServerKey, (Option<u32>, Standing)>,
        settled_in_a_row: u32,
    ) {
        if !self.progress {
            return;
        }
        for server in &round.servers {
            let now = (server.serial, server.standing.clone());
            let before = shown.get(&server.key);
            // A server without a usable answer does not hold the wait; it is said only when it
            // was said before (a laggard gone silent), not for every address this machine
            // cannot reach.
            let worth_saying = server.standing.holds_the_wait() || before.is_some();
            if before != Some(&now) && worth_saying {
                warn(progress_line(name, server, self.until));
                shown.insert(server.key.clone(), now);
            }
        }
        if round.settled {
            warn(settled_line(name, self.until, settled_in_a_row));
        }
    }
}

/// `wait` as a job of the runner.
#[derive(Debug)]
pub struct WaitJob {
    waiter: Waiter,
    format: Format,
}

impl WaitJob {
    pub fn new(waiter: Waiter, format: Format) -> WaitJob {
        WaitJob { waiter, format }
    }
}

impl Class for Ending {
    const ALL: &'static [Ending] = &[Ending::Settled, Ending::Elsewhere, Ending::Unsettled];

    fn label(self) -> &'static str {
        match self {
            Ending::Settled => "settled",
            Ending::Elsewhere => "other verdict",
            Ending::Unsettled => "unsettled",
        }
    }

    fn status(self) -> ExitStatus {
        match self {
            Ending::Settled => ExitStatus::Success,
            Ending::Elsewhere => ExitStatus::Fails,
            Ending::Unsettled => ExitStatus::Undetermined,
        }
    }
}

impl Job for WaitJob {
    type Target = CheckName;
    type Class = Ending;
    const NOUN: &'static str = "name";

    fn parse(text: &str) -> Result<CheckName, String> {
        CheckName::parse(text).map_err(|error| error.to_string())
    }

    async fn perform(&self, name: CheckName, line: Option<u64>) -> Performed<Ending> {
        if let Some(refused) = refuse_wildcard_line(self, &name, line, &self.waiter.requester) {
            return refused;
        }
        let waited = self.waiter.wait(name).await;
        Performed {
            class: Some(waited.ending),
            text: render_wait(&waited, line, self.format),
        }
    }

    fn render_invalid(&self, line: u64, input: &str, reason: &str) -> String {
        let keys = InvalidKeys {
            target: "name",
            class: "result",
        };
        render_invalid(Some(line), input, reason, keys, self.format)
    }
}
