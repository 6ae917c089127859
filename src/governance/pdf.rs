//! The printable minutes and certificates (`Accept: application/pdf`): the JSON the API
//! answers, printed through the templates in `pdf/` by [`crate::http::pdf`]. The documents are
//! in Spanish, as the book of minutes is kept; instants are printed in Madrid time.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{certificates::Certificate, minutes::Minutes};
use crate::{
    domain::calendar,
    error::ApiError,
    http::pdf::{Renderer, Template},
};

static MINUTES: Template = Template::new("minutes", include_str!("pdf/minutes.typ"));
static CERTIFICATE: Template = Template::new("certificate", include_str!("pdf/certificate.typ"));

fn local(at: DateTime<Utc>) -> String {
    calendar::local(at).format("%d/%m/%Y %H:%M").to_string()
}

/// Reads an instant of a JSON document (RFC 3339) as printed; absent or unreadable: `None`.
fn instant(value: &serde_json::Value) -> Option<String> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| local(t.with_timezone(&Utc)))
}

/// The instants the minutes state, as printed (Madrid time).
#[derive(Serialize)]
struct MinutesTimes {
    first_call_at: Option<String>,
    second_call_at: Option<String>,
    constituted_at: Option<String>,
    approved_at: Option<String>,
}

/// The minutes as a PDF, issued by `issuer`.
pub async fn minutes(renderer: &Renderer, issuer: &str, m: &Minutes) -> Result<Vec<u8>, ApiError> {
    let meeting = &m.content["meeting"];
    let times = MinutesTimes {
        first_call_at: instant(&meeting["first_call_at"]),
        second_call_at: instant(&meeting["second_call_at"]),
        constituted_at: instant(&meeting["quorum"]["constituted_at"]),
        approved_at: m.approved_at.map(local),
    };
    let data = serde_json::json!({ "minutes": m, "times": times });
    let title = match m.status {
        super::model::MinutesStatus::Approved => "Acta",
        super::model::MinutesStatus::Draft => "Acta (borrador)",
    };
    renderer.render(&MINUTES, title, issuer, &data).await
}

/// A certificate as a PDF, issued by `issuer`.
pub async fn certificate(
    renderer: &Renderer,
    issuer: &str,
    c: &Certificate,
) -> Result<Vec<u8>, ApiError> {
    let data = serde_json::json!({
        "certificate": c,
        "held_at": instant(&c.content["meeting"]["first_call_at"]),
        "issued_on": c.issued_on.format("%d/%m/%Y").to_string(),
    });
    renderer
        .render(&CERTIFICATE, "Certificado de acuerdo", issuer, &data)
        .await
}
