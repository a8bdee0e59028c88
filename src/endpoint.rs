//! Where a TLS server is, as the user typed it: `HOST[:PORT]` (an IPv6 address in brackets
//! when a port follows it), and curl's `--connect-to HOST:PORT:ADDR:PORT`, which sends the
//! connection for one host and port to another address while the name asked stays the same.

use std::fmt;
use std::net::IpAddr;

use crate::name::CheckName;

/// The port a TLS server listens on when none is given.
pub const HTTPS_PORT: u16 = 443;

/// A host: a DNS name (ASCII, lowercase, no trailing dot) or an IP address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    Name(String),
    Address(IpAddr),
}

impl Host {
    /// A host name (Unicode mapped to punycode, as for `check`) or an IP address, brackets
    /// allowed around an IPv6 address.
    pub fn parse(text: &str) -> Result<Host, String> {
        let bare = text
            .strip_prefix('[')
            .and_then(|inner| inner.strip_suffix(']'))
            .unwrap_or(text);
        if let Ok(address) = bare.parse::<IpAddr>() {
            return Ok(Host::Address(address));
        }
        if text.starts_with("*.") {
            return Err("a wildcard is not a host to connect to".to_owned());
        }
        CheckName::parse(text)
            .map(|name| Host::Name(name.base))
            .map_err(|error| error.to_string())
    }
}

impl fmt::Display for Host {
    /// A name as is, an IPv6 address in brackets (so that a port can follow).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Address(IpAddr::V6(address)) => write!(f, "[{address}]"),
            Host::Address(IpAddr::V4(address)) => write!(f, "{address}"),
        }
    }
}

/// A TLS server to check: a host and a port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub host: Host,
    pub port: u16,
}

impl Endpoint {
    /// `HOST`, `HOST:PORT`, `[IPv6]:PORT` or a bare IPv6 address (port 443 when none is given).
    pub fn parse(text: &str) -> Result<Endpoint, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("the host is empty".to_owned());
        }
        if let Some((_, rest)) = text.split_once("://") {
            let host = rest.split('/').next().unwrap_or_default();
            return Err(format!(
                "a URL, not a host; give its host and port, as {host:?}"
            ));
        }
        if let Ok(address) = text.parse::<IpAddr>() {
            return Ok(Endpoint {
                host: Host::Address(address),
                port: HTTPS_PORT,
            });
        }
        let (host, port) = split_host_port(text)?;
        Ok(Endpoint {
            host: Host::parse(host)?,
            port: port.map_or(Ok(HTTPS_PORT), parse_port)?,
        })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// `HOST[:PORT]` split at its port, an IPv6 host in brackets; the port as typed, if any.
fn split_host_port(text: &str) -> Result<(&str, Option<&str>), String> {
    if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or("an IPv6 address opened with '[' needs its ']'")?;
        return match after {
            "" => Ok((&text[..inside.len() + 2], None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((&text[..inside.len() + 2], Some(port))),
                None => Err(format!("expected ':PORT' after ']', found {after:?}")),
            },
        };
    }
    Ok(match text.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (text, None),
    })
}

fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("port {text:?} is not a port: expected 1 to 65535")),
    }
}

/// `--connect-to HOST:PORT:ADDR:PORT`, as curl spells it: connections for HOST and PORT go to
/// ADDR and its PORT instead. An empty HOST or PORT on the left matches any; an empty ADDR or
/// PORT on the right keeps the original.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectTo {
    pub host: Option<Host>,
    pub port: Option<u16>,
    pub to_host: Option<Host>,
    pub to_port: Option<u16>,
}

impl ConnectTo {
    pub fn parse(text: &str) -> Result<ConnectTo, String> {
        let expected = "expected HOST:PORT:ADDR:PORT, as curl's --connect-to (IPv6 in brackets)";
        let mut rest = text;
        let mut fields = Vec::with_capacity(4);
        for _ in 0..3 {
            let (field, after) = take_field(rest).ok_or_else(|| expected.to_owned())?;
            fields.push(field);
            rest = after;
        }
        fields.push(rest);
        let host = |field: &str| (!field.is_empty()).then(|| Host::parse(field)).transpose();
        let port = |field: &str| (!field.is_empty()).then(|| parse_port(field)).transpose();
        Ok(ConnectTo {
            host: host(fields[0])?,
            port: port(fields[1])?,
            to_host: host(fields[2])?,
            to_port: port(fields[3])?,
        })
    }

    /// Where a connection to `endpoint` goes instead, if this rule is for it.
    pub fn redirect(&self, endpoint: &Endpoint) -> Option<(Host, u16)> {
        let host_matches = self.host.as_ref().is_none_or(|host| *host == endpoint.host);
        let port_matches = self.port.is_none_or(|port| port == endpoint.port);
        (host_matches && port_matches).then(|| {
            (
                self.to_host
                    .clone()
                    .unwrap_or_else(|| endpoint.host.clone()),
                self.to_port.unwrap_or(endpoint.port),
            )
        })
    }
}

/// One field of a `--connect-to` up to its `:`, a bracketed IPv6 address whole.
fn take_field(text: &str) -> Option<(&str, &str)> {
    let end = if text.starts_with('[') {
        text.find(']')? + 1
    } else {
        text.find(':')?
    };
    let (field, rest) = text.split_at(end);
    Some((field, rest.strip_prefix(':')?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(text: &str) -> String {
        Endpoint::parse(text).map_or_else(|error| format!("error: {error}"), |e| e.to_string())
    }

    #[test]
    fn endpoints_take_a_host_and_an_optional_port() {
        assert_eq!(endpoint("Example.COM"), "example.com:443");
        assert_eq!(endpoint("example.com.:8443"), "example.com:8443");
        assert_eq!(endpoint("bücher.example"), "xn--bcher-kva.example:443");
        assert_eq!(endpoint("192.0.2.1"), "192.0.2.1:443");
        assert_eq!(endpoint("192.0.2.1:8443"), "192.0.2.1:8443");
        assert_eq!(endpoint("2001:db8::1"), "[2001:db8::1]:443");
        assert_eq!(endpoint("[2001:db8::1]"), "[2001:db8::1]:443");
        assert_eq!(endpoint("[2001:db8::1]:8443"), "[2001:db8::1]:8443");
    }

    #[test]
    fn bad_endpoints_say_what_is_wrong() {
        for (bad, says) in [
            ("", "empty"),
            ("example.com:0", "not a port"),
            ("example.com:https", "not a port"),
            ("example.com:70000", "not a port"),
            ("[2001:db8::1", "needs its ']'"),
            ("[2001:db8::1]8443", "expected ':PORT'"),
            ("*.example.com", "wildcard"),
            ("exa mple.com", "not allowed"),
            ("https://example.com:8443/path", "as \"example.com:8443\""),
        ] {
            let error = endpoint(bad);
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn connect_to_follows_curl() {
        let rule = ConnectTo::parse("example.com:443:192.0.2.7:8443").unwrap();
        let to = |text: &str| rule.redirect(&Endpoint::parse(text).unwrap());
        assert_eq!(
            to("example.com"),
            Some((Host::Address("192.0.2.7".parse().unwrap()), 8443))
        );
        assert_eq!(to("example.com:444"), None);
        assert_eq!(to("www.example.com"), None);

        let any = ConnectTo::parse("::[2001:db8::7]:").unwrap();
        assert_eq!(
            any.redirect(&Endpoint::parse("a.example:8443").unwrap()),
            Some((Host::Address("2001:db8::7".parse().unwrap()), 8443))
        );
        let by_name = ConnectTo::parse("example.com::backend.example:").unwrap();
        assert_eq!(
            by_name.redirect(&Endpoint::parse("example.com:8443").unwrap()),
            Some((Host::Name("backend.example".into()), 8443))
        );
    }

    #[test]
    fn bad_connect_to_says_what_is_wanted() {
        for bad in ["example.com:443", "example.com:443:192.0.2.7", "a:b:c:d"] {
            assert!(ConnectTo::parse(bad).is_err(), "{bad}");
        }
    }
}
