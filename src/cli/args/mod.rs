//! The command line as typed: every flag defined and documented once, and checked for what
//! can be known from the typing alone, into a request or a one-line error naming the bad input
//! (`UsageError`). Nothing here reads the environment or builds anything: that is `wiring`.
//!
//! This module holds the commands and the flags they share; `check` and `certificate`
//! (`bundle`, `expiry`) hold each command's own flags and validation.

mod certificate;
mod check;
mod twilio;
mod wait;

pub use certificate::{
    BundleArgs, BundleRequest, ConnectionArgs, ExpiryArgs, ExpiryRequest, ThresholdArgs,
};
pub use check::{CheckArgs, CheckRequest, SourceRequest};
pub use twilio::{
    TwilioAlarmArgs, TwilioAlertsArgs, TwilioApiArgs, TwilioCommand, TwilioRequestArgs,
    TwilioStatusArgs, TwilioStatusRequest, TwilioUploadArgs, WaitingArgs,
};
pub use wait::{WaitArgs, WaitRequest};

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::name::NameError;
use crate::render::Detail;

const ABOUT: &str = "Will this name's certificate be issued and renewed, and is it sound? \
`check` walks the DNS tree for CAA records exactly as Let's Encrypt does; `bundle` lints a PEM \
bundle before it is uploaded; `expiry` reads the chain a server serves; `twilio` puts Twilio's \
view of a Link Shortening domain beside the world's. Each says what fixes what it finds.";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  certready completions bash > /etc/bash_completion.d/certready
  certready completions zsh > \"${fpath[1]}/_certready\"
  certready completions fish > ~/.config/fish/completions/certready.fish";

const MAN_EXAMPLES: &str = "\
Examples:
  certready man > /usr/local/share/man/man1/certready.1
  certready man | man -l -";

#[derive(Debug, Parser)]
#[command(name = "certready", version, about = ABOUT)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check whether the CA may issue for each NAME now, and why
    #[command(after_help = check::CHECK_EXAMPLES)]
    Check(Box<CheckArgs>),
    /// Check a PEM bundle (chain and key) before it is uploaded, as Twilio's TlsCert wants it
    #[command(after_help = certificate::BUNDLE_EXAMPLES)]
    Bundle(Box<BundleArgs>),
    /// Read the certificate each server serves: expiry, chain, trust, issuer
    #[command(after_help = certificate::EXPIRY_EXAMPLES)]
    Expiry(Box<ExpiryArgs>),
    /// After a DNS change, wait until every authoritative server leads to the verdict awaited
    #[command(after_help = wait::WAIT_EXAMPLES)]
    Wait(Box<WaitArgs>),
    /// Twilio Link Shortening domains: Twilio's view of their certificates beside the world's
    #[command(subcommand, after_help = twilio::TWILIO_EXAMPLES)]
    Twilio(TwilioCommand),
    /// Print a completion script for a shell
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff)
    #[command(after_help = MAN_EXAMPLES)]
    Man,
}

/// How names are resolved: shared by every command that asks DNS.
#[derive(Clone, Debug, Args)]
pub struct DnsArgs {
    /// IP or IP:PORT of a resolver to ask ([IPv6]:PORT with a port); repeatable.
    /// Default: the system's resolvers (/etc/resolv.conf)
    #[arg(long = "nameserver", value_name = "ADDR", value_parser = parse_nameserver, help_heading = "DNS")]
    pub nameservers: Vec<SocketAddr>,

    /// Seconds to wait for each query attempt (fractions allowed)
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_seconds, help_heading = "DNS")]
    pub timeout: Duration,

    /// Further attempts after a query times out, rotating through the nameservers
    #[arg(long, value_name = "N", default_value_t = 2, help_heading = "DNS")]
    pub retries: u32,
}

/// How reports are written: shared by every command.
#[derive(Clone, Copy, Debug, Args)]
pub struct OutputArgs {
    /// Print JSON Lines: one object per entry, one line each, in the order given
    #[arg(long, help_heading = "Output")]
    pub json: bool,

    /// Colour the human report: auto (when stdout is a terminal and NO_COLOR is not set),
    /// always or never
    #[arg(
        long,
        value_name = "WHEN",
        default_value = "auto",
        help_heading = "Output"
    )]
    pub color: ColorChoice,

    /// Show the details for sound results too
    #[arg(short, long, conflicts_with = "quiet", help_heading = "Output")]
    pub verbose: bool,

    /// Print only one line per entry, and no progress
    #[arg(short, long, help_heading = "Output")]
    pub quiet: bool,
}

impl OutputArgs {
    /// How much the human report says, as typed.
    pub fn detail(&self) -> Detail {
        match (self.quiet, self.verbose) {
            (true, _) => Detail::Quiet,
            (_, true) => Detail::Verbose,
            _ => Detail::Normal,
        }
    }
}

/// When to colour the human report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl Cli {
    /// Parses the command line. `--help` and `--version` print and exit 0 as usual, a bare
    /// `certready` prints help and exits 2; any other problem comes back as one line (clap's
    /// own message spans several).
    pub fn parse_args() -> Result<Cli, String> {
        Cli::try_parse().map_err(|error| match error.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => error.exit(),
            _ => one_line(&error.to_string()),
        })
    }
}

/// Clap's error up to its first blank line, folded into one line, with a pointer to help.
fn one_line(message: &str) -> String {
    let text = message
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ");
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    format!("{text} (see --help)")
}

/// A command line that cannot be run, said in one line that names the input.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("invalid name {input:?}: {error}")]
    InvalidName { input: String, error: NameError },
    #[error("cannot check {name}: {reason}")]
    WildcardMethod { name: String, reason: String },
    #[error("invalid --ca {0:?}: expected a domain such as letsencrypt.org")]
    InvalidCa(String),
    #[error("{0} is both assumed present (--assume) and absent (--assume-absent)")]
    ContradictoryAssumption(String),
    #[error(
        "--input {0} is a directory; expected a file with one entry per line, or - for standard input"
    )]
    InputIsDirectory(String),
    #[error("invalid host {input:?}: {reason}")]
    InvalidHost { input: String, reason: String },
    #[error("invalid --servername {input:?}: {reason}")]
    InvalidServerName { input: String, reason: String },
    #[error("invalid --name {input:?}: {reason}")]
    InvalidCoveredName { input: String, reason: String },
    #[error(
        "--crit-days {crit} is more than --warn-days {warn}: a certificate is critical before it is a warning"
    )]
    Thresholds { warn: u32, crit: u32 },
    #[error("cannot read {what} {path}: {reason}")]
    Unreadable {
        what: &'static str,
        path: String,
        reason: String,
    },
    #[error("cannot verify chains: {0}; pass --ca-file FILE with the roots to trust")]
    TrustStore(String),
    #[error("invalid DOMAIN_SID {input:?}: {reason}")]
    InvalidDomainSid { input: String, reason: String },
    #[error("{0}")]
    Credentials(String),
    #[error("invalid --twilio-base-url {0}")]
    BaseUrl(String),
    #[error("{0}")]
    Setup(String),
    #[error("invalid --email {0:?}: expected an address such as sre@example.com")]
    InvalidEmail(String),
    #[error(
        "invalid --account-uri {0:?}: expected an absolute URI without spaces or ';', such as https://acme-v02.api.letsencrypt.org/acme/acct/123"
    )]
    InvalidAccountUri(String),
    #[error("{0}; pass --nameserver IP")]
    NoNameservers(String),
    #[error(
        "--timeout {timeout}s is shorter than --interval {interval}s: no second round could confirm the first"
    )]
    TimeoutBelowInterval { timeout: u64, interval: u64 },
    #[error("{0} is for DNSSEC validation: it needs --dnssec")]
    NeedsDnssec(&'static str),
    #[error("{0} walks from the root: it needs --source")]
    NeedsSource(&'static str),
}

fn parse_nameserver(text: &str) -> Result<SocketAddr, String> {
    let address = match text.parse::<SocketAddr>() {
        Ok(address) => address,
        Err(_) => text
            .parse::<IpAddr>()
            .map(|ip| SocketAddr::new(ip, 53))
            .map_err(|_| {
                "expected an IP address or IP:PORT ([IPv6]:PORT with a port)".to_owned()
            })?,
    };
    if address.port() == 0 {
        return Err("port 0 is not a port a server listens on; expected 1 to 65535".to_owned());
    }
    Ok(address)
}

/// The longest duration taken: a year, so a deadline a duration away is always a time.
const MOST_SECONDS: u64 = 365 * 86_400;

/// A duration as people write it: `10s`, `5m`, `12h`, `7d`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?}: expected a number and s, m, h or d, as 10s, 5m or 7d"
            ));
        }
    };
    let count: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: expected a number and s, m, h or d, as 10s, 5m or 7d"))?;
    match count.checked_mul(seconds_per) {
        Some(seconds) if seconds > MOST_SECONDS => Err(format!("{text:?}: at most 365d")),
        Some(seconds) if seconds > 0 => Ok(Duration::from_secs(seconds)),
        _ => Err(format!("{text:?}: expected a duration above zero")),
    }
}

pub(super) fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds <= 3600.0 => Ok(Duration::from_secs_f64(seconds)),
        _ => Err("expected a number of seconds above 0 and at most 3600".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_errors_fold_into_one_line() {
        let message = "error: the following required arguments were not provided:\n  <NAME>...\n\nUsage: certready check <NAME>...\n";
        assert_eq!(
            one_line(message),
            "the following required arguments were not provided: <NAME>... (see --help)"
        );
    }

    #[test]
    fn nameservers_take_an_ip_with_or_without_a_port() {
        assert_eq!(
            parse_nameserver("192.0.2.1"),
            Ok("192.0.2.1:53".parse().unwrap())
        );
        assert_eq!(
            parse_nameserver("192.0.2.1:5353"),
            Ok("192.0.2.1:5353".parse().unwrap())
        );
        assert_eq!(
            parse_nameserver("2001:db8::1"),
            Ok("[2001:db8::1]:53".parse().unwrap())
        );
        assert_eq!(
            parse_nameserver("[2001:db8::1]:5353"),
            Ok("[2001:db8::1]:5353".parse().unwrap())
        );
        assert!(parse_nameserver("ns1.example.com").is_err());
        assert!(parse_nameserver("192.0.2.1:0").is_err());
        assert!(parse_nameserver("[2001:db8::1]:0").is_err());
    }

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        for bad in ["0", "-1", "nan", "inf", "soon"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_are_written_as_people_write_them() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("365d"), Ok(Duration::from_secs(31_536_000)));
        for bad in [
            "",
            "0",
            "5 m",
            "5w",
            "-1s",
            "1.5m",
            "99999999999999999999d",
            "366d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
