//! The `expiry` command's job: one server's chain fetched through the DNS and TLS shells
//! (address, handshake), judged by the certificate core (dates, chain, names) and checked
//! against the run's trust anchors, then rendered. `--nagios` gathers every host's result into
//! one plugin line instead of a report each.

use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::{Instant, timeout_at};

use crate::cert::{ServedDiagnosis, Thresholds, diagnose_served};
use crate::clock::unix_now;
use crate::dns::addresses::{AddressFailure, AddressResolver};
use crate::endpoint::{ConnectTo, Endpoint, Host};
use crate::exit::{Class, ExitStatus, PluginState};
use crate::render::certificate::nagios::{self, PluginEntry};
use crate::render::certificate::served;
use crate::render::{Format, InvalidKeys, render_invalid};
use crate::runner::{Job, Performed};
use crate::tls::{
    ProbeFailure, Prober, ServedChain, ServerNameChoice, TrustAnchors, TrustFailure, TrustName,
    verify_trust,
};

/// What a run probes with, shared by every host.
#[derive(Debug)]
pub struct Expirer {
    pub resolver: AddressResolver,
    pub prober: Prober,
    pub connect_to: Vec<ConnectTo>,
    /// `--servername`: the name presented and checked instead of each host's.
    pub server_name: Option<ServerNameChoice>,
    pub anchors: TrustAnchors,
    pub thresholds: Thresholds,
    /// Each host must be done within this time of its start.
    pub deadline: Duration,
}

/// One host's result: what was asked, and the served chain judged, or why none was fetched.
#[derive(Debug)]
pub struct Expiry {
    pub endpoint: Endpoint,
    /// The name sent as SNI, if any (none for an IP address).
    pub sni: Option<String>,
    /// The name the certificate must be valid for: the SNI name, or the IP address.
    pub checked_name: String,
    pub outcome: Result<Served, Unreached>,
    /// How it fares, from the outcome.
    pub class: ExpiryClass,
}

/// A chain fetched and judged.
#[derive(Debug)]
pub struct Served {
    pub chain: ServedChain,
    pub diagnosis: ServedDiagnosis,
    /// Whether the chain leads to a trusted root for the name, now.
    pub trust: Result<(), TrustFailure>,
}

/// Why no chain was fetched.
#[derive(Clone, Debug, PartialEq)]
pub enum Unreached {
    /// The host's address could not be looked up.
    Address { host: Host, failure: AddressFailure },
    /// The server at this address (the last one tried) did not serve a chain.
    Probe {
        address: SocketAddr,
        failure: ProbeFailure,
    },
    /// The address lookup was still going at the deadline.
    Deadline,
}

impl Unreached {
    /// The stable code reports give it.
    pub fn code(&self) -> &'static str {
        match self {
            Unreached::Address { failure, .. } => failure.code(),
            Unreached::Probe { failure, .. } => failure.code(),
            Unreached::Deadline => "deadline",
        }
    }
}

impl std::fmt::Display for Unreached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreached::Address { host, failure } => {
                write!(f, "cannot look up the address of {host}: {failure}")
            }
            Unreached::Probe { address, failure } => write!(f, "{failure} ({address})"),
            Unreached::Deadline => f.write_str("the address lookup did not finish by the deadline"),
        }
    }
}

/// How one host fares, counted by the summary and folded into the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiryClass {
    /// Sound: valid, trusted, for the name, not near its end.
    Ok,
    /// Expiring within `--warn-days`, or another warning.
    Warning,
    /// Expired, expiring within `--crit-days`, not for the name, or not verifiable.
    Critical,
    /// No chain could be fetched.
    Unknown,
}

impl ExpiryClass {
    /// A host's class: unreachable is unknown; a failing finding or an untrusted chain is
    /// critical; a warning is a warning.
    pub fn of(outcome: &Result<Served, Unreached>) -> ExpiryClass {
        use crate::cert::Status;
        match outcome {
            Err(_) => ExpiryClass::Unknown,
            Ok(served) => match (served.diagnosis.status, &served.trust) {
                (Status::Fails, _) | (_, Err(_)) => ExpiryClass::Critical,
                (Status::Warnings, Ok(())) => ExpiryClass::Warning,
                (Status::Ready, Ok(())) => ExpiryClass::Ok,
            },
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExpiryClass::Ok => "ok",
            ExpiryClass::Warning => "warning",
            ExpiryClass::Critical => "critical",
            ExpiryClass::Unknown => "unknown",
        }
    }

    /// The monitoring-plugin state of the same outcome.
    pub fn plugin_state(self) -> PluginState {
        match self {
            ExpiryClass::Ok => PluginState::Ok,
            ExpiryClass::Warning => PluginState::Warning,
            ExpiryClass::Critical => PluginState::Critical,
            ExpiryClass::Unknown => PluginState::Unknown,
        }
    }
}

impl Class for ExpiryClass {
    const ALL: &'static [ExpiryClass] = &[
        ExpiryClass::Ok,
        ExpiryClass::Warning,
        ExpiryClass::Critical,
        ExpiryClass::Unknown,
    ];

    fn label(self) -> &'static str {
        self.as_str()
    }

    fn status(self) -> ExitStatus {
        match self {
            ExpiryClass::Ok => ExitStatus::Success,
            ExpiryClass::Warning => ExitStatus::Warnings,
            ExpiryClass::Critical => ExitStatus::Fails,
            ExpiryClass::Unknown => ExitStatus::Undetermined,
        }
    }
}

/// A host to check, with the name its handshake presents.
#[derive(Clone, Debug)]
pub struct ExpiryTarget {
    pub endpoint: Endpoint,
    pub presented: ServerNameChoice,
}

impl ExpiryTarget {
    /// `HOST[:PORT]` as typed, presenting HOST (no SNI for an IP address).
    pub fn parse(text: &str) -> Result<ExpiryTarget, String> {
        ExpiryTarget::new(Endpoint::parse(text)?)
    }

    pub fn new(endpoint: Endpoint) -> Result<ExpiryTarget, String> {
        let presented = presenting(&endpoint.host)?;
        Ok(ExpiryTarget {
            endpoint,
            presented,
        })
    }
}

/// The name a handshake presents for `host`: a DNS name as SNI, an IP address as none.
pub fn presenting(host: &Host) -> Result<ServerNameChoice, String> {
    match host {
        Host::Name(name) => ServerNameChoice::for_host(name),
        Host::Address(address) => ServerNameChoice::for_host(&address.to_string()),
    }
    .map_err(|error| error.to_string())
}

impl Expirer {
    /// Fetches the target's chain (through `--connect-to` if a rule is for it) and judges it
    /// for the name presented (`--servername`'s, else the host's).
    pub async fn expiry(&self, target: ExpiryTarget) -> Expiry {
        let choice = self.server_name.clone().unwrap_or(target.presented);
        let checked_name = match &choice {
            ServerNameChoice::Ip(address) => address.to_string(),
            other => other.sni().unwrap_or_default().to_owned(),
        };
        let deadline = Instant::now() + self.deadline;
        let outcome = self
            .fetch(&target.endpoint, &choice, deadline)
            .await
            .map(|chain| {
                let now = unix_now();
                let names = [checked_name.clone()];
                Served {
                    diagnosis: diagnose_served(
                        &chain.certificates,
                        &names,
                        self.anchors.subjects(),
                        self.thresholds,
                        now,
                    ),
                    trust: verify_trust(
                        &chain.certificates,
                        &TrustName::from(&choice),
                        &self.anchors,
                        now,
                    ),
                    chain,
                }
            });
        Expiry {
            endpoint: target.endpoint,
            sni: choice.sni().map(str::to_owned),
            checked_name,
            class: ExpiryClass::of(&outcome),
            outcome,
        }
    }

    /// The chain from the first address that accepts a connection; a server that accepts
    /// and then fails the handshake is the answer, not a reason to try the next.
    async fn fetch(
        &self,
        endpoint: &Endpoint,
        choice: &ServerNameChoice,
        deadline: Instant,
    ) -> Result<ServedChain, Unreached> {
        let (host, port) = self
            .connect_to
            .iter()
            .find_map(|rule| rule.redirect(endpoint))
            .unwrap_or_else(|| (endpoint.host.clone(), endpoint.port));
        let addresses = match &host {
            Host::Address(address) => vec![*address],
            Host::Name(name) => match timeout_at(deadline, self.resolver.addresses(name)).await {
                Err(_) => return Err(Unreached::Deadline),
                Ok(Err(failure)) => return Err(Unreached::Address { host, failure }),
                Ok(Ok(addresses)) => addresses,
            },
        };
        let mut last = Unreached::Deadline;
        for address in addresses {
            let address = SocketAddr::new(address, port);
            match self
                .prober
                .fetch_chain(address, choice.clone(), deadline)
                .await
            {
                Ok(chain) => return Ok(chain),
                Err(failure) => {
                    let next_address_may_do = matches!(
                        failure,
                        ProbeFailure::Refused | ProbeFailure::Unreachable(_)
                    );
                    last = Unreached::Probe { address, failure };
                    if !next_address_may_do {
                        break;
                    }
                }
            }
        }
        Err(last)
    }
}

/// How an `expiry` run reports: a report per host, or `--nagios`'s one line for all, its
/// entries gathered as hosts finish.
#[derive(Debug)]
pub enum ExpiryOutput {
    Reports(Format),
    Nagios(Mutex<Vec<PluginEntry>>),
}

/// `expiry` as a job of the runner.
#[derive(Debug)]
pub struct ExpiryJob {
    pub expirer: Expirer,
    pub output: ExpiryOutput,
}

/// The JSON keys of an invalid line in `expiry`'s report.
const INVALID_KEYS: InvalidKeys = InvalidKeys {
    target: "host",
    class: "status",
};

impl ExpiryJob {
    /// Keeps a plugin entry for the final line; a poisoned lock (a panic elsewhere) still
    /// takes it.
    fn gather(entries: &Mutex<Vec<PluginEntry>>, entry: PluginEntry) {
        entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry);
    }
}

impl Job for ExpiryJob {
    type Target = ExpiryTarget;
    type Class = ExpiryClass;
    const NOUN: &'static str = "host";

    fn parse(text: &str) -> Result<ExpiryTarget, String> {
        ExpiryTarget::parse(text)
    }

    /// The host's report; under `--nagios`, nothing yet: its entry waits for the final line.
    async fn perform(&self, target: ExpiryTarget, line: Option<u64>) -> Performed<ExpiryClass> {
        let expiry = self.expirer.expiry(target).await;
        let text = match &self.output {
            ExpiryOutput::Reports(format) => served::render(&expiry, line, *format),
            ExpiryOutput::Nagios(entries) => {
                Self::gather(entries, nagios::entry(&expiry));
                String::new()
            }
        };
        Performed {
            class: Some(expiry.class),
            text,
        }
    }

    fn render_invalid(&self, line: u64, input: &str, reason: &str) -> String {
        match &self.output {
            ExpiryOutput::Reports(format) => {
                render_invalid(Some(line), input, reason, INVALID_KEYS, *format)
            }
            ExpiryOutput::Nagios(entries) => {
                Self::gather(entries, nagios::invalid_entry(line, input, reason));
                String::new()
            }
        }
    }

    /// `--nagios`: the one line, once every host is done.
    fn closing(&self) -> Option<String> {
        let ExpiryOutput::Nagios(entries) = &self.output else {
            return None;
        };
        let entries = entries.lock().unwrap_or_else(PoisonError::into_inner);
        Some(nagios::render(
            &entries,
            plugin_state(&entries),
            self.expirer.thresholds,
        ))
    }

    /// `--nagios`: the worst host's plugin state, in place of the usual exit status.
    fn after_run(&self) -> Option<ExitStatus> {
        let ExpiryOutput::Nagios(entries) = &self.output else {
            return None;
        };
        let entries = entries.lock().unwrap_or_else(PoisonError::into_inner);
        Some(ExitStatus::Plugin(plugin_state(&entries)))
    }
}

/// The worst entry's state; UNKNOWN when nothing was checked.
fn plugin_state(entries: &[PluginEntry]) -> PluginState {
    entries
        .iter()
        .map(|entry| entry.state)
        .max()
        .unwrap_or(PluginState::Unknown)
}
