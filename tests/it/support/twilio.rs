//! A fake of the Twilio REST endpoints certready uses, as a real HTTP/1.1 server on 127.0.0.1
//! (hyper), shaped after `/work/shared/twilio-api.md` (the OpenAPI spec examples of messaging
//! v1/v2 and monitor v1/v2): Link Shortening certificates (v2 GET; v1 GET and POST),
//! RequestManagedCert, Config, ValidateDns, Monitor v1 Alerts (paged, newest first) and
//! Monitor v2 Alarms. Every product is served at the one base (`--twilio-base-url`), and every
//! `url` in a response points back at it.
//!
//! - Credentials: HTTP Basic with an account's SID and auth token, or one of its API keys and
//!   secret; anything else is a 401 with Twilio's 20003 body. A domain, alert or alarm is seen
//!   only with its own account's credentials (another account's domain is a 404).
//! - State: domains a test builds (`Domain`), changed while the server runs (`update`), and
//!   scripted: `requesting` true for the first N v2 GETs, an upload validating for N GETs.
//! - Faults, for every endpoint or one: 429 N times (with or without `Retry-After: 1`), 500,
//!   200 with a body that is not JSON, or no answer at all until the fake is dropped.
//! - Every request is recorded (method, path, query, content type, form fields or JSON,
//!   whether the credentials were good), secrets excepted.
//!
//! What the reference leaves open is chosen here and said where it is done: a missing
//! `TlsCert` is a 400 with code 20001; an upload answers 200 whether or not it is the first,
//! and replaces the current certificate (managed or not) only once its validation is taken;
//! `PageToken` is the fake's own (`PA` and an offset); `EndDate=YYYY-MM-DD` takes the whole
//! day; the Alarms list is one page with the shape of the v1 Alerts list; another method on a
//! known path (DELETE Certificate, POST Config) is a 405 with code 20004.
//!
//! Runs on its own thread and tokio runtime (`tls::Runner`), so it keeps serving while a test
//! blocks on the real binary; stops when dropped.
//!
//! ```ignore
//! let domain = sid("DN", 1);
//! let fake = TwilioFake::start(vec![
//!     Account::new(&sid("AC", 1))
//!         .api_key(&sid("SK", 1), "secret")
//!         .domain(
//!             Domain::managed(&domain, "https://links.example.test")
//!                 .expires("2027-01-01T00:00:00Z")
//!                 .requesting_for(2) // true for two v2 GETs, then false
//!                 .issued_expires("2027-04-01T00:00:00Z"),
//!         ),
//! ]);
//! fake.fault(Scope::Only(Endpoint::Alerts), Fault::TooManyRequests { times: 1, retry_after: true });
//! // run certready with --twilio-base-url fake.base_url() and TWILIO_* in its environment
//! assert!(fake.requests_with("POST").is_empty());
//! ```

#![allow(dead_code)] // Each test file uses a different part of the fake.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::tls::Runner;

/// A SID: the two-letter prefix and `n` as 32 hexadecimal digits (`sid("DN", 1)`).
pub fn sid(prefix: &str, n: u64) -> String {
    format!("{prefix}{n:032x}")
}

/// A fresh SID for something the fake makes itself (a certificate, an alert, an alarm).
fn next_sid(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0xf000);
    sid(prefix, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The time now, as Twilio writes dates (`2021-02-06T18:02:04Z`).
fn now() -> String {
    let now = OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// An account: its SID, the credentials that act for it, and what it owns.
#[derive(Clone, Debug)]
pub struct Account {
    pub sid: String,
    /// `username:secret` pairs accepted for this account: its SID with its auth token, an API
    /// key SID with the key's secret.
    pub credentials: Vec<(String, String)>,
    pub domains: Vec<Domain>,
    pub alerts: Vec<Alert>,
    /// Alarms created (`POST /v2/Alarms`): the body sent, with its `sid` added.
    pub alarms: Vec<Value>,
}

impl Account {
    pub fn new(sid: &str) -> Self {
        Self {
            sid: sid.to_owned(),
            credentials: Vec::new(),
            domains: Vec::new(),
            alerts: Vec::new(),
            alarms: Vec::new(),
        }
    }

    /// Accepts the account SID with this auth token.
    pub fn auth_token(mut self, token: &str) -> Self {
        self.credentials.push((self.sid.clone(), token.to_owned()));
        self
    }

    /// Accepts this API key (`SK…`) with its secret.
    pub fn api_key(mut self, key_sid: &str, secret: &str) -> Self {
        self.credentials
            .push((key_sid.to_owned(), secret.to_owned()));
        self
    }

    pub fn domain(mut self, domain: Domain) -> Self {
        self.domains.push(domain);
        self
    }

    pub fn alert(mut self, alert: Alert) -> Self {
        self.alerts.push(alert);
        self
    }
}

/// A Link Shortening domain and its certificate, as the fake serves them. Fields are public
/// so that a test can change them while the server runs (`TwilioFake::update`).
#[derive(Clone, Debug, PartialEq)]
pub struct Domain {
    /// `DN` and 32 hexadecimal digits.
    pub sid: String,
    /// "Full url path for this domain": `https://links.example.test`.
    pub domain_name: String,
    /// Null when no certificate was ever uploaded or issued.
    pub certificate_sid: Option<String>,
    pub managed: bool,
    pub requesting: bool,
    /// The current certificate's expiry (RFC 3339), or null.
    pub date_expires: Option<String>,
    pub date_created: String,
    pub date_updated: String,
    /// A new certificate being validated (`{"date_expires": …, "status": "pending"}`), or null.
    pub cert_in_validation: Option<Value>,
    pub config: DomainConfig,
    pub dns: DnsValidation,
    /// Scripted: `requesting` stays true for this many more v2 Certificate GETs, then turns
    /// false (`date_expires` taking `issued_expires` if set).
    pub requesting_left: Option<usize>,
    /// Scripted: the N a `RequestManagedCert` gives `requesting_left`.
    pub request_takes: Option<usize>,
    /// Scripted: the expiry of the certificate a managed request ends with.
    pub issued_expires: Option<String>,
    /// Scripted: an upload stays pending for this many Certificate GETs (v1 or v2) and is then
    /// taken, `date_expires` becoming `upload_expires`.
    pub validation_takes: Option<usize>,
    /// Scripted: the expiry of the certificate an upload validates to; also the pending
    /// `cert_in_validation.date_expires` (null when not set).
    pub upload_expires: Option<String>,
    /// Scripted, running: Certificate GETs left before the upload in validation is taken.
    pub validation_left: Option<usize>,
    /// Every `TlsCert` posted, in order.
    pub uploads: Vec<String>,
}

/// `GET /v1/LinkShortening/Domains/{sid}/Config`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainConfig {
    pub config_sid: String,
    pub fallback_url: Option<String>,
    pub callback_url: Option<String>,
    pub continue_on_failure: bool,
    pub disable_https: bool,
}

/// `GET /v1/LinkShortening/Domains/{sid}/ValidateDns`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsValidation {
    pub is_valid: bool,
    pub reason: String,
}

impl Domain {
    /// A domain whose certificate Twilio manages (Let's Encrypt), not being requested, with
    /// no expiry yet (`expires` sets one).
    pub fn managed(sid: &str, domain_name: &str) -> Self {
        Self {
            managed: true,
            ..Self::uploaded(sid, domain_name)
        }
    }

    /// A domain whose certificate the customer uploads (BYOC).
    pub fn uploaded(sid: &str, domain_name: &str) -> Self {
        Self {
            sid: sid.to_owned(),
            domain_name: domain_name.to_owned(),
            certificate_sid: Some(next_sid("CW")),
            managed: false,
            requesting: false,
            date_expires: None,
            date_created: "2025-01-01T00:00:00Z".to_owned(),
            date_updated: "2025-01-01T00:00:00Z".to_owned(),
            cert_in_validation: None,
            config: DomainConfig {
                config_sid: next_sid("ZK"),
                fallback_url: None,
                callback_url: None,
                continue_on_failure: false,
                disable_https: false,
            },
            dns: DnsValidation {
                is_valid: true,
                reason: String::new(),
            },
            requesting_left: None,
            request_takes: None,
            issued_expires: None,
            validation_takes: None,
            upload_expires: None,
            validation_left: None,
            uploads: Vec::new(),
        }
    }

    /// No certificate at all: `certificate_sid` and `date_expires` null.
    pub fn no_certificate(mut self) -> Self {
        self.certificate_sid = None;
        self.date_expires = None;
        self
    }

    pub fn expires(mut self, date: &str) -> Self {
        self.date_expires = Some(date.to_owned());
        self
    }

    pub fn created(mut self, date: &str) -> Self {
        self.date_created = date.to_owned();
        self.date_updated = date.to_owned();
        self
    }

    /// A managed request in progress, for good.
    pub fn requesting(mut self) -> Self {
        self.requesting = true;
        self
    }

    /// A managed request in progress for the first `gets` v2 Certificate GETs, then done; a
    /// later `RequestManagedCert` takes as many.
    pub fn requesting_for(mut self, gets: usize) -> Self {
        self.requesting = true;
        self.requesting_left = Some(gets);
        self.request_takes = Some(gets);
        self
    }

    /// A `RequestManagedCert` leaves `requesting` true for `gets` v2 Certificate GETs.
    pub fn request_takes(mut self, gets: usize) -> Self {
        self.request_takes = Some(gets);
        self
    }

    /// When a scripted managed request ends, the certificate expires then.
    pub fn issued_expires(mut self, date: &str) -> Self {
        self.issued_expires = Some(date.to_owned());
        self
    }

    /// An upload is pending for `gets` Certificate GETs (v1 or v2), then taken: the
    /// validation is null, `date_expires` is `then_expires`, and the domain is no longer
    /// managed. Without this, an upload stays pending until the test changes the domain.
    pub fn validation_takes(mut self, gets: usize, then_expires: &str) -> Self {
        self.validation_takes = Some(gets);
        self.upload_expires = Some(then_expires.to_owned());
        self
    }

    /// A certificate already in validation (`status: pending`), expiring then, for good.
    pub fn in_validation(mut self, candidate_expires: Option<&str>) -> Self {
        self.cert_in_validation = Some(pending(candidate_expires));
        self
    }

    pub fn fallback_url(mut self, url: &str) -> Self {
        self.config.fallback_url = Some(url.to_owned());
        self
    }

    pub fn callback_url(mut self, url: &str) -> Self {
        self.config.callback_url = Some(url.to_owned());
        self
    }

    pub fn continue_on_failure(mut self, yes: bool) -> Self {
        self.config.continue_on_failure = yes;
        self
    }

    pub fn disable_https(mut self, yes: bool) -> Self {
        self.config.disable_https = yes;
        self
    }

    /// What ValidateDns says.
    pub fn dns(mut self, is_valid: bool, reason: &str) -> Self {
        self.dns = DnsValidation {
            is_valid,
            reason: reason.to_owned(),
        };
        self
    }

    /// Runs the scripts for one Certificate GET (`v2`: the v2 endpoint), before answering it.
    fn certificate_read(&mut self, v2: bool) {
        if v2 && self.requesting {
            match self.requesting_left {
                Some(0) => {
                    self.requesting = false;
                    self.requesting_left = None;
                    if let Some(date) = self.issued_expires.clone() {
                        self.date_expires = Some(date);
                        self.certificate_sid = Some(next_sid("CW"));
                        self.date_updated = now();
                    }
                }
                Some(ref mut left) => *left -= 1,
                None => {}
            }
        }
        match self.validation_left {
            Some(0) => {
                // The uploaded certificate replaces the current one, a managed one too (an
                // inference: the reference does not say).
                self.validation_left = None;
                self.cert_in_validation = None;
                self.date_expires = self.upload_expires.clone();
                self.certificate_sid = Some(next_sid("CW"));
                self.managed = false;
                self.requesting = false;
                self.requesting_left = None;
                self.date_updated = now();
            }
            Some(ref mut left) => *left -= 1,
            None => {}
        }
    }

    /// `messaging.v1.domain_cert_v4`, or with `managed` and `requesting` (v2).
    fn certificate_json(&self, base: &str, v2: bool) -> Value {
        let version = if v2 { "v2" } else { "v1" };
        let mut body = json!({
            "certificate_sid": self.certificate_sid,
            "domain_name": self.domain_name,
            "domain_sid": self.sid,
            "date_expires": self.date_expires,
            "date_created": self.date_created,
            "date_updated": self.date_updated,
            "url": format!("{base}/{version}/LinkShortening/Domains/{}/Certificate", self.sid),
            "cert_in_validation": self.cert_in_validation,
        });
        if v2 {
            body["managed"] = json!(self.managed);
            body["requesting"] = json!(self.requesting);
        }
        body
    }

    /// `messaging.v1.request_managed_cert`: no `cert_in_validation`.
    fn request_managed_cert_json(&self, base: &str) -> Value {
        json!({
            "certificate_sid": self.certificate_sid,
            "domain_name": self.domain_name,
            "domain_sid": self.sid,
            "date_created": self.date_created,
            "date_updated": self.date_updated,
            "date_expires": self.date_expires,
            "url": format!("{base}/v1/LinkShortening/Domains/{}/RequestManagedCert", self.sid),
            "managed": self.managed,
            "requesting": self.requesting,
        })
    }

    fn config_json(&self, base: &str) -> Value {
        json!({
            "domain_sid": self.sid,
            "config_sid": self.config.config_sid,
            "fallback_url": self.config.fallback_url,
            "callback_url": self.config.callback_url,
            "continue_on_failure": self.config.continue_on_failure,
            "date_created": self.date_created,
            "date_updated": self.date_updated,
            "url": format!("{base}/v1/LinkShortening/Domains/{}/Config", self.sid),
            "disable_https": self.config.disable_https,
        })
    }

    /// The schema's fields (`domain_sid` included, which the spec's example leaves out).
    fn dns_json(&self, base: &str) -> Value {
        json!({
            "domain_sid": self.sid,
            "is_valid": self.dns.is_valid,
            "reason": self.dns.reason,
            "url": format!("{base}/v1/LinkShortening/Domains/{}/ValidateDns", self.sid),
        })
    }
}

fn pending(date_expires: Option<&str>) -> Value {
    json!({"date_expires": date_expires, "status": "pending"})
}

/// A Monitor alert (`GET /v1/Alerts` item); `account_sid` is its account's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub sid: String,
    /// A string, as Twilio gives it: `"30131"`.
    pub error_code: String,
    /// `error`, `warning`, `notice` or `debug`.
    pub log_level: String,
    pub alert_text: String,
    pub date_created: String,
    pub resource_sid: String,
    pub service_sid: Option<String>,
    pub request_url: Option<String>,
}

impl Alert {
    /// An alert of `error_code` created at `date_created`, at level `error` (30104, 30105 and
    /// 30131 are warnings, as Twilio's error pages say).
    pub fn new(error_code: &str, date_created: &str) -> Self {
        let log_level = match error_code {
            "30104" | "30105" | "30131" => "warning",
            _ => "error",
        };
        Self {
            sid: next_sid("NO"),
            error_code: error_code.to_owned(),
            log_level: log_level.to_owned(),
            alert_text: String::new(),
            date_created: date_created.to_owned(),
            // What Link Shortening alerts carry here is not published (reference §7): a
            // prefix no resource has, so that no test takes it for a domain's.
            resource_sid: next_sid("XX"),
            service_sid: None,
            request_url: None,
        }
    }

    pub fn text(mut self, text: &str) -> Self {
        self.alert_text = text.to_owned();
        self
    }

    pub fn log_level(mut self, level: &str) -> Self {
        self.log_level = level.to_owned();
        self
    }

    pub fn resource_sid(mut self, sid: &str) -> Self {
        self.resource_sid = sid.to_owned();
        self
    }

    pub fn service_sid(mut self, sid: &str) -> Self {
        self.service_sid = Some(sid.to_owned());
        self
    }

    fn json(&self, base: &str, account_sid: &str) -> Value {
        json!({
            "account_sid": account_sid,
            "alert_text": self.alert_text,
            "api_version": "2010-04-01",
            "date_created": self.date_created,
            "date_generated": self.date_created,
            "date_updated": self.date_created,
            "error_code": self.error_code,
            "log_level": self.log_level,
            "more_info": format!("https://www.twilio.com/docs/errors/{}", self.error_code),
            "request_method": "GET",
            "request_url": self.request_url,
            "resource_sid": self.resource_sid,
            "sid": self.sid,
            "url": format!("{base}/v1/Alerts/{}", self.sid),
            "service_sid": self.service_sid,
        })
    }
}

/// An endpoint of the fake, for faults aimed at one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /v2/LinkShortening/Domains/{sid}/Certificate`
    CertificateV2,
    /// `GET /v1/LinkShortening/Domains/{sid}/Certificate`
    CertificateV1,
    /// `POST /v1/LinkShortening/Domains/{sid}/Certificate`
    UploadCertificate,
    /// `POST /v1/LinkShortening/Domains/{sid}/RequestManagedCert`
    RequestManagedCert,
    /// `GET /v1/LinkShortening/Domains/{sid}/Config`
    Config,
    /// `GET /v1/LinkShortening/Domains/{sid}/ValidateDns`
    ValidateDns,
    /// `GET /v1/Alerts`
    Alerts,
    /// `GET /v2/Alarms`
    ListAlarms,
    /// `POST /v2/Alarms`
    CreateAlarm,
}

/// Where a fault applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every request, a path the fake does not know included.
    All,
    Only(Endpoint),
}

/// How the fake misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 429 with Twilio's 20429 body for the next `times` requests in scope, with
    /// `Retry-After: 1` if `retry_after`; then as usual.
    TooManyRequests { times: usize, retry_after: bool },
    /// 500 with a 20500 body, for every request in scope.
    ServerError,
    /// 200 with a body that is not JSON (cut short), for every request in scope.
    MalformedJson,
    /// Reads the request and never answers; the connection stays open until the fake is
    /// dropped.
    NoAnswer,
}

/// One request as the fake saw it (the Authorization header is reduced to its username and
/// whether it was accepted: no secret is kept).
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The query's fields, decoded, in order.
    pub query: Vec<(String, String)>,
    pub content_type: Option<String>,
    /// The body's fields when it is a form (`application/x-www-form-urlencoded`).
    pub form: Vec<(String, String)>,
    /// The body when it is JSON that parses.
    pub json: Option<Value>,
    /// The body as text (lossy).
    pub body: String,
    /// The Basic auth username, if any.
    pub username: Option<String>,
    /// The credentials were good.
    pub authenticated: bool,
}

impl Seen {
    /// The first form field of that name.
    pub fn field(&self, name: &str) -> Option<&str> {
        lookup(&self.form, name)
    }

    /// The first query field of that name.
    pub fn query_field(&self, name: &str) -> Option<&str> {
        lookup(&self.query, name)
    }
}

fn lookup<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

#[derive(Debug)]
struct State {
    accounts: Vec<Account>,
    faults: Vec<(Scope, Fault)>,
    seen: Vec<Seen>,
}

/// The fake, listening on 127.0.0.1 until dropped.
pub struct TwilioFake {
    address: SocketAddr,
    state: Arc<Mutex<State>>,
    _runner: Runner,
}

impl TwilioFake {
    pub fn start(accounts: Vec<Account>) -> Self {
        let state = Arc::new(Mutex::new(State {
            accounts,
            faults: Vec::new(),
            seen: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        let (address, runner) = Runner::start(move |listener| async move {
            let base = format!(
                "http://{}",
                listener.local_addr().expect("the listener's address")
            );
            while let Ok((tcp, _)) = listener.accept().await {
                let state = Arc::clone(&shared);
                let base = base.clone();
                let service = service_fn(move |request| {
                    let state = Arc::clone(&state);
                    let base = base.clone();
                    async move { Ok::<_, Infallible>(serve(&state, &base, request).await) }
                });
                tokio::spawn(async move {
                    // A broken connection is the client's business; the test reads its side.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        });
        Self {
            address,
            state,
            _runner: runner,
        }
    }

    /// `http://127.0.0.1:PORT`: the `--twilio-base-url`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes a domain while the server runs; panics if no account has it.
    pub fn update(&self, domain_sid: &str, change: impl FnOnce(&mut Domain)) {
        let mut state = self.lock();
        let domain = state
            .accounts
            .iter_mut()
            .flat_map(|account| account.domains.iter_mut())
            .find(|domain| domain.sid == domain_sid)
            .unwrap_or_else(|| panic!("the fake has no domain {domain_sid}"));
        change(domain);
    }

    /// A domain as it is now.
    pub fn domain(&self, domain_sid: &str) -> Option<Domain> {
        self.lock()
            .accounts
            .iter()
            .flat_map(|account| &account.domains)
            .find(|domain| domain.sid == domain_sid)
            .cloned()
    }

    /// Adds an alert to an account while the server runs.
    pub fn add_alert(&self, account_sid: &str, alert: Alert) {
        let mut state = self.lock();
        let account = state
            .accounts
            .iter_mut()
            .find(|account| account.sid == account_sid)
            .unwrap_or_else(|| panic!("the fake has no account {account_sid}"));
        account.alerts.push(alert);
    }

    /// The alarms created, every account's, in order.
    pub fn alarms(&self) -> Vec<Value> {
        self.lock()
            .accounts
            .iter()
            .flat_map(|account| account.alarms.clone())
            .collect()
    }

    /// Switches a fault on; the first one that applies to a request wins.
    pub fn fault(&self, scope: Scope, fault: Fault) {
        self.lock().faults.push((scope, fault));
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Every request seen, in arrival order.
    pub fn requests(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    /// The requests seen with this method (`"POST"`).
    pub fn requests_with(&self, method: &str) -> Vec<Seen> {
        self.lock()
            .seen
            .iter()
            .filter(|seen| seen.method == method)
            .cloned()
            .collect()
    }
}

type Answer = Response<Full<Bytes>>;

/// Answers one request: recorded first, then faults, then credentials, then the endpoint.
async fn serve(state: &Mutex<State>, base: &str, request: hyper::Request<Incoming>) -> Answer {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let outcome = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let (seen, account) = seen(&parts, &body, &state.accounts);
        let route = route(&parts.method, &seen.path);
        let answer = handle(&mut state, base, &seen, account, route);
        state.seen.push(seen);
        answer
    };
    match outcome {
        Outcome::Answer(answer) => answer,
        Outcome::NoAnswer => std::future::pending().await,
    }
}

enum Outcome {
    Answer(Answer),
    NoAnswer,
}

/// What a request asks for.
enum Route {
    /// One of the domain's endpoints.
    Domain(Endpoint, String),
    Other(Endpoint),
    /// A path the fake knows with another method.
    WrongMethod,
    Unknown,
}

impl Route {
    fn endpoint(&self) -> Option<Endpoint> {
        match self {
            Route::Domain(endpoint, _) | Route::Other(endpoint) => Some(*endpoint),
            Route::WrongMethod | Route::Unknown => None,
        }
    }
}

fn route(method: &Method, path: &str) -> Route {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let get = method == Method::GET;
    let post = method == Method::POST;
    let (endpoint, sid) = match segments.as_slice() {
        ["v2", "LinkShortening", "Domains", sid, "Certificate"] if get => {
            (Endpoint::CertificateV2, Some(sid))
        }
        ["v1", "LinkShortening", "Domains", sid, "Certificate"] if get => {
            (Endpoint::CertificateV1, Some(sid))
        }
        ["v1", "LinkShortening", "Domains", sid, "Certificate"] if post => {
            (Endpoint::UploadCertificate, Some(sid))
        }
        ["v1", "LinkShortening", "Domains", sid, "RequestManagedCert"] if post => {
            (Endpoint::RequestManagedCert, Some(sid))
        }
        ["v1", "LinkShortening", "Domains", sid, "Config"] if get => (Endpoint::Config, Some(sid)),
        ["v1", "LinkShortening", "Domains", sid, "ValidateDns"] if get => {
            (Endpoint::ValidateDns, Some(sid))
        }
        ["v1", "Alerts"] if get => (Endpoint::Alerts, None),
        ["v2", "Alarms"] if get => (Endpoint::ListAlarms, None),
        ["v2", "Alarms"] if post => (Endpoint::CreateAlarm, None),
        ["v2", "LinkShortening", "Domains", _, "Certificate"]
        | [
            "v1",
            "LinkShortening",
            "Domains",
            _,
            "Certificate" | "RequestManagedCert" | "Config" | "ValidateDns",
        ]
        | ["v1", "Alerts"]
        | ["v2", "Alarms"] => return Route::WrongMethod,
        _ => return Route::Unknown,
    };
    match sid {
        Some(sid) => Route::Domain(endpoint, (*sid).to_owned()),
        None => Route::Other(endpoint),
    }
}

/// The request as recorded, and the account (its index in `accounts`) its credentials are
/// good for.
fn seen(
    parts: &hyper::http::request::Parts,
    body: &Bytes,
    accounts: &[Account],
) -> (Seen, Option<usize>) {
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let media = content_type
        .as_deref()
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    let text = String::from_utf8_lossy(body).into_owned();
    let form = if media.as_deref() == Some("application/x-www-form-urlencoded") {
        decode_form(&text)
    } else {
        Vec::new()
    };
    let json = if media.as_deref() == Some("application/json") {
        serde_json::from_slice(body).ok()
    } else {
        None
    };
    let (username, password) = basic_auth(parts.headers.get(AUTHORIZATION)).unzip();
    let account = username
        .as_deref()
        .zip(password.as_deref())
        .and_then(|(username, password)| account_of(accounts, username, password));
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: decode_form(parts.uri.query().unwrap_or_default()),
        content_type,
        form,
        json,
        body: text,
        username,
        authenticated: account.is_some(),
    };
    (seen, account)
}

/// The account whose credentials these are.
fn account_of(accounts: &[Account], username: &str, password: &str) -> Option<usize> {
    accounts.iter().position(|account| {
        account
            .credentials
            .iter()
            .any(|(user, secret)| user == username && secret == password)
    })
}

/// `Authorization: Basic base64(user:password)`.
fn basic_auth(header: Option<&HeaderValue>) -> Option<(String, String)> {
    let encoded = header?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// `application/x-www-form-urlencoded` (also a query string): `+` is a space, `%XX` a byte.
fn decode_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes
            .get(at + 1..at + 3)
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .and_then(|digits| u8::from_str_radix(digits, 16).ok());
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                at += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                at += 1;
            }
            (byte, _) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// The fault for this request, if any, counting down a `TooManyRequests`.
fn take_fault(faults: &mut Vec<(Scope, Fault)>, endpoint: Option<Endpoint>) -> Option<Fault> {
    let at = faults.iter().position(|(scope, _)| match scope {
        Scope::All => true,
        Scope::Only(only) => Some(*only) == endpoint,
    })?;
    let fault = faults[at].1;
    if let Fault::TooManyRequests { times, retry_after } = fault {
        if times <= 1 {
            faults.remove(at);
        } else {
            faults[at].1 = Fault::TooManyRequests {
                times: times - 1,
                retry_after,
            };
        }
    }
    Some(fault)
}

fn handle(
    state: &mut State,
    base: &str,
    seen: &Seen,
    account: Option<usize>,
    route: Route,
) -> Outcome {
    match take_fault(&mut state.faults, route.endpoint()) {
        Some(Fault::TooManyRequests { retry_after, .. }) => {
            let mut answer = error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests");
            if retry_after {
                answer
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            }
            return Outcome::Answer(answer);
        }
        Some(Fault::ServerError) => {
            return Outcome::Answer(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                20500,
                "Internal Server Error",
            ));
        }
        Some(Fault::MalformedJson) => {
            return Outcome::Answer(answer(
                StatusCode::OK,
                "{\"certificate_sid\": \"CW".to_owned(),
            ));
        }
        Some(Fault::NoAnswer) => return Outcome::NoAnswer,
        None => {}
    }
    let Some(account) = account else {
        let mut answer = error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
        answer.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Twilio API\""),
        );
        return Outcome::Answer(answer);
    };
    let account = &mut state.accounts[account];
    Outcome::Answer(match route {
        Route::Domain(endpoint, sid) => {
            match account.domains.iter_mut().find(|domain| domain.sid == sid) {
                Some(domain) => domain_endpoint(domain, endpoint, base, seen),
                None => not_found(&seen.path),
            }
        }
        Route::Other(Endpoint::Alerts) => alerts(account, base, seen),
        Route::Other(Endpoint::ListAlarms) => list_alarms(account, base),
        Route::Other(Endpoint::CreateAlarm) => create_alarm(account, seen),
        Route::Other(_) => unreachable!("every other endpoint is a domain's"),
        Route::WrongMethod => error(StatusCode::METHOD_NOT_ALLOWED, 20004, "Method not allowed"),
        Route::Unknown => not_found(&seen.path),
    })
}

fn domain_endpoint(domain: &mut Domain, endpoint: Endpoint, base: &str, seen: &Seen) -> Answer {
    match endpoint {
        Endpoint::CertificateV2 | Endpoint::CertificateV1 => {
            let v2 = endpoint == Endpoint::CertificateV2;
            domain.certificate_read(v2);
            ok(&domain.certificate_json(base, v2))
        }
        Endpoint::UploadCertificate => match seen.field("TlsCert") {
            Some(pem) if !pem.is_empty() => {
                // The current certificate, managed or not, stands until the upload is taken.
                domain.uploads.push(pem.to_owned());
                domain.cert_in_validation = Some(pending(domain.upload_expires.as_deref()));
                domain.validation_left = domain.validation_takes;
                domain.date_updated = now();
                if domain.certificate_sid.is_none() {
                    domain.certificate_sid = Some(next_sid("CW"));
                }
                ok(&domain.certificate_json(base, false))
            }
            _ => error(
                StatusCode::BAD_REQUEST,
                20001,
                "Missing required parameter TlsCert in the post body",
            ),
        },
        Endpoint::RequestManagedCert => {
            domain.managed = true;
            domain.requesting = true;
            domain.requesting_left = domain.request_takes;
            domain.date_updated = now();
            ok(&domain.request_managed_cert_json(base))
        }
        Endpoint::Config => ok(&domain.config_json(base)),
        Endpoint::ValidateDns => ok(&domain.dns_json(base)),
        Endpoint::Alerts | Endpoint::ListAlarms | Endpoint::CreateAlarm => {
            unreachable!("not a domain's endpoint")
        }
    }
}

/// A date as the API takes it (`YYYY-MM-DDThh:mm:ssZ`, any RFC 3339) or `YYYY-MM-DD`, which
/// is the day's start (`StartDate`) or its end (`EndDate`).
fn date_bound(text: &str, end: bool) -> Option<OffsetDateTime> {
    let full = if text.len() == 10 {
        format!("{text}T{}", if end { "23:59:59Z" } else { "00:00:00Z" })
    } else {
        text.to_owned()
    };
    OffsetDateTime::parse(&full, &Rfc3339).ok()
}

/// An alert's `date_created`, which a test gave.
fn created(alert: &Alert) -> OffsetDateTime {
    OffsetDateTime::parse(&alert.date_created, &Rfc3339)
        .unwrap_or_else(|_| panic!("alert date {:?} is not RFC 3339", alert.date_created))
}

/// `GET /v1/Alerts`: newest first, filtered by `LogLevel`, `StartDate`, `EndDate` (on
/// `date_created`), paged by `PageSize` (1 to 1000, default 50) and `PageToken` (the fake's
/// own: `PA` and the offset of the page's first alert).
fn alerts(account: &Account, base: &str, seen: &Seen) -> Answer {
    let page_size = match seen.query_field("PageSize").map(str::parse::<usize>) {
        None => 50,
        Some(Ok(size)) if (1..=1000).contains(&size) => size,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                20001,
                "Invalid PageSize: must be between 1 and 1000",
            );
        }
    };
    let offset = match seen.query_field("PageToken").map(|token| {
        token
            .strip_prefix("PA")
            .and_then(|offset| offset.parse::<usize>().ok())
    }) {
        None => 0,
        Some(Some(offset)) => offset,
        Some(None) => return error(StatusCode::BAD_REQUEST, 20001, "Invalid PageToken"),
    };
    let bounds = [("StartDate", false), ("EndDate", true)].map(|(name, end)| {
        seen.query_field(name)
            .map(|date| date_bound(date, end).ok_or(name))
            .transpose()
    });
    let (start, end) = match bounds {
        [Ok(start), Ok(end)] => (start, end),
        [Err(name), _] | [_, Err(name)] => {
            return error(
                StatusCode::BAD_REQUEST,
                20001,
                &format!("Invalid {name}: expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ"),
            );
        }
    };
    let level = seen.query_field("LogLevel");
    let mut chosen: Vec<&Alert> = account
        .alerts
        .iter()
        .filter(|alert| start.is_none_or(|start| created(alert) >= start))
        .filter(|alert| end.is_none_or(|end| created(alert) <= end))
        .filter(|alert| level.is_none_or(|level| alert.log_level == level))
        .collect();
    // Newest first; among equals, the one added last first.
    chosen.reverse();
    chosen.sort_by_key(|alert| std::cmp::Reverse(created(alert)));
    let records: Vec<Value> = chosen
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|alert| alert.json(base, &account.sid))
        .collect();
    let page = offset / page_size;
    let filters: String = ["LogLevel", "StartDate", "EndDate"]
        .iter()
        .filter_map(|name| {
            seen.query_field(name)
                .map(|value| format!("{name}={}&", percent_encode(value)))
        })
        .collect();
    let url = |page: usize, token: Option<usize>| {
        let token = token
            .map(|offset| format!("&PageToken=PA{offset}"))
            .unwrap_or_default();
        format!("{base}/v1/Alerts?{filters}PageSize={page_size}&Page={page}{token}")
    };
    let next = (offset + page_size < chosen.len()).then(|| url(page + 1, Some(offset + page_size)));
    let previous = (offset > 0).then(|| url(page - 1, Some(offset.saturating_sub(page_size))));
    let current = url(page, (offset > 0).then_some(offset));
    ok(&json!({
        "alerts": records,
        "meta": {
            "first_page_url": url(0, None),
            "key": "alerts",
            "next_page_url": next,
            "page": page,
            "page_size": page_size,
            "previous_page_url": previous,
            "url": current,
        }
    }))
}

/// `GET /v2/Alarms`: one page, shaped as the v1 lists are (the reference gives no example).
fn list_alarms(account: &Account, base: &str) -> Answer {
    let url = format!("{base}/v2/Alarms?PageSize=50&Page=0");
    ok(&json!({
        "alarms": account.alarms,
        "meta": {
            "first_page_url": url,
            "key": "alarms",
            "next_page_url": null,
            "page": 0,
            "page_size": 50,
            "previous_page_url": null,
            "url": url,
        }
    }))
}

/// `POST /v2/Alarms`: a JSON body with the spec's required fields; 201 `{"sid": "AK…"}`.
fn create_alarm(account: &mut Account, seen: &Seen) -> Answer {
    let Some(Value::Object(fields)) = &seen.json else {
        return service_error(StatusCode::BAD_REQUEST, "The body is not a JSON object");
    };
    for required in [
        "friendlyName",
        "queryType",
        "triggerValue",
        "timeWindow",
        "description",
        "enabled",
    ] {
        if !fields.contains_key(required) {
            return service_error(
                StatusCode::BAD_REQUEST,
                &format!("Missing required field {required}"),
            );
        }
    }
    let sid = next_sid("AK");
    let mut alarm = fields.clone();
    alarm.insert("sid".to_owned(), json!(sid));
    account.alarms.push(Value::Object(alarm));
    answer(StatusCode::CREATED, json!({ "sid": sid }).to_string())
}

/// Monitor v2's `TwilioServiceErrorResponse`.
fn service_error(status: StatusCode, message: &str) -> Answer {
    let body = json!({
        "message": message,
        "code": 20001,
        "user_error": true,
        "http_status_code": status.as_u16(),
        "params": {},
        "more_info": "https://www.twilio.com/docs/errors/20001",
        "status": status.as_u16(),
    });
    answer(status, body.to_string())
}

/// 404 20404, naming the path without its version, as Twilio's product APIs do.
fn not_found(path: &str) -> Answer {
    let unversioned = path
        .strip_prefix("/v1")
        .or_else(|| path.strip_prefix("/v2"))
        .unwrap_or(path);
    error(
        StatusCode::NOT_FOUND,
        20404,
        &format!("The requested resource {unversioned} was not found"),
    )
}

/// Twilio's legacy error body.
fn error(status: StatusCode, code: u32, message: &str) -> Answer {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    answer(status, body.to_string())
}

fn ok(body: &Value) -> Answer {
    answer(StatusCode::OK, body.to_string())
}

fn answer(status: StatusCode, body: String) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The spec's examples, for the tests of the fake: the key sets responses must have.
pub mod spec {
    /// `GET /v2/LinkShortening/Domains/{sid}/Certificate`, example 200.
    pub const CERTIFICATE_V2: &str = r#"{"certificate_sid": "CWaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "domain_name": "https://api.example.com", "domain_sid": "DNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "date_expires": "2021-02-06T18:02:04Z", "date_created": "2021-02-06T18:02:04Z", "date_updated": "2021-02-06T18:02:04Z", "url": "https://messaging.twilio.com/v2/LinkShortening/Domains/DNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Certificate", "cert_in_validation": {"date_expires": "2021-02-06T18:02:04Z", "status": "pending"}, "managed": false, "requesting": false}"#;
    /// `POST /v1/LinkShortening/Domains/{sid}/RequestManagedCert`, example 200.
    pub const REQUEST_MANAGED_CERT: &str = r#"{"certificate_sid": "CWaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "domain_name": "https://api.example.com", "domain_sid": "DNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "date_created": "2021-02-06T18:02:04Z", "date_updated": "2021-02-06T18:02:04Z", "date_expires": "2021-02-06T18:02:04Z", "url": "https://messaging.twilio.com/v1/LinkShortening/Domains/DNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/RequestManagedCert", "managed": true, "requesting": true}"#;
    /// `GET /v1/LinkShortening/Domains/{sid}/Config`, example 200.
    pub const CONFIG: &str = r#"{"domain_sid": "DNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "config_sid": "ZKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "fallback_url": "https://www.example.com", "callback_url": "https://www.example.com", "continue_on_failure": true, "date_created": "2015-07-30T20:00:00Z", "date_updated": "2015-07-30T20:00:00Z", "url": "https://messaging.twilio.com/v1/LinkShortening/Domains/DNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Config", "disable_https": false}"#;
    /// `GET /v1/Alerts`, example 200 (readFull).
    pub const ALERTS: &str = r#"{"alerts": [{"account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "alert_text": "alert_text", "api_version": "2010-04-01", "date_created": "2015-07-30T20:00:00Z", "date_generated": "2015-07-30T20:00:00Z", "date_updated": "2015-07-30T20:00:00Z", "error_code": "error_code", "log_level": "log_level", "more_info": "more_info", "request_method": "GET", "request_url": "http://www.example.com", "resource_sid": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "sid": "NOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "url": "https://monitor.twilio.com/v1/Alerts/NOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "service_sid": "PNe2cd757cd5257b0217a447933a0290d2"}], "meta": {"first_page_url": "https://monitor.twilio.com/v1/Alerts?LogLevel=log_level&StartDate=2016-01-01T00:00:00Z&EndDate=2016-01-01T00:00:00Z&PageSize=50&Page=0", "key": "alerts", "next_page_url": null, "page": 0, "page_size": 50, "previous_page_url": null, "url": "https://monitor.twilio.com/v1/Alerts?LogLevel=log_level&StartDate=2016-01-01T00:00:00Z&EndDate=2016-01-01T00:00:00Z&PageSize=50&Page=0"}}"#;
}
