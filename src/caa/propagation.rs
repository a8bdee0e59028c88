//! Whether a DNS change has reached every authoritative server (issue 10, `certready wait`).
//! Each round asks every server as `check --source` does; these rules say where each server
//! stands and whether the round is settled: every server that answers leads to the awaited
//! verdict, at a serial no lower than the highest its zone served when the wait began.
//!
//! A server that gives no usable answer does not hold the wait: the CA's resolver passes over
//! it (ca-vantage.md §5.2), and `check --source` names it. Resolver caches are not waited for
//! either (the CA keeps none); the largest TTL seen says how long they may lag.

use std::collections::HashMap;
use std::net::IpAddr;

use super::perspectives::Outcomes;
use super::sources::{
    Asked, Judging, ServerAnswers, ServerDraw, Step, ZoneAnswers, ZoneSeen, fingerprint,
    newest_serial, newest_servers, serial_before, serial_of, server_draw, step_of, used_answer,
};
use super::verdict::Verdict;

/// One server as known from round to round: its zone, its name and its address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServerKey {
    pub zone: String,
    pub ns: String,
    pub address: IpAddr,
}

/// Where one server stands in a round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Its answers lead to the awaited verdict, at a serial no lower than its zone's baseline.
    CaughtUp,
    /// Its answers lead to the awaited verdict, but at a serial lower than the highest its
    /// zone served when the wait began: it may not have the change yet.
    Behind { serial: u32, baseline: u32 },
    /// It still serves what it served when the wait began, which leads to `verdict`.
    OldRecords { verdict: Verdict },
    /// It serves other answers than when the wait began, which still lead to `verdict`.
    OtherRecords { verdict: Verdict },
    /// No usable answer: the CA passes over it, so it does not hold the wait.
    NoAnswer,
    /// This machine has no route to any address of its name server, so what it serves is
    /// unknown here; the CA asks it. It holds the wait.
    Unasked,
    /// Its answers do not decide the verdict, which another zone's records (or failure) make
    /// `verdict`: a parent whose NODATA the climb passes over. It does not hold the wait.
    Bystander { verdict: Verdict },
}

impl Standing {
    /// The stable code scripts match on.
    pub fn code(&self) -> &'static str {
        match self {
            Standing::CaughtUp => "caught-up",
            Standing::Behind { .. } => "behind",
            Standing::OldRecords { .. } => "old-records",
            Standing::OtherRecords { .. } => "other-records",
            Standing::NoAnswer => "no-answer",
            Standing::Unasked => "unasked",
            Standing::Bystander { .. } => "bystander",
        }
    }

    /// Whether the server keeps the round from being settled.
    pub fn holds_the_wait(&self) -> bool {
        !matches!(
            self,
            Standing::CaughtUp | Standing::NoAnswer | Standing::Bystander { .. }
        )
    }
}

/// What the wait remembers from the round a zone or server was first met in: per zone the
/// highest serial its servers served, per server its answers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    serials: HashMap<String, u32>,
    answers: HashMap<ServerKey, Vec<Option<Step>>>,
}

impl Baseline {
    /// Remembers the zones and servers of a round not met before; what was remembered stays.
    pub fn learn(&mut self, zones: &[ZoneSeen]) {
        for zone in zones {
            let name = &zone.delegation.zone;
            if !self.serials.contains_key(name)
                && let Some(highest) =
                    newest_serial(zone.servers.iter().filter_map(|s| serial_of(s)))
            {
                self.serials.insert(name.clone(), highest);
            }
            for said in &zone.servers {
                if let Some(key) = key(name, said) {
                    self.answers.entry(key).or_insert_with(|| answers_of(said));
                }
            }
        }
    }
}

/// One server in one round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerRound {
    pub key: ServerKey,
    pub serial: Option<u32>,
    pub standing: Standing,
}

/// One round judged.
#[derive(Clone, Debug, PartialEq)]
pub struct Round {
    pub servers: Vec<ServerRound>,
    /// What the perspectives' draws come to over every server.
    pub outcomes: Outcomes,
    /// Every server that answers leads to the awaited verdict at a serial no lower than its
    /// zone's baseline, and every zone has one that does.
    pub settled: bool,
    /// The largest TTL of any answer this round: how long a resolver may keep it.
    pub largest_ttl: Option<u32>,
    /// Name servers with no address found from here (zone, name): unknown, so the round is
    /// not settled while there are any.
    pub unaddressed: Vec<(String, String)>,
}

/// What a wait waits for: the climb, judged for its requester, to lead to `verdict` (allowed,
/// or denied).
#[derive(Clone, Copy, Debug)]
pub struct Awaiting<'a> {
    pub judging: Judging<'a>,
    pub verdict: Verdict,
}

impl Awaiting<'_> {
    /// Whether every draw leads to the awaited verdict.
    fn reached(&self, outcomes: &Outcomes) -> bool {
        outcomes.share(self.verdict) >= 1.0 - 1e-9
    }
}

/// Judges a round against what is awaited.
pub fn judge_round(awaiting: &Awaiting, zones: &[ZoneSeen], baseline: &Baseline) -> Round {
    let answers: Vec<ZoneAnswers> = zones.iter().map(ZoneSeen::answers).collect();
    let outcomes = awaiting.judging.outcomes(&answers);
    let newest = newest_servers(zones, &answers);
    let mut servers = Vec::new();
    for (at, zone) in zones.iter().enumerate() {
        for (index, said) in zone.servers.iter().enumerate() {
            let Some(key) = key(&zone.delegation.zone, said) else {
                continue;
            };
            let serial = serial_of(said);
            let standing = if zone.unasked(index) {
                Standing::Unasked
            } else {
                let draw = server_draw(&awaiting.judging, &answers, &newest, (at, index));
                let said = &answers[at].servers[index];
                standing(awaiting.verdict, said, draw, serial, baseline, &key)
            };
            servers.push(ServerRound {
                key,
                serial,
                standing,
            });
        }
    }
    let settled = awaiting.reached(&outcomes)
        && !servers
            .iter()
            .any(|server| server.standing.holds_the_wait());
    Round {
        servers,
        outcomes,
        settled,
        largest_ttl: zones
            .iter()
            .flat_map(|zone| &zone.servers)
            .flatten()
            .filter_map(|server| ttl(used_answer(server)))
            .max(),
        unaddressed: zones
            .iter()
            .flat_map(|zone| {
                let name = &zone.delegation.zone;
                zone.unaddressed()
                    .into_iter()
                    .map(move |ns| (name.clone(), ns))
            })
            .collect(),
    }
}

/// Where a server stands: the verdict its answers lead to (`draw`, none when it gave no
/// usable answer) and whether they decide it, then its serial against its zone's baseline.
fn standing(
    awaited: Verdict,
    said: &[Asked],
    draw: Option<ServerDraw>,
    serial: Option<u32>,
    baseline: &Baseline,
    key: &ServerKey,
) -> Standing {
    let Some(draw) = draw else {
        return Standing::NoAnswer;
    };
    if draw.verdict != awaited {
        if !draw.decides {
            return Standing::Bystander {
                verdict: draw.verdict,
            };
        }
        let now: Vec<Option<Step>> = said.iter().map(fingerprint).collect();
        return if baseline.answers.get(key) == Some(&now) {
            Standing::OldRecords {
                verdict: draw.verdict,
            }
        } else {
            Standing::OtherRecords {
                verdict: draw.verdict,
            }
        };
    }
    match (serial, baseline.serials.get(&key.zone)) {
        (Some(serial), Some(&baseline)) if serial_before(serial, baseline) => {
            Standing::Behind { serial, baseline }
        }
        _ => Standing::CaughtUp,
    }
}

/// Settled rounds in a row that end a wait: one more look after the first settled round
/// catches a server that answered from a zone being reloaded.
pub const SETTLED_ROUNDS: u32 = 2;

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Every server that answers led to the awaited verdict, `SETTLED_ROUNDS` rounds in a row.
    Settled,
    /// At the timeout the servers all agreed on another verdict; or the CA's name policy
    /// refuses the name, so no record can make it issue.
    Elsewhere,
    /// At the timeout the servers still disagreed, lagged behind, or could not be asked.
    Unsettled,
}

/// How a wait that ran out of time ended, by its last round (none when it could not be asked).
pub fn ending_at_timeout(last: Option<&Round>, awaited: Verdict) -> Ending {
    match last.and_then(|round| round.outcomes.unanimous()) {
        Some(verdict) if verdict != awaited => Ending::Elsewhere,
        _ => Ending::Unsettled,
    }
}

fn key(zone: &str, said: &[ServerAnswers]) -> Option<ServerKey> {
    let first = said.first()?;
    Some(ServerKey {
        zone: zone.to_owned(),
        ns: first.ns.clone(),
        address: first.address,
    })
}

fn answers_of(said: &[ServerAnswers]) -> Vec<Option<Step>> {
    said.iter().map(used_answer).map(fingerprint).collect()
}

fn ttl(asked: &Asked) -> Option<u32> {
    match asked {
        Asked::Replied { ttl, .. } if step_of(asked).is_some() => *ttl,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caa::Requester;
    use crate::caa::sources::{Delegation, ZoneSeen};
    use crate::caa::test_support::{healthy, lets_encrypt, server, www_climb};

    /// `example.test.` on the servers given (each answering `www` and the apex), and `test.`
    /// on one server with no record.
    fn universe(servers: Vec<Vec<ServerAnswers>>) -> Vec<ZoneSeen> {
        let zone = |name: &str, names: &[&str], servers| ZoneSeen {
            delegation: Delegation {
                zone: name.into(),
                ..Delegation::default()
            },
            names: names.iter().map(|name| name.to_string()).collect(),
            servers,
            asked_at: 1_800_000_000,
            broken_chain: None,
            keys_unknown: Vec::new(),
        };
        vec![
            zone(
                "example.test.",
                &["www.example.test", "example.test"],
                servers,
            ),
            zone(
                "test.",
                &["test"],
                vec![vec![named(healthy("192.0.2.1", &[], 1), "ns.nic.test.")]],
            ),
        ]
    }

    fn named(mut server: ServerAnswers, ns: &str) -> ServerAnswers {
        server.ns = ns.into();
        server
    }

    /// A server of example.test answering `www` with `records` and the apex with none.
    fn example_server(address: &str, records: &[&str], serial: u32) -> Vec<ServerAnswers> {
        vec![
            healthy(address, records, serial),
            healthy(address, &[], serial),
        ]
    }

    /// Each example.test server's address and standing.
    fn standings(round: &Round) -> Vec<(String, Standing)> {
        round
            .servers
            .iter()
            .filter(|server| server.key.zone == "example.test.")
            .map(|server| (server.key.address.to_string(), server.standing.clone()))
            .collect()
    }

    fn awaiting<'a>(
        climb: &'a [String],
        requester: &'a Requester,
        verdict: Verdict,
    ) -> Awaiting<'a> {
        Awaiting {
            judging: Judging {
                climb,
                wildcard: false,
                requester,
            },
            verdict,
        }
    }

    #[test]
    fn a_secondary_with_the_old_records_holds_the_wait_until_it_catches_up() {
        let (climb, requester) = (www_climb(), lets_encrypt());
        let awaiting = awaiting(&climb, &requester, Verdict::Allowed);
        let before = universe(vec![
            example_server("192.0.2.53", &["letsencrypt.org"], 7),
            example_server("192.0.2.54", &["digicert.com"], 6),
        ]);
        let mut baseline = Baseline::default();
        baseline.learn(&before);
        let round = judge_round(&awaiting, &before, &baseline);
        assert_eq!(
            standings(&round),
            [
                ("192.0.2.53".into(), Standing::CaughtUp),
                (
                    "192.0.2.54".into(),
                    Standing::OldRecords {
                        verdict: Verdict::Denied
                    }
                )
            ]
        );
        assert!(!round.settled);
        assert_eq!(round.largest_ttl, Some(300));
        // The parent's server is judged beside example.test's newest server, not its laggard.
        let parent = round
            .servers
            .iter()
            .find(|server| server.key.zone == "test.");
        assert_eq!(parent.unwrap().standing, Standing::CaughtUp);

        // The new records at an older serial: a server that may not have the change yet.
        let older = universe(vec![
            example_server("192.0.2.53", &["letsencrypt.org"], 7),
            example_server("192.0.2.54", &["letsencrypt.org"], 6),
        ]);
        let round = judge_round(&awaiting, &older, &baseline);
        assert_eq!(
            standings(&round)[1].1,
            Standing::Behind {
                serial: 6,
                baseline: 7
            }
        );
        assert!(!round.settled);

        let after = universe(vec![
            example_server("192.0.2.53", &["letsencrypt.org"], 7),
            example_server("192.0.2.54", &["letsencrypt.org"], 7),
        ]);
        let round = judge_round(&awaiting, &after, &baseline);
        assert!(round.settled, "{round:?}");
    }

    #[test]
    fn other_records_that_still_deny_are_not_the_old_ones() {
        let (climb, requester) = (www_climb(), lets_encrypt());
        let awaiting = awaiting(&climb, &requester, Verdict::Allowed);
        let before = universe(vec![example_server("192.0.2.53", &["digicert.com"], 7)]);
        let mut baseline = Baseline::default();
        baseline.learn(&before);
        let after = universe(vec![example_server("192.0.2.53", &["sectigo.com"], 8)]);
        let round = judge_round(&awaiting, &after, &baseline);
        assert_eq!(
            standings(&round),
            [(
                "192.0.2.53".into(),
                Standing::OtherRecords {
                    verdict: Verdict::Denied
                }
            )]
        );
    }

    #[test]
    fn a_server_with_no_usable_answer_does_not_hold_the_wait() {
        let (climb, requester) = (www_climb(), lets_encrypt());
        let awaiting = awaiting(&climb, &requester, Verdict::Allowed);
        let mut dead = server("192.0.2.54", Asked::Silent, Asked::Silent);
        dead.soa = Asked::Silent;
        let silent = vec![dead.clone(), dead];
        let zones = universe(vec![
            example_server("192.0.2.53", &["letsencrypt.org"], 7),
            silent.clone(),
        ]);
        let mut baseline = Baseline::default();
        baseline.learn(&zones);
        let round = judge_round(&awaiting, &zones, &baseline);
        assert_eq!(standings(&round)[1].1, Standing::NoAnswer);
        assert!(round.settled);
        // But a zone none of whose servers answers is not settled.
        let dead = universe(vec![silent]);
        assert!(!judge_round(&awaiting, &dead, &baseline).settled);
    }

    #[test]
    fn a_wait_for_denied_is_settled_when_every_server_denies() {
        let (climb, requester) = (www_climb(), lets_encrypt());
        let awaiting = awaiting(&climb, &requester, Verdict::Denied);
        let zones = universe(vec![
            example_server("192.0.2.53", &["digicert.com"], 7),
            example_server("192.0.2.54", &["letsencrypt.org"], 7),
        ]);
        let mut baseline = Baseline::default();
        baseline.learn(&zones);
        let round = judge_round(&awaiting, &zones, &baseline);
        assert_eq!(
            standings(&round)[1].1,
            Standing::OldRecords {
                verdict: Verdict::Allowed
            }
        );
        assert!(!round.settled);
    }

    #[test]
    fn a_parent_whose_nodata_the_climb_passes_over_is_a_bystander() {
        let (climb, requester) = (www_climb(), lets_encrypt());
        let awaiting = awaiting(&climb, &requester, Verdict::Allowed);
        let zones = universe(vec![example_server("192.0.2.53", &["digicert.com"], 7)]);
        let mut baseline = Baseline::default();
        baseline.learn(&zones);
        let round = judge_round(&awaiting, &zones, &baseline);
        let standing = |zone: &str| {
            round
                .servers
                .iter()
                .find(|server| server.key.zone == zone)
                .map(|server| server.standing.clone())
        };
        assert_eq!(
            standing("example.test."),
            Some(Standing::OldRecords {
                verdict: Verdict::Denied
            })
        );
        assert_eq!(
            standing("test."),
            Some(Standing::Bystander {
                verdict: Verdict::Denied
            })
        );
        assert!(
            !Standing::Bystander {
                verdict: Verdict::Denied
            }
            .holds_the_wait()
        );
    }

    #[test]
    fn the_worst_outcome_but_the_awaited_one() {
        let outcomes = Outcomes {
            allowed: 0.5,
            denied: 0.0,
            error: 0.5,
            estimated: false,
        };
        assert_eq!(outcomes.worst_but(Verdict::Allowed), Verdict::Error);
        assert_eq!(outcomes.worst_but(Verdict::Denied), Verdict::Error);
        assert_eq!(outcomes.share(Verdict::Refused), 0.0);
    }
}
