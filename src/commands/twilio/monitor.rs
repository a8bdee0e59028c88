//! Twilio Monitor: the Alarm on 30131 that Twilio's docs recommend ("create an Alarm for
//! 30131", on the 30102 page), created unless one exists; and the recent alerts about Link
//! Shortening certificates, read page by page (the API has no filter by error code).

use std::time::Duration;

use serde_json::{Value, json};

use crate::cert::rfc3339;
use crate::clock::unix_now;
use crate::twilio::client::{ApiFailure, TwilioApi};
use crate::twilio::hosts::Product;
use crate::twilio::resources::{AlarmCreated, Alert, AlertPage};

/// Link Shortening's error codes, 30101 to 30132.
const LINK_SHORTENING_ERRORS: std::ops::RangeInclusive<u16> = 30101..=30132;
/// Pages read at most: Twilio fetches at most 10,000 alerts a request, 1,000 a page.
const MOST_PAGES: usize = 50;
/// The error code the alarm watches: "Domain's certificate will expire soon".
const EXPIRES_SOON: &str = "30131";

/// What `alarm` found or made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AlarmOutcome {
    /// An alarm on 30131 was there already: its SID, if given.
    Present(Option<String>),
    /// Created: its SID.
    Created(Option<String>),
}

/// Whether an alarm of `GET /v2/Alarms` watches error 30131.
pub fn watches_expiry(alarm: &Value) -> bool {
    alarm.get("queryType").and_then(Value::as_str) == Some("ERROR_CODE")
        && alarm.get("query").and_then(Value::as_str) == Some(EXPIRES_SOON)
}

/// The alarm's body, as Monitor v2 takes it (JSON).
pub fn alarm_body(emails: &[String], webhook: Option<&str>) -> Value {
    let mut body = json!({
        "friendlyName": "Link Shortening certificate expires soon (30131)",
        "description": "Created by certready: a Link Shortening domain's certificate will expire soon. Replace it, or request a Twilio-managed one.",
        "queryType": "ERROR_CODE",
        "query": EXPIRES_SOON,
        "triggerValue": 1,
        "timeWindow": "ONE_DAY",
        "email": emails,
        "consoleIndicator": true,
        "enabled": true,
    });
    if let Some(webhook) = webhook {
        body["webhook"] = Value::from(webhook);
    }
    body
}

/// Creates the alarm on 30131 unless one exists.
pub async fn alarm(
    api: &TwilioApi,
    emails: &[String],
    webhook: Option<&str>,
) -> Result<AlarmOutcome, ApiFailure> {
    let mut page: Value = api.get(Product::Monitor, "/v2/Alarms").await?;
    for _ in 0..MOST_PAGES {
        let present = page
            .as_object()
            .into_iter()
            .flat_map(|object| object.values())
            .filter_map(Value::as_array)
            .flatten()
            .find(|alarm| watches_expiry(alarm));
        if let Some(alarm) = present {
            let sid = alarm.get("sid").and_then(Value::as_str).map(str::to_owned);
            return Ok(AlarmOutcome::Present(sid));
        }
        let next = page
            .pointer("/meta/next_page_url")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let Some(next) = next else { break };
        page = api.get_given(Product::Monitor, &next).await?;
    }
    let created: AlarmCreated = api
        .post_json(Product::Monitor, "/v2/Alarms", &alarm_body(emails, webhook))
        .await?;
    Ok(AlarmOutcome::Created(created.sid))
}

/// Whether an alert is about Link Shortening (its code is 30101 to 30132).
pub fn is_link_shortening(alert: &Alert) -> bool {
    alert
        .error_code
        .as_deref()
        .and_then(|code| code.trim().parse::<u16>().ok())
        .is_some_and(|code| LINK_SHORTENING_ERRORS.contains(&code))
}

/// How far back Monitor keeps alerts: "Queries for alerts older than 30 days are not
/// supported".
pub const ALERTS_KEPT: Duration = Duration::from_secs(30 * 86_400);

/// The alerts of the last `since` (at most `ALERTS_KEPT`) about Link Shortening, newest
/// first, following `next_page_url` (at most `MOST_PAGES` pages).
pub async fn alerts(api: &TwilioApi, since: Duration) -> Result<Vec<Alert>, ApiFailure> {
    let seconds = i64::try_from(since.min(ALERTS_KEPT).as_secs()).unwrap_or(i64::MAX);
    let start = rfc3339(unix_now().saturating_sub(seconds));
    let mut page: AlertPage = api
        .get(
            Product::Monitor,
            &format!("/v1/Alerts?StartDate={start}&PageSize=1000"),
        )
        .await?;
    let mut found: Vec<Alert> = Vec::new();
    for _ in 0..MOST_PAGES {
        found.extend(page.alerts.drain(..).filter(is_link_shortening));
        let Some(next) = page.meta.and_then(|meta| meta.next_page_url) else {
            break;
        };
        page = api.get_given(Product::Monitor, &next).await?;
    }
    Ok(found)
}

/// An alert's text as twilio-cli shows it: `alert_text` is often URL-encoded `key=value`
/// pairs, of which `parserMessage` or `Msg` says it.
pub fn alert_message(alert: &Alert) -> String {
    let text = alert.alert_text.as_deref().unwrap_or_default();
    let pairs: Vec<(String, String)> = form_urlencoded_pairs(text);
    pairs
        .iter()
        .find(|(key, _)| key == "parserMessage")
        .or_else(|| pairs.iter().find(|(key, _)| key == "Msg"))
        .map_or_else(|| text.to_owned(), |(_, value)| value.clone())
}

/// `key=value&...` decoded, when the text is such pairs.
fn form_urlencoded_pairs(text: &str) -> Vec<(String, String)> {
    if !text.contains('=') {
        return Vec::new();
    }
    reqwest::Url::parse(&format!("http://alert.invalid/?{text}"))
        .map(|url| url.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_link_shortening_codes_are_kept() {
        let alert = |code: &str| Alert {
            error_code: Some(code.into()),
            ..Alert::default()
        };
        assert!(is_link_shortening(&alert("30131")));
        assert!(is_link_shortening(&alert("30101")));
        assert!(!is_link_shortening(&alert("30100")));
        assert!(!is_link_shortening(&alert("11200")));
        assert!(!is_link_shortening(&alert("error_code")));
    }

    #[test]
    fn an_alarm_on_30131_is_recognised_and_the_body_has_what_monitor_requires() {
        assert!(watches_expiry(
            &json!({"queryType": "ERROR_CODE", "query": "30131"})
        ));
        assert!(!watches_expiry(
            &json!({"queryType": "ERROR_CODE", "query": "30102"})
        ));
        let body = alarm_body(&["sre@example.com".into()], Some("https://hooks.example/t"));
        for required in [
            "friendlyName",
            "queryType",
            "triggerValue",
            "timeWindow",
            "description",
            "enabled",
        ] {
            assert!(body.get(required).is_some(), "{required}");
        }
        assert_eq!(body["webhook"], "https://hooks.example/t");
    }

    #[test]
    fn alert_text_is_decoded_as_twilio_cli_does() {
        let alert = |text: &str| Alert {
            alert_text: Some(text.into()),
            ..Alert::default()
        };
        assert_eq!(
            alert_message(&alert("Msg=Certificate+will+expire&sourceComponent=1")),
            "Certificate will expire"
        );
        assert_eq!(alert_message(&alert("plain words")), "plain words");
    }
}
