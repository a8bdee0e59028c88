//! Exit statuses: a contract for scripts, documented in README.md and in `--help`.

use std::process::ExitCode;

use crate::caa::Verdict;

/// What the exit status says about a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: every name allowed.
    AllAllowed,
    /// 1: at least one name denied by a CAA record.
    Denied,
    /// 2: bad usage or an invalid name; nothing was checked.
    Usage,
    /// 3: nothing denied, but at least one name could not be determined (a lookup failed).
    Undetermined,
}

impl ExitStatus {
    /// Denied outranks undetermined, which outranks allowed.
    pub fn for_verdicts(verdicts: impl IntoIterator<Item = Verdict>) -> ExitStatus {
        let mut status = ExitStatus::AllAllowed;
        for verdict in verdicts {
            match verdict {
                Verdict::Denied => return ExitStatus::Denied,
                Verdict::Error => status = ExitStatus::Undetermined,
                Verdict::Allowed => {}
            }
        }
        status
    }

    pub fn code(self) -> u8 {
        match self {
            ExitStatus::AllAllowed => 0,
            ExitStatus::Denied => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Undetermined => 3,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denied_outranks_error_outranks_allowed() {
        use Verdict::*;
        assert_eq!(ExitStatus::for_verdicts([Allowed, Allowed]).code(), 0);
        assert_eq!(ExitStatus::for_verdicts([Allowed, Error]).code(), 3);
        assert_eq!(ExitStatus::for_verdicts([Error, Denied, Allowed]).code(), 1);
    }
}
