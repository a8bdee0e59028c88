//! Exit statuses, one contract for scripts across every command (documented in README.md and
//! in each command's `--help`), and the tally of a run's results they are folded from.

use std::marker::PhantomData;
use std::process::ExitCode;

/// What the exit status says about a run: one scheme for every command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: all good: every name allowed, every certificate sound.
    Success,
    /// 1: the CA will not issue (a name denied or refused), or a certificate has a problem
    /// that makes it fail (expired, wrong name, broken chain, a bundle the upload rejects).
    Fails,
    /// 2: bad usage; or, in a run that otherwise went through, an input line that is not a
    /// valid entry.
    Usage,
    /// 3: nothing fails, but something could not be determined (a lookup failed, a server
    /// could not be reached).
    Undetermined,
    /// 4: nothing fails or is undetermined, but there are warnings (a certificate expiring
    /// soon, a bundle without its root).
    Warnings,
    /// 5: the run did not finish: its output could not be written, or its input could not be
    /// read. Never 0: an audit cut short is not a clean audit.
    Unfinished,
    /// 128 + the signal's number: stopped by a signal; what was done was written.
    Stopped(StopSignal),
    /// `expiry --nagios`: the monitoring-plugin convention, asked for by name, in place of
    /// the scheme above.
    Plugin(PluginState),
}

/// A monitoring plugin's state (the Nagios plugin guidelines, also Icinga's and Sensu's):
/// ordered from best to worst as the worst host decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PluginState {
    Ok,
    Warning,
    Unknown,
    Critical,
}

impl PluginState {
    /// The plugin's exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    pub fn code(self) -> u8 {
        match self {
            PluginState::Ok => 0,
            PluginState::Warning => 1,
            PluginState::Critical => 2,
            PluginState::Unknown => 3,
        }
    }

    /// The word that starts the plugin's line.
    pub fn label(self) -> &'static str {
        match self {
            PluginState::Ok => "OK",
            PluginState::Warning => "WARNING",
            PluginState::Critical => "CRITICAL",
            PluginState::Unknown => "UNKNOWN",
        }
    }
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Fails => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Undetermined => 3,
            ExitStatus::Warnings => 4,
            ExitStatus::Unfinished => 5,
            ExitStatus::Stopped(signal) => 128 + signal.number(),
            ExitStatus::Plugin(state) => state.code(),
        }
    }

    /// Of two outcomes within a finished run, the one the run reports: fails outranks
    /// undetermined, which outranks an invalid input line, which outranks warnings, which
    /// outrank success.
    pub fn worse(self, other: ExitStatus) -> ExitStatus {
        let rank = |status: ExitStatus| match status {
            ExitStatus::Success => 0,
            ExitStatus::Warnings => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Undetermined => 3,
            ExitStatus::Fails => 4,
            ExitStatus::Unfinished | ExitStatus::Stopped(_) | ExitStatus::Plugin(_) => 5,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
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

/// The kinds of result a command gives each entry (the verdicts of `check`, the states of
/// `expiry`): what the tally counts and the exit status is folded from.
pub trait Class: Copy + Eq + Send + Sync + 'static {
    /// Every class, in the order the summary lists them.
    const ALL: &'static [Self];
    /// The name the summary, the progress line and JSON use.
    fn label(self) -> &'static str;
    /// What an entry of this class makes of the run's exit status.
    fn status(self) -> ExitStatus;
}

/// Classes a command may have at most.
const MOST_CLASSES: usize = 8;

/// How many entries got each class, and how many input lines were not valid entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally<C> {
    counts: [u64; MOST_CLASSES],
    pub invalid: u64,
    class: PhantomData<C>,
}

impl<C> Default for Tally<C> {
    fn default() -> Self {
        Tally {
            counts: [0; MOST_CLASSES],
            invalid: 0,
            class: PhantomData,
        }
    }
}

impl<C: Class> Tally<C> {
    pub fn count(&mut self, class: C) {
        self.counts[Self::slot(class)] += 1;
    }

    /// How many entries got `class`.
    pub fn of(&self, class: C) -> u64 {
        self.counts[Self::slot(class)]
    }

    /// Where `class` is counted: its place in `C::ALL`.
    fn slot(class: C) -> usize {
        const { assert!(C::ALL.len() <= MOST_CLASSES) };
        C::ALL
            .iter()
            .position(|&known| known == class)
            .unwrap_or(MOST_CLASSES - 1)
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum::<u64>() + self.invalid
    }

    /// The worst status any counted entry makes.
    pub fn status(&self) -> ExitStatus {
        let invalid = (self.invalid > 0).then_some(ExitStatus::Usage);
        C::ALL
            .iter()
            .filter(|&&class| self.of(class) > 0)
            .map(|class| class.status())
            .chain(invalid)
            .fold(ExitStatus::Success, ExitStatus::worse)
    }

    /// Every class's count, as the summary and the progress line say them.
    pub fn counts(&self) -> String {
        C::ALL
            .iter()
            .map(|&class| format!("{} {}", self.of(class), class.label()))
            .chain([format!("{} invalid", self.invalid)])
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command's classes, as `check`'s verdicts and `expiry`'s states are.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Light {
        Green,
        Amber,
        Grey,
        Red,
    }

    impl Class for Light {
        const ALL: &'static [Light] = &[Light::Green, Light::Amber, Light::Grey, Light::Red];
        fn label(self) -> &'static str {
            match self {
                Light::Green => "green",
                Light::Amber => "amber",
                Light::Grey => "grey",
                Light::Red => "red",
            }
        }
        fn status(self) -> ExitStatus {
            match self {
                Light::Green => ExitStatus::Success,
                Light::Amber => ExitStatus::Warnings,
                Light::Grey => ExitStatus::Undetermined,
                Light::Red => ExitStatus::Fails,
            }
        }
    }

    fn tally(lights: &[Light], invalid: u64) -> Tally<Light> {
        let mut tally = Tally {
            invalid,
            ..Tally::default()
        };
        for &light in lights {
            tally.count(light);
        }
        tally
    }

    #[test]
    fn fails_outranks_undetermined_outranks_invalid_outranks_warnings_outranks_success() {
        use Light::*;
        assert_eq!(tally(&[Green, Green], 0).status().code(), 0);
        assert_eq!(tally(&[Green, Amber], 0).status().code(), 4);
        assert_eq!(tally(&[Green, Amber], 1).status().code(), 2);
        assert_eq!(tally(&[Green, Grey, Amber], 1).status().code(), 3);
        assert_eq!(tally(&[Red, Grey, Amber], 1).status().code(), 1);
        assert_eq!(tally(&[], 0).status().code(), 0);
    }

    #[test]
    fn every_class_is_counted_in_order() {
        let counted = tally(&[Light::Red, Light::Green, Light::Red], 2);
        assert_eq!(counted.of(Light::Red), 2);
        assert_eq!(counted.total(), 5);
        assert_eq!(
            counted.counts(),
            "1 green, 0 amber, 0 grey, 2 red, 2 invalid"
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
