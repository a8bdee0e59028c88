//! Twilio's REST API over HTTP (reqwest on rustls with ring): Basic auth on every request, a
//! timeout on every attempt, 429 and 5xx (and an attempt that times out or cannot connect)
//! tried again with exponential backoff (`Retry-After` honoured, within bounds), and Twilio's
//! error body (`code`, `message`, `more_info`) kept for the report. Redirects are not
//! followed: the credentials go only to the hosts the run was told of.
//!
//! Nothing of the credentials reaches an error: reqwest's errors are reduced to their kind.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::credentials::{CredentialSource, Credentials};
use super::hosts::{Hosts, Product};
use crate::tls::TrustAnchors;

/// A response body is a few kilobytes; a larger one is not Twilio's.
const MOST_BODY_BYTES: usize = 1024 * 1024;

/// How hard to try: the defaults give up on an API that never answers within a minute
/// (3 attempts of 15 s, and 0.5 s and 1 s between them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    /// Each attempt, connection to last byte.
    pub timeout: Duration,
    /// The first wait between attempts; each next one doubles.
    pub first_backoff: Duration,
    /// The longest a `Retry-After` may make us wait.
    pub longest_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 3,
            timeout: Duration::from_secs(15),
            first_backoff: Duration::from_millis(500),
            longest_wait: Duration::from_secs(30),
        }
    }
}

/// Twilio's error body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TwilioError {
    pub code: Option<i64>,
    pub message: Option<String>,
    pub more_info: Option<String>,
}

/// Why a request did not give what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiFailure {
    /// 401 (or 403, a key without the permission): the credentials were refused.
    Unauthorized {
        status: u16,
        source: CredentialSource,
        error: Option<TwilioError>,
    },
    /// 404: no such resource (an unknown Domain SID, say).
    NotFound(Option<TwilioError>),
    /// Another answer that is not a success, after any retries.
    Status {
        status: u16,
        error: Option<TwilioError>,
    },
    /// No answer within the timeout, after any retries.
    Timeout,
    /// No connection (refused, unreachable, TLS), after any retries.
    Connection(String),
    /// An answer that is not the JSON it should be.
    Malformed(String),
}

impl ApiFailure {
    /// The stable code reports give it.
    pub fn code(&self) -> &'static str {
        match self {
            ApiFailure::Unauthorized { .. } => "unauthorized",
            ApiFailure::NotFound(_) => "not-found",
            ApiFailure::Status { status: 429, .. } => "rate-limited",
            ApiFailure::Status { status, .. } if *status >= 500 => "server-error",
            ApiFailure::Status { .. } => "rejected",
            ApiFailure::Timeout => "timeout",
            ApiFailure::Connection(_) => "connection",
            ApiFailure::Malformed(_) => "malformed-response",
        }
    }

    /// Twilio's own error, when it gave one.
    pub fn twilio_error(&self) -> Option<&TwilioError> {
        match self {
            ApiFailure::Unauthorized { error, .. }
            | ApiFailure::NotFound(error)
            | ApiFailure::Status { error, .. } => error.as_ref(),
            _ => None,
        }
    }
}

impl std::fmt::Display for ApiFailure {
    /// Untrusted text from the body is left as is: reports escape it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let said = |error: &Option<TwilioError>| match error {
            Some(TwilioError {
                code: Some(code),
                message,
                more_info,
            }) => format!(
                ": Twilio error {code}{}{}",
                message
                    .as_deref()
                    .map(|message| format!(" {:?}", withhold_keys(message)))
                    .unwrap_or_default(),
                more_info
                    .as_deref()
                    .map(|more| format!(" ({})", withhold_keys(more)))
                    .unwrap_or_default()
            ),
            _ => String::new(),
        };
        match self {
            ApiFailure::Unauthorized {
                status,
                source,
                error,
            } => write!(
                f,
                "Twilio refused the credentials ({status}), from {source}{}",
                said(error)
            ),
            ApiFailure::NotFound(error) => write!(f, "not found (404){}", said(error)),
            ApiFailure::Status { status, error } => {
                write!(f, "Twilio answered HTTP {status}{}", said(error))
            }
            ApiFailure::Timeout => f.write_str("no answer from Twilio within the timeout"),
            ApiFailure::Connection(why) => write!(f, "cannot reach Twilio: {why}"),
            ApiFailure::Malformed(why) => {
                write!(f, "Twilio's answer is not what its API says: {why}")
            }
        }
    }
}

/// Twilio's words, unless they quote a private key (a server that echoes an uploaded
/// `TlsCert` back in its error): then they are withheld whole.
fn withhold_keys(text: &str) -> &str {
    if text.contains("PRIVATE KEY") {
        "[withheld: it quotes a private key]"
    } else {
        text
    }
}

/// A client for one run: its hosts, credentials and patience.
#[derive(Clone)]
pub struct TwilioApi {
    http: reqwest::Client,
    hosts: Hosts,
    credentials: Arc<Credentials>,
    retry: Retry,
}

impl std::fmt::Debug for TwilioApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioApi")
            .field("hosts", &self.hosts)
            .field("credentials", &self.credentials.source)
            .finish_non_exhaustive()
    }
}

impl TwilioApi {
    /// A client trusting `anchors` for https (none are needed for a loopback http base).
    pub fn new(
        hosts: Hosts,
        credentials: Credentials,
        anchors: &TrustAnchors,
        retry: Retry,
    ) -> Result<TwilioApi, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| format!("cannot set up TLS: {error}"))?
            .with_root_certificates(anchors.root_store())
            .with_no_client_auth();
        let mut builder = reqwest::Client::builder();
        if hosts.is_clear_text() {
            // A proxy from the environment would carry the credentials in clear off this
            // machine: a loopback base is reached directly.
            builder = builder.no_proxy();
        }
        let http = builder
            .use_preconfigured_tls(tls)
            .timeout(retry.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("certready/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| format!("cannot set up the HTTP client: {error}"))?;
        Ok(TwilioApi {
            http,
            hosts,
            credentials: Arc::new(credentials),
            retry,
        })
    }

    /// Where the credentials came from, for reports.
    pub fn source(&self) -> &CredentialSource {
        &self.credentials.source
    }

    /// GET `path` at `product`'s host.
    pub async fn get<T: DeserializeOwned>(
        &self,
        product: Product,
        path: &str,
    ) -> Result<T, ApiFailure> {
        self.send(Method::GET, self.hosts.url(product, path), Body::None)
            .await
    }

    /// GET a URL Twilio gave (a page's `next_page_url`), taken onto the run's hosts.
    pub async fn get_given<T: DeserializeOwned>(
        &self,
        product: Product,
        url: &str,
    ) -> Result<T, ApiFailure> {
        let url = self
            .hosts
            .follow(product, url)
            .ok_or_else(|| ApiFailure::Malformed(format!("{url:?} is not a URL")))?;
        self.send(Method::GET, url, Body::None).await
    }

    /// POST a form (`application/x-www-form-urlencoded`, as Twilio's v1 and v2 APIs take).
    pub async fn post_form<T: DeserializeOwned>(
        &self,
        product: Product,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<T, ApiFailure> {
        let fields = form
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        self.send(
            Method::POST,
            self.hosts.url(product, path),
            Body::Form(fields),
        )
        .await
    }

    /// POST JSON (Monitor v2's Alarms take JSON).
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        product: Product,
        path: &str,
        json: &serde_json::Value,
    ) -> Result<T, ApiFailure> {
        self.send(
            Method::POST,
            self.hosts.url(product, path),
            Body::Json(json.to_string()),
        )
        .await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        url: String,
        body: Body,
    ) -> Result<T, ApiFailure> {
        let mut wait = self.retry.first_backoff;
        let mut attempt = 1;
        loop {
            let request = body
                .attach(self.http.request(method.clone(), &url))
                .basic_auth(
                    &self.credentials.username,
                    Some(self.credentials.secret.expose()),
                );
            let outcome = self.attempt(request).await;
            let again = match &outcome {
                Err(Attempt::Retryable { failure, after })
                    if method == Method::GET || unprocessed(failure) =>
                {
                    Some(after.unwrap_or(wait))
                }
                _ => None,
            };
            match (again, outcome) {
                (Some(after), Err(_)) if attempt < self.retry.attempts => {
                    tokio::time::sleep(after.min(self.retry.longest_wait)).await;
                    wait *= 2;
                    attempt += 1;
                }
                (_, Ok(bytes)) => {
                    return serde_json::from_slice(&bytes).map_err(|error| {
                        ApiFailure::Malformed(format!(
                            "{:?} error at line {}, column {}",
                            error.classify(),
                            error.line(),
                            error.column()
                        ))
                    });
                }
                (_, Err(Attempt::Retryable { failure, .. } | Attempt::Final(failure))) => {
                    return Err(failure);
                }
            }
        }
    }

    /// One request: the body of a success, or why not and whether to try again.
    async fn attempt(&self, request: RequestBuilder) -> Result<Vec<u8>, Attempt> {
        let mut response = request.send().await.map_err(|error| transport(&error))?;
        let status = response.status();
        let after = retry_after(response.headers().get(RETRY_AFTER));
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > MOST_BODY_BYTES {
                        return Err(Attempt::Final(ApiFailure::Malformed(
                            "the answer is over 1 MiB".into(),
                        )));
                    }
                }
                Ok(None) => break,
                Err(error) => return Err(transport(&error)),
            }
        }
        if status.is_success() {
            return Ok(bytes);
        }
        let error: Option<TwilioError> = serde_json::from_slice(&bytes).ok();
        let failure = match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ApiFailure::Unauthorized {
                status: status.as_u16(),
                source: self.credentials.source.clone(),
                error,
            },
            StatusCode::NOT_FOUND => ApiFailure::NotFound(error),
            status => ApiFailure::Status {
                status: status.as_u16(),
                error,
            },
        };
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Err(Attempt::Retryable { failure, after })
        } else {
            Err(Attempt::Final(failure))
        }
    }
}

/// Whether a failure proves the request was not acted on, so that sending it again cannot
/// do anything twice: a 429 ("aren't processed and are safe to retry", Twilio's 20429 page), or
/// no connection at all. A POST met by a 5xx or a timeout may have been carried out.
fn unprocessed(failure: &ApiFailure) -> bool {
    matches!(
        failure,
        ApiFailure::Status { status: 429, .. } | ApiFailure::Connection(_)
    )
}

/// What one attempt came to.
enum Attempt {
    /// Worth another try, after `after` if the server said.
    Retryable {
        failure: ApiFailure,
        after: Option<Duration>,
    },
    Final(ApiFailure),
}

/// A request's body.
enum Body {
    None,
    /// Form fields, encoded by reqwest (serde_urlencoded).
    Form(Vec<(String, String)>),
    Json(String),
}

impl Body {
    fn attach(&self, request: RequestBuilder) -> RequestBuilder {
        match self {
            Body::None => request,
            Body::Form(fields) => request.form(fields),
            Body::Json(body) => request
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.clone()),
        }
    }
}

/// A transport failure, by kind only (reqwest's text can carry the URL, never a secret, but
/// the kind is all a report needs): timeouts and connection failures are worth a retry.
fn transport(error: &reqwest::Error) -> Attempt {
    let failure = if error.is_timeout() {
        ApiFailure::Timeout
    } else if error.is_connect() {
        ApiFailure::Connection("the connection failed (refused, unreachable or TLS)".into())
    } else {
        // The request may have reached Twilio: not a connection failure, which proves it did
        // not.
        ApiFailure::Malformed("the exchange broke off".into())
    };
    Attempt::Retryable {
        failure,
        after: None,
    }
}

/// `Retry-After` in seconds (RFC 9110 §10.2.3; the date form is not used by Twilio's APIs).
fn retry_after(value: Option<&HeaderValue>) -> Option<Duration> {
    let seconds: u64 = value?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_that_never_answers_is_given_up_on_within_a_minute_at_the_defaults() {
        let retry = Retry::default();
        let waits: Duration = (0..retry.attempts - 1)
            .map(|n| retry.first_backoff * 2u32.pow(n))
            .sum();
        assert!(retry.timeout * retry.attempts + waits < Duration::from_secs(60));
    }

    #[test]
    fn a_post_is_sent_again_only_when_twilio_cannot_have_acted_on_it() {
        assert!(unprocessed(&ApiFailure::Status {
            status: 429,
            error: None
        }));
        assert!(unprocessed(&ApiFailure::Connection("refused".into())));
        assert!(!unprocessed(&ApiFailure::Status {
            status: 500,
            error: None
        }));
        assert!(!unprocessed(&ApiFailure::Timeout));
    }

    #[test]
    fn twilio_s_words_are_withheld_when_they_quote_a_private_key() {
        let echoed = ApiFailure::Status {
            status: 400,
            error: Some(TwilioError {
                code: Some(20001),
                message: Some("bad TlsCert -----BEGIN PRIVATE KEY-----MIGH".into()),
                more_info: None,
            }),
        };
        assert!(!echoed.to_string().contains("MIGH"));
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        let header = |text: &'static str| HeaderValue::from_static(text);
        assert_eq!(
            retry_after(Some(&header("3"))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(Some(&header("Wed, 21 Oct 2015 07:28:00 GMT"))),
            None
        );
        assert_eq!(retry_after(None), None);
    }

    #[test]
    fn failures_have_stable_codes_and_say_twilio_s_error() {
        let error = TwilioError {
            code: Some(20404),
            message: Some("The requested resource was not found".into()),
            more_info: Some("https://www.twilio.com/docs/errors/20404".into()),
        };
        let not_found = ApiFailure::NotFound(Some(error));
        assert_eq!(not_found.code(), "not-found");
        assert_eq!(
            not_found.to_string(),
            "not found (404): Twilio error 20404 \"The requested resource was not found\" (https://www.twilio.com/docs/errors/20404)"
        );
        let throttled = ApiFailure::Status {
            status: 429,
            error: None,
        };
        assert_eq!(throttled.code(), "rate-limited");
        assert_eq!(
            ApiFailure::Unauthorized {
                status: 401,
                source: CredentialSource::AuthTokenVariable,
                error: None
            }
            .to_string(),
            "Twilio refused the credentials (401), from the auth token in TWILIO_AUTH_TOKEN (account TWILIO_ACCOUNT_SID)"
        );
    }
}
