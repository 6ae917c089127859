//! `GET /api/v1/reports/aei-register`: is the cluster ready for the Ministry's register of
//! innovative business clusters (Orden IET/1444/2014)? Each criterion is computed from the
//! records (never typed twice) and answers pass, fail or unknown with the evidence behind it:
//!
//! - **strategic_plan**: an approved strategic plan covering the four calendar years from the
//!   report's date (`as_of`'s year to three years later): an inscription lasts four years,
//!   and the plan must cover it.
//! - **critical_mass**: the active members' recorded turnover reaches 30% of the sector's,
//!   or the member companies (companies and self-employed professionals) are 10% of the
//!   sector's companies, against the sector figures of the cluster's record. Unknown without
//!   sector figures.
//! - **knowledge_provider**: every governing body has at least one university or technology
//!   centre with voice and vote (the Assembly: among the members entitled to vote; boards
//!   and committees: among the seats held on `as_of`). Unknown while no body is recorded.
//! - **registration**: the inscription is valid on `as_of`; with its days to expiry and the
//!   renewal window. Our reading of the order: an inscription made before 31 July is renewed
//!   in the first two months of its expiry year; one made on or after 31 July, from the start
//!   of its expiry year until the day before 31 July of that year.
//!
//! A call published on `as_of` would find the cluster eligible when its inscription is valid
//! that day (`eligible_for_calls`).

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Datelike, NaiveDate};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    cluster::model::ClusterRow,
    domain::calendar,
    error::ApiError,
    governance::composition::Composition,
    http::{
        csv::{self, CsvRow},
        pdf,
    },
    members::repo::CriticalMass,
    plans::model::{PlanRow, PlanStatus},
};

crate::text_enum!(
    /// The outcome of a criterion.
    CriterionStatus {
        /// Met.
        Pass => "pass",
        /// Not met.
        Fail => "fail",
        /// The records do not say (a figure or a record is missing).
        Unknown => "unknown",
    }
);

/// The outcome of a set of criteria: failed if any fails, passed if all pass, else unknown.
pub fn overall(criteria: &[Criterion]) -> CriterionStatus {
    if criteria.iter().any(|c| c.status == CriterionStatus::Fail) {
        CriterionStatus::Fail
    } else if criteria.iter().all(|c| c.status == CriterionStatus::Pass) {
        CriterionStatus::Pass
    } else {
        CriterionStatus::Unknown
    }
}

/// A fact a criterion rests on: a record (by id) or a figure.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Evidence {
    /// What it is: `plan`, `body`, `member`, `registration`, or a figure's name.
    pub kind: String,
    /// The record's id, when it is one.
    pub id: Option<Uuid>,
    /// What it says, in words.
    pub label: String,
    /// The figure, when it is one (cents for money, basis points for shares, days, counts).
    pub value: Option<i64>,
}

impl Evidence {
    /// A record, by id.
    pub fn record(kind: &str, id: Uuid, label: String) -> Self {
        Self {
            kind: kind.into(),
            id: Some(id),
            label,
            value: None,
        }
    }

    /// A figure.
    pub fn figure(kind: &str, label: impl Into<String>, value: i64) -> Self {
        Self {
            kind: kind.into(),
            id: None,
            label: label.into(),
            value: Some(value),
        }
    }
}

/// One criterion of the register.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Criterion {
    /// `strategic_plan`, `critical_mass`, `knowledge_provider` or `registration`.
    pub code: &'static str,
    /// Pass, fail or unknown.
    pub status: CriterionStatus,
    /// Why, in words.
    pub detail: String,
    /// The records and figures behind it.
    pub evidence: Vec<Evidence>,
}

impl CsvRow for Criterion {
    fn header() -> &'static [&'static str] {
        &["code", "status", "detail", "evidence"]
    }

    fn cells(&self) -> Vec<String> {
        let evidence = self
            .evidence
            .iter()
            .map(|e| match (e.id, e.value) {
                (Some(id), _) => format!("{} {id}: {}", e.kind, e.label),
                (None, Some(v)) => format!("{}: {} = {v}", e.kind, e.label),
                (None, None) => format!("{}: {}", e.kind, e.label),
            })
            .collect::<Vec<_>>()
            .join("; ");
        vec![
            self.code.into(),
            self.status.to_string(),
            self.detail.clone(),
            evidence,
        ]
    }
}

/// When the inscription is to be renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct RenewalWindow {
    /// First day to apply.
    pub opens_on: NaiveDate,
    /// Last day to apply.
    pub closes_on: NaiveDate,
    /// Whether `as_of` falls before, in or after the window (`before`, `open`, `closed`).
    pub state: &'static str,
}

/// The inscription on the report's date.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Registration {
    /// The register's number.
    pub register_number: String,
    /// Date of the inscription or its last renewal.
    pub registered_on: NaiveDate,
    /// When it expires.
    pub expires_on: NaiveDate,
    /// Valid on `as_of`.
    pub valid: bool,
    /// Days from `as_of` to `expires_on` (negative once expired).
    pub days_to_expiry: i64,
    /// The renewal window.
    pub renewal_window: RenewalWindow,
}

/// The AEI register readiness report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AeiReadiness {
    /// The day the report is computed for.
    pub as_of: NaiveDate,
    /// `pass` when every criterion passes, `fail` when one fails, else `unknown`.
    pub overall: CriterionStatus,
    /// Whether a call published on `as_of` would find the cluster eligible (a valid
    /// inscription that day).
    pub eligible_for_calls: bool,
    /// The inscription, when the cluster's record has one.
    pub registration: Option<Registration>,
    /// The criteria, in the order above.
    pub criteria: Vec<Criterion>,
}

/// The report's query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadinessQuery {
    /// The day to compute for (default: today in Madrid); any valid date.
    pub as_of: Option<NaiveDate>,
}

/// The renewal window of an inscription (see the module's reading of the order).
pub fn renewal_window(registered_on: NaiveDate, expires_on: NaiveDate) -> (NaiveDate, NaiveDate) {
    let year = expires_on.year();
    let jan_1 = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(expires_on);
    let cutoff = NaiveDate::from_ymd_opt(registered_on.year(), 7, 31).unwrap_or(registered_on);
    let closes = if registered_on < cutoff {
        // The last day of February of the expiry year.
        NaiveDate::from_ymd_opt(year, 3, 1).and_then(|d| d.pred_opt())
    } else {
        NaiveDate::from_ymd_opt(year, 7, 30)
    };
    (jan_1, closes.unwrap_or(expires_on))
}

/// The strategic plan criterion over the approved plans.
pub fn strategic_plan(as_of: NaiveDate, approved: &[PlanRow]) -> Criterion {
    let (from, to) = (as_of.year(), as_of.year() + 3);
    let evidence: Vec<Evidence> = approved
        .iter()
        .map(|p| {
            Evidence::record(
                "plan",
                p.id.uuid(),
                format!(
                    "{} ({}–{}), {}",
                    p.title, p.start_year, p.end_year, p.status
                ),
            )
        })
        .collect();
    let covering = approved
        .iter()
        .find(|p| p.status == PlanStatus::Approved && p.start_year <= from && p.end_year >= to);
    let (status, detail) = match (covering, approved.iter().map(|p| p.end_year).max()) {
        (Some(p), _) => (
            CriterionStatus::Pass,
            format!(
                "The approved plan {}–{} covers {from}–{to}.",
                p.start_year, p.end_year
            ),
        ),
        (None, Some(end)) => (
            CriterionStatus::Fail,
            format!("No approved plan covers {from}–{to}: the latest approved one ends in {end}."),
        ),
        (None, None) => (
            CriterionStatus::Fail,
            format!("No approved strategic plan; one covering {from}–{to} is needed."),
        ),
    };
    Criterion {
        code: "strategic_plan",
        status,
        detail,
        evidence,
    }
}

/// A share in basis points, rounded down (`None` when the whole is zero).
fn basis_points(part: i128, whole: i128) -> Option<i64> {
    (whole > 0).then(|| i64::try_from(part * 10_000 / whole).unwrap_or(i64::MAX))
}

/// The critical mass criterion.
pub fn critical_mass(cluster: Option<&ClusterRow>, register: CriticalMass) -> Criterion {
    let mut evidence = vec![
        Evidence::figure("active_members", "active members", register.active),
        Evidence::figure(
            "member_companies",
            "active members that are companies or self-employed",
            register.companies,
        ),
        Evidence::figure(
            "members_with_turnover",
            "active members with a turnover recorded",
            register.with_turnover,
        ),
        Evidence::figure(
            "members_turnover_cents",
            "their turnover, summed",
            i64::try_from(register.turnover_cents).unwrap_or(i64::MAX),
        ),
    ];
    let sector = cluster.and_then(|c| c.sector_source.as_ref().zip(c.sector_year).map(|s| (c, s)));
    let Some((c, (source, year))) = sector else {
        return Criterion {
            code: "critical_mass",
            status: CriterionStatus::Unknown,
            detail: "The cluster's record has no sector figures to compare the members with."
                .into(),
            evidence,
        };
    };
    evidence.push(Evidence {
        kind: "sector_source".into(),
        id: None,
        label: format!("{source} ({year})"),
        value: None,
    });
    let turnover_bp = c
        .sector_turnover_cents
        .and_then(|s| basis_points(register.turnover_cents, i128::from(s.0)));
    let companies_bp = c
        .sector_companies
        .and_then(|s| basis_points(i128::from(register.companies), i128::from(s)));
    if let Some(s) = c.sector_turnover_cents {
        evidence.push(Evidence::figure(
            "sector_turnover_cents",
            "the sector's turnover",
            s.0,
        ));
    }
    if let Some(s) = c.sector_companies {
        evidence.push(Evidence::figure(
            "sector_companies",
            "the sector's companies",
            i64::from(s),
        ));
    }
    if let Some(bp) = turnover_bp {
        evidence.push(Evidence::figure(
            "turnover_share_bp",
            "members' share of the sector's turnover",
            bp,
        ));
    }
    if let Some(bp) = companies_bp {
        evidence.push(Evidence::figure(
            "companies_share_bp",
            "members' share of the sector's companies",
            bp,
        ));
    }
    let turnover_ok = turnover_bp.map(|bp| bp >= 3_000);
    let companies_ok = companies_bp.map(|bp| bp >= 1_000);
    let pct = |bp: i64| format!("{}.{:02}%", bp / 100, bp % 100);
    let (status, detail) = match (turnover_ok, companies_ok) {
        (Some(true), _) => (
            CriterionStatus::Pass,
            format!(
                "The members' turnover is {} of the sector's (30% needed).",
                pct(turnover_bp.unwrap_or(0))
            ),
        ),
        (_, Some(true)) => (
            CriterionStatus::Pass,
            format!(
                "The member companies are {} of the sector's (10% needed).",
                pct(companies_bp.unwrap_or(0))
            ),
        ),
        (None, None) => (
            CriterionStatus::Unknown,
            "The sector figures give neither a turnover nor a number of companies.".into(),
        ),
        _ => (
            CriterionStatus::Fail,
            format!(
                "The members' turnover is {} of the sector's (30% needed) and the member companies {} of its companies (10% needed){}.",
                turnover_bp.map_or("unknown".into(), pct),
                companies_bp.map_or("unknown".into(), pct),
                if register.with_turnover < register.active {
                    format!(
                        "; {} active members have no turnover recorded",
                        register.active - register.with_turnover
                    )
                } else {
                    String::new()
                }
            ),
        ),
    };
    Criterion {
        code: "critical_mass",
        status,
        detail,
        evidence,
    }
}

/// The knowledge provider criterion: every body needs a knowledge provider among its voters.
pub fn knowledge_provider(bodies: &[Composition]) -> Criterion {
    let mut evidence = Vec::new();
    let mut missing = Vec::new();
    for body in bodies {
        let providers = &body.knowledge_providers;
        let kind = body.kind;
        let label = if providers.is_empty() {
            format!(
                "{} ({kind}): no university or technology centre with a vote",
                body.name
            )
        } else {
            let names: Vec<&str> = providers.iter().map(|s| s.as_str()).collect();
            format!("{} ({kind}): {}", body.name, names.join(", "))
        };
        if providers.is_empty() {
            missing.push(body.name.clone());
        }
        evidence.push(Evidence::record("body", body.id.uuid(), label));
    }
    let (status, detail) = if bodies.is_empty() {
        (
            CriterionStatus::Unknown,
            "No governing body is recorded yet.".into(),
        )
    } else if missing.is_empty() {
        (
            CriterionStatus::Pass,
            "Every governing body has a university or technology centre with a vote.".into(),
        )
    } else {
        (
            CriterionStatus::Fail,
            format!(
                "Without a knowledge provider with a vote: {}.",
                missing.join(", ")
            ),
        )
    };
    Criterion {
        code: "knowledge_provider",
        status,
        detail,
        evidence,
    }
}

/// The registration criterion and the inscription's figures.
pub fn registration(
    as_of: NaiveDate,
    cluster: Option<&ClusterRow>,
) -> (Criterion, Option<Registration>) {
    let inscription = cluster.and_then(|c| {
        Some((
            c.aei_register_number.clone()?,
            c.aei_registered_on?,
            c.aei_expires_on?,
        ))
    });
    let Some((number, registered_on, expires_on)) = inscription else {
        let criterion = Criterion {
            code: "registration",
            status: CriterionStatus::Unknown,
            detail: "The cluster's record has no AEI register inscription.".into(),
            evidence: Vec::new(),
        };
        return (criterion, None);
    };
    let valid = registered_on <= as_of && as_of <= expires_on;
    let days_to_expiry = (expires_on - as_of).num_days();
    let (opens_on, closes_on) = renewal_window(registered_on, expires_on);
    let state = if as_of < opens_on {
        "before"
    } else if as_of <= closes_on {
        "open"
    } else {
        "closed"
    };
    let detail = if valid {
        format!(
            "Inscription {number} is valid until {expires_on} ({days_to_expiry} days); renew from {opens_on} to {closes_on}."
        )
    } else if as_of < registered_on {
        format!("Inscription {number} starts on {registered_on}.")
    } else {
        format!("Inscription {number} expired on {expires_on}.")
    };
    let criterion = Criterion {
        code: "registration",
        status: if valid {
            CriterionStatus::Pass
        } else {
            CriterionStatus::Fail
        },
        detail,
        evidence: vec![Evidence::figure(
            "days_to_expiry",
            "days to expiry",
            days_to_expiry,
        )],
    };
    let registration = Registration {
        register_number: number,
        registered_on,
        expires_on,
        valid,
        days_to_expiry,
        renewal_window: RenewalWindow {
            opens_on,
            closes_on,
            state,
        },
    };
    (criterion, Some(registration))
}

/// Computes the report (staff, admins, auditors): 403 for others.
pub async fn readiness(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    as_of: Option<NaiveDate>,
) -> Result<AeiReadiness, ApiError> {
    caller.require(Action::read(Resource::Reports))?;
    let as_of = as_of.unwrap_or_else(calendar::today);
    let cluster = crate::cluster::repo::find(conn, false).await?;
    let approved =
        crate::plans::repo::list_plans(conn, Some(PlanStatus::Approved), false, None, 100).await?;
    let register = crate::members::repo::critical_mass(conn).await?;
    let bodies = crate::governance::composition::on(conn, as_of).await?;
    let (registration_criterion, registration) = registration(as_of, cluster.as_ref());
    let criteria = vec![
        strategic_plan(as_of, &approved),
        critical_mass(cluster.as_ref(), register),
        knowledge_provider(&bodies),
        registration_criterion,
    ];
    let overall = overall(&criteria);
    Ok(AeiReadiness {
        as_of,
        overall,
        eligible_for_calls: registration.as_ref().is_some_and(|r| r.valid),
        registration,
        criteria,
    })
}

/// Whether the cluster meets the AEI register's criteria on a day, each criterion with its
/// evidence (staff, admins, auditors). With `Accept: text/csv`, one row per criterion; with
/// `Accept: application/pdf`, the printable dossier in Spanish (the SHA-256 in its footer is
/// that of the JSON answer of the same request).
#[utoipa::path(tag = "reports", params(ReadinessQuery), responses(
    (status = 200, description = "The criteria (or CSV, or PDF).",
        content((AeiReadiness = "application/json"), (String = "text/csv"),
            (crate::http::pdf::PdfFile = "application/pdf")))))]
#[get("/api/v1/reports/aei-register")]
pub async fn aei_register_report(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<ReadinessQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let as_of = query.into_inner().as_of;
    let mut conn = state.conn().await?;
    let report = readiness(&mut conn, &caller, as_of).await?;
    if pdf::wanted(&req) {
        let issuer = pdf::issuer(conn).await?;
        let file = super::pdf::aei_register(&state.pdf, &issuer, &report).await?;
        return Ok(pdf::respond("registro-aei.pdf", file));
    }
    if csv::wants_csv(&req) {
        return Ok(pdf::vary(csv::attachment(
            "aei-register.csv",
            &report.criteria,
        )));
    }
    Ok(pdf::vary(HttpResponse::Ok().json(report)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_renewal_window_depends_on_which_side_of_31_july_the_inscription_was_made() {
        // Before 31 July: the first two months of the expiry year (a leap year here).
        assert_eq!(
            renewal_window(on("2024-07-30"), on("2028-07-30")),
            (on("2028-01-01"), on("2028-02-29"))
        );
        assert_eq!(
            renewal_window(on("2023-03-01"), on("2027-03-01")),
            (on("2027-01-01"), on("2027-02-28"))
        );
        // On or after 31 July: until the day before 31 July of the expiry year.
        assert_eq!(
            renewal_window(on("2024-07-31"), on("2028-07-31")),
            (on("2028-01-01"), on("2028-07-30"))
        );
        assert_eq!(
            renewal_window(on("2024-11-15"), on("2028-11-15")),
            (on("2028-01-01"), on("2028-07-30"))
        );
    }

    #[test]
    fn basis_points_round_down_and_need_a_whole() {
        assert_eq!(basis_points(3, 10), Some(3_000));
        assert_eq!(basis_points(2_999, 10_000), Some(2_999));
        assert_eq!(basis_points(1, 3), Some(3_333));
        assert_eq!(basis_points(5, 0), None);
    }
}
