//! Exit statuses, a contract for scripts (documented in README.md and in `--help`), and the
//! tally of a run's verdicts they are drawn from.

use std::process::ExitCode;

use crate::caa::Verdict;

/// What the exit status says about a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: every name allowed.
    AllAllowed,
    /// 1: at least one name denied by a CAA record, or refused by the CA's name policy.
    Denied,
    /// 2: bad usage; or, in a run that otherwise went through, an input line that is not a
    /// valid name.
    Usage,
    /// 3: nothing denied, but at least one name could not be determined (a lookup failed).
    Undetermined,
    /// 5: the run did not finish: its output could not be written, or its input could not be
    /// read. Never 0: an audit cut short is not a clean audit.
    Unfinished,
    /// 128 + the signal's number: stopped by a signal; what was done was written.
    Stopped(StopSignal),
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::AllAllowed => 0,
            ExitStatus::Denied => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Undetermined => 3,
            ExitStatus::Unfinished => 5,
            ExitStatus::Stopped(signal) => 128 + signal.number(),
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}

/// The signals that stop a run cleanly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM: a service manager or a cancelled CI job.
    Terminate,
    /// SIGHUP: the terminal went away.
    Hangup,
}

impl StopSignal {
    /// The POSIX signal number (the same on every Unix for these three).
    pub fn number(self) -> u8 {
        match self {
            StopSignal::Hangup => 1,
            StopSignal::Interrupt => 2,
            StopSignal::Terminate => 15,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Hangup => "SIGHUP",
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
        }
    }
}

/// How many names got each verdict, and how many input lines were not names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub allowed: u64,
    pub denied: u64,
    pub refused: u64,
    pub error: u64,
    pub invalid: u64,
}

impl Tally {
    pub fn count(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Allowed => self.allowed += 1,
            Verdict::Denied => self.denied += 1,
            Verdict::Refused => self.refused += 1,
            Verdict::Error => self.error += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.allowed + self.denied + self.refused + self.error + self.invalid
    }

    /// Denied or refused outranks an error, which outranks an invalid line, which outranks
    /// allowed.
    pub fn status(&self) -> ExitStatus {
        if self.denied + self.refused > 0 {
            ExitStatus::Denied
        } else if self.error > 0 {
            ExitStatus::Undetermined
        } else if self.invalid > 0 {
            ExitStatus::Usage
        } else {
            ExitStatus::AllAllowed
        }
    }

    /// Every verdict's count, as the summary and the progress line say them.
    pub fn counts(&self) -> String {
        format!(
            "{} allowed, {} denied, {} refused, {} error, {} invalid",
            self.allowed, self.denied, self.refused, self.error, self.invalid
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(allowed: u64, denied: u64, refused: u64, error: u64, invalid: u64) -> Tally {
        Tally {
            allowed,
            denied,
            refused,
            error,
            invalid,
        }
    }

    #[test]
    fn denied_or_refused_outranks_error_outranks_invalid_outranks_allowed() {
        assert_eq!(tally(2, 0, 0, 0, 0).status().code(), 0);
        assert_eq!(tally(1, 0, 0, 0, 1).status().code(), 2);
        assert_eq!(tally(1, 0, 0, 1, 1).status().code(), 3);
        assert_eq!(tally(1, 1, 0, 1, 1).status().code(), 1);
        assert_eq!(tally(1, 0, 1, 1, 1).status().code(), 1);
        assert_eq!(tally(0, 0, 0, 0, 0).status().code(), 0);
    }

    #[test]
    fn verdicts_are_counted() {
        let mut counted = Tally::default();
        for verdict in [
            Verdict::Allowed,
            Verdict::Denied,
            Verdict::Denied,
            Verdict::Refused,
            Verdict::Error,
        ] {
            counted.count(verdict);
        }
        assert_eq!(counted, tally(1, 2, 1, 1, 0));
        assert_eq!(counted.total(), 5);
        assert_eq!(
            counted.counts(),
            "1 allowed, 2 denied, 1 refused, 1 error, 0 invalid"
        );
    }

    #[test]
    fn stopped_runs_exit_128_plus_the_signal_and_unfinished_runs_5() {
        assert_eq!(ExitStatus::Stopped(StopSignal::Interrupt).code(), 130);
        assert_eq!(ExitStatus::Stopped(StopSignal::Terminate).code(), 143);
        assert_eq!(ExitStatus::Stopped(StopSignal::Hangup).code(), 129);
        assert_eq!(ExitStatus::Unfinished.code(), 5);
    }
}
