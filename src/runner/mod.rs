//! A run of `certready check`, the imperative shell around the checks: names in (the arguments,
//! then the `--input` lines), reports out on stdout in input order, a progress line and a
//! summary on stderr, an exit status.
//!
//! Checks run concurrently through a bounded window: results come out in input order, a slow
//! name holds back the output behind it only until its deadline, and memory does not grow with
//! the input. A run that cannot finish says why and how far it got, and never exits 0:
//! - a signal (SIGINT, SIGTERM, SIGHUP) stops it within a second, even with stdout stalled,
//!   keeping what was written: status 128+signal (`signals`);
//! - a report that cannot be written (a closed pipe, a full disk) or an input that cannot be
//!   read to its end stops it at once: status 5.
//!
//! - `writer`: stdout on a thread of its own; `progress`: the progress line; `signals`: stops.

pub mod input;
mod progress;
mod signals;
mod writer;

use std::io::{self, IsTerminal};
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::{StreamExt, stream};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::caa::Verdict;
use crate::caa::assume::Assumption;
use crate::caa::zone::zone_line;
use crate::cli::args::{CheckPlan, wildcard_method_refusal};
use crate::commands::check::{Checker, Outcome};
use crate::diagnostics::{warn, warn_within};
use crate::exit::{ExitStatus, StopSignal, Tally};
use crate::render::{Format, render};
use input::{Entry, InputFailure, Source};

use progress::{Progress, rate};
use signals::StopRequests;
use writer::{ReportWriter, WriteFailure};

/// Names in flight per query allowed in flight: enough to keep every query place busy while
/// parents come from the cache.
const NAMES_PER_QUERY_PLACE: usize = 4;
/// Names checked at once at most, whatever `--concurrency` says. Each holds its lookups
/// (about 10 KB, measured), so this bounds the run's memory; and beyond a few hundred, more
/// names at once only cost a loaded machine time (measured against a local server: 2048 at once
/// was 10 to 15% slower than 256, 512 as fast), while 512 keep even a resolver 20 ms away busy
/// at 25,000 names a second.
const MOST_NAMES_IN_FLIGHT: usize = 512;
/// Finished reports that may wait behind a late name, per name checked at once: so that one
/// name waiting for a lost datagram does not stop the checks behind it.
const REPORTS_AHEAD_PER_NAME: usize = 8;
/// Finished reports waiting at most (about 1.5 KB each in JSON).
const MOST_REPORTS_AHEAD: usize = 4096;
/// After a stop signal, what is already rendered may take this long to be written.
const STOP_GRACE: Duration = Duration::from_millis(300);
/// The summary may take this long to be written to a stalled stderr; then the run ends anyway.
const LAST_WORDS: Duration = Duration::from_millis(300);

/// Checks everything the plan names, writes the reports, and says how it went.
pub async fn run(plan: CheckPlan) -> ExitStatus {
    let mut stops = match StopRequests::install() {
        Ok(stops) => stops,
        Err(error) => {
            warn(format_args!("cannot watch for signals: {error}"));
            return ExitStatus::Unfinished;
        }
    };
    let window = (plan.checker.resolver.transport().in_flight() * NAMES_PER_QUERY_PLACE)
        .min(MOST_NAMES_IN_FLIGHT);
    let input_failure: Arc<Mutex<Option<InputFailure>>> = Arc::default();
    let arguments = stream::iter(plan.names).map(|name| Entry::Name { line: None, name });
    let lines = match &plan.input {
        None => None,
        Some(source) => match input_lines(source, window, input_failure.clone()) {
            Ok(lines) => Some(lines),
            Err(error) => {
                warn(format_args!("cannot read --input {source}: {error}"));
                return ExitStatus::Usage;
            }
        },
    };
    let entries = arguments.chain(stream::iter(lines).flatten());
    let checker = Arc::new(plan.checker);
    let format = plan.format;
    // At most `window` names are checked at once, each in a task of its own so the workers
    // share the load; the names after them wait, small, for a place. A late name holds back the
    // output behind it, not the checks: up to `ahead` finished reports wait for their turn.
    let running = Arc::new(Semaphore::new(window.max(1)));
    let ahead = (window * REPORTS_AHEAD_PER_NAME).min(MOST_REPORTS_AHEAD);
    let outcomes = entries
        .map(|entry| {
            let checker = checker.clone();
            let running = running.clone();
            async move {
                let place = running.acquire_owned().await;
                tokio::spawn(async move {
                    let rendered = check_and_render(&checker, entry, format).await;
                    drop(place);
                    rendered
                })
                .await
            }
        })
        .buffered(ahead.max(1));
    let started = Instant::now();
    let mut progress = Progress::new(plan.progress, io::stderr().is_terminal());
    let stdout_is_terminal = io::stdout().is_terminal();
    let mut writer: ReportWriter<Reached> = ReportWriter::start(
        stdout_is_terminal,
        progress
            .as_ref()
            .filter(|_| stdout_is_terminal)
            .map(Progress::bar),
    );
    let written = writer.written();
    let mut done = Done::default();
    let stop = {
        let mut outcomes = pin!(outcomes);
        let mut show_progress = pin!(tokio::time::sleep(progress::SHOW_AFTER));
        let mut progress_pending = progress.is_some();
        loop {
            tokio::select! {
                biased;
                signal = stops.requested() => break Stop::Signal(signal),
                place = writer.send_when_due() => match place {
                    Ok(place) => writer.send(place, done.reached),
                    Err(()) => break Stop::WriteFailed(writer.failure().await),
                },
                outcome = outcomes.next(), if !writer.backlogged() => match outcome {
                    Some(Ok(rendered)) => {
                        done.count(&rendered, &checker);
                        writer.push(&rendered.text);
                        if let Some(progress) = &mut progress {
                            progress.update(&done.reached.tally);
                        }
                    }
                    // A check task ends only by finishing, or by a panic (a bug) whose
                    // message is already on stderr: the run cannot be complete.
                    Some(Err(_)) => break Stop::Broken,
                    None => break Stop::Done,
                },
                // Once: a run still going after a second gets its progress line.
                () = &mut show_progress, if progress_pending => {
                    progress_pending = false;
                    if let Some(progress) = &mut progress {
                        progress.show(&done.reached.tally);
                    }
                }
            }
        }
    };
    // What was rendered is written: all of it when the run went through, as much as fits in
    // a short grace after a signal, nothing more when writing already failed.
    let stop = match stop {
        Stop::Done | Stop::Broken => tokio::select! {
            biased;
            signal = stops.requested() => Stop::Signal(signal),
            written = writer.finish(done.reached) => match (written, stop) {
                (Err(failure), _) => Stop::WriteFailed(failure),
                (Ok(()), Stop::Broken) => Stop::Broken,
                (Ok(()), _) => match take(&input_failure) {
                    Some(failure) => Stop::InputFailed(failure),
                    None => Stop::Done,
                },
            },
        },
        Stop::Signal(_) => {
            let _ = tokio::time::timeout(STOP_GRACE, writer.finish(done.reached)).await;
            stop
        }
        Stop::WriteFailed(_) | Stop::InputFailed(_) => stop,
    };
    if let Some(progress) = &progress {
        progress.finish();
    }
    let finished = matches!(stop, Stop::Done);
    if plan.input.is_some() || !finished {
        // A run cut short counts what its written report holds, not what it checked.
        let reached = *written.lock().unwrap_or_else(PoisonError::into_inner);
        warn_within(
            summary(
                if finished { &done.reached } else { &reached },
                started.elapsed(),
                &checker,
                &stop,
                plan.input.as_ref(),
            ),
            LAST_WORDS,
        );
    }
    match stop {
        Stop::Signal(signal) => ExitStatus::Stopped(signal),
        Stop::WriteFailed(_) | Stop::InputFailed(_) | Stop::Broken => ExitStatus::Unfinished,
        Stop::Done if warn_unused_assumptions(&checker, &done.assumptions_used) => {
            ExitStatus::Usage
        }
        Stop::Done => done.reached.tally.status(),
    }
}

/// The entries of `--input`, read on a thread of their own about `window` at a time; a read
/// error ends them and is left in `failure` for the run to report once the rest is done.
fn input_lines(
    source: &Source,
    window: usize,
    failure: Arc<Mutex<Option<InputFailure>>>,
) -> io::Result<impl futures::Stream<Item = Entry> + use<>> {
    let receiver = input::read(source, window)?;
    Ok(stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|batch| (batch, receiver))
    })
    .scan((), move |(), batch| {
        futures::future::ready(match batch {
            Ok(entries) => Some(entries),
            Err(error) => {
                *failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
                None
            }
        })
    })
    .flat_map(stream::iter))
}

fn take(failure: &Mutex<Option<InputFailure>>) -> Option<InputFailure> {
    failure
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
}

/// Why the run ended.
enum Stop {
    /// Every entry was checked and written.
    Done,
    Signal(StopSignal),
    WriteFailed(WriteFailure),
    InputFailed(InputFailure),
    /// A check task died (a bug).
    Broken,
}

/// An entry checked and its report rendered: what the writer needs of it.
struct Rendered {
    /// `None` for an input line that is not a name.
    verdict: Option<Verdict>,
    /// The input line it came from; none for an argument.
    line: Option<u64>,
    assumed: Vec<Assumption>,
    text: String,
}

async fn check_and_render(checker: &Checker, entry: Entry, format: Format) -> Rendered {
    let outcome = match entry {
        // Arguments were refused before the run; an input line is refused in its place.
        Entry::Name {
            line: Some(line),
            name,
        } if let Some(reason) = wildcard_method_refusal(&name, checker.requester.method) => {
            Outcome::Invalid {
                line,
                input: name.to_string(),
                reason,
            }
        }
        Entry::Name { line, name } => Outcome::Checked {
            line,
            check: checker.check(name).await,
        },
        Entry::Invalid {
            line,
            input,
            reason,
        } => Outcome::Invalid {
            line,
            input,
            reason,
        },
    };
    let text = render(&outcome, &checker.requester, format);
    match outcome {
        Outcome::Checked { check, line } => Rendered {
            verdict: Some(check.evaluation.verdict),
            line,
            assumed: check.assumed,
            text,
        },
        Outcome::Invalid { line, .. } => Rendered {
            verdict: None,
            line: Some(line),
            assumed: Vec::new(),
            text,
        },
    }
}

/// How far the reports go: each verdict's count and the last input line.
#[derive(Clone, Copy, Debug, Default)]
struct Reached {
    tally: Tally,
    last_line: Option<u64>,
}

/// What has been rendered so far, and which assumptions changed anything.
#[derive(Default)]
struct Done {
    reached: Reached,
    assumptions_used: Vec<bool>,
}

impl Done {
    fn count(&mut self, rendered: &Rendered, checker: &Checker) {
        match rendered.verdict {
            Some(verdict) => self.reached.tally.count(verdict),
            None => self.reached.tally.invalid += 1,
        }
        self.reached.last_line = rendered.line.or(self.reached.last_line);
        self.assumptions_used
            .resize(checker.assumptions.len(), false);
        for (used, assumption) in self.assumptions_used.iter_mut().zip(&checker.assumptions) {
            *used |= rendered.assumed.contains(assumption);
        }
    }
}

/// One line for stderr: why the run stopped if it did not finish, counts per verdict, names
/// per second, queries sent.
fn summary(
    reached: &Reached,
    elapsed: Duration,
    checker: &Checker,
    stop: &Stop,
    input: Option<&Source>,
) -> String {
    let names = reached.tally.total();
    let checked = names - reached.tally.invalid - reached.tally.refused;
    let sent = checker.resolver.transport().queries_sent();
    let how_far = match reached.last_line {
        Some(line) => format!(" (through input line {line})"),
        None => String::new(),
    };
    let why = match stop {
        Stop::Done => String::new(),
        Stop::Signal(signal) => format!("stopped by {}: ", signal.name()),
        Stop::WriteFailed(WriteFailure(error)) if error.kind() == io::ErrorKind::BrokenPipe => {
            "stopped: the reader of the report went away: ".to_owned()
        }
        Stop::WriteFailed(WriteFailure(error)) => {
            format!("stopped: cannot write the report to standard output: {error}: ")
        }
        Stop::InputFailed(InputFailure { line, error }) => {
            let source = input.map_or_else(String::new, |source| format!(" {source}"));
            format!("stopped: cannot read --input{source} at line {line}: {error}: ")
        }
        Stop::Broken => "stopped: a check failed unexpectedly (a bug; please report it): ".into(),
    };
    let finished = matches!(stop, Stop::Done);
    // Queries went to names not yet written too: a share per written name would mislead.
    let per_name = if finished {
        format!(
            " ({:.2} per name checked)",
            sent as f64 / checked.max(1) as f64
        )
    } else {
        String::new()
    };
    format!(
        "{why}{names} {}{}{how_far} in {:.1} s ({}): {}; {sent} queries sent{per_name}",
        if names == 1 { "name" } else { "names" },
        if finished { "" } else { " written" },
        elapsed.as_secs_f64(),
        rate(names, elapsed),
        reached.tally.counts(),
    )
}

/// Says on stderr which assumptions changed nothing; true if any.
fn warn_unused_assumptions(checker: &Checker, used: &[bool]) -> bool {
    let mut any = false;
    for (index, assumption) in checker.assumptions.iter().enumerate() {
        if used.get(index).copied().unwrap_or(false) {
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
    any
}
