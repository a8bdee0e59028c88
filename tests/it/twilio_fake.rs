//! The fake Twilio API (`support/twilio.rs`) against a plain HTTP client (reqwest over
//! http): credentials accepted and refused, responses keyed as the spec's examples, Twilio's
//! 404, alerts over two pages, scripted `requesting`, an upload recorded, and its faults;
//! then certready's own client against it.

use std::collections::BTreeSet;
use std::time::Duration;

use certready::tls::TrustAnchors;
use certready::twilio::client::{ApiFailure, Retry, TwilioApi};
use certready::twilio::credentials::{CredentialSource, Credentials, Secret};
use certready::twilio::hosts::{Hosts, Product};
use certready::twilio::resources::{DnsValidation, DomainCertificate, DomainConfig};
use serde_json::Value;

use crate::support::pki::Pki;
use crate::support::twilio::{
    Account, Alert, Domain, Endpoint, Fault, Scope, TwilioFake, sid, spec,
};

const TOKEN: &str = "auth-token-0123";
const SECRET: &str = "key-secret-4567";

fn account() -> String {
    sid("AC", 1)
}

fn key() -> String {
    sid("SK", 1)
}

fn domain() -> String {
    sid("DN", 1)
}

/// One account, reachable with its auth token or an API key, owning a managed domain for
/// `links.example.test` whose managed request is in progress for two v2 GETs.
fn fake() -> TwilioFake {
    TwilioFake::start(vec![
        Account::new(&account())
            .auth_token(TOKEN)
            .api_key(&key(), SECRET)
            .domain(
                Domain::managed(&domain(), "https://links.example.test")
                    .expires("2027-01-01T00:00:00Z")
                    .requesting_for(2)
                    .issued_expires("2027-04-01T00:00:00Z"),
            ),
    ])
}

fn client() -> reqwest::Client {
    client_with_timeout(Duration::from_secs(5))
}

/// A plain http client. reqwest is built without a default rustls provider, so it is given a
/// TLS configuration (ring, no roots) it never uses over http.
fn client_with_timeout(timeout: Duration) -> reqwest::Client {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(timeout)
        .build()
        .unwrap()
}

/// GET `path` with the API key; the status and the body as JSON.
async fn get(fake: &TwilioFake, path: &str) -> (u16, Value) {
    get_as(fake, path, &key(), SECRET).await
}

async fn get_as(fake: &TwilioFake, path: &str, user: &str, secret: &str) -> (u16, Value) {
    let response = client()
        .get(format!("{}{path}", fake.base_url()))
        .basic_auth(user, Some(secret))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, json(response).await)
}

/// The body as JSON (the crate's reqwest has no `json` feature).
async fn json(response: reqwest::Response) -> Value {
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

/// POSTs `body` as JSON, as certready posts Monitor v2 alarms.
fn post_json(url: &str, body: &Value) -> reqwest::RequestBuilder {
    client()
        .post(url)
        .basic_auth(key(), Some(SECRET))
        .header("content-type", "application/json")
        .body(body.to_string())
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

fn certificate_path() -> String {
    format!("/v2/LinkShortening/Domains/{}/Certificate", domain())
}

#[tokio::test]
async fn credentials_are_accepted_and_anything_else_is_a_401() {
    let fake = fake();
    let path = certificate_path();
    assert_eq!(get_as(&fake, &path, &account(), TOKEN).await.0, 200);
    assert_eq!(get_as(&fake, &path, &key(), SECRET).await.0, 200);
    for (user, secret) in [
        (key(), TOKEN.to_owned()),
        (account(), SECRET.to_owned()),
        (sid("SK", 2), SECRET.to_owned()),
    ] {
        let (status, body) = get_as(&fake, &path, &user, &secret).await;
        assert_eq!(status, 401);
        assert_eq!(
            body,
            serde_json::json!({"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401})
        );
    }
    let bare = client()
        .get(format!("{}{path}", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status().as_u16(), 401);
    let seen = fake.requests();
    assert_eq!(
        seen.iter()
            .map(|seen| seen.authenticated)
            .collect::<Vec<_>>(),
        [true, true, false, false, false, false]
    );
    assert_eq!(seen[1].username.as_deref(), Some(key().as_str()));
    assert!(
        !format!("{seen:?}").contains(SECRET),
        "no secret is recorded"
    );
}

#[tokio::test]
async fn the_v2_certificate_is_keyed_as_the_spec_s_example_and_requesting_ends_as_scripted() {
    let fake = fake();
    let example: Value = serde_json::from_str(spec::CERTIFICATE_V2).unwrap();
    let mut requesting = Vec::new();
    for _ in 0..3 {
        let (status, body) = get(&fake, &certificate_path()).await;
        assert_eq!(status, 200);
        assert_eq!(keys(&body), keys(&example));
        requesting.push((body["requesting"].clone(), body["date_expires"].clone()));
        assert_eq!(body["managed"], true);
        assert_eq!(body["domain_name"], "https://links.example.test");
        assert_eq!(body["domain_sid"], domain());
        assert_eq!(body["cert_in_validation"], Value::Null);
        assert_eq!(
            body["url"],
            format!("{}{}", fake.base_url(), certificate_path())
        );
    }
    assert_eq!(
        requesting,
        [
            (Value::Bool(true), "2027-01-01T00:00:00Z".into()),
            (Value::Bool(true), "2027-01-01T00:00:00Z".into()),
            (Value::Bool(false), "2027-04-01T00:00:00Z".into()),
        ]
    );
    let v1 = get(
        &fake,
        &format!("/v1/LinkShortening/Domains/{}/Certificate", domain()),
    )
    .await
    .1;
    let mut v1_keys = keys(&example);
    v1_keys.remove("managed");
    v1_keys.remove("requesting");
    assert_eq!(keys(&v1), v1_keys);

    fake.update(&domain(), |domain| domain.dns.is_valid = false);
    let dns = get(
        &fake,
        &format!("/v1/LinkShortening/Domains/{}/ValidateDns", domain()),
    )
    .await
    .1;
    assert_eq!(dns["is_valid"], false);
    let config = get(
        &fake,
        &format!("/v1/LinkShortening/Domains/{}/Config", domain()),
    )
    .await
    .1;
    let config_example: Value = serde_json::from_str(spec::CONFIG).unwrap();
    assert_eq!(keys(&config), keys(&config_example));
    assert_eq!(config["fallback_url"], Value::Null);
}

#[tokio::test]
async fn an_unknown_domain_is_twilio_s_404() {
    let fake = fake();
    let other = sid("DN", 99);
    let (status, body) = get(
        &fake,
        &format!("/v2/LinkShortening/Domains/{other}/Certificate"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        serde_json::json!({"code": 20404, "message": format!("The requested resource /LinkShortening/Domains/{other}/Certificate was not found"), "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404})
    );
}

#[tokio::test]
async fn alerts_come_newest_first_over_two_pages() {
    let fake = fake();
    for day in 1..=5 {
        fake.add_alert(
            &account(),
            Alert::new("30131", &format!("2026-11-0{day}T00:00:00Z")),
        );
    }
    fake.add_alert(&account(), Alert::new("30102", "2026-10-01T00:00:00Z"));
    let (status, first) = get(
        &fake,
        "/v1/Alerts?StartDate=2026-11-01T00:00:00Z&PageSize=3",
    )
    .await;
    assert_eq!(status, 200);
    let example: Value = serde_json::from_str(spec::ALERTS).unwrap();
    assert_eq!(keys(&first), keys(&example));
    assert_eq!(keys(&first["meta"]), keys(&example["meta"]));
    assert_eq!(keys(&first["alerts"][0]), keys(&example["alerts"][0]));
    assert_eq!(first["meta"]["key"], "alerts");
    assert_eq!(first["meta"]["previous_page_url"], Value::Null);
    let dates = |page: &Value| -> Vec<String> {
        page["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|alert| alert["date_created"].as_str().unwrap()[..10].to_owned())
            .collect()
    };
    assert_eq!(dates(&first), ["2026-11-05", "2026-11-04", "2026-11-03"]);
    assert_eq!(first["alerts"][0]["error_code"], "30131");
    assert_eq!(first["alerts"][0]["log_level"], "warning");
    assert_eq!(first["alerts"][0]["account_sid"], account());

    let next = first["meta"]["next_page_url"].as_str().unwrap();
    let path = next
        .strip_prefix(&fake.base_url())
        .expect("the next page is at the fake's base");
    assert!(path.contains("PageToken="), "{path}");
    assert!(path.contains("StartDate="), "{path}");
    let (_, second) = get(&fake, path).await;
    assert_eq!(dates(&second), ["2026-11-02", "2026-11-01"]);
    assert_eq!(second["meta"]["next_page_url"], Value::Null);
    assert_eq!(second["meta"]["page"], 1);
    assert_eq!(second["meta"]["page_size"], 3);

    // A date alone ends at the day's end; the 30102 alert is an error, not a warning.
    let (_, until) = get(&fake, "/v1/Alerts?EndDate=2026-11-02&LogLevel=warning").await;
    assert_eq!(dates(&until), ["2026-11-02", "2026-11-01"]);
    let (_, all) = get(&fake, "/v1/Alerts").await;
    assert_eq!(all["alerts"].as_array().unwrap().len(), 6);
    assert_eq!(get(&fake, "/v1/Alerts?StartDate=yesterday").await.0, 400);
}

#[tokio::test]
async fn a_429_twice_then_the_answer() {
    let fake = fake();
    fake.fault(
        Scope::Only(Endpoint::CertificateV2),
        Fault::TooManyRequests {
            times: 2,
            retry_after: true,
        },
    );
    let url = format!("{}{}", fake.base_url(), certificate_path());
    let mut seen = Vec::new();
    for _ in 0..3 {
        let response = client()
            .get(&url)
            .basic_auth(key(), Some(SECRET))
            .send()
            .await
            .unwrap();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|value| value.to_str().unwrap().to_owned());
        let status = response.status().as_u16();
        let body: Value = json(response).await;
        seen.push((status, retry_after, body["code"].clone()));
    }
    assert_eq!(
        seen,
        [
            (429, Some("1".to_owned()), 20429.into()),
            (429, Some("1".to_owned()), 20429.into()),
            (200, None, Value::Null),
        ]
    );
    // Other endpoints were never throttled.
    let config = format!("/v1/LinkShortening/Domains/{}/Config", domain());
    assert_eq!(get(&fake, &config).await.0, 200);
}

#[tokio::test]
async fn faults_500_and_malformed_json() {
    let fake = fake();
    fake.fault(Scope::All, Fault::ServerError);
    let (status, body) = get(&fake, "/v1/Alerts").await;
    assert_eq!((status, body["code"].clone()), (500, 20500.into()));
    fake.clear_faults();
    fake.fault(Scope::Only(Endpoint::Alerts), Fault::MalformedJson);
    let response = client()
        .get(format!("{}/v1/Alerts", fake.base_url()))
        .basic_auth(key(), Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
}

#[tokio::test]
async fn a_fake_that_never_answers_runs_a_client_into_its_timeout() {
    let fake = fake();
    fake.fault(Scope::All, Fault::NoAnswer);
    let started = std::time::Instant::now();
    let error = client_with_timeout(Duration::from_millis(300))
        .get(format!("{}{}", fake.base_url(), certificate_path()))
        .basic_auth(key(), Some(SECRET))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(fake.requests().len(), 1, "the request was read");
}

#[tokio::test]
async fn uploads_are_recorded_and_validate_as_scripted() {
    let fake = TwilioFake::start(vec![
        Account::new(&account()).api_key(&key(), SECRET).domain(
            Domain::uploaded(&domain(), "https://links.example.test")
                .expires("2026-12-20T00:00:00Z")
                .validation_takes(1, "2027-06-01T00:00:00Z"),
        ),
    ]);
    assert!(fake.requests_with("POST").is_empty());
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB+/=\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMC4=\n-----END PRIVATE KEY-----\n";
    let url = format!(
        "{}/v1/LinkShortening/Domains/{}/Certificate",
        fake.base_url(),
        domain()
    );
    let post = |form: Vec<(&'static str, String)>| {
        client()
            .post(&url)
            .basic_auth(key(), Some(SECRET))
            .form(&form)
            .send()
    };
    let missing = post(Vec::new()).await.unwrap();
    assert_eq!(missing.status().as_u16(), 400);
    let missing: Value = json(missing).await;
    assert_eq!(missing["code"], 20001);
    assert_eq!(missing["status"], 400);

    let uploaded = post(vec![("TlsCert", pem.to_owned())]).await.unwrap();
    assert_eq!(uploaded.status().as_u16(), 200);
    let uploaded: Value = json(uploaded).await;
    assert_eq!(
        uploaded["cert_in_validation"],
        serde_json::json!({"date_expires": "2027-06-01T00:00:00Z", "status": "pending"})
    );
    assert_eq!(uploaded["date_expires"], "2026-12-20T00:00:00Z");

    let posts = fake.requests_with("POST");
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[1].field("TlsCert"), Some(pem));
    assert_eq!(
        posts[1].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(fake.domain(&domain()).unwrap().uploads, [pem]);

    let path = format!("/v1/LinkShortening/Domains/{}/Certificate", domain());
    let pending = get(&fake, &path).await.1;
    assert_eq!(pending["cert_in_validation"]["status"], "pending");
    let taken = get(&fake, &path).await.1;
    assert_eq!(taken["cert_in_validation"], Value::Null);
    assert_eq!(taken["date_expires"], "2027-06-01T00:00:00Z");
}

#[tokio::test]
async fn a_managed_request_and_an_alarm() {
    let fake = fake();
    let response = client()
        .post(format!(
            "{}/v1/LinkShortening/Domains/{}/RequestManagedCert",
            fake.base_url(),
            domain()
        ))
        .basic_auth(key(), Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = json(response).await;
    let example: Value = serde_json::from_str(spec::REQUEST_MANAGED_CERT).unwrap();
    assert_eq!(keys(&body), keys(&example));
    assert_eq!(
        (&body["managed"], &body["requesting"]),
        (&true.into(), &true.into())
    );

    let alarms = format!("{}/v2/Alarms", fake.base_url());
    let alarm = serde_json::json!({"friendlyName": "30131", "queryType": "ERROR_CODE", "query": "30131", "triggerValue": 1, "timeWindow": "ONE_DAY", "description": "certificate expiring", "enabled": true});
    let created = post_json(&alarms, &alarm).send().await.unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = json(created).await;
    assert!(created["sid"].as_str().unwrap().starts_with("AK"));
    let incomplete = post_json(&alarms, &serde_json::json!({"friendlyName": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(incomplete.status().as_u16(), 400);
    let (status, list) = get(&fake, "/v2/Alarms").await;
    assert_eq!(status, 200);
    assert_eq!(list["alarms"][0]["sid"], created["sid"]);
    assert_eq!(list["alarms"][0]["queryType"], "ERROR_CODE");
    assert_eq!(fake.alarms().len(), 1);
}

/// certready's own client (`certready::twilio::client`) against the fake, as a run with
/// `--twilio-base-url` uses it.
fn certready_client(fake: &TwilioFake, secret: &str) -> TwilioApi {
    let pki = Pki::at(time::OffsetDateTime::now_utc());
    let anchors = TrustAnchors::from_pem_file(pki.root_pem().as_bytes()).unwrap();
    let credentials = Credentials {
        account_sid: account(),
        username: key(),
        secret: Secret::new(secret.to_owned()),
        source: CredentialSource::ApiKeyVariables,
        region: None,
        edge: None,
    };
    let retry = Retry {
        attempts: 3,
        timeout: Duration::from_secs(5),
        first_backoff: Duration::from_millis(10),
        longest_wait: Duration::from_secs(2),
    };
    TwilioApi::new(
        Hosts::base(&fake.base_url()).unwrap(),
        credentials,
        &anchors,
        retry,
    )
    .unwrap()
}

#[tokio::test]
async fn certready_s_client_reads_the_fake() {
    let fake = fake();
    fake.fault(
        Scope::Only(Endpoint::CertificateV2),
        Fault::TooManyRequests {
            times: 1,
            retry_after: true,
        },
    );
    let api = certready_client(&fake, SECRET);
    let certificate: DomainCertificate = api
        .get(Product::Messaging, &certificate_path())
        .await
        .unwrap();
    assert_eq!(certificate.managed, Some(true));
    assert_eq!(certificate.requesting, Some(true));
    assert_eq!(
        certificate.domain_name.as_deref(),
        Some("https://links.example.test")
    );
    let config: DomainConfig = api
        .get(
            Product::Messaging,
            &format!("/v1/LinkShortening/Domains/{}/Config", domain()),
        )
        .await
        .unwrap();
    assert_eq!(config.disable_https, Some(false));
    let dns: DnsValidation = api
        .get(
            Product::Messaging,
            &format!("/v1/LinkShortening/Domains/{}/ValidateDns", domain()),
        )
        .await
        .unwrap();
    assert_eq!(dns.is_valid, Some(true));

    for day in 1..=3 {
        fake.add_alert(
            &account(),
            Alert::new("30131", &format!("2026-11-0{day}T00:00:00Z")),
        );
    }
    let first: Value = api
        .get(Product::Monitor, "/v1/Alerts?PageSize=2")
        .await
        .unwrap();
    let second: Value = api
        .get_given(
            Product::Monitor,
            first["meta"]["next_page_url"].as_str().unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(second["alerts"].as_array().unwrap().len(), 1);

    let missing = api
        .get::<Value>(
            Product::Messaging,
            &format!("/v2/LinkShortening/Domains/{}/Certificate", sid("DN", 7)),
        )
        .await
        .unwrap_err();
    assert!(matches!(missing, ApiFailure::NotFound(_)), "{missing:?}");
    assert_eq!(missing.twilio_error().unwrap().code, Some(20404));

    let refused = certready_client(&fake, "wrong")
        .get::<Value>(Product::Messaging, &certificate_path())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "unauthorized");
    assert_eq!(refused.twilio_error().unwrap().code, Some(20003));

    // The first GET was throttled once and tried again.
    let certificate_gets = fake
        .requests()
        .iter()
        .filter(|seen| seen.path == certificate_path())
        .count();
    assert_eq!(certificate_gets, 3);
}
