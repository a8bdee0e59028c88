//! The `check` command's job: one name end to end, the climb's lookups asked of DNS (the
//! shell) and judged by the CAA core, then rendered.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::future::join_all;
use hickory_resolver::proto::rr::Name;
use tokio::time::{Instant, timeout_at};

use crate::caa::answers::{Answer, CaaRecord, Failure, FailureKind, Lookup};
use crate::caa::assume::Assumption;
use crate::caa::methods::wildcard_method_refusal;
use crate::caa::policy::refusal;
use crate::caa::sources::{SourceView, view_sources};
use crate::caa::zone::zone_line;
use crate::caa::{Check, Evaluation, Requester, Verdict, diagnose};
use crate::diagnostics::warn;
use crate::dns::delegation::{WalkFailure, Walker};
use crate::dns::source::gather;
use crate::dns::validation::Validator;
use crate::dns::{Resolver, lookup_climb};
use crate::dnssec::Security;
use crate::exit::{Class, ExitStatus, Tally};
use crate::name::CheckName;
use crate::render::{Format, InvalidKeys, render_check, render_invalid};
use crate::runner::{Job, Performed};

/// Names in flight per query allowed in flight: enough to keep every query place busy while
/// parents come from the cache.
const NAMES_PER_QUERY_PLACE: usize = 4;
/// Names checked at once at most, whatever `--concurrency` says. Each holds its lookups
/// (about 10 KB, measured), so this bounds the run's memory; and beyond a few hundred, more
/// names at once only cost a loaded machine time (measured against a local server: 2048 at once
/// was 10 to 15% slower than 256, 512 as fast), while 512 keep even a resolver 20 ms away busy
/// at 25,000 names a second.
const MOST_NAMES_IN_FLIGHT: usize = 512;

/// What a run checks with: the requester, any what-if assumptions, the run's shared resolver,
/// and how long each name may take.
#[derive(Debug)]
pub struct Checker {
    pub requester: Requester,
    /// `--source`: the walk from the root, and the CA's remote perspectives.
    pub source: Option<SourceMode>,
    pub assumptions: Vec<Assumption>,
    pub resolver: Resolver,
    /// `--dnssec`: each lookup validated, and whether the stripping resolver was named yet.
    pub validator: Option<Validator>,
    pub stripping_named: AtomicBool,
    /// Each name's lookups must be answered within this time of its start.
    pub deadline: Duration,
}

/// How `--source` asks: the walker, and how many remote perspectives the CA corroborates from.
#[derive(Debug)]
pub struct SourceMode {
    pub walker: Walker,
    pub perspectives: u32,
    pub patience: Duration,
}

impl Checker {
    /// With `--source`: every authoritative server of every zone of the climb asked directly,
    /// and judged; none without.
    pub async fn sources(&self, name: &CheckName) -> Option<Result<SourceView, String>> {
        let source = self.source.as_ref()?;
        let climb = name.climb();
        let deadline = Instant::now() + self.deadline;
        // Through a resolver that strips DNSSEC every zone's keys would look bogus: the
        // servers' signatures are then judged by their dates alone (the lookups say why).
        let transport = self.resolver.transport();
        let validation = match &self.validator {
            Some(validator)
                if timeout_at(deadline, validator.strips(transport)).await != Ok(true) =>
            {
                Some((validator, transport))
            }
            _ => None,
        };
        let gathered = timeout_at(
            deadline,
            gather(&source.walker, &climb, source.patience, validation),
        )
        .await
        .unwrap_or(Err(WalkFailure::Deadline));
        Some(
            gathered
                .map(|zones| {
                    view_sources(
                        &climb,
                        name.wildcard,
                        &zones,
                        &self.requester,
                        source.perspectives,
                        source.walker.roots_on_loopback(),
                    )
                })
                .map_err(|failure| failure.to_string()),
        )
    }

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
        let mut lookups = lookup_climb(&self.resolver, &name.climb(), deadline).await;
        if let Some(validator) = &self.validator {
            self.validate(validator, &mut lookups, deadline).await;
        }
        Check::judge(name, lookups, &self.assumptions, &self.requester)
    }

    /// `--dnssec`: each lookup's security; a bogus one fails with its reason, one that could
    /// not be validated fails as undetermined (never "no records"). Through a resolver that
    /// strips DNSSEC, every lookup is undetermined, and stderr says so once.
    async fn validate(&self, validator: &Validator, lookups: &mut [Lookup], deadline: Instant) {
        // A resolver that answered none of the climb will not answer validation's questions
        // either: the name is undetermined already, and asking again only holds the run up.
        if lookups.iter().all(unanswered) {
            for lookup in lookups.iter_mut() {
                lookup.dnssec = Some(Security::Indeterminate);
            }
            return;
        }
        let transport = self.resolver.transport();
        let strips = timeout_at(deadline, validator.strips(transport)).await;
        if strips == Ok(true) {
            if !self.stripping_named.swap(true, Ordering::Relaxed) {
                warn(
                    "the resolver strips DNSSEC records (no RRSIG with the trust anchor's DNSKEY, though DO was set): --dnssec cannot validate through it; ask another with --nameserver",
                );
            }
            for lookup in lookups.iter_mut() {
                apply_security(
                    lookup,
                    Security::Indeterminate,
                    "the resolver strips DNSSEC records",
                );
            }
            return;
        }
        let validated = join_all(lookups.iter().map(|lookup| async move {
            let Ok(name) = Name::from_ascii(format!("{}.", lookup.name)) else {
                return (Security::Indeterminate, None);
            };
            timeout_at(deadline, validator.validate(transport, &name))
                .await
                .unwrap_or((Security::Indeterminate, None))
        }))
        .await;
        for (lookup, (security, answer)) in lookups.iter_mut().zip(validated) {
            // What was validated must be what is judged: the two questions (with DNSSEC and
            // without) may meet different answers, and a secure one vouches only for itself.
            if let Some(validated) = answer
                && !matches!(lookup.answer, Answer::Failed(_))
                && !matches!(security, Security::Bogus(_))
                && !same_answer(&validated, &lookup.answer)
            {
                apply_security(
                    lookup,
                    Security::Indeterminate,
                    "the answer asked with DNSSEC is not the one asked without",
                );
                continue;
            }
            apply_security(
                lookup,
                security,
                "what validation needs (the trust anchor's keys, a DS or DNSKEY) could not be had from the resolver in time",
            );
        }
    }

    /// Names worth checking at once: enough to keep every query place busy.
    pub fn window(&self) -> usize {
        (self.resolver.transport().in_flight() * NAMES_PER_QUERY_PLACE).min(MOST_NAMES_IN_FLIGHT)
    }
}

/// An input line naming a wildcard the requester's method cannot validate, refused in its
/// place (arguments were refused before the run): for every job that takes names.
pub fn refuse_wildcard_line<J: Job>(
    job: &J,
    name: &CheckName,
    line: Option<u64>,
    requester: &Requester,
) -> Option<Performed<J::Class>> {
    let reason = wildcard_method_refusal(name, requester.method)?;
    Some(Performed {
        class: None,
        text: job.render_invalid(line?, &name.to_string(), &reason),
    })
}

/// A lookup the resolver never answered: no reply in time, or no reaching it.
fn unanswered(lookup: &Lookup) -> bool {
    matches!(
        &lookup.answer,
        Answer::Failed(failure) if matches!(failure.kind, FailureKind::Timeout | FailureKind::Unreachable)
    )
}

/// Whether two answers say the same: the same CAA records in any order, or the same negative.
fn same_answer(a: &Answer, b: &Answer) -> bool {
    match (a, b) {
        (Answer::Records(a), Answer::Records(b)) => {
            let sorted = |records: &[CaaRecord]| {
                let mut sorted = records.to_vec();
                sorted.sort();
                sorted
            };
            sorted(a) == sorted(b)
        }
        _ => a == b,
    }
}

/// A lookup with its security: a bogus answer fails with the reason; an indeterminate one
/// fails as undetermined (`why`), unless it failed already.
fn apply_security(lookup: &mut Lookup, security: Security, why: &str) {
    match &security {
        Security::Bogus(bogus) => {
            lookup.answer =
                Answer::Failed(Failure::new(FailureKind::DnssecBogus, bogus.to_string()));
        }
        Security::Indeterminate if !matches!(lookup.answer, Answer::Failed(_)) => {
            lookup.answer = Answer::Failed(Failure::new(FailureKind::DnssecIndeterminate, why));
        }
        _ => {}
    }
    lookup.dnssec = Some(security);
}

/// `check` as a job of the runner: a checker, how reports are written, and which assumptions
/// changed a name's lookups.
#[derive(Debug)]
pub struct CheckJob {
    checker: Checker,
    format: Format,
    /// One flag per assumption, set once it changed a name's lookups.
    assumptions_used: Vec<AtomicBool>,
}

impl CheckJob {
    pub fn new(checker: Checker, format: Format) -> CheckJob {
        let assumptions_used = checker
            .assumptions
            .iter()
            .map(|_| AtomicBool::new(false))
            .collect();
        CheckJob {
            checker,
            format,
            assumptions_used,
        }
    }

    pub fn checker(&self) -> &Checker {
        &self.checker
    }
}

impl Class for Verdict {
    const ALL: &'static [Verdict] = &[
        Verdict::Allowed,
        Verdict::Denied,
        Verdict::Refused,
        Verdict::Error,
    ];

    fn label(self) -> &'static str {
        self.as_str()
    }

    fn status(self) -> ExitStatus {
        match self {
            Verdict::Allowed => ExitStatus::Success,
            Verdict::Denied | Verdict::Refused => ExitStatus::Fails,
            Verdict::Error => ExitStatus::Undetermined,
        }
    }
}

impl Job for CheckJob {
    type Target = CheckName;
    type Class = Verdict;
    const NOUN: &'static str = "name";

    fn parse(text: &str) -> Result<CheckName, String> {
        CheckName::parse(text).map_err(|error| error.to_string())
    }

    async fn perform(&self, name: CheckName, line: Option<u64>) -> Performed<Verdict> {
        if let Some(refused) = refuse_wildcard_line(self, &name, line, &self.checker.requester) {
            return refused;
        }
        let check = self.checker.check(name).await;
        for (used, assumption) in self.assumptions_used.iter().zip(&self.checker.assumptions) {
            if check.assumed.contains(assumption) {
                used.store(true, Ordering::Relaxed);
            }
        }
        let sources = match check.evaluation.basis {
            // A name the CA's policy refuses is refused whatever its servers say.
            crate::caa::verdict::Basis::NamePolicy(_) => None,
            _ => self.checker.sources(&check.name).await,
        };
        let diagnosis = diagnose(check, &self.checker.requester).with_sources(sources);
        let verdict = diagnosis.verdict();
        Performed {
            class: Some(verdict),
            text: render_check(&diagnosis, line, &self.checker.requester, self.format),
        }
    }

    fn render_invalid(&self, line: u64, input: &str, reason: &str) -> String {
        let keys = InvalidKeys {
            target: "name",
            class: "verdict",
        };
        render_invalid(Some(line), input, reason, keys, self.format)
    }

    /// Queries sent, and per name checked once the run went through (queries also went to
    /// names not yet written, so a share per written name would mislead).
    fn summary_note(&self, tally: &Tally<Verdict>, finished: bool) -> Option<String> {
        let sent = self.checker.resolver.transport().queries_sent();
        let checked = tally.total() - tally.invalid - tally.of(Verdict::Refused);
        Some(if finished {
            format!(
                "{sent} queries sent ({:.2} per name checked)",
                sent as f64 / checked.max(1) as f64
            )
        } else {
            format!("{sent} queries sent")
        })
    }

    /// Says on stderr which assumptions changed nothing: bad usage if any did.
    fn after_run(&self) -> Option<ExitStatus> {
        let mut any = false;
        for (used, assumption) in self.assumptions_used.iter().zip(&self.checker.assumptions) {
            if used.load(Ordering::Relaxed) {
                continue;
            }
            any = true;
            warn(format_args!(
                "{} '{}' changed nothing: no name checked has a successful lookup whose records are at {}{}",
                assumption.flag(),
                zone_line(&assumption.owner, &assumption.record),
                assumption.owner,
                if assumption.present {
                    ""
                } else {
                    ", or that record is not there"
                }
            ));
        }
        any.then_some(ExitStatus::Usage)
    }
}
