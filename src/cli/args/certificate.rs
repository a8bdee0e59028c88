//! `bundle`'s and `expiry`'s command lines: their flags, the thresholds they share, and their
//! validation into a `BundleRequest` and an `ExpiryRequest`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::cert::Thresholds;
use crate::endpoint::{ConnectTo, Endpoint, Host};
use crate::name::CheckName;
use crate::runner::input::Source;

use super::{DnsArgs, OutputArgs, UsageError, parse_seconds};

pub(super) const BUNDLE_EXAMPLES: &str = "\
Examples:
  certready bundle fullchain.pem --key privkey.pem --name links.example.com
  certready bundle tlscert.pem            # chain and key concatenated, as one TlsCert value
  certready bundle fullchain.pem --key privkey.pem --warn-days 45 --json

What it checks: exact PEM framing (BEGIN/END lines, no BOM, no CRLF, no stray text), a PKCS #8
key that matches the leaf, the chain leaf first with each issuer after it and the root at the
end, every certificate within its dates, and with --name that the leaf covers each name.

Exit status:
  0    ready to upload
  1    a problem that makes the upload fail or the certificate unusable
  2    bad usage, or FILE or --key cannot be read
  4    warnings only (expiring within --warn-days, no root, CRLF line ends, stray text)";

pub(super) const EXPIRY_EXAMPLES: &str = "\
Examples:
  certready expiry links.example.com
  certready expiry example.com:8443 [2001:db8::443]:443 192.0.2.10 --json
  certready expiry links.example.com --connect-to links.example.com:443:192.0.2.10:443
  certready expiry internal.example --ca-file private-root.pem --warn-days 45
  certready expiry --input hosts.txt --json --quiet > expiry.jsonl
  certready expiry links.example.com --nagios     # one monitoring-plugin line

Exit status:
  0    every certificate sound
  1    at least one expired, expiring within --crit-days, not valid for the name, or not
       verifiable (unknown issuer, missing intermediate, broken chain)
  2    bad usage or an invalid HOST, or an --input line that is not a valid host
  3    nothing critical, but at least one server could not be reached or handshaken with
  4    warnings only (expiring within --warn-days, a chain served out of order or with
       certificates it need not send)
  5    the run did not finish (output or input failed); 129, 130, 143: stopped by a signal
  With --nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, as monitoring plugins do.";

/// When a certificate's end is near enough to say so: shared by `bundle` and `expiry`.
#[derive(Clone, Copy, Debug, Args)]
pub struct ThresholdArgs {
    /// A leaf that expires in fewer than N days is a warning [default: 30, or --crit-days
    /// when that is more]
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    pub warn_days: Option<u32>,

    /// A leaf that expires in fewer than N days is a failure (expired always is)
    #[arg(
        long,
        value_name = "N",
        default_value_t = 7,
        help_heading = "Thresholds"
    )]
    pub crit_days: u32,
}

impl ThresholdArgs {
    /// The thresholds; a `--crit-days` above the default warning threshold raises it, but
    /// one above a `--warn-days` given is a contradiction.
    pub fn validate(self) -> Result<Thresholds, UsageError> {
        let default = Thresholds::default().warn_days;
        let warn_days = match self.warn_days {
            Some(warn) if self.crit_days > warn => {
                return Err(UsageError::Thresholds {
                    warn,
                    crit: self.crit_days,
                });
            }
            Some(warn) => warn,
            None => default.max(self.crit_days),
        };
        Ok(Thresholds {
            warn_days,
            crit_days: self.crit_days,
        })
    }
}

#[derive(Debug, Args)]
pub struct BundleArgs {
    /// The PEM file to check: the chain, leaf first, and the private key if it is uploaded in
    /// the same value ('-' for standard input)
    #[arg(value_name = "FILE")]
    pub file: String,

    /// The private key's PEM file, when it is not in FILE
    #[arg(long, value_name = "KEYFILE")]
    pub key: Option<String>,

    /// A name the certificate must cover (its subject alternative names; wildcards as RFC 6125
    /// matches them); repeatable
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,

    #[command(flatten)]
    pub thresholds: ThresholdArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// A bundle check as typed, validated.
#[derive(Debug)]
pub struct BundleRequest {
    pub file: Source,
    pub key: Option<PathBuf>,
    /// ASCII names and IP address literals.
    pub names: Vec<String>,
    pub thresholds: Thresholds,
    pub output: OutputArgs,
}

impl BundleArgs {
    pub fn validate(self) -> Result<BundleRequest, UsageError> {
        let names = self
            .names
            .iter()
            .map(|input| {
                covered_name(input).map_err(|reason| UsageError::InvalidCoveredName {
                    input: input.clone(),
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BundleRequest {
            file: Source::from_arg(&self.file),
            key: self.key.map(PathBuf::from),
            names,
            thresholds: self.thresholds.validate()?,
            output: self.output,
        })
    }
}

/// A name a certificate is to cover, as the certificate spells it: an IP address, or an ASCII
/// DNS name (a leading `*.` kept).
fn covered_name(input: &str) -> Result<String, String> {
    if let Ok(address) = input.parse::<IpAddr>() {
        return Ok(address.to_string());
    }
    CheckName::parse(input)
        .map(|name| name.to_string())
        .map_err(|error| error.to_string())
}

/// How servers are reached and trusted: shared by every command that reads a served chain.
#[derive(Clone, Debug, Args)]
pub struct ConnectionArgs {
    /// Connect to ADDR:PORT instead, for HOST:PORT, as curl's --connect-to (an empty HOST or
    /// PORT matches any; an empty ADDR or PORT keeps the original); repeatable
    #[arg(long, value_name = "HOST:PORT:ADDR:PORT", value_parser = ConnectTo::parse, help_heading = "Connection")]
    pub connect_to: Vec<ConnectTo>,

    /// Trust the roots in this PEM file instead of the system's (a private CA)
    #[arg(long, value_name = "FILE", help_heading = "Connection")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExpiryArgs {
    /// A TLS server: HOST or HOST:PORT (port 443 by default; an IPv6 address in brackets
    /// when a port follows it)
    #[arg(value_name = "HOST[:PORT]", required_unless_present = "input")]
    pub hosts: Vec<String>,

    /// The name to send as SNI and check the certificate for, instead of HOST (which sends
    /// none when it is an IP address)
    #[arg(long, value_name = "NAME", help_heading = "Connection")]
    pub servername: Option<String>,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten)]
    pub thresholds: ThresholdArgs,

    #[command(flatten)]
    pub dns: DnsArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Print one monitoring-plugin status line with performance data (days_left) for all
    /// hosts (arguments and --input), and exit 0 OK, 1 WARNING, 2 CRITICAL or 3 UNKNOWN; a run
    /// that cannot start prints an UNKNOWN line
    #[arg(long, conflicts_with = "json", help_heading = "Output")]
    pub nagios: bool,

    /// Also check the hosts in FILE ('-' for standard input), after any HOST: one per line;
    /// blank lines and # comments skipped. A line that is not a valid host gets an "invalid"
    /// result in its place and the run goes on; a summary goes to stderr at the end
    #[arg(long, value_name = "FILE", help_heading = "Audits")]
    pub input: Option<String>,

    /// Hosts checked at once at most
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096), help_heading = "Audits")]
    pub concurrency: u32,

    /// Seconds each host may take in all (address lookup, connection, handshake); a server
    /// still silent by then could not be checked. (--timeout bounds each DNS query only.)
    #[arg(long, value_name = "SECS", default_value = "15", value_parser = parse_seconds, help_heading = "Audits")]
    pub deadline: Duration,
}

/// An expiry run as typed, validated.
#[derive(Debug)]
pub struct ExpiryRequest {
    /// The hosts given as arguments, checked first.
    pub endpoints: Vec<Endpoint>,
    /// `--servername`: a DNS name or an IP address.
    pub server_name: Option<Host>,
    pub connection: ConnectionArgs,
    pub thresholds: Thresholds,
    pub dns: DnsArgs,
    pub output: OutputArgs,
    pub nagios: bool,
    pub input: Option<Source>,
    pub concurrency: usize,
    pub deadline: Duration,
}

impl ExpiryArgs {
    pub fn validate(self) -> Result<ExpiryRequest, UsageError> {
        let endpoints = self
            .hosts
            .iter()
            .map(|input| {
                Endpoint::parse(input).map_err(|reason| UsageError::InvalidHost {
                    input: input.clone(),
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let server_name = self
            .servername
            .map(|input| {
                Host::parse(&input).map_err(|reason| UsageError::InvalidServerName {
                    input: input.clone(),
                    reason,
                })
            })
            .transpose()?;
        Ok(ExpiryRequest {
            endpoints,
            server_name,
            connection: self.connection,
            thresholds: self.thresholds.validate()?,
            dns: self.dns,
            output: self.output,
            nagios: self.nagios,
            input: self.input.as_deref().map(Source::from_arg),
            concurrency: self.concurrency as usize,
            deadline: self.deadline,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_critical_threshold_above_a_warning_one_given_is_bad_usage() {
        let thresholds = |warn_days, crit_days| ThresholdArgs {
            warn_days,
            crit_days,
        };
        assert!(thresholds(Some(30), 7).validate().is_ok());
        assert!(thresholds(Some(7), 7).validate().is_ok());
        assert!(matches!(
            thresholds(Some(7), 30).validate(),
            Err(UsageError::Thresholds { warn: 7, crit: 30 })
        ));
        // --crit-days alone above the default warning threshold raises it.
        let raised = thresholds(None, 40).validate().unwrap();
        assert_eq!((raised.warn_days, raised.crit_days), (40, 40));
        assert_eq!(thresholds(None, 7).validate().unwrap().warn_days, 30);
    }

    #[test]
    fn covered_names_are_spelled_as_certificates_spell_them() {
        assert_eq!(covered_name("*.Example.COM."), Ok("*.example.com".into()));
        assert_eq!(
            covered_name("bücher.example"),
            Ok("xn--bcher-kva.example".into())
        );
        assert_eq!(covered_name("2001:DB8::1"), Ok("2001:db8::1".into()));
        assert!(covered_name("a..b").is_err());
    }
}
