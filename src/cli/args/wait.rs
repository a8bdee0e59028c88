//! `wait`'s command line: what to wait for, how long and how often, and its validation into a
//! `WaitRequest`.

use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::caa::{Requester, Verdict};
use crate::name::CheckName;
use crate::runner::input::Source;

use super::check::{RequesterArgs, SourceRequest, WalkArgs};
use super::{OutputArgs, UsageError, parse_duration};

pub(super) const WAIT_EXAMPLES: &str = "\
Examples:
  certready wait links.example.com                  # after adding a CAA record for Let's Encrypt
  certready wait links.example.com --timeout 1h --interval 30s
  certready wait old.example.com --until denied     # after removing a CA's record
  certready wait '*.example.com' --method dns-01 --json

It asks every authoritative server directly, walking from the root as the CA's resolver does,
every --interval, until each one that answers leads to the verdict awaited, at a serial no
lower than the highest its zone served when the wait began, two rounds in a row. A server that
gives no usable answer does not hold the wait (the CA passes over it). Resolver caches are not
waited for, since the CA keeps none; the report gives the largest TTL seen, how long public
resolvers may still serve the old answer. Each server's standing goes to stderr as it changes.

Exit status:
  0    every name settled on the verdict awaited
  1    at the timeout, every server led to another verdict (or the CA's name policy refuses
       the name)
  2    bad usage or an invalid NAME
  3    at the timeout, the servers still disagreed, lagged behind, or could not be asked
  5    the run did not finish: its output could not be written or its input not read
  129, 130, 143
       stopped by SIGHUP, SIGINT (Ctrl-C) or SIGTERM";

/// The verdict a wait waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Until {
    Allowed,
    Denied,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// A DNS name, as for check
    #[arg(value_name = "NAME", required_unless_present = "input")]
    pub names: Vec<String>,

    /// The verdict to wait for
    #[arg(
        long,
        value_name = "VERDICT",
        default_value = "allowed",
        help_heading = "Waiting"
    )]
    pub until: Until,

    /// How long to wait in all (15s, 30m, 2h; a bare number is seconds)
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration, help_heading = "Waiting")]
    pub timeout: Duration,

    /// How often to ask every server again
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_duration, help_heading = "Waiting")]
    pub interval: Duration,

    #[command(flatten)]
    pub requester: RequesterArgs,

    #[command(flatten)]
    pub walk: WalkArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Also wait for the names in FILE ('-' for standard input), after any NAME: one per line;
    /// blank lines and # comments skipped
    #[arg(long, value_name = "FILE", help_heading = "Audits")]
    pub input: Option<String>,
}

/// A wait as typed, validated.
#[derive(Debug)]
pub struct WaitRequest {
    pub names: Vec<CheckName>,
    pub requester: Requester,
    pub until: Verdict,
    pub timeout: Duration,
    pub interval: Duration,
    pub walk: SourceRequest,
    pub input: Option<Source>,
    pub output: OutputArgs,
}

impl WaitArgs {
    pub fn validate(self) -> Result<WaitRequest, UsageError> {
        let (requester, names) = self.requester.validate(&self.names)?;
        if self.timeout < self.interval {
            return Err(UsageError::TimeoutBelowInterval {
                timeout: self.timeout.as_secs(),
                interval: self.interval.as_secs(),
            });
        }
        Ok(WaitRequest {
            names,
            requester,
            until: match self.until {
                Until::Allowed => Verdict::Allowed,
                Until::Denied => Verdict::Denied,
            },
            timeout: self.timeout,
            interval: self.interval,
            walk: self.walk.request(1),
            input: self.input.as_deref().map(Source::from_arg),
            output: self.output,
        })
    }
}
