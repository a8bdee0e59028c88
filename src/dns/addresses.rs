//! Host names to addresses, for `expiry`: A and AAAA records asked of the same resolvers
//! `check` asks (`--nameserver`, else the system's). A plain stub lookup is all this needs, so
//! hickory's resolver does it; CAA needs the lenient client of `lookup` instead. The hosts file
//! is not read, as `check` never reads it: the answer is what DNS says.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;

/// Why a host has no address to connect to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressFailure {
    #[error("the name does not exist (NXDOMAIN)")]
    NoSuchName,
    #[error("the name has no A or AAAA record")]
    NoAddress,
    #[error("no answer from the resolver (timed out)")]
    Timeout,
    #[error("the resolver answered {0}")]
    Answered(ResponseCode),
    #[error("the lookup failed: {0}")]
    Failed(String),
}

impl AddressFailure {
    /// The stable code reports give it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoSuchName => "nxdomain",
            Self::NoAddress => "no-address",
            Self::Timeout => "dns-timeout",
            Self::Answered(_) => "dns-error",
            Self::Failed(_) => "dns-failed",
        }
    }
}

/// A stub resolver for host addresses.
#[derive(Clone)]
pub struct AddressResolver {
    resolver: TokioResolver,
}

impl std::fmt::Debug for AddressResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AddressResolver")
    }
}

impl AddressResolver {
    /// Asks `servers` (UDP, TCP on truncation), each attempt waiting `timeout`.
    pub fn new(
        servers: &[SocketAddr],
        timeout: Duration,
        attempts: u32,
    ) -> Result<AddressResolver, String> {
        let name_servers = servers
            .iter()
            .map(|server| {
                let mut udp = ConnectionConfig::udp();
                udp.port = server.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = server.port();
                NameServerConfig::new(server.ip(), true, vec![udp, tcp])
            })
            .collect();
        let mut builder = TokioResolver::builder_with_config(
            ResolverConfig::from_name_servers(name_servers),
            TokioRuntimeProvider::default(),
        );
        let options = builder.options_mut();
        options.timeout = timeout;
        options.attempts = usize::try_from(attempts).unwrap_or(usize::MAX);
        options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        options.use_hosts_file = ResolveHosts::Never;
        let resolver = builder
            .build()
            .map_err(|error| format!("cannot set up the resolver: {error}"))?;
        Ok(AddressResolver { resolver })
    }

    /// The addresses of `host` (an ASCII name), IPv4 first.
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, AddressFailure> {
        // A trailing dot keeps any search domain out of it.
        let absolute = format!("{}.", host.trim_end_matches('.'));
        match self.resolver.lookup_ip(absolute.as_str()).await {
            Ok(found) => {
                let addresses: Vec<IpAddr> = found.iter().collect();
                if addresses.is_empty() {
                    Err(AddressFailure::NoAddress)
                } else {
                    Ok(addresses)
                }
            }
            Err(error) => Err(classify(&error)),
        }
    }
}

fn classify(error: &NetError) -> AddressFailure {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(no_records))
            if no_records.response_code == ResponseCode::NXDomain =>
        {
            AddressFailure::NoSuchName
        }
        NetError::Dns(DnsError::NoRecordsFound(_)) => AddressFailure::NoAddress,
        NetError::Dns(DnsError::ResponseCode(code)) => AddressFailure::Answered(*code),
        NetError::Timeout => AddressFailure::Timeout,
        other => AddressFailure::Failed(other.to_string()),
    }
}
