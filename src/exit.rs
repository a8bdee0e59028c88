//! Exit statuses, a contract for scripts (documented in README.md and in `--help`), and the
//! tally of a run's verdicts they are drawn from.

use std::process::ExitCode;

use crate::caa::Verdict;

/// What the exit status says about a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: every name allowed.
    AllAllowed,
    /// 1: at least one name denied by a CAA record.
    Denied,
    /// 2: bad usage; or, in a run that otherwise went through, an input line that is not a
    /// valid name.
    Usage,
    /// 3: nothing denied, but at least one name could not be determined (a lookup failed).
    Undetermined,
    /// 130: interrupted (Ctrl-C); what was done was written.
    Interrupted,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::AllAllowed => 0,
            ExitStatus::Denied => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Undetermined => 3,
            ExitStatus::Interrupted => 130,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}

/// How many names got each verdict, and how many input lines were not names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub allowed: u64,
    pub denied: u64,
    pub error: u64,
    pub invalid: u64,
}

impl Tally {
    pub fn count(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Allowed => self.allowed += 1,
            Verdict::Denied => self.denied += 1,
            Verdict::Error => self.error += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.allowed + self.denied + self.error + self.invalid
    }

    /// Denied outranks an error, which outranks an invalid line, which outranks allowed.
    pub fn status(&self) -> ExitStatus {
        if self.denied > 0 {
            ExitStatus::Denied
        } else if self.error > 0 {
            ExitStatus::Undetermined
        } else if self.invalid > 0 {
            ExitStatus::Usage
        } else {
            ExitStatus::AllAllowed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(allowed: u64, denied: u64, error: u64, invalid: u64) -> Tally {
        Tally {
            allowed,
            denied,
            error,
            invalid,
        }
    }

    #[test]
    fn denied_outranks_error_outranks_invalid_outranks_allowed() {
        assert_eq!(tally(2, 0, 0, 0).status().code(), 0);
        assert_eq!(tally(1, 0, 0, 1).status().code(), 2);
        assert_eq!(tally(1, 0, 1, 1).status().code(), 3);
        assert_eq!(tally(1, 1, 1, 1).status().code(), 1);
        assert_eq!(tally(0, 0, 0, 0).status().code(), 0);
    }

    #[test]
    fn verdicts_are_counted() {
        let mut counted = Tally::default();
        for verdict in [
            Verdict::Allowed,
            Verdict::Denied,
            Verdict::Denied,
            Verdict::Error,
        ] {
            counted.count(verdict);
        }
        assert_eq!(counted, tally(1, 2, 1, 0));
        assert_eq!(counted.total(), 4);
    }
}
