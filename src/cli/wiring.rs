//! The second step of the command line: a request as typed and validated (`args`), joined with
//! what the environment supplies (NO_COLOR and terminals, the system's resolvers, the files
//! named) into a run ready to go. This is where resolvers and jobs are built.

use std::ffi::OsStr;
use std::future::Future;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::caa::Requester;
use crate::caa::requester::LETS_ENCRYPT;
use crate::cert::Thresholds;
use crate::clock::signature_now;
use crate::commands::bundle::{BundleCheck, read_input};
use crate::commands::check::{CheckJob, Checker, SourceMode};
use crate::commands::expiry::{Expirer, ExpiryJob, ExpiryOutput, ExpiryTarget, presenting};
use crate::commands::twilio::actions::Waiting;
use crate::commands::twilio::status::StatusTarget;
use crate::commands::twilio::{StatusJob, run_alarm, run_alerts, run_request, run_upload};
use crate::commands::wait::{MOST_NAMES_AT_ONCE, WaitJob, Waiter};
use crate::diagnostics::warn;
use crate::dns::addresses::AddressResolver;
use crate::dns::delegation::Walker;
use crate::dns::roots::{iana_root_servers, read_root_hints};
use crate::dns::validation::Validator;
use crate::dns::{Resolver, Transport, system_nameservers};
use crate::dnssec::anchors::{iana_root, read_trust_anchors};
use crate::endpoint::Host;
use crate::escape::printable;
use crate::exit::ExitStatus;
use crate::render::{Format, HumanStyle};
use crate::runner::RunPlan;
use crate::runner::input::Source;
use crate::tls::{Prober, ServerNameChoice, TrustAnchors};
use crate::twilio::client::{Retry, TwilioApi};
use crate::twilio::credentials::{Environment, ProcessEnvironment, find_credentials};
use crate::twilio::hosts::Hosts;
use crate::twilio::resources::DomainSid;

use super::args::{
    BundleRequest, CheckRequest, ColorChoice, ConnectionArgs, DnsArgs, ExpiryRequest, OutputArgs,
    SourceRequest, TwilioApiArgs, TwilioCommand, TwilioStatusRequest, UsageError, WaitRequest,
    WaitingArgs,
};

/// A validated check, wired to this machine: its resolver, its report format.
pub fn check_plan(request: CheckRequest) -> Result<RunPlan<CheckJob>, UsageError> {
    refuse_input_directory(request.input.as_ref())?;
    let source = request
        .source
        .as_ref()
        .map(|source| source_mode(source, request.dns.timeout.min(SOURCE_PATIENCE)))
        .transpose()?;
    let checker = Checker {
        requester: request.requester,
        source,
        assumptions: request.assumptions,
        resolver: Resolver::new(Transport::new(
            nameservers(&request.dns)?,
            request.dns.timeout,
            request.dns.retries.saturating_add(1),
            request.concurrency,
            request.qps,
        )),
        validator: request.dnssec.as_ref().map(validator).transpose()?,
        stripping_named: AtomicBool::new(false),
        deadline: request.deadline,
    };
    let window = checker.window();
    Ok(RunPlan {
        job: CheckJob::new(checker, format(&request.output)),
        targets: request.names,
        input: request.input,
        window,
        progress: !request.output.quiet,
    })
}

/// A validated wait, wired to this machine: its walker from the roots.
pub fn wait_plan(request: WaitRequest) -> Result<RunPlan<WaitJob>, UsageError> {
    refuse_input_directory(request.input.as_ref())?;
    let walking = source_mode(&request.walk, SOURCE_PATIENCE)?;
    let waiter = Waiter {
        requester: request.requester,
        walker: walking.walker,
        patience: walking.patience,
        until: request.until,
        timeout: request.timeout,
        interval: request.interval,
        progress: !request.output.quiet,
    };
    Ok(RunPlan {
        job: WaitJob::new(waiter, format(&request.output)),
        targets: request.names,
        input: request.input,
        window: MOST_NAMES_AT_ONCE,
        // Each server's standing is the progress.
        progress: false,
    })
}

/// A validated expiry run, wired to this machine: its resolver, its trust anchors.
pub fn expiry_plan(request: ExpiryRequest) -> Result<RunPlan<ExpiryJob>, UsageError> {
    refuse_input_directory(request.input.as_ref())?;
    let targets = request
        .endpoints
        .into_iter()
        .map(|endpoint| {
            let input = endpoint.to_string();
            ExpiryTarget::new(endpoint).map_err(|reason| UsageError::InvalidHost { input, reason })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let server_name = request
        .server_name
        .map(|host| {
            let chosen = match &host {
                Host::Name(name) => ServerNameChoice::overriding(name).map_err(|e| e.to_string()),
                Host::Address(_) => presenting(&host),
            };
            chosen.map_err(|reason| UsageError::InvalidServerName {
                input: host.to_string(),
                reason,
            })
        })
        .transpose()?;
    let expirer = expirer(
        &request.connection,
        &request.dns,
        server_name,
        request.thresholds,
        request.deadline,
    )?;
    let output = if request.nagios {
        ExpiryOutput::Nagios(Mutex::default())
    } else {
        ExpiryOutput::Reports(format(&request.output))
    };
    Ok(RunPlan {
        job: ExpiryJob { expirer, output },
        targets,
        input: request.input,
        window: request.concurrency,
        progress: !request.output.quiet,
    })
}

/// What reads served chains: the resolver for host addresses, the prober, the trust anchors.
pub fn expirer(
    connection: &ConnectionArgs,
    dns: &DnsArgs,
    server_name: Option<ServerNameChoice>,
    thresholds: Thresholds,
    deadline: Duration,
) -> Result<Expirer, UsageError> {
    let resolver = AddressResolver::new(
        &nameservers(dns)?,
        dns.timeout,
        dns.retries.saturating_add(1),
    )
    .map_err(UsageError::NoNameservers)?;
    Ok(Expirer {
        resolver,
        prober: Prober::new(),
        connect_to: connection.connect_to.clone(),
        server_name,
        anchors: trust_anchors(connection.ca_file.as_deref())?,
        thresholds,
        deadline,
    })
}

/// `--ca-file`'s roots, or else the system's.
fn trust_anchors(ca_file: Option<&std::path::Path>) -> Result<TrustAnchors, UsageError> {
    let Some(path) = ca_file else {
        return TrustAnchors::platform().map_err(|error| UsageError::TrustStore(error.to_string()));
    };
    let unreadable = |reason: String| UsageError::Unreadable {
        what: "--ca-file",
        path: path.display().to_string(),
        reason,
    };
    let pem = read_input(&Source::File(path.to_owned())).map_err(|e| unreadable(e.to_string()))?;
    TrustAnchors::from_pem_file(&pem).map_err(|e| unreadable(e.to_string()))
}

/// A validated bundle check with its files read.
pub fn bundle_check(request: BundleRequest) -> Result<BundleCheck, UsageError> {
    let bundle = read_input(&request.file).map_err(|error| UsageError::Unreadable {
        what: "FILE",
        path: request.file.to_string(),
        reason: error.to_string(),
    })?;
    let key = request
        .key
        .as_ref()
        .map(|path| {
            read_input(&Source::File(path.clone())).map_err(|error| UsageError::Unreadable {
                what: "--key",
                path: path.display().to_string(),
                reason: error.to_string(),
            })
        })
        .transpose()?;
    Ok(BundleCheck {
        bundle_name: request.file.to_string(),
        bundle,
        key_name: request.key.map(|path| path.display().to_string()),
        key,
        names: request.names,
        thresholds: request.thresholds,
        format: format(&request.output),
    })
}

/// A validated `twilio status`, wired: credentials from the environment, the API's hosts, a
/// CAA checker with the platform's profile, and the served-chain reader.
fn twilio_status_plan(request: TwilioStatusRequest) -> Result<RunPlan<StatusJob>, UsageError> {
    refuse_input_directory(request.input.as_ref())?;
    let api = twilio_api(&request.api)?;
    let checker = platform_checker(&request.dns, request.name_policy)?;
    let expirer = expirer(
        &request.connection,
        &request.dns,
        None,
        request.thresholds,
        DOMAIN_DEADLINE,
    )?;
    Ok(RunPlan {
        job: StatusJob {
            api,
            checker,
            expirer,
            thresholds: request.thresholds,
            format: format(&request.output),
            refused: AtomicBool::new(false),
            silent: AtomicBool::new(false),
        },
        targets: request
            .sids
            .iter()
            .map(|sid| StatusTarget::parse(sid))
            .collect(),
        input: request.input,
        window: request.concurrency,
        progress: !request.output.quiet,
    })
}

/// CAA as Let's Encrypt checks it for a platform: its own account, http-01 or tls-alpn-01.
fn platform_checker(dns: &DnsArgs, name_policy: bool) -> Result<Checker, UsageError> {
    Ok(Checker {
        source: None,
        requester: Requester {
            ca: LETS_ENCRYPT.to_owned(),
            account_uri: None,
            method: None,
            name_policy,
        },
        assumptions: Vec::new(),
        resolver: Resolver::new(Transport::new(
            nameservers(dns)?,
            dns.timeout,
            dns.retries.saturating_add(1),
            DOMAIN_QUERIES_IN_FLIGHT,
            None,
        )),
        validator: None,
        stripping_named: AtomicBool::new(false),
        deadline: DOMAIN_DEADLINE,
    })
}

/// A `twilio` subcommand, wired: `status` runs through the runner; the others once.
pub enum TwilioRun {
    Status(Box<RunPlan<StatusJob>>),
    Once(Pin<Box<dyn Future<Output = ExitStatus> + Send>>),
}

/// Any `twilio` subcommand, validated and wired.
pub fn twilio_run(command: TwilioCommand) -> Result<TwilioRun, UsageError> {
    let domain = |text: &str| {
        DomainSid::parse(text).map_err(|reason| UsageError::InvalidDomainSid {
            input: text.to_owned(),
            reason,
        })
    };
    let waiting = |args: &WaitingArgs| Waiting {
        wait: args.wait,
        interval: args.poll_interval,
    };
    Ok(match command {
        TwilioCommand::Status(args) => {
            TwilioRun::Status(Box::new(twilio_status_plan(args.validate()?)?))
        }
        TwilioCommand::RequestManagedCert(args) => {
            let sids = args
                .sids
                .iter()
                .map(|sid| domain(sid))
                .collect::<Result<Vec<_>, _>>()?;
            TwilioRun::Once(Box::pin(run_request(
                twilio_api(&args.api)?,
                platform_checker(&args.dns, !args.no_name_policy)?,
                sids,
                args.force,
                waiting(&args.waiting),
                format(&args.output),
            )))
        }
        TwilioCommand::Upload(args) => {
            let sid = domain(&args.sid)?;
            let source = Source::from_arg(&args.file);
            let bundle = read_input(&source).map_err(|error| UsageError::Unreadable {
                what: "FILE",
                path: source.to_string(),
                reason: error.to_string(),
            })?;
            TwilioRun::Once(Box::pin(run_upload(
                twilio_api(&args.api)?,
                sid,
                (args.file.clone(), bundle),
                args.thresholds.validate()?,
                waiting(&args.waiting),
                format(&args.output),
            )))
        }
        TwilioCommand::Alarm(args) => {
            if let Some(bad) = args.emails.iter().find(|email| !email.contains('@')) {
                return Err(UsageError::InvalidEmail(bad.clone()));
            }
            TwilioRun::Once(Box::pin(run_alarm(
                twilio_api(&args.api)?,
                args.emails.clone(),
                args.webhook.clone(),
                format(&args.output),
            )))
        }
        TwilioCommand::Alerts(args) => TwilioRun::Once(Box::pin(run_alerts(
            twilio_api(&args.api)?,
            args.since,
            format(&args.output),
        ))),
    })
}

/// DNS queries in flight for a `twilio status` run: a few domains at a time need few.
const DOMAIN_QUERIES_IN_FLIGHT: usize = 16;
/// How long a domain's CAA lookups, and its served chain, may take.
const DOMAIN_DEADLINE: Duration = Duration::from_secs(30);

/// Twilio's API as the credentials and flags say: `--twilio-base-url` (else
/// CERTREADY_TWILIO_BASE_URL) or Twilio's hosts for the credentials' edge and region.
pub fn twilio_api(args: &TwilioApiArgs) -> Result<TwilioApi, UsageError> {
    let environment = ProcessEnvironment;
    let credentials = find_credentials(&environment, args.profile.as_deref())
        .map_err(|error| UsageError::Credentials(error.to_string()))?;
    let base = args
        .twilio_base_url
        .clone()
        .or_else(|| environment.variable("CERTREADY_TWILIO_BASE_URL"));
    let hosts = match base {
        Some(base) => Hosts::base(&base).map_err(|error| UsageError::BaseUrl(error.to_string()))?,
        None => {
            if credentials.region.is_some() && credentials.edge.is_none() {
                warn(
                    "a Twilio region without an edge makes hosts such as messaging.ie1.twilio.com, which Twilio retired on 2026-04-28 (its API domain migration guide); set TWILIO_EDGE too (dublin for ie1, sydney for au1)",
                );
            }
            Hosts::Twilio {
                edge: credentials.edge.clone(),
                region: credentials.region.clone(),
            }
        }
    };
    // Plain http to loopback needs no roots; https needs the system's.
    let anchors = match &hosts {
        Hosts::Base(url) if url.scheme() == "http" => TrustAnchors::default(),
        _ => TrustAnchors::platform().map_err(|error| UsageError::TrustStore(error.to_string()))?,
    };
    let retry = Retry {
        timeout: args.api_timeout,
        ..Retry::default()
    };
    TwilioApi::new(hosts, credentials, &anchors, retry).map_err(UsageError::Setup)
}

/// The text of the file a flag names, read by `parse`: one error that names the flag and the
/// file when it cannot be read, is not text, or does not parse.
fn read_text_file<T, E: std::fmt::Display>(
    what: &'static str,
    path: &std::path::Path,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, UsageError> {
    // The file's own text may be quoted in the parser's complaint: escaped, as any untrusted
    // text on a terminal.
    let unreadable = |reason: String| UsageError::Unreadable {
        what,
        path: printable(&path.display().to_string()),
        reason: printable(&reason),
    };
    let bytes = read_input(&Source::File(path.to_owned()))
        .map_err(|error| unreadable(error.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| unreadable("not text".into()))?;
    parse(&text).map_err(|error| unreadable(error.to_string()))
}

/// `--dnssec`: the validator, from IANA's root keys or the `--trust-anchor` file's records.
fn validator(trust_anchor: &Option<std::path::PathBuf>) -> Result<Validator, UsageError> {
    let anchors = match trust_anchor {
        None => vec![iana_root()],
        Some(path) => read_text_file("--trust-anchor", path, read_trust_anchors)?,
    };
    let now = signature_now();
    Ok(Validator::new(anchors, now))
}

/// How long `--source` waits for one authoritative server's reply (the CA's resolver waits
/// little before it tries another server).
const SOURCE_PATIENCE: Duration = Duration::from_secs(2);

/// `--source`: the walker from the roots (`--root-hints`, else IANA's).
fn source_mode(source: &SourceRequest, patience: Duration) -> Result<SourceMode, UsageError> {
    let servers = match &source.root_hints {
        None => iana_root_servers(),
        Some(path) => read_text_file("--root-hints", path, read_root_hints)?,
    };
    let roots = servers
        .into_iter()
        .flat_map(|server| server.addresses)
        .collect();
    Ok(SourceMode {
        walker: Walker::new(roots, source.port, patience),
        perspectives: source.perspectives,
        patience,
    })
}

/// The resolvers named, or else the system's.
pub fn nameservers(dns: &DnsArgs) -> Result<Vec<SocketAddr>, UsageError> {
    if dns.nameservers.is_empty() {
        system_nameservers().map_err(UsageError::NoNameservers)
    } else {
        Ok(dns.nameservers.clone())
    }
}

/// `--input` names a directory: bad usage, said before anything is asked.
pub fn refuse_input_directory(input: Option<&Source>) -> Result<(), UsageError> {
    match input {
        Some(Source::File(path)) if path.is_dir() => {
            Err(UsageError::InputIsDirectory(path.display().to_string()))
        }
        _ => Ok(()),
    }
}

/// How reports are written, with colour as the flag, NO_COLOR and the terminal decide.
pub fn format(output: &OutputArgs) -> Format {
    if output.json {
        Format::Json
    } else {
        Format::Human(HumanStyle {
            color: wants_color(
                output.color,
                std::env::var_os("NO_COLOR").as_deref(),
                std::io::stdout().is_terminal(),
            ),
            detail: output.detail(),
        })
    }
}

/// `auto` follows https://no-color.org: a NO_COLOR variable that is set and not empty turns
/// colour off; so does a stdout that is not a terminal. `always` and `never` override both.
fn wants_color(choice: ColorChoice, no_color: Option<&OsStr>, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && no_color.is_none_or(OsStr::is_empty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_flag_then_no_color_then_the_terminal() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(wants_color(ColorChoice::Auto, None, true));
        assert!(wants_color(ColorChoice::Auto, empty, true));
        assert!(!wants_color(ColorChoice::Auto, set, true));
        assert!(!wants_color(ColorChoice::Auto, None, false));
        assert!(wants_color(ColorChoice::Always, set, false));
        assert!(!wants_color(ColorChoice::Never, None, true));
    }

    #[test]
    fn an_input_directory_is_bad_usage() {
        let directory = Source::File(std::env::temp_dir());
        assert!(matches!(
            refuse_input_directory(Some(&directory)),
            Err(UsageError::InputIsDirectory(_))
        ));
        assert!(refuse_input_directory(Some(&Source::Stdin)).is_ok());
    }
}
