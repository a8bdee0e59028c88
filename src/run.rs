//! A run of `certready check`, the imperative shell around the checks: names in (the arguments,
//! then the `--input` lines), reports out on stdout in input order, a progress line and a
//! summary on stderr, an exit status.
//!
//! Checks run concurrently through a bounded window: results come out in input order, a slow
//! name holds back the output behind it only until its deadline, and memory does not grow with
//! the input. Ctrl-C stops the run: what was written stays written, the summary says how far it
//! got, and the status is 130.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::assume::Assumption;
use crate::caa::Verdict;
use crate::check::{Checker, Outcome};
use crate::exit::{ExitStatus, Tally};
use crate::input::{self, Entry};
use crate::options::{CheckPlan, wildcard_method_refusal};
use crate::output::{Format, render};
use crate::zone::zone_line;

/// Names in flight per query allowed in flight: enough to keep every query place busy while
/// parents come from the cache.
const NAMES_PER_QUERY_PLACE: usize = 4;
/// The progress line appears only for runs longer than this.
const PROGRESS_AFTER: Duration = Duration::from_secs(1);
/// Output is written in chunks this large (a JSON report is about 1.5 KB).
const OUTPUT_BUFFER: usize = 64 * 1024;
/// Buffered output reaches the reader at least this often.
const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// Checks everything the plan names, writes the reports, and says how it went.
pub async fn run(plan: CheckPlan) -> ExitStatus {
    let window = plan.checker.resolver.transport().in_flight() * NAMES_PER_QUERY_PLACE;
    let arguments = stream::iter(plan.names).map(|name| Entry::Name { line: None, name });
    let lines = match &plan.input {
        None => None,
        Some(source) => match input::read(source, window) {
            Ok(receiver) => Some(
                stream::unfold(receiver, |mut receiver| async move {
                    receiver.recv().await.map(|batch| (batch, receiver))
                })
                .flat_map(stream::iter),
            ),
            Err(error) => {
                eprintln!("certready: cannot read --input {source}: {error}");
                return ExitStatus::Usage;
            }
        },
    };
    let entries = arguments.chain(stream::iter(lines).flatten());
    let checker = Arc::new(plan.checker);
    let format = plan.format;
    // Each name is checked and rendered in a task of its own, so the workers share the load;
    // the window of task handles keeps the output in input order.
    let outcomes = entries
        .map(|entry| {
            let checker = checker.clone();
            tokio::spawn(async move { check_and_render(&checker, entry, format).await })
        })
        .buffered(window.max(1))
        .map(|finished| match finished {
            Ok(rendered) => rendered,
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        });
    let started = Instant::now();
    let mut report = Report::new(plan.progress);
    let stop = {
        let mut outcomes = pin!(outcomes);
        let mut ctrl_c = pin!(tokio::signal::ctrl_c());
        let mut progress_due = pin!(tokio::time::sleep(PROGRESS_AFTER));
        let mut progress_pending = report.progress.is_some();
        loop {
            tokio::select! {
                biased;
                outcome = outcomes.next() => match outcome {
                    Some(outcome) => {
                        if let Err(error) = report.write(outcome, &checker, started) {
                            break Stop::WriteFailed(error);
                        }
                    }
                    None => break Stop::Done,
                },
                _ = &mut ctrl_c => break Stop::Interrupted,
                // Once: a run still going after a second gets its progress line.
                () = &mut progress_due, if progress_pending => {
                    progress_pending = false;
                    report.show_progress(started);
                }
            }
        }
    };
    let stop = match report.finish() {
        Err(error) if matches!(stop, Stop::Done | Stop::Interrupted) => Stop::WriteFailed(error),
        _ => stop,
    };
    let interrupted = matches!(stop, Stop::Interrupted);
    if plan.input.is_some() || interrupted {
        eprintln!(
            "{}",
            summary(&report.tally, started.elapsed(), &checker, interrupted)
        );
    }
    match stop {
        Stop::Interrupted => ExitStatus::Interrupted,
        // The reader went away (`| head`): the status speaks of what it was given.
        Stop::WriteFailed(error) if error.kind() == io::ErrorKind::BrokenPipe => {
            report.tally.status()
        }
        Stop::WriteFailed(error) => {
            eprintln!("certready: cannot write the report: {error}");
            ExitStatus::Usage
        }
        Stop::Done if warn_unused_assumptions(&checker, &report.assumptions_used) => {
            ExitStatus::Usage
        }
        Stop::Done => report.tally.status(),
    }
}

/// Why the loop over outcomes ended.
enum Stop {
    Done,
    Interrupted,
    WriteFailed(io::Error),
}

/// An entry checked and its report rendered: what the writer needs of it.
struct Rendered {
    /// `None` for an input line that is not a name.
    verdict: Option<Verdict>,
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
        Outcome::Checked { check, .. } => Rendered {
            verdict: Some(check.evaluation.verdict),
            assumed: check.assumed,
            text,
        },
        Outcome::Invalid { .. } => Rendered {
            verdict: None,
            assumed: Vec::new(),
            text,
        },
    }
}

/// Where the reports go, and what has been counted of them.
struct Report {
    stdout: BufWriter<io::Stdout>,
    stdout_is_terminal: bool,
    last_flush: Instant,
    progress: Option<ProgressBar>,
    progress_shown: bool,
    tally: Tally,
    assumptions_used: Vec<bool>,
}

impl Report {
    fn new(progress: bool) -> Report {
        let progress = (progress && io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {pos} names checked ({per_sec}) {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar
        });
        Report {
            stdout: BufWriter::with_capacity(OUTPUT_BUFFER, io::stdout()),
            stdout_is_terminal: io::stdout().is_terminal(),
            last_flush: Instant::now(),
            progress,
            progress_shown: false,
            tally: Tally::default(),
            assumptions_used: Vec::new(),
        }
    }

    fn write(&mut self, rendered: Rendered, checker: &Checker, started: Instant) -> io::Result<()> {
        match rendered.verdict {
            Some(verdict) => self.tally.count(verdict),
            None => self.tally.invalid += 1,
        }
        self.assumptions_used
            .resize(checker.assumptions.len(), false);
        for (used, assumption) in self.assumptions_used.iter_mut().zip(&checker.assumptions) {
            *used |= rendered.assumed.contains(assumption);
        }
        let stdout = &mut self.stdout;
        let text = rendered.text;
        let mut write = || writeln!(stdout, "{text}");
        match &self.progress {
            Some(bar) if self.progress_shown => bar.suspend(write)?,
            _ => write()?,
        }
        if self.stdout_is_terminal || self.last_flush.elapsed() >= FLUSH_EVERY {
            self.stdout.flush()?;
            self.last_flush = Instant::now();
        }
        self.show_progress(started);
        Ok(())
    }

    fn show_progress(&mut self, started: Instant) {
        let Some(bar) = &self.progress else {
            return;
        };
        if !self.progress_shown && started.elapsed() >= PROGRESS_AFTER {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(200));
            self.progress_shown = true;
        }
        bar.set_position(self.tally.total());
        bar.set_message(format!(
            "{} denied, {} error, {} invalid",
            self.tally.denied, self.tally.error, self.tally.invalid
        ));
    }

    fn finish(&mut self) -> io::Result<()> {
        if let Some(bar) = &self.progress {
            bar.finish_and_clear();
        }
        self.stdout.flush()
    }
}

/// One line for stderr: counts per verdict, names per second, queries sent.
fn summary(tally: &Tally, elapsed: Duration, checker: &Checker, interrupted: bool) -> String {
    let seconds = elapsed.as_secs_f64().max(1e-3);
    let sent = checker.resolver.transport().queries_sent();
    let names = tally.total();
    let checked = names - tally.invalid;
    format!(
        "certready: {}{names} {} in {seconds:.1} s ({:.0} names/s): {} allowed, {} denied, {} error, {} invalid; {sent} queries sent ({:.2} per name checked)",
        if interrupted {
            "interrupted after "
        } else {
            ""
        },
        if names == 1 { "name" } else { "names" },
        names as f64 / seconds,
        tally.allowed,
        tally.denied,
        tally.error,
        tally.invalid,
        sent as f64 / checked.max(1) as f64,
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
        eprintln!(
            "certready: {} '{}' changed nothing: no name checked has a successful lookup whose records are at {}{}",
            assumption.flag(),
            zone_line(&assumption.owner, &assumption.record),
            assumption.owner,
            if assumption.present {
                ""
            } else {
                ", or that record is not there"
            }
        );
    }
    any
}
