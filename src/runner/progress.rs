//! The progress line on stderr while a long run goes on: entries done, every class's count and
//! the rate, e.g. `⠙ 12345 names: 9000 allowed, 3000 denied, 0 refused, 300 error, 45 invalid;
//! 3456 names/s`. Shown only when stderr is a terminal, never with `--quiet`, and only once a
//! run has lasted a second; it never touches stdout. A thread of its own draws it.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::time::Instant;

use crate::exit::{Class, Tally};

/// The progress line appears only for runs longer than this.
pub const SHOW_AFTER: Duration = Duration::from_secs(1);
/// Its text changes at most this often: counting is cheap, drawing is not.
const REFRESH: Duration = Duration::from_millis(100);

pub struct Progress {
    bar: ProgressBar,
    /// What an entry is called: `name`, `host`.
    noun: &'static str,
    started: Instant,
    shown: bool,
    refreshed: Option<Instant>,
    /// To the thread that draws: the run never touches the bar itself, since the writer holds
    /// the bar's lock while a stalled terminal blocks its write.
    drawing: SyncSender<Draw>,
    drawn_last: Receiver<()>,
}

/// What the drawing thread is asked to do.
enum Draw {
    Show(String),
    Message(String),
    Clear,
}

/// How long the run waits for the line to be cleared before writing its summary.
const CLEAR_WAIT: Duration = Duration::from_millis(200);

impl Progress {
    /// A progress line, hidden until `show`, when `wanted` and stderr is a terminal.
    pub fn new(wanted: bool, stderr_is_terminal: bool, noun: &'static str) -> Option<Progress> {
        (wanted && stderr_is_terminal).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            let (drawing, requests) = sync_channel(1);
            let (cleared, drawn_last) = sync_channel(1);
            let drawn = bar.clone();
            std::thread::spawn(move || {
                for request in requests {
                    match request {
                        Draw::Show(line) => {
                            drawn.set_draw_target(ProgressDrawTarget::stderr());
                            drawn.enable_steady_tick(Duration::from_millis(200));
                            drawn.set_message(line);
                        }
                        Draw::Message(line) => drawn.set_message(line),
                        Draw::Clear => {
                            drawn.finish_and_clear();
                            break;
                        }
                    }
                }
                let _ = cleared.send(());
            });
            Progress {
                bar,
                noun,
                started: Instant::now(),
                shown: false,
                refreshed: None,
                drawing,
                drawn_last,
            }
        })
    }

    /// The bar itself, for the writer to lift while it writes to the same terminal.
    pub fn bar(&self) -> ProgressBar {
        self.bar.clone()
    }

    /// Draws the line from now on.
    pub fn show<C: Class>(&mut self, tally: &Tally<C>) {
        self.shown = true;
        self.refreshed = Some(Instant::now());
        let _ = self.drawing.try_send(Draw::Show(self.line(tally)));
    }

    /// New counts; redrawn at most every `REFRESH`, and never waiting for the drawing thread
    /// (a request it has no room for is dropped: the next one brings newer counts).
    pub fn update<C: Class>(&mut self, tally: &Tally<C>) {
        let now = Instant::now();
        if !self.shown || self.refreshed.is_some_and(|last| now - last < REFRESH) {
            return;
        }
        self.refreshed = Some(now);
        let _ = self.drawing.try_send(Draw::Message(self.line(tally)));
    }

    /// Clears the line, for the summary to take its place; waits a moment at most.
    pub fn finish(&self) {
        let deadline = std::time::Instant::now() + CLEAR_WAIT;
        while self.drawing.try_send(Draw::Clear).is_err() {
            if std::time::Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self
            .drawn_last
            .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()));
    }

    fn line<C: Class>(&self, tally: &Tally<C>) -> String {
        line(tally, self.started.elapsed(), self.noun)
    }
}

/// `12345 names: 9000 allowed, ...; 3456 names/s`.
fn line<C: Class>(tally: &Tally<C>, elapsed: Duration, noun: &str) -> String {
    let done = tally.total();
    format!(
        "{}: {}; {}",
        counted(done, noun),
        tally.counts(),
        rate(done, elapsed, noun)
    )
}

/// `1 name`, `2 names`.
pub fn counted(count: u64, noun: &str) -> String {
    format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
}

/// Entries per second as people read it: whole numbers, one decimal below ten.
pub fn rate(done: u64, elapsed: Duration, noun: &str) -> String {
    let seconds = elapsed.as_secs_f64().max(1e-3);
    let per_second = done as f64 / seconds;
    if per_second < 10.0 {
        format!("{per_second:.1} {noun}s/s")
    } else {
        format!("{per_second:.0} {noun}s/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::caa::Verdict;

    #[test]
    fn the_line_counts_every_class_and_a_readable_rate() {
        let mut tally = Tally::default();
        tally.invalid = 45;
        for (verdict, count) in [
            (Verdict::Allowed, 9000),
            (Verdict::Denied, 3000),
            (Verdict::Refused, 1),
            (Verdict::Error, 300),
        ] {
            (0..count).for_each(|_| tally.count(verdict));
        }
        assert_eq!(
            line(&tally, Duration::from_secs(2), "name"),
            "12346 names: 9000 allowed, 3000 denied, 1 refused, 300 error, 45 invalid; 6173 names/s"
        );
        assert_eq!(rate(5, Duration::from_secs(2), "host"), "2.5 hosts/s");
        assert_eq!(counted(1, "host"), "1 host");
    }
}
