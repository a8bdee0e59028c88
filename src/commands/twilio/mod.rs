//! The `twilio` commands: `status` reads (Twilio's view beside the world's); the actions
//! (`request-managed-cert`, `upload`, `alarm`) each say what they will do and do only that;
//! `alerts` lists Monitor's recent certificate alerts.
//!
//! - `status`: the status job; `actions`: requesting and uploading certificates, and waiting
//!   for Twilio to finish; `monitor`: alarms and alerts.

pub mod actions;
pub mod monitor;
pub mod status;

pub use status::{DomainStatus, StatusJob};

use crate::cert::Thresholds;
use crate::commands::check::Checker;
use crate::commands::print_report;
use crate::diagnostics::warn;
use crate::exit::ExitStatus;
use crate::render::Format;
use crate::render::twilio::{render_alarm, render_alert, render_requested, render_uploaded};
use crate::runner::signals::StopRequests;
use crate::twilio::client::TwilioApi;
use crate::twilio::resources::DomainSid;

use actions::{Requested, Waited, Waiting, failure_status};

/// The signals that stop a wait: a run that cannot watch them does not start.
fn stop_requests() -> Result<StopRequests, ExitStatus> {
    StopRequests::install().map_err(|error| {
        warn(format_args!("cannot watch for signals: {error}"));
        ExitStatus::Unfinished
    })
}

/// `request-managed-cert` for each domain in turn; a signal ends the run after the domain it
/// stopped.
pub async fn run_request(
    api: TwilioApi,
    checker: Checker,
    sids: Vec<DomainSid>,
    force: bool,
    waiting: Waiting,
    format: Format,
) -> ExitStatus {
    let mut stops = match stop_requests() {
        Ok(stops) => stops,
        Err(status) => return status,
    };
    let mut status = ExitStatus::Success;
    for sid in sids {
        if let Some(signal) = stops.received() {
            return ExitStatus::Stopped(signal);
        }
        let requested =
            actions::request_managed_cert(&api, &checker, &sid, force, waiting, &mut stops).await;
        if let Err(unfinished) = print_report(render_requested(&sid, &requested, format).as_bytes())
        {
            return unfinished;
        }
        status = status.worse(requested.status());
        if let Requested::Stopped(signal)
        | Requested::Sent {
            waited: Waited::Stopped(signal),
            ..
        } = requested
        {
            return ExitStatus::Stopped(signal);
        }
    }
    status
}

/// `upload`: one bundle to one domain.
pub async fn run_upload(
    api: TwilioApi,
    sid: DomainSid,
    file: (String, Vec<u8>),
    thresholds: Thresholds,
    waiting: Waiting,
    format: Format,
) -> ExitStatus {
    let mut stops = match stop_requests() {
        Ok(stops) => stops,
        Err(status) => return status,
    };
    let (name, bundle) = file;
    let uploaded = actions::upload(&api, &sid, &bundle, thresholds, waiting, &mut stops).await;
    match print_report(render_uploaded(&sid, &name, &uploaded, format).as_bytes()) {
        Ok(()) => uploaded.status(),
        Err(unfinished) => unfinished,
    }
}

/// `alarm`.
pub async fn run_alarm(
    api: TwilioApi,
    emails: Vec<String>,
    webhook: Option<String>,
    format: Format,
) -> ExitStatus {
    match monitor::alarm(&api, &emails, webhook.as_deref()).await {
        Ok(outcome) => match print_report(render_alarm(&outcome, format).as_bytes()) {
            Ok(()) => ExitStatus::Success,
            Err(unfinished) => unfinished,
        },
        Err(failure) => {
            warn(format_args!("cannot create the alarm: {failure}"));
            failure_status(&failure)
        }
    }
}

/// `alerts`: 0 when there are none, 4 when there are some.
pub async fn run_alerts(api: TwilioApi, since: std::time::Duration, format: Format) -> ExitStatus {
    if since > monitor::ALERTS_KEPT {
        warn("Twilio keeps alerts for 30 days: asking for the last 30 days");
    }
    let alerts = match monitor::alerts(&api, since).await {
        Ok(alerts) => alerts,
        Err(failure) => {
            warn(format_args!("cannot read the alerts: {failure}"));
            return failure_status(&failure);
        }
    };
    for alert in &alerts {
        if let Err(unfinished) = print_report(render_alert(alert, format).as_bytes()) {
            return unfinished;
        }
    }
    if alerts.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Warnings
    }
}
