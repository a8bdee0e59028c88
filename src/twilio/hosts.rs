//! Where Twilio's requests go: `https://PRODUCT[.EDGE][.REGION].twilio.com`, as the official
//! libraries build it from `TWILIO_EDGE` and `TWILIO_REGION` (an edge without a region routes
//! to `us1`), or one base URL for every product (`--twilio-base-url`, for proxies and test
//! doubles). Plain `http://` is refused unless the base is on this machine's loopback: the
//! credentials travel in the Authorization header of every request.

use std::net::IpAddr;

use reqwest::Url;

/// A Twilio product: its own host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Product {
    /// Link Shortening: domains, certificates, configuration.
    Messaging,
    /// Alerts and alarms.
    Monitor,
}

impl Product {
    fn host_label(self) -> &'static str {
        match self {
            Product::Messaging => "messaging",
            Product::Monitor => "monitor",
        }
    }
}

/// Why a base URL cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    #[error("it is not a URL")]
    NotUrl,
    #[error(
        "{0:?}: plain http:// is accepted only for a loopback address (127.0.0.1, ::1, localhost); credentials never travel in clear over a network"
    )]
    ClearText(String),
    #[error("{0:?}: expected an https:// URL")]
    Scheme(String),
    #[error("{0:?}: a base URL has no query, fragment or credentials")]
    Extras(String),
}

/// The hosts requests go to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hosts {
    Twilio {
        edge: Option<String>,
        region: Option<String>,
    },
    /// Every product at one base, its path kept (`https://proxy.example/twilio`).
    Base(Url),
}

impl Hosts {
    /// Whether requests go in clear (an http base, on loopback).
    pub fn is_clear_text(&self) -> bool {
        matches!(self, Hosts::Base(url) if url.scheme() == "http")
    }

    /// One base URL for everything: https, or http to loopback only.
    pub fn base(text: &str) -> Result<Hosts, BaseUrlError> {
        let url = Url::parse(text).map_err(|_| BaseUrlError::NotUrl)?;
        // Errors name the scheme and host only: the rest may hold a token.
        let text = &format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
        if url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(BaseUrlError::Extras(text.to_owned()));
        }
        match url.scheme() {
            "https" => Ok(Hosts::Base(url)),
            "http" if is_loopback(&url) => Ok(Hosts::Base(url)),
            "http" => Err(BaseUrlError::ClearText(text.to_owned())),
            _ => Err(BaseUrlError::Scheme(text.to_owned())),
        }
    }

    /// The URL of `path` (`/v2/LinkShortening/...`) at `product`'s host.
    pub fn url(&self, product: Product, path: &str) -> String {
        match self {
            Hosts::Base(base) => format!("{}{path}", base.as_str().trim_end_matches('/')),
            Hosts::Twilio { edge, region } => {
                format!(
                    "https://{}{path}",
                    twilio_host(product, edge.as_deref(), region.as_deref())
                )
            }
        }
    }

    /// A URL Twilio gave (a page's `next_page_url`) taken onto these hosts: its path and query
    /// at `product`'s host. Credentials go only where the run was told to send them.
    pub fn follow(&self, product: Product, given: &str) -> Option<String> {
        let given = Url::parse(given).ok()?;
        let mut path = given.path().to_owned();
        if let Hosts::Base(base) = self {
            // A double's pages may already carry the base's own path.
            let prefix = base.path().trim_end_matches('/');
            if let Some(rest) = path.strip_prefix(prefix) {
                path = rest.to_owned();
            }
        }
        let query = given
            .query()
            .map(|query| format!("?{query}"))
            .unwrap_or_default();
        Some(self.url(product, &format!("{path}{query}")))
    }
}

/// The libraries' rule (twilio-go `BuildUrl`, twilio-python `get_hostname`): an edge without a
/// region routes to `us1`.
fn twilio_host(product: Product, edge: Option<&str>, region: Option<&str>) -> String {
    let region = region.or(edge.map(|_| "us1"));
    [Some(product.host_label()), edge, region, Some("twilio.com")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(".")
}

fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|address| address.is_loopback()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn twilio(edge: Option<&str>, region: Option<&str>) -> Hosts {
        Hosts::Twilio {
            edge: edge.map(str::to_owned),
            region: region.map(str::to_owned),
        }
    }

    #[test]
    fn hosts_follow_the_libraries_edge_and_region_rules() {
        let path = "/v1/Alerts";
        assert_eq!(
            twilio(None, None).url(Product::Monitor, path),
            "https://monitor.twilio.com/v1/Alerts"
        );
        assert_eq!(
            twilio(Some("dublin"), Some("ie1")).url(Product::Messaging, path),
            "https://messaging.dublin.ie1.twilio.com/v1/Alerts"
        );
        assert_eq!(
            twilio(Some("sydney"), None).url(Product::Messaging, path),
            "https://messaging.sydney.us1.twilio.com/v1/Alerts"
        );
        assert_eq!(
            twilio(None, Some("ie1")).url(Product::Messaging, path),
            "https://messaging.ie1.twilio.com/v1/Alerts"
        );
    }

    #[test]
    fn a_base_url_takes_every_product_and_clear_text_only_on_loopback() {
        let base = Hosts::base("http://127.0.0.1:8080/twilio/").unwrap();
        assert_eq!(
            base.url(Product::Monitor, "/v1/Alerts"),
            "http://127.0.0.1:8080/twilio/v1/Alerts"
        );
        assert!(Hosts::base("http://[::1]:8080").is_ok());
        assert!(Hosts::base("http://localhost:8080").is_ok());
        assert!(Hosts::base("https://proxy.example").is_ok());
        for (bad, error) in [
            ("http://192.0.2.1:8080", "loopback"),
            ("http://proxy.example", "loopback"),
            ("ftp://127.0.0.1", "https://"),
            ("https://user:pw@proxy.example", "credentials"),
            ("not a url", "not a URL"),
            ("https://proxy.example/?token=abc", "no query"),
        ] {
            let said = Hosts::base(bad).unwrap_err().to_string();
            assert!(said.contains(error), "{bad}: {said}");
            assert!(!said.contains("pw") && !said.contains("abc"), "{said}");
        }
    }

    #[test]
    fn pages_are_followed_onto_the_run_s_own_hosts() {
        let base = Hosts::base("http://127.0.0.1:8080/twilio").unwrap();
        assert_eq!(
            base.follow(
                Product::Monitor,
                "https://monitor.twilio.com/v1/Alerts?PageSize=50&PageToken=PA1"
            ),
            Some("http://127.0.0.1:8080/twilio/v1/Alerts?PageSize=50&PageToken=PA1".into())
        );
        assert_eq!(
            base.follow(
                Product::Monitor,
                "http://127.0.0.1:8080/twilio/v1/Alerts?Page=1"
            ),
            Some("http://127.0.0.1:8080/twilio/v1/Alerts?Page=1".into())
        );
        assert_eq!(
            twilio(None, None).follow(Product::Monitor, "https://evil.example/v1/Alerts?Page=1"),
            Some("https://monitor.twilio.com/v1/Alerts?Page=1".into())
        );
    }
}
