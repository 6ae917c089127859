//! The versions of a body's rules, with the statutes they come from. Creating a body
//! writes version 1; each change of its rules (or of its statutes reference) through
//! `PATCH /api/v1/bodies/{id}` writes the next one, and the body's current rules are the
//! latest. Convening a meeting freezes the version in force: the meeting's quorum, proxy
//! cap, majorities and reserved matters come from it, never from later rules. A version is
//! never changed (a trigger refuses it).

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    bodies::{BodyRules, rules_of_version, visible},
    model::{BodyRow, RulesVersionRow},
    repo,
};
use crate::{
    AppState,
    auth::Caller,
    domain::{BodyId, RulesVersionId, calendar},
    error::{ApiError, FieldErrors},
    http::{
        csv::CsvRow,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
};

/// A version of a body's rules, with the statutes it comes from. Versions are never
/// changed; a meeting applies the version it was convened under.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RulesVersion {
    /// Id.
    pub id: RulesVersionId,
    /// The body.
    pub body_id: BodyId,
    /// Its number, from 1 (the body's rules when it was created).
    pub number: i32,
    /// The statutes the rules come from.
    pub statutes_reference: Option<String>,
    /// The day the statutes (or this change of them) took effect.
    pub effective_from: NaiveDate,
    /// The rules.
    pub rules: BodyRules,
    /// When the version was written.
    pub created_at: DateTime<Utc>,
    /// The user who wrote it (none for versions the migration or the seed wrote).
    pub created_by: Option<Uuid>,
}

impl From<RulesVersionRow> for RulesVersion {
    fn from(r: RulesVersionRow) -> Self {
        Self {
            rules: rules_of_version(&r),
            id: r.id,
            body_id: r.body_id,
            number: r.number,
            statutes_reference: r.statutes_reference,
            effective_from: r.effective_from,
            created_at: r.created_at,
            created_by: r.created_by,
        }
    }
}

impl CsvRow for RulesVersionRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "number",
            "statutes_reference",
            "effective_from",
            "notice_days",
            "quorum_first",
            "quorum_second",
            "max_proxies_per_holder",
            "weighting",
            "simple_majority",
            "qualified_majority",
            "extraordinary_matters",
            "qualified_matters",
            "created_at",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let share = |n: Option<i32>, d: Option<i32>| match (n, d) {
            (Some(n), Some(d)) => format!("{n}/{d}"),
            _ => String::new(),
        };
        vec![
            self.id.to_string(),
            self.number.to_string(),
            self.statutes_reference.clone().unwrap_or_default(),
            self.effective_from.to_string(),
            self.notice_days.to_string(),
            share(self.quorum_first_num, self.quorum_first_den),
            share(self.quorum_second_num, self.quorum_second_den),
            self.max_proxies_per_holder
                .map(|m| m.to_string())
                .unwrap_or_default(),
            self.weighting.to_string(),
            format!(
                "{}/{} {}",
                self.simple_num, self.simple_den, self.simple_base
            ),
            format!(
                "{}/{} {}",
                self.qualified_num, self.qualified_den, self.qualified_base
            ),
            self.extraordinary_matters.join(" "),
            self.qualified_matters.join(" "),
            self.created_at.to_rfc3339(),
        ]
    }
}

/// The earliest and latest days a version of rules may take effect from: any date the
/// schema's `format: date` admits (RFC 3339, years 0000–9999), all of which PostgreSQL
/// stores; chrono also reads signed, longer years, which are refused.
fn effective_bounds() -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(0, 1, 1).unwrap_or(NaiveDate::MIN),
        NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX),
    )
}

/// The day a new version of rules takes effect: the one asked for (within bounds), or today.
pub(super) fn effective_from(errors: &mut FieldErrors, asked: Option<NaiveDate>) -> NaiveDate {
    let (min, max) = effective_bounds();
    match asked {
        Some(d) if !(min..=max).contains(&d) => {
            errors.add(
                "rules_effective_from",
                "out_of_range",
                "must be a date of the years 0000–9999",
            );
            d
        }
        Some(d) => d,
        None => calendar::today(),
    }
}

/// Writes the next version of a body's rules when the change left them (or the statutes
/// reference) different from the latest: 422 `effective_before_previous` when it would take
/// effect before the latest.
pub(super) async fn new_rules_version(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    body: &BodyRow,
    effective_from: NaiveDate,
) -> Result<(), ApiError> {
    let latest = repo::latest_rules(conn, body.id).await?;
    let next = RulesVersionRow::of(
        body,
        latest.number.saturating_add(1),
        effective_from,
        caller.user_id(),
        Utc::now(),
    );
    if next.same_rules(&latest) {
        return Ok(());
    }
    if effective_from < latest.effective_from {
        return Err(FieldErrors::one(
            "rules_effective_from",
            "effective_before_previous",
            format!(
                "version {} of the rules took effect on {}: a new one cannot take effect before",
                latest.number, latest.effective_from
            ),
        ));
    }
    repo::insert_rules_version(conn, &next).await?;
    Ok(())
}

/// A body's versions of its rules, latest first (CSV too). Whoever sees the body sees them.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Body id"), PageQuery),
    responses((status = 200, description = "A page of the body's versions of its rules, latest first (or CSV).",
        content((Page<RulesVersion> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/bodies/{id}/rule-versions")]
pub async fn list_rule_versions(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<BodyId>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    visible(&mut *state.conn().await?, &caller, id).await?;
    let list = List {
        resource: "body_rule_versions",
        sort: "-number",
        filename: "rule-versions.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::list_rules_versions(conn, id, after, n).await?),
        |v: &RulesVersionRow| v.number,
        RulesVersion::from,
    )
    .await
}
