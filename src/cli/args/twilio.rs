//! `twilio`'s command line: the subcommands, the credentials and API flags they share, and
//! their validation.

use std::time::Duration;

use clap::{Args, Subcommand};

use crate::cert::Thresholds;
use crate::runner::input::Source;
use crate::twilio::resources::DomainSid;

use super::certificate::{ConnectionArgs, ThresholdArgs};
use super::{DnsArgs, OutputArgs, UsageError, parse_seconds};

pub(super) const TWILIO_EXAMPLES: &str = "\
Credentials, as twilio-cli reads them: TWILIO_ACCOUNT_SID with TWILIO_API_KEY and
TWILIO_API_SECRET (or TWILIO_AUTH_TOKEN); else the active twilio-cli profile
($TWILIO_CONFIG_DIR/config.json, default ~/.twilio-cli), or --profile NAME.";

pub(super) const STATUS_EXAMPLES: &str = "\
Examples:
  certready twilio status DN0123456789abcdef0123456789abcdef
  certready twilio status --input domain-sids.txt --json > status.jsonl
  certready twilio status DN0123456789abcdef0123456789abcdef --profile prod --warn-days 21

Finding codes (JSON findings[].code): caa-blocks-renewal, expired, expires-soon,
in-validation, managed-request-pending, served-differs, served-unreachable, dns-invalid,
continue-on-failure-off, domain-not-found, api-error.

Exit status:
  0    every domain ok
  1    at least one domain critical (renewal blocked by CAA, expired, within --crit-days,
       DNS invalid)
  2    bad usage, a malformed DOMAIN_SID, or credentials missing or refused (401)
  3    nothing critical, but a domain could not be determined (not found, API error)
  4    warnings only
  5    the run did not finish; 129, 130, 143: stopped by a signal";

#[derive(Debug, Subcommand)]
pub enum TwilioCommand {
    /// Twilio's view of each Link Shortening domain beside the world's: certificate, CAA,
    /// the certificate served, DNS and configuration, with what to do
    #[command(after_help = STATUS_EXAMPLES)]
    Status(Box<TwilioStatusArgs>),
}

/// How to reach Twilio: shared by every `twilio` subcommand.
#[derive(Clone, Debug, Args)]
pub struct TwilioApiArgs {
    /// The twilio-cli profile to use, over the TWILIO_* variables and the active profile
    #[arg(long, value_name = "NAME", help_heading = "Twilio")]
    pub profile: Option<String>,

    /// Send every request to this base URL instead of Twilio's hosts (a proxy, a test
    /// double); also CERTREADY_TWILIO_BASE_URL. http:// only for a loopback address
    #[arg(long, value_name = "URL", help_heading = "Twilio")]
    pub twilio_base_url: Option<String>,

    /// Seconds each API request may take; it is tried up to three times
    #[arg(long, value_name = "SECS", default_value = "15", value_parser = parse_seconds, help_heading = "Twilio")]
    pub api_timeout: Duration,
}

#[derive(Debug, Args)]
pub struct TwilioStatusArgs {
    /// A Link Shortening domain SID (DN and 32 hexadecimal digits)
    #[arg(value_name = "DOMAIN_SID", required_unless_present = "input")]
    pub sids: Vec<String>,

    #[command(flatten)]
    pub api: TwilioApiArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten)]
    pub thresholds: ThresholdArgs,

    #[command(flatten)]
    pub dns: DnsArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Also check the domain SIDs in FILE ('-' for standard input), one per line; a line that
    /// is not a SID gets an "invalid" result in its place
    #[arg(long, value_name = "FILE", help_heading = "Audits")]
    pub input: Option<String>,

    /// Domains checked at once at most
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64), help_heading = "Audits")]
    pub concurrency: u32,
}

/// A status run as typed, validated.
#[derive(Debug)]
pub struct TwilioStatusRequest {
    pub sids: Vec<DomainSid>,
    pub api: TwilioApiArgs,
    pub connection: ConnectionArgs,
    pub thresholds: Thresholds,
    pub dns: DnsArgs,
    pub output: OutputArgs,
    pub input: Option<Source>,
    pub concurrency: usize,
}

impl TwilioStatusArgs {
    pub fn validate(self) -> Result<TwilioStatusRequest, UsageError> {
        let sids = self
            .sids
            .iter()
            .map(|input| {
                DomainSid::parse(input).map_err(|reason| UsageError::InvalidDomainSid {
                    input: input.clone(),
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TwilioStatusRequest {
            sids,
            api: self.api,
            connection: self.connection,
            thresholds: self.thresholds.validate()?,
            dns: self.dns,
            output: self.output,
            input: self.input.as_deref().map(Source::from_arg),
            concurrency: self.concurrency as usize,
        })
    }
}
