//! The progress line on stderr while a long run goes on: names done, every verdict's count and
//! the rate, e.g. `⠙ 12345 names: 9000 allowed, 3000 denied, 0 refused, 300 error, 45 invalid;
//! 3456 names/s`. Shown only when stderr is a terminal, never with `--quiet`, and only once a
//! run has lasted a second; it never touches stdout.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::time::Instant;

use crate::exit::Tally;

/// The progress line appears only for runs longer than this.
pub const SHOW_AFTER: Duration = Duration::from_secs(1);
/// Its text changes at most this often: counting is cheap, drawing is not.
const REFRESH: Duration = Duration::from_millis(100);

pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
    refreshed: Option<Instant>,
}

impl Progress {
    /// A progress line, hidden until `show`, when `wanted` and stderr is a terminal.
    pub fn new(wanted: bool, stderr_is_terminal: bool) -> Option<Progress> {
        (wanted && stderr_is_terminal).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            Progress {
                bar,
                started: Instant::now(),
                shown: false,
                refreshed: None,
            }
        })
    }

    /// The bar itself, for the writer to lift while it writes to the same terminal.
    pub fn bar(&self) -> ProgressBar {
        self.bar.clone()
    }

    /// Draws the line from now on.
    pub fn show(&mut self, tally: &Tally) {
        if !self.shown {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(200));
            self.shown = true;
        }
        self.refreshed = None;
        self.update(tally);
    }

    /// New counts; redrawn at most every `REFRESH`.
    pub fn update(&mut self, tally: &Tally) {
        let now = Instant::now();
        if self.refreshed.is_some_and(|last| now - last < REFRESH) {
            return;
        }
        self.refreshed = Some(now);
        self.bar
            .set_message(line(tally, now.duration_since(self.started)));
    }

    /// Clears the line, for the summary to take its place.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `12345 names: 9000 allowed, ...; 3456 names/s`.
fn line(tally: &Tally, elapsed: Duration) -> String {
    let names = tally.total();
    format!(
        "{names} {}: {}; {}",
        if names == 1 { "name" } else { "names" },
        tally.counts(),
        rate(names, elapsed)
    )
}

/// Names per second as people read it: whole numbers, one decimal below ten.
pub fn rate(names: u64, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64().max(1e-3);
    let per_second = names as f64 / seconds;
    if per_second < 10.0 {
        format!("{per_second:.1} names/s")
    } else {
        format!("{per_second:.0} names/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_every_verdict_and_a_readable_rate() {
        let tally = Tally {
            allowed: 9000,
            denied: 3000,
            refused: 1,
            error: 300,
            invalid: 45,
        };
        assert_eq!(
            line(&tally, Duration::from_secs(2)),
            "12346 names: 9000 allowed, 3000 denied, 1 refused, 300 error, 45 invalid; 6173 names/s"
        );
        assert_eq!(rate(5, Duration::from_secs(2)), "2.5 names/s");
    }
}
