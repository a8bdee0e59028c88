//! `twilio`'s command line: the subcommands, the credentials and API flags they share, and
//! their validation.

use std::time::Duration;

use clap::{Args, Subcommand};

use crate::cert::Thresholds;
use crate::runner::input::Source;

use super::certificate::{ConnectionArgs, ThresholdArgs};
use super::{DnsArgs, OutputArgs, UsageError, parse_duration, parse_seconds};

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
  2    bad usage, or credentials missing or refused (401, 403); or a malformed DOMAIN_SID
       (reported in its place, the others still checked) when nothing worse happened
  3    nothing critical, but a domain could not be determined (not found, API error)
  4    warnings only
  5    the run did not finish; 129, 130, 143: stopped by a signal";

pub(super) const REQUEST_EXAMPLES: &str = "\
Examples:
  certready twilio request-managed-cert DN0123456789abcdef0123456789abcdef
  certready twilio request-managed-cert DN0123456789abcdef0123456789abcdef --wait 10m

It checks CAA first, as Let's Encrypt will: a domain whose CAA records deny Let's Encrypt is
refused (exit 1, nothing sent) with the records to change, unless --force. Then it POSTs
RequestManagedCert and polls the v2 Certificate until `requesting` is false. Ctrl-C stops the
polling and undoes nothing.

Exit status: 0 issued; 1 refused (CAA); 2 bad usage or credentials refused; 3 not done within
--wait, or Twilio could not be asked; 130 stopped.";

pub(super) const UPLOAD_EXAMPLES: &str = "\
Examples:
  certready twilio upload DN0123456789abcdef0123456789abcdef tlscert.pem

FILE is the TlsCert value: the chain (leaf first, root last) and the PKCS #8 key, in PEM. It is
checked as `certready bundle FILE --name DOMAIN` checks it, and refused on any failure
(exit 1, nothing sent). Then it is POSTed, the Certificate is polled until cert_in_validation
is null (Twilio allows up to five minutes), and the new date_expires is compared with the
leaf's not-after.

Exit status: 0 uploaded and validated; 1 refused, or validated with another expiry; 2 bad usage
or credentials refused; 3 not validated within --wait, or Twilio could not be asked; 130 stopped.";

pub(super) const ALARM_EXAMPLES: &str = "\
Examples:
  certready twilio alarm --email sre@example.com
  certready twilio alarm --email sre@example.com --email oncall@example.com --webhook https://hooks.example.com/twilio

Creates the Monitor Alarm on error 30131 (certificate will expire soon) that Twilio's docs
recommend, unless one on 30131 exists already. Exit 0 created or present; 2 bad usage or
credentials refused; 3 Twilio could not be asked.";

pub(super) const ALERTS_EXAMPLES: &str = "\
Examples:
  certready twilio alerts
  certready twilio alerts --since 30d --json

Monitor alerts of the last --since (a duration: 7d, 12h, 30m; a bare number is seconds; Twilio
keeps 30 days) whose error code is 30101 to 30132 (Link Shortening), newest first. Exit 0 none;
4 some; 2 bad usage or credentials refused; 3 Twilio could not be asked.";

#[derive(Debug, Subcommand)]
pub enum TwilioCommand {
    /// Twilio's view of each Link Shortening domain beside the world's: certificate, CAA,
    /// the certificate served, DNS and configuration, with what to do
    #[command(after_help = STATUS_EXAMPLES)]
    Status(Box<TwilioStatusArgs>),
    /// Ask Twilio for a managed (Let's Encrypt) certificate, once CAA allows it, and wait for it
    #[command(after_help = REQUEST_EXAMPLES)]
    RequestManagedCert(Box<TwilioRequestArgs>),
    /// Upload a certificate bundle (TlsCert) once it passes the bundle checks, and wait for
    /// Twilio to validate it
    #[command(after_help = UPLOAD_EXAMPLES)]
    Upload(Box<TwilioUploadArgs>),
    /// Create the Monitor Alarm on 30131 (certificate will expire soon), unless one exists
    #[command(after_help = ALARM_EXAMPLES)]
    Alarm(Box<TwilioAlarmArgs>),
    /// Recent Monitor alerts about Link Shortening certificates (30101 to 30132)
    #[command(after_help = ALERTS_EXAMPLES)]
    Alerts(Box<TwilioAlertsArgs>),
}

/// How long to wait for Twilio, and how often to ask.
#[derive(Clone, Copy, Debug, Args)]
pub struct WaitingArgs {
    /// How long to wait for Twilio to finish (10s, 5m; a bare number is seconds)
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration, help_heading = "Waiting")]
    pub wait: Duration,

    /// How often to ask Twilio while waiting
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration, help_heading = "Waiting")]
    pub poll_interval: Duration,
}

#[derive(Debug, Args)]
pub struct TwilioRequestArgs {
    /// A Link Shortening domain SID (DN and 32 hexadecimal digits)
    #[arg(value_name = "DOMAIN_SID", required = true)]
    pub sids: Vec<String>,

    /// Request even when CAA does not let Let's Encrypt issue (the request will fail)
    #[arg(long)]
    pub force: bool,

    /// Judge CAA alone: skip the CA's name policy (for private test zones such as .test)
    #[arg(long)]
    pub no_name_policy: bool,

    #[command(flatten)]
    pub waiting: WaitingArgs,

    #[command(flatten)]
    pub api: TwilioApiArgs,

    #[command(flatten)]
    pub dns: DnsArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TwilioUploadArgs {
    /// The Link Shortening domain SID
    #[arg(value_name = "DOMAIN_SID")]
    pub sid: String,

    /// The PEM bundle to upload as TlsCert: chain and PKCS #8 key
    #[arg(value_name = "FILE")]
    pub file: String,

    #[command(flatten)]
    pub thresholds: ThresholdArgs,

    #[command(flatten)]
    pub waiting: WaitingArgs,

    #[command(flatten)]
    pub api: TwilioApiArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TwilioAlarmArgs {
    /// An address the alarm emails; repeatable
    #[arg(long = "email", value_name = "ADDR", required = true)]
    pub emails: Vec<String>,

    /// A URL the alarm also calls
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,

    #[command(flatten)]
    pub api: TwilioApiArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TwilioAlertsArgs {
    /// How far back to look (7d, 12h, 30m; a bare number is seconds); Twilio keeps 30 days
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
    pub since: Duration,

    #[command(flatten)]
    pub api: TwilioApiArgs,

    #[command(flatten)]
    pub output: OutputArgs,
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

    /// Judge CAA alone: skip the CA's name policy (for private test zones such as .test)
    #[arg(long)]
    pub no_name_policy: bool,

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
    /// The arguments as typed: each a SID, or an invalid entry in its place.
    pub sids: Vec<String>,
    pub name_policy: bool,
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
        Ok(TwilioStatusRequest {
            sids: self.sids,
            name_policy: !self.no_name_policy,
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
