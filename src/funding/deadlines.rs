//! Deadlines: what is due in the next days (calls closing, justifications of accepted
//! grants, of agreements and their instalments, agreements ending), for what the caller
//! sees, by date.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Days, FixedOffset, NaiveDate, Utc};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{repo, scope::Scope};
use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    domain::calendar,
    error::ApiError,
    http::{
        csv::{self, CsvRow},
        extract::query_in_range,
    },
};

/// Filters of the deadline list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// How many days ahead, from today (Europe/Madrid); default 30.
    #[param(minimum = 0, maximum = 3660)]
    pub within_days: Option<i64>,
}

/// What a deadline is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// A call stops accepting applications.
    CallCloses,
    /// An accepted grant must be justified.
    ApplicationJustification,
    /// An agreement's instalment must be justified.
    InstalmentJustification,
    /// An agreement must be justified.
    AgreementJustification,
    /// An agreement ends.
    AgreementEnds,
}

/// A date something is due.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Deadline {
    /// The day (Europe/Madrid).
    pub date: NaiveDate,
    /// The exact instant, for calls.
    pub at: Option<DateTime<FixedOffset>>,
    /// What is due.
    pub kind: DeadlineKind,
    /// What it concerns: `call`, `application` or `agreement`.
    pub resource_type: String,
    /// Its id.
    pub resource_id: Uuid,
    /// Its title.
    pub title: String,
    /// Where to read it.
    pub url: String,
}

impl DeadlineKind {
    /// The serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::CallCloses => "call_closes",
            DeadlineKind::ApplicationJustification => "application_justification",
            DeadlineKind::InstalmentJustification => "instalment_justification",
            DeadlineKind::AgreementJustification => "agreement_justification",
            DeadlineKind::AgreementEnds => "agreement_ends",
        }
    }
}

impl CsvRow for Deadline {
    fn header() -> &'static [&'static str] {
        &[
            "date",
            "at",
            "kind",
            "resource_type",
            "resource_id",
            "title",
            "url",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.date.to_string(),
            self.at.map(|a| a.to_rfc3339()).unwrap_or_default(),
            self.kind.as_str().to_owned(),
            self.resource_type.clone(),
            self.resource_id.to_string(),
            self.title.clone(),
            self.url.clone(),
        ]
    }
}

/// Deadlines in the window, by date.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Deadlines {
    /// First day of the window (today, Europe/Madrid).
    pub from: NaiveDate,
    /// Last day of the window.
    pub to: NaiveDate,
    /// The deadlines, by date.
    pub items: Vec<Deadline>,
}

/// What is due in the next `within_days` days (default 30), by date: calls closing,
/// justifications of accepted grants, agreements' and instalments' justifications, and
/// agreements ending; only what the caller sees. With `Accept: text/csv`, one row each.
#[utoipa::path(tag = "funding", params(DeadlineQuery), responses(
    (status = 200, description = "The deadlines (or CSV).",
        content((Deadlines = "application/json"), (String = "text/csv"))),
    (status = 400, description = "`invalid_query`: `within_days` out of range.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/api/v1/deadlines")]
pub async fn deadlines(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<DeadlineQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let days = query_in_range("within_days", query.within_days, 0..=3660)?.unwrap_or(30);
    let mut conn = state.conn().await?;
    let due = due_within(&mut conn, &caller, days).await?;
    drop(conn);
    if csv::wants_csv(&req) {
        return Ok(csv::attachment("deadlines.csv", &due.items));
    }
    Ok(HttpResponse::Ok().json(due))
}

/// What is due from today (Madrid) to `days` days from now, for what the caller sees, by
/// date.
pub async fn due_within(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    days: i64,
) -> Result<Deadlines, ApiError> {
    let from = calendar::today();
    let to = from
        .checked_add_days(Days::new(u64::try_from(days).unwrap_or_default()))
        .unwrap_or(from);
    let scope = Scope::of(caller);
    let mut items = Vec::new();
    calls_closing(conn, scope, to, &mut items).await?;
    for a in repo::justifications_due(conn, scope, from, to).await? {
        items.push(Deadline {
            date: a.justification_due_on.unwrap_or(from),
            at: None,
            kind: DeadlineKind::ApplicationJustification,
            resource_type: "application".into(),
            resource_id: a.id.uuid(),
            title: a.title,
            url: format!("/api/v1/applications/{}", a.id),
        });
    }
    agreements_due(conn, scope, from, to, &mut items).await?;
    items.sort_by(|a: &Deadline, b: &Deadline| {
        (a.date, a.at, a.kind, &a.title).cmp(&(b.date, b.at, b.kind, &b.title))
    });
    Ok(Deadlines { from, to, items })
}

/// The calls closing from now to the end of day `to` (Madrid): every call for staff and
/// representatives, the funder's own for partners.
async fn calls_closing(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    to: NaiveDate,
    items: &mut Vec<Deadline>,
) -> Result<(), ApiError> {
    let funder = match scope {
        Scope::Funder(None) => return Ok(()),
        Scope::Funder(f) => f,
        Scope::All | Scope::Member(_) => None,
    };
    let now = Utc::now();
    let end = to
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|d| d.and_local_timezone(calendar::ZONE).earliest())
        .map_or(now, |d| d.to_utc());
    for c in repo::calls_closing(conn, funder, now, end).await? {
        let at = calendar::local(c.closes_at);
        items.push(Deadline {
            date: at.date_naive(),
            at: Some(at),
            kind: DeadlineKind::CallCloses,
            resource_type: "call".into(),
            resource_id: c.id.uuid(),
            title: c.title,
            url: format!("/api/v1/calls/{}", c.id),
        });
    }
    Ok(())
}

/// The agreements' justifications (theirs and their instalments') and ends in the window:
/// every agreement for staff, the funder's own for partners, none for representatives.
async fn agreements_due(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    from: NaiveDate,
    to: NaiveDate,
    items: &mut Vec<Deadline>,
) -> Result<(), ApiError> {
    let funder = match scope {
        Scope::Member(_) | Scope::Funder(None) => return Ok(()),
        Scope::Funder(f) => f,
        Scope::All => None,
    };
    let rows = repo::agreements_due(conn, funder, from, to).await?;
    let ids: Vec<_> = rows.iter().map(|a| a.id).collect();
    let instalments = repo::instalments(conn, &ids).await?;
    let in_window = |d: Option<NaiveDate>| d.filter(|d| *d >= from && *d <= to);
    for a in &rows {
        let mut push = |date, kind, title: String| {
            items.push(Deadline {
                date,
                at: None,
                kind,
                resource_type: "agreement".into(),
                resource_id: a.id.uuid(),
                title,
                url: format!("/api/v1/agreements/{}", a.id),
            });
        };
        if let Some(d) = in_window(a.justification_due_on) {
            push(d, DeadlineKind::AgreementJustification, a.title.clone());
        }
        if let Some(d) = in_window(Some(a.ends_on)) {
            push(d, DeadlineKind::AgreementEnds, a.title.clone());
        }
        for i in instalments.iter().filter(|i| i.agreement_id == a.id) {
            if let Some(d) = in_window(i.justification_due_on) {
                push(
                    d,
                    DeadlineKind::InstalmentJustification,
                    format!("{} ({})", a.title, i.fiscal_year),
                );
            }
        }
    }
    Ok(())
}
