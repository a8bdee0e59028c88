//! A run of any bulk command (`check`, `expiry`), generic over its job: targets in (the
//! arguments, then the `--input` lines), reports out on stdout in input order, a progress line
//! and a summary on stderr, an exit status folded from every result.
//!
//! Jobs run concurrently through a bounded window: results come out in input order, a slow
//! target holds back the output behind it only until its deadline, and memory does not grow
//! with the input. A run that cannot finish says why and how far it got, and never exits 0:
//! - a signal (SIGINT, SIGTERM, SIGHUP) stops it within a second, even with stdout stalled,
//!   keeping what was written: status 128+signal (`signals`);
//! - a report that cannot be written (a closed pipe, a full disk) or an input that cannot be
//!   read to its end stops it at once: status 5.
//!
//! - `input`: the `--input` lines; `writer`: stdout on a thread of its own; `progress`: the
//!   progress line; `signals`: stops.

pub mod input;
mod progress;
pub mod signals;
mod writer;

use std::future::Future;
use std::io::{self, IsTerminal};
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::{StreamExt, stream};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::diagnostics::{warn, warn_within};
use crate::exit::{Class, ExitStatus, StopSignal, Tally};
use input::{Entry, InputFailure, Parse, Source};

use progress::{Progress, counted, rate};
use signals::StopRequests;
use writer::{ReportWriter, WriteFailure};

/// Finished reports that may wait behind a late entry, per entry in flight: so that one
/// entry waiting for a lost datagram does not stop the jobs behind it.
const REPORTS_AHEAD_PER_ENTRY: usize = 8;
/// Finished reports waiting at most (about 1.5 KB each in JSON).
const MOST_REPORTS_AHEAD: usize = 4096;
/// After a stop signal, what is already rendered may take this long to be written.
const STOP_GRACE: Duration = Duration::from_millis(300);
/// The summary may take this long to be written to a stalled stderr; then the run ends anyway.
const LAST_WORDS: Duration = Duration::from_millis(300);

/// What a bulk command does for each target, and what its run says around the reports.
pub trait Job: Send + Sync + 'static {
    /// One thing to do: a name to check, a host to probe.
    type Target: Send + 'static;
    /// The kinds of result, counted by the summary and folded into the exit status.
    type Class: Class;
    /// What one target is called in the summary and the progress line: `name`, `host`.
    const NOUN: &'static str;

    /// An `--input` line's text read as a target, or why it is not one.
    fn parse(text: &str) -> Result<Self::Target, String>;

    /// Does one target and renders its report (without a trailing newline). `line` is the
    /// input line it came from, none for an argument.
    fn perform(
        &self,
        target: Self::Target,
        line: Option<u64>,
    ) -> impl Future<Output = Performed<Self::Class>> + Send;

    /// The report for an input line that is not a valid target.
    fn render_invalid(&self, line: u64, input: &str, reason: &str) -> String;

    /// What the summary adds after the counts (queries sent, ...), if anything.
    fn summary_note(&self, _tally: &Tally<Self::Class>, _finished: bool) -> Option<String> {
        None
    }

    /// What the run writes on stdout after every report, once it has gone through (the
    /// `--nagios` line), if anything.
    fn closing(&self) -> Option<String> {
        None
    }

    /// Said once a run has gone through: a status that overrides the tally's, if any (an
    /// assumption that changed nothing is bad usage).
    fn after_run(&self) -> Option<ExitStatus> {
        None
    }
}

/// One target done and its report rendered.
pub struct Performed<C> {
    /// Its class; none when the target turned out to be invalid (a wildcard under a method
    /// that cannot validate one).
    pub class: Option<C>,
    pub text: String,
}

/// Everything a run needs, validated.
pub struct RunPlan<J: Job> {
    pub job: J,
    /// The targets given as arguments, done first.
    pub targets: Vec<J::Target>,
    pub input: Option<Source>,
    /// Targets in flight at most.
    pub window: usize,
    /// Whether a progress line may be shown on stderr (when it is a terminal).
    pub progress: bool,
}

/// Does every target of the plan, writes the reports, and says how it went.
pub async fn run<J: Job>(plan: RunPlan<J>) -> ExitStatus {
    let mut stops = match StopRequests::install() {
        Ok(stops) => stops,
        Err(error) => {
            warn(format_args!("cannot watch for signals: {error}"));
            return ExitStatus::Unfinished;
        }
    };
    let window = plan.window.max(1);
    let input_failure: Arc<Mutex<Option<InputFailure>>> = Arc::default();
    let arguments = stream::iter(plan.targets).map(|target| Entry::Target { line: None, target });
    let lines = match &plan.input {
        None => None,
        Some(source) => match input_lines(source, window, J::parse, input_failure.clone()) {
            Ok(lines) => Some(lines),
            Err(error) => {
                warn(format_args!("cannot read --input {source}: {error}"));
                return ExitStatus::Usage;
            }
        },
    };
    let entries = arguments.chain(stream::iter(lines).flatten());
    let job = Arc::new(plan.job);
    // At most `window` targets are done at once, each in a task of its own so the workers
    // share the load; the targets after them wait, small, for a place. A late target holds
    // back the output behind it, not the jobs: up to `ahead` finished reports wait their turn.
    let running = Arc::new(Semaphore::new(window));
    let ahead = (window * REPORTS_AHEAD_PER_ENTRY).min(MOST_REPORTS_AHEAD);
    let outcomes = entries
        .map(|entry| {
            let job = job.clone();
            let running = running.clone();
            async move {
                let place = running.acquire_owned().await;
                tokio::spawn(async move {
                    let rendered = perform(&*job, entry).await;
                    drop(place);
                    rendered
                })
                .await
            }
        })
        .buffered(ahead.max(1));
    let started = Instant::now();
    let mut progress = Progress::new(plan.progress, io::stderr().is_terminal(), J::NOUN);
    let stdout_is_terminal = io::stdout().is_terminal();
    let mut writer: ReportWriter<Reached<J::Class>> = ReportWriter::start(
        stdout_is_terminal,
        progress
            .as_ref()
            .filter(|_| stdout_is_terminal)
            .map(Progress::bar),
    );
    let written = writer.written();
    let mut reached = Reached::default();
    let stop = {
        let mut outcomes = pin!(outcomes);
        let mut show_progress = pin!(tokio::time::sleep(progress::SHOW_AFTER));
        let mut progress_pending = progress.is_some();
        loop {
            tokio::select! {
                biased;
                signal = stops.requested() => break Stop::Signal(signal),
                place = writer.send_when_due() => match place {
                    Ok(place) => writer.send(place, reached),
                    Err(()) => break Stop::WriteFailed(writer.failure().await),
                },
                outcome = outcomes.next(), if !writer.backlogged() => match outcome {
                    Some(Ok(rendered)) => {
                        reached.count(&rendered);
                        // A job that reports only at the end renders nothing per entry.
                        if !rendered.text.is_empty() {
                            writer.push(&rendered.text);
                        }
                        if let Some(progress) = &mut progress {
                            progress.update(&reached.tally);
                        }
                    }
                    // A job's task ends only by finishing, or by a panic (a bug) whose
                    // message is already on stderr: the run cannot be complete.
                    Some(Err(_)) => break Stop::Broken,
                    None => break Stop::Done,
                },
                // Once: a run still going after a second gets its progress line.
                () = &mut show_progress, if progress_pending => {
                    progress_pending = false;
                    if let Some(progress) = &mut progress {
                        progress.show(&reached.tally);
                    }
                }
            }
        }
    };
    // What was rendered is written: all of it when the run went through, as much as fits in
    // a short grace after a signal, nothing more when writing already failed.
    if matches!(stop, Stop::Done)
        && let Some(closing) = job.closing()
    {
        writer.push(&closing);
    }
    let stop = match stop {
        Stop::Done | Stop::Broken => tokio::select! {
            biased;
            signal = stops.requested() => Stop::Signal(signal),
            written = writer.finish(reached) => match (written, stop) {
                (Err(failure), _) => Stop::WriteFailed(failure),
                (Ok(()), Stop::Broken) => Stop::Broken,
                (Ok(()), _) => match take(&input_failure) {
                    Some(failure) => Stop::InputFailed(failure),
                    None => Stop::Done,
                },
            },
        },
        Stop::Signal(_) => {
            let _ = tokio::time::timeout(STOP_GRACE, writer.finish(reached)).await;
            stop
        }
        Stop::WriteFailed(_) | Stop::InputFailed(_) => stop,
    };
    if let Some(progress) = &progress {
        progress.finish();
    }
    let finished = matches!(stop, Stop::Done);
    if plan.input.is_some() || !finished {
        // A run cut short counts what its written report holds, not what it did.
        let written = *written.lock().unwrap_or_else(PoisonError::into_inner);
        warn_within(
            summary(
                if finished { &reached } else { &written },
                started.elapsed(),
                &*job,
                &stop,
                plan.input.as_ref(),
            ),
            LAST_WORDS,
        );
    }
    match stop {
        Stop::Signal(signal) => ExitStatus::Stopped(signal),
        Stop::WriteFailed(_) | Stop::InputFailed(_) | Stop::Broken => ExitStatus::Unfinished,
        Stop::Done => job.after_run().unwrap_or_else(|| reached.tally.status()),
    }
}

/// The entries of `--input`, read on a thread of their own about `window` at a time; a read
/// error ends them and is left in `failure` for the run to report once the rest is done.
fn input_lines<T: Send + 'static>(
    source: &Source,
    window: usize,
    parse: Parse<T>,
    failure: Arc<Mutex<Option<InputFailure>>>,
) -> io::Result<impl futures::Stream<Item = Entry<T>> + use<T>> {
    let receiver = input::read(source, window, parse)?;
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
    /// Every entry was done and written.
    Done,
    Signal(StopSignal),
    WriteFailed(WriteFailure),
    InputFailed(InputFailure),
    /// A job's task died (a bug).
    Broken,
}

/// An entry done and its report rendered: what the writer needs of it.
struct Rendered<C> {
    /// `None` for an input line that is not a valid target.
    class: Option<C>,
    /// The input line it came from; none for an argument.
    line: Option<u64>,
    text: String,
}

async fn perform<J: Job>(job: &J, entry: Entry<J::Target>) -> Rendered<J::Class> {
    match entry {
        Entry::Target { line, target } => {
            let Performed { class, text } = job.perform(target, line).await;
            Rendered { class, line, text }
        }
        Entry::Invalid {
            line,
            input,
            reason,
        } => Rendered {
            class: None,
            line: Some(line),
            text: job.render_invalid(line, &input, &reason),
        },
    }
}

/// How far the reports go: each class's count and the last input line.
#[derive(Clone, Copy, Debug)]
struct Reached<C> {
    tally: Tally<C>,
    last_line: Option<u64>,
}

impl<C> Default for Reached<C> {
    fn default() -> Self {
        Reached {
            tally: Tally::default(),
            last_line: None,
        }
    }
}

impl<C: Class> Reached<C> {
    fn count(&mut self, rendered: &Rendered<C>) {
        match rendered.class {
            Some(class) => self.tally.count(class),
            None => self.tally.invalid += 1,
        }
        self.last_line = rendered.line.or(self.last_line);
    }
}

/// One line for stderr: why the run stopped if it did not finish, counts per class, entries
/// per second, and what the job adds.
fn summary<J: Job>(
    reached: &Reached<J::Class>,
    elapsed: Duration,
    job: &J,
    stop: &Stop,
    input: Option<&Source>,
) -> String {
    let done = reached.tally.total();
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
        Stop::Broken => "stopped: a job failed unexpectedly (a bug; please report it): ".into(),
    };
    let finished = matches!(stop, Stop::Done);
    let note = job
        .summary_note(&reached.tally, finished)
        .map_or_else(String::new, |note| format!("; {note}"));
    format!(
        "{why}{}{}{how_far} in {:.1} s ({}): {}{note}",
        counted(done, J::NOUN),
        if finished { "" } else { " written" },
        elapsed.as_secs_f64(),
        rate(done, elapsed, J::NOUN),
        reached.tally.counts(),
    )
}
