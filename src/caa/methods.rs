//! ACME validation methods and the `validationmethods` list that admits them: rulebook §10,
//! rules 29 to 31 (RFC 8657).

use std::fmt;
use std::str::FromStr;

use crate::name::CheckName;

/// An ACME validation method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Http01,
    Dns01,
    TlsAlpn01,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Http01, Method::Dns01, Method::TlsAlpn01];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Http01 => "http-01",
            Method::Dns01 => "dns-01",
            Method::TlsAlpn01 => "tls-alpn-01",
        }
    }

    /// Rule 30: method labels compare case-sensitively.
    fn from_label(label: &str) -> Option<Method> {
        Method::ALL
            .into_iter()
            .find(|method| method.as_str() == label)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Method::from_label(text)
            .ok_or_else(|| format!("expected http-01, dns-01 or tls-alpn-01, got {text:?}"))
    }
}

/// What a `validationmethods` value admits (rule 30).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdmittedMethods {
    /// Known methods read before the list ended, in order.
    pub methods: Vec<Method>,
    /// The label that ended the read as a failure, if one did.
    pub malformed_label: Option<String>,
}

/// Rule 30: read the comma-separated list left to right. A label that is not
/// `[A-Za-z0-9-]+` ends the read (nothing after it counts); a well-formed label that is not a
/// known method is skipped. So a method is admitted exactly when it appears before the first
/// malformed label, which is the CA's "first label equal to the requested method matches".
pub fn read_validation_methods(value: &str) -> AdmittedMethods {
    let mut methods = Vec::new();
    for label in value.split(',') {
        if !is_method_label(label) {
            return AdmittedMethods {
                methods,
                malformed_label: Some(label.to_owned()),
            };
        }
        if let Some(method) = Method::from_label(label)
            && !methods.contains(&method)
        {
            methods.push(method);
        }
    }
    AdmittedMethods {
        methods,
        malformed_label: None,
    }
}

/// Rule 30: a well-formed label of a `validationmethods` list is `[A-Za-z0-9-]+`.
pub fn is_method_label(label: &str) -> bool {
    !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Rule 31: Let's Encrypt validates wildcard names only with dns-01, so a wildcard name has no
/// verdict under another `--method`. Why, for such a name; an argument is then a usage error,
/// an `--input` line an invalid one.
pub fn wildcard_method_refusal(name: &CheckName, method: Option<Method>) -> Option<String> {
    let method = method.filter(|&method| method != Method::Dns01)?;
    name.wildcard.then(|| {
        format!(
            "--method {method} cannot validate a wildcard name; Let's Encrypt validates wildcard names only with dns-01"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_30_the_list_is_read_left_to_right() {
        let read = |value| read_validation_methods(value).methods;
        assert_eq!(read("dns-01,http-01"), vec![Method::Dns01, Method::Http01]);
        assert_eq!(read("foo-01,http-01"), vec![Method::Http01]);
        assert_eq!(read("http-01,,dns-01"), vec![Method::Http01]);
        assert_eq!(read(",http-01"), vec![]);
        assert_eq!(read("dns-01,"), vec![Method::Dns01]);
        assert_eq!(read("HTTP-01,dns-01"), vec![Method::Dns01]);
        assert_eq!(read("dns_01,http-01"), vec![]);
        assert_eq!(
            read_validation_methods("http-01,a b").malformed_label,
            Some("a b".into())
        );
    }

    #[test]
    fn methods_parse_from_their_acme_names_only() {
        assert_eq!("dns-01".parse(), Ok(Method::Dns01));
        assert!("DNS-01".parse::<Method>().is_err());
    }
}
