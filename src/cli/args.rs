//! The command line as typed: every flag defined and documented once, here, and checked for
//! what can be known from the typing alone (`CheckArgs::validate`), into a `CheckRequest` or a
//! one-line error naming the bad input. Nothing here reads the environment or builds
//! anything: that is `wiring`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::caa::assume::Assumption;
use crate::caa::issue_value::is_parameter_value;
use crate::caa::methods::wildcard_method_refusal;
use crate::caa::requester::LETS_ENCRYPT;
use crate::caa::zone::{parse_zone_line, zone_line};
use crate::caa::{Method, Requester};
use crate::name::{CheckName, NameError};
use crate::render::Detail;
use crate::runner::input::Source;

const ABOUT: &str = "May this CA issue a certificate for this name right now? \
Walks the DNS tree for CAA records exactly as Let's Encrypt does and says why.";

const CHECK_EXAMPLES: &str = "\
Examples:
  certready check links.example.com
  certready check '*.example.com' www.example.com --json
  certready check shop.example.co.uk --ca digicert.com
  certready check example.com --method dns-01 \\
      --account-uri https://acme-v02.api.letsencrypt.org/acme/acct/123
  certready check example.com --nameserver 192.0.2.53 --nameserver [2001:db8::53]:5353
  certready check example.com --assume 'example.com. CAA 0 issue \"letsencrypt.org\"'
  certready check --input domains.txt --json > report.jsonl
  zcat names.gz | certready check --input - --concurrency 256 --qps 1000 --quiet
  certready check --no-name-policy www.example.test --nameserver 127.0.0.1:5353

Exit status:
  0    every name allowed
  1    at least one name denied by a CAA record, or refused by the CA's name policy
  2    bad usage or an invalid NAME (nothing was checked), or an --input line that is not a
       valid name (and nothing denied or undetermined)
  3    nothing denied, but at least one name could not be determined (a lookup failed)
  5    the run did not finish: its output could not be written (a closed pipe, a full
       disk) or its input could not be read to the end; the summary says how far it got
  129, 130, 143
       stopped by SIGHUP, SIGINT (Ctrl-C) or SIGTERM: the reports done so far were written,
       in input order; a second signal stops at once";

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
    #[command(after_help = CHECK_EXAMPLES)]
    Check(Box<CheckArgs>),
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

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A DNS name; a leading "*." asks about a wildcard certificate. Unicode names are
    /// checked in punycode; any case; a trailing dot is accepted
    #[arg(value_name = "NAME", required_unless_present = "input")]
    pub names: Vec<String>,

    /// The CA's CAA identifying domain, compared exactly with each record's issuer
    #[arg(
        long,
        value_name = "DOMAIN",
        default_value = LETS_ENCRYPT,
        help_heading = "Who asks"
    )]
    pub ca: String,

    /// The ACME account that will request the certificate. Without it, the requester is a
    /// platform's own unknown account, and a record restricted by accounturi does not count
    #[arg(long, value_name = "URI", help_heading = "Who asks")]
    pub account_uri: Option<String>,

    /// The validation method: http-01, dns-01 or tls-alpn-01. Without it, a record restricted
    /// by validationmethods counts if it admits http-01 or tls-alpn-01 (dns-01 for a wildcard)
    #[arg(long, value_name = "M", help_heading = "Who asks")]
    pub method: Option<Method>,

    #[command(flatten)]
    pub dns: DnsArgs,

    /// Judge CAA alone: skip the CA's name policy (public suffixes, names outside the public
    /// TLDs, reserved labels), for private test zones such as .test
    #[arg(long, help_heading = "Who asks")]
    pub no_name_policy: bool,

    /// A CAA record, as a zone-file line, assumed present on top of what DNS returns
    /// ('example.com. CAA 0 issue "letsencrypt.org"'); repeatable. The report says it is
    /// hypothetical
    #[arg(long, value_name = "RECORD", value_parser = parse_assumed_present, help_heading = "What-if")]
    pub assume: Vec<Assumption>,

    /// A CAA record, as a zone-file line, assumed absent from what DNS returns;
    /// repeatable
    #[arg(long, value_name = "RECORD", value_parser = parse_assumed_absent, help_heading = "What-if")]
    pub assume_absent: Vec<Assumption>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Also check the names in FILE ('-' for standard input), after any NAME: one per line;
    /// blank lines and # comments skipped. A line that is not a valid name gets an "invalid"
    /// result in its place and the run goes on; a summary goes to stderr at the end
    #[arg(long, value_name = "FILE", help_heading = "Audits")]
    pub input: Option<String>,

    /// Queries in flight at most (each distinct name is asked once per run)
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=65_536), help_heading = "Audits")]
    pub concurrency: u32,

    /// Queries per second at most, for a polite audit (default: no cap)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Audits")]
    pub qps: Option<u32>,

    /// Seconds each name's lookups may take in all; what is unanswered by then is a timeout
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_seconds, help_heading = "Audits")]
    pub deadline: Duration,
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

/// A check as typed, validated: everything but what the environment supplies.
#[derive(Debug)]
pub struct CheckRequest {
    /// The names given as arguments, checked first.
    pub names: Vec<CheckName>,
    pub requester: Requester,
    pub assumptions: Vec<Assumption>,
    pub dns: DnsArgs,
    /// Queries in flight at most, and per second.
    pub concurrency: usize,
    pub qps: Option<u32>,
    pub deadline: Duration,
    pub input: Option<Source>,
    pub output: OutputArgs,
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
    #[error("--input {0} is a directory; expected a file of names, or - for standard input")]
    InputIsDirectory(String),
    #[error(
        "invalid --account-uri {0:?}: expected an absolute URI without spaces or ';', such as https://acme-v02.api.letsencrypt.org/acme/acct/123"
    )]
    InvalidAccountUri(String),
    #[error("{0}; pass --nameserver IP")]
    NoNameservers(String),
}

impl CheckArgs {
    pub fn validate(self) -> Result<CheckRequest, UsageError> {
        let names = self
            .names
            .iter()
            .map(|input| {
                CheckName::parse(input).map_err(|error| UsageError::InvalidName {
                    input: input.clone(),
                    error,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some((name, reason)) = names
            .iter()
            .find_map(|name| Some((name, wildcard_method_refusal(name, self.method)?)))
        {
            return Err(UsageError::WildcardMethod {
                name: name.to_string(),
                reason,
            });
        }
        // `--ca` as issue values spell a CA: `LetsEncrypt.org.` is `letsencrypt.org`.
        let ca = CheckName::plain_domain(&self.ca)
            .ok_or_else(|| UsageError::InvalidCa(self.ca.clone()))?;
        if let Some(both) = self.assume.iter().find(|present| {
            self.assume_absent
                .iter()
                .any(|absent| absent.record == present.record && absent.owner == present.owner)
        }) {
            return Err(UsageError::ContradictoryAssumption(format!(
                "'{}'",
                zone_line(&both.owner, &both.record)
            )));
        }
        if let Some(uri) = &self.account_uri
            && !(is_token(uri) && uri.contains("://"))
        {
            return Err(UsageError::InvalidAccountUri(uri.clone()));
        }
        Ok(CheckRequest {
            names,
            requester: Requester {
                ca,
                account_uri: self.account_uri,
                method: self.method,
                name_policy: !self.no_name_policy,
            },
            assumptions: self.assume.into_iter().chain(self.assume_absent).collect(),
            dns: self.dns,
            concurrency: self.concurrency as usize,
            qps: self.qps,
            deadline: self.deadline,
            input: self.input.as_deref().map(Source::from_arg),
            output: self.output,
        })
    }
}

/// Non-empty printable ASCII without spaces or `;`: what can stand in a CAA issue value.
fn is_token(text: &str) -> bool {
    !text.is_empty() && is_parameter_value(text.as_bytes())
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

fn parse_assumed_present(line: &str) -> Result<Assumption, String> {
    parse_assumption(line, true)
}

fn parse_assumed_absent(line: &str) -> Result<Assumption, String> {
    parse_assumption(line, false)
}

fn parse_assumption(line: &str, present: bool) -> Result<Assumption, String> {
    let (owner, record) = parse_zone_line(line).map_err(|error| {
        format!("{error}; expected a zone-file line such as 'example.com. CAA 0 issue \"letsencrypt.org\"'")
    })?;
    Ok(Assumption {
        owner,
        record,
        present,
    })
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
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

    fn args(names: &[&str]) -> CheckArgs {
        CheckArgs {
            names: names.iter().map(|n| n.to_string()).collect(),
            ca: "letsencrypt.org".into(),
            account_uri: None,
            method: None,
            dns: DnsArgs {
                nameservers: vec!["127.0.0.1:53".parse().unwrap()],
                timeout: Duration::from_secs(1),
                retries: 0,
            },
            input: None,
            concurrency: 64,
            qps: None,
            deadline: Duration::from_secs(30),
            assume: vec![],
            assume_absent: vec![],
            output: OutputArgs {
                json: false,
                color: ColorChoice::Never,
                verbose: false,
                quiet: false,
            },
            no_name_policy: false,
        }
    }

    #[test]
    fn an_invalid_name_is_named_in_the_error() {
        let error = args(&["ok.example", "192.0.2.1"]).validate().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid name \"192.0.2.1\": CAA does not apply to IP addresses: a CA checks no CAA records for an IP certificate"
        );
    }

    #[test]
    fn rule_31_a_wildcard_cannot_be_checked_with_http_01() {
        let mut wild = args(&["*.example.com"]);
        wild.method = Some(Method::Http01);
        assert!(matches!(
            wild.validate(),
            Err(UsageError::WildcardMethod { .. })
        ));
        let mut dns = args(&["*.example.com"]);
        dns.method = Some(Method::Dns01);
        assert!(dns.validate().is_ok());
    }

    #[test]
    fn account_uris_and_ca_domains_must_fit_in_a_caa_value() {
        let mut spaced = args(&["example.com"]);
        spaced.account_uri = Some("https://x/acct/1 2".into());
        assert!(matches!(
            spaced.validate(),
            Err(UsageError::InvalidAccountUri(_))
        ));
        for bad in ["lets encrypt", "*.digicert.com", "192.0.2.1", ""] {
            let mut ca = args(&["example.com"]);
            ca.ca = bad.into();
            assert!(
                matches!(ca.validate(), Err(UsageError::InvalidCa(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_ca_domain_is_normalised_as_issue_values_spell_it() {
        let mut ca = args(&["example.com"]);
        ca.ca = "LetsEncrypt.ORG.".into();
        assert_eq!(ca.validate().unwrap().requester.ca, "letsencrypt.org");
    }

    #[test]
    fn a_record_assumed_both_present_and_absent_is_bad_usage() {
        let line = "example.com. CAA 0 issue \"letsencrypt.org\"";
        let mut both = args(&["example.com"]);
        both.assume = vec![parse_assumed_present(line).unwrap()];
        both.assume_absent = vec![parse_assumed_absent(line).unwrap()];
        let error = both.validate().unwrap_err().to_string();
        assert!(error.contains("both assumed present"), "{error}");
    }
}
