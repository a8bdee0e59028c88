//! `check`'s command line: its flags, and its validation into a `CheckRequest`.

use std::time::Duration;

use clap::Args;

use crate::caa::assume::Assumption;
use crate::caa::issue_value::is_parameter_value;
use crate::caa::methods::wildcard_method_refusal;
use crate::caa::requester::LETS_ENCRYPT;
use crate::caa::zone::{parse_zone_line, zone_line};
use crate::caa::{Method, Requester};
use crate::name::CheckName;
use crate::runner::input::Source;

use super::{DnsArgs, OutputArgs, UsageError, parse_seconds};

pub(super) const CHECK_EXAMPLES: &str = "\
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
  certready check links.example.com --source        # ask every authoritative server directly
  certready check links.example.com --dnssec        # validate DNSSEC as the CA does

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

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A DNS name; a leading "*." asks about a wildcard certificate. Unicode names are
    /// checked in punycode; any case; a trailing dot is accepted
    #[arg(value_name = "NAME", required_unless_present = "input")]
    pub names: Vec<String>,

    #[command(flatten)]
    pub requester: RequesterArgs,

    #[command(flatten)]
    pub dns: DnsArgs,

    /// A CAA record, as a zone-file line, assumed present on top of what DNS returns
    /// ('example.com. CAA 0 issue "letsencrypt.org"'); repeatable. The report says it is
    /// hypothetical
    #[arg(long, value_name = "RECORD", value_parser = parse_assumed_present, help_heading = "What-if")]
    pub assume: Vec<Assumption>,

    /// A CAA record, as a zone-file line, assumed absent from what DNS returns;
    /// repeatable
    #[arg(long, value_name = "RECORD", value_parser = parse_assumed_absent, help_heading = "What-if")]
    pub assume_absent: Vec<Assumption>,

    /// Ask every authoritative server directly, walking from the root as the CA's resolver
    /// does, and say what each serves and what the CA's perspectives will likely meet
    #[arg(long, help_heading = "Source")]
    pub source: bool,

    #[command(flatten)]
    pub walk: WalkArgs,

    /// Remote perspectives the CA corroborates from (Let's Encrypt: 4; one may fail)
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=16), help_heading = "Source")]
    pub perspectives: u32,

    /// Validate DNSSEC as the CA does, from the root's keys: a bogus answer is a failure with
    /// its reason, never "no records", even through a resolver that does not validate
    #[arg(long, help_heading = "DNSSEC")]
    pub dnssec: bool,

    /// Trust anchors for --dnssec instead of IANA's root keys: DS or DNSKEY records in
    /// zone-file form (as unbound's trust-anchor-file), for private or test roots
    #[arg(long, value_name = "FILE", help_heading = "DNSSEC")]
    pub trust_anchor: Option<std::path::PathBuf>,

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
    /// `--source`: how to walk and whom to ask.
    pub source: Option<SourceRequest>,
    /// `--dnssec`: the trust-anchor file, if not IANA's root keys.
    pub dnssec: Option<Option<std::path::PathBuf>>,
}

/// `--source` as typed.
#[derive(Debug)]
pub struct SourceRequest {
    pub root_hints: Option<std::path::PathBuf>,
    pub perspectives: u32,
    pub port: u16,
}

/// Who asks for the certificate: shared by `check` and `wait`.
#[derive(Debug, Args)]
pub struct RequesterArgs {
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

    /// Judge CAA alone: skip the CA's name policy (public suffixes, names outside the public
    /// TLDs, reserved labels), for private test zones such as .test
    #[arg(long, help_heading = "Who asks")]
    pub no_name_policy: bool,
}

impl RequesterArgs {
    /// The requester, and `inputs` read as names it may ask about.
    pub fn validate(self, inputs: &[String]) -> Result<(Requester, Vec<CheckName>), UsageError> {
        let names = inputs
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
        if let Some(uri) = &self.account_uri
            && !(is_token(uri) && uri.contains("://"))
        {
            return Err(UsageError::InvalidAccountUri(uri.clone()));
        }
        let requester = Requester {
            ca,
            account_uri: self.account_uri,
            method: self.method,
            name_policy: !self.no_name_policy,
        };
        Ok((requester, names))
    }
}

/// How the walk from the root goes: shared by `check --source` and `wait`.
#[derive(Debug, Args)]
pub struct WalkArgs {
    /// Root hints in zone-file form (as named.root), instead of IANA's built in
    #[arg(long, value_name = "FILE", help_heading = "Source")]
    pub root_hints: Option<std::path::PathBuf>,

    /// For testing: ask every authoritative server on this port instead of 53 (glue carries
    /// addresses only; a test universe on loopback uses one port)
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..), help_heading = "Source")]
    pub authoritative_port: Option<u16>,
}

impl WalkArgs {
    pub(super) fn is_given(&self) -> Option<&'static str> {
        if self.root_hints.is_some() {
            Some("--root-hints")
        } else if self.authoritative_port.is_some() {
            Some("--authoritative-port")
        } else {
            None
        }
    }

    pub fn request(self, perspectives: u32) -> SourceRequest {
        SourceRequest {
            root_hints: self.root_hints,
            perspectives,
            port: self.authoritative_port.unwrap_or(53),
        }
    }
}

impl CheckArgs {
    pub fn validate(self) -> Result<CheckRequest, UsageError> {
        let (requester, names) = self.requester.validate(&self.names)?;
        if !self.source
            && let Some(flag) = self.walk.is_given()
        {
            return Err(UsageError::NeedsSource(flag));
        }
        if !self.dnssec && self.trust_anchor.is_some() {
            return Err(UsageError::NeedsDnssec("--trust-anchor"));
        }
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
        Ok(CheckRequest {
            names,
            requester,
            assumptions: self.assume.into_iter().chain(self.assume_absent).collect(),
            dns: self.dns,
            concurrency: self.concurrency as usize,
            qps: self.qps,
            deadline: self.deadline,
            input: self.input.as_deref().map(Source::from_arg),
            output: self.output,
            source: self.source.then(|| self.walk.request(self.perspectives)),
            dnssec: self.dnssec.then_some(self.trust_anchor),
        })
    }
}

/// Non-empty printable ASCII without spaces or `;`: what can stand in a CAA issue value.
fn is_token(text: &str) -> bool {
    !text.is_empty() && is_parameter_value(text.as_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::ColorChoice;

    fn args(names: &[&str]) -> CheckArgs {
        CheckArgs {
            names: names.iter().map(|n| n.to_string()).collect(),
            requester: RequesterArgs {
                ca: "letsencrypt.org".into(),
                account_uri: None,
                method: None,
                no_name_policy: false,
            },
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
            source: false,
            walk: WalkArgs {
                root_hints: None,
                authoritative_port: None,
            },
            perspectives: 4,
            dnssec: false,
            trust_anchor: None,
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
        wild.requester.method = Some(Method::Http01);
        assert!(matches!(
            wild.validate(),
            Err(UsageError::WildcardMethod { .. })
        ));
        let mut dns = args(&["*.example.com"]);
        dns.requester.method = Some(Method::Dns01);
        assert!(dns.validate().is_ok());
    }

    #[test]
    fn account_uris_and_ca_domains_must_fit_in_a_caa_value() {
        let mut spaced = args(&["example.com"]);
        spaced.requester.account_uri = Some("https://x/acct/1 2".into());
        assert!(matches!(
            spaced.validate(),
            Err(UsageError::InvalidAccountUri(_))
        ));
        for bad in ["lets encrypt", "*.digicert.com", "192.0.2.1", ""] {
            let mut ca = args(&["example.com"]);
            ca.requester.ca = bad.into();
            assert!(
                matches!(ca.validate(), Err(UsageError::InvalidCa(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_ca_domain_is_normalised_as_issue_values_spell_it() {
        let mut ca = args(&["example.com"]);
        ca.requester.ca = "LetsEncrypt.ORG.".into();
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
