//! `GET /api/v1/reports/transparency?year=`: must the cluster publish its accounts to the
//! public for a fiscal year? Ley 19/2013, art. 3.b: a private entity is bound by the law's
//! publicity duties for a year in which it receives
//!
//! - **more than 100,000 EUR of public aid** (`aid_over_100k`: strictly more), or
//! - **at least 40% of its income from public aid, with at least 5,000 EUR**
//!   (`aid_40_percent`).
//!
//! Computed from the records (never typed twice):
//!
//! - **Public aid of the year**: the income of that fiscal year of every grant that still
//!   holds it (`funding`'s application income) and every agreement instalment of that year,
//!   when the funder is a public administration (`ministry`, `regional_government`,
//!   `city_council`, `eu`). Funders of kind `private` or `other` are listed apart and do not
//!   count: an `other` funder that is public must be recorded with its public kind.
//! - **Income of the year**: the income actually received (`actual` entries) on the income
//!   lines of the year's adopted budget (approved, or closed once the year is). Until any is
//!   recorded, the figure falls back to that budget's planned income, and says so
//!   (`income.basis`); without an adopted budget the share cannot be computed and the 40%
//!   criterion is `unknown`.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, web};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    budgets::model::LineKind,
    domain::{BudgetId, Cents, FunderId, Overflow},
    error::{ApiError, FieldErrors},
    funding::{
        model::FunderKind,
        repo::{AidSource, YearAid},
    },
    http::{csv::CsvRow, extract::query_in_range, pdf},
};

use super::aei_register::CriterionStatus;

/// More than this much public aid in a year binds the cluster (100,000.00 EUR).
pub const AID_THRESHOLD_CENTS: i64 = 10_000_000;
/// At least this share of the income (40%, in basis points)…
pub const SHARE_THRESHOLD_BP: i64 = 4_000;
/// …with at least this much aid (5,000.00 EUR).
pub const SHARE_MINIMUM_CENTS: i64 = 500_000;

/// Whether a funder's aid counts as public aid under art. 3.b.
pub fn is_public(kind: FunderKind) -> bool {
    matches!(
        kind,
        FunderKind::Ministry
            | FunderKind::RegionalGovernment
            | FunderKind::CityCouncil
            | FunderKind::Eu
    )
}

crate::text_enum!(
    /// What an aid item is.
    AidKind {
        /// A grant's income of the year.
        Grant => "grant",
        /// An agreement's instalment of the year.
        Agreement => "agreement",
    }
);

crate::text_enum!(
    /// Which figure the income of the year is.
    IncomeBasis {
        /// The income received: `actual` entries on the adopted budget's income lines.
        Executed => "executed",
        /// No income received is recorded yet: the adopted budget's planned income.
        Planned => "planned",
        /// No adopted budget for the year: the income is unknown.
        None => "none",
    }
);

/// One piece of aid of the year.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AidItem {
    /// A grant or an agreement.
    pub kind: AidKind,
    /// The application (grant) or the agreement.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// The funder.
    pub funder_id: FunderId,
    /// The funder's name.
    pub funder_name: String,
    /// The funder's kind.
    pub funder_kind: FunderKind,
    /// Whether it counts as public aid (the funder is a public administration).
    pub public: bool,
    /// The amount of the year, in cents.
    pub amount_cents: Cents,
}

/// The aid of one funder in the year.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FunderAid {
    /// The funder.
    pub funder_id: FunderId,
    /// Its name.
    pub funder_name: String,
    /// Its kind.
    pub funder_kind: FunderKind,
    /// Whether it is a public administration.
    pub public: bool,
    /// Its grants' income of the year, in cents.
    pub grants_cents: Cents,
    /// Its agreements' instalments of the year, in cents.
    pub agreements_cents: Cents,
    /// Both, in cents.
    pub total_cents: Cents,
}

/// The income of the year the 40% criterion compares with.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IncomeFigure {
    /// Which figure this is: `executed`, `planned` (no income received recorded yet) or
    /// `none` (no adopted budget).
    pub basis: IncomeBasis,
    /// The adopted budget version it comes from.
    pub budget_id: Option<BudgetId>,
    /// The income, in cents (`null` with basis `none`).
    pub amount_cents: Option<Cents>,
}

/// One criterion of art. 3.b.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ObligationCriterion {
    /// `aid_over_100k` or `aid_40_percent`.
    pub code: &'static str,
    /// Pass (met), fail (not met) or unknown (no income figure).
    pub status: CriterionStatus,
    /// Why, in words.
    pub detail: String,
    /// The public aid compared, in cents.
    pub aid_cents: Cents,
    /// The threshold, in cents (100,000 EUR; 5,000 EUR for the share criterion).
    pub threshold_cents: Cents,
    /// Public aid over income in basis points, rounded down (share criterion, when the
    /// income is known and positive).
    pub share_bp: Option<i64>,
}

impl CsvRow for ObligationCriterion {
    fn header() -> &'static [&'static str] {
        &[
            "code",
            "status",
            "aid_cents",
            "threshold_cents",
            "share_bp",
            "detail",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.code.into(),
            self.status.to_string(),
            self.aid_cents.0.to_string(),
            self.threshold_cents.0.to_string(),
            self.share_bp.map(|b| b.to_string()).unwrap_or_default(),
            self.detail.clone(),
        ]
    }
}

/// The transparency obligation test of a fiscal year.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TransparencyObligation {
    /// The fiscal year.
    pub year: i32,
    /// Whether the cluster is bound to publish for the year (either criterion passes).
    pub obliged: bool,
    /// The public aid of the year, in cents (the sum of the public items).
    pub public_aid_cents: Cents,
    /// The aid from funders that are not public administrations, in cents (not counted).
    pub other_funding_cents: Cents,
    /// The income the share is computed against.
    pub income: IncomeFigure,
    /// The two criteria.
    pub criteria: Vec<ObligationCriterion>,
    /// The aid by funder, public first, by name.
    pub by_funder: Vec<FunderAid>,
    /// Every aid item of the year.
    pub items: Vec<AidItem>,
}

/// The report's query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The fiscal year (2000–2100).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: i32,
}

impl YearQuery {
    /// The year, in range (400 `invalid_query` otherwise).
    pub fn checked(self) -> Result<i32, ApiError> {
        Ok(query_in_range("year", Some(self.year), 2000..=2100)?.unwrap_or(2000))
    }
}

/// A fiscal year in range (422 `year` otherwise).
pub fn check_year(year: i32) -> Result<i32, ApiError> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(FieldErrors::one(
            "year",
            "out_of_range",
            "The year must be between 2000 and 2100.",
        ))
    }
}

fn overflow(_: Overflow) -> ApiError {
    ApiError::unprocessable(
        "value_out_of_range",
        "A total of this year's aid or income would go past what can be stored.",
    )
}

fn sum(items: impl Iterator<Item = Cents>) -> Result<Cents, ApiError> {
    Cents::checked_sum(items).map_err(overflow)
}

/// The share of `part` in `whole`, in basis points rounded down (`None` unless `whole > 0`).
fn share_bp(part: Cents, whole: Cents) -> Option<i64> {
    (whole.0 > 0).then(|| {
        i64::try_from(i128::from(part.0) * 10_000 / i128::from(whole.0)).unwrap_or(i64::MAX)
    })
}

/// The two criteria over the figures (pure).
pub fn criteria(aid: Cents, income: Option<Cents>) -> Vec<ObligationCriterion> {
    let over = aid.0 > AID_THRESHOLD_CENTS;
    let first = ObligationCriterion {
        code: "aid_over_100k",
        status: if over {
            CriterionStatus::Pass
        } else {
            CriterionStatus::Fail
        },
        detail: format!(
            "Public aid of {aid} {} {}.",
            if over { "exceeds" } else { "does not exceed" },
            Cents(AID_THRESHOLD_CENTS)
        ),
        aid_cents: aid,
        threshold_cents: Cents(AID_THRESHOLD_CENTS),
        share_bp: None,
    };
    let share = income.and_then(|i| share_bp(aid, i));
    let pct = |bp: i64| format!("{}.{:02}%", bp / 100, bp % 100);
    let enough = aid.0 >= SHARE_MINIMUM_CENTS;
    let (status, detail) = match (income, share) {
        (_, Some(bp)) if bp >= SHARE_THRESHOLD_BP && enough => (
            CriterionStatus::Pass,
            format!(
                "Public aid is {} of the income (40% needed) and reaches {}.",
                pct(bp),
                Cents(SHARE_MINIMUM_CENTS)
            ),
        ),
        (_, Some(bp)) => (
            CriterionStatus::Fail,
            format!(
                "Public aid is {} of the income (40% needed) and {aid} ({} needed).",
                pct(bp),
                Cents(SHARE_MINIMUM_CENTS)
            ),
        ),
        // No income at all: any aid would be all of it.
        (Some(_), None) => (
            if enough {
                CriterionStatus::Pass
            } else {
                CriterionStatus::Fail
            },
            format!(
                "No income is recorded; public aid is {aid} ({} needed).",
                Cents(SHARE_MINIMUM_CENTS)
            ),
        ),
        (None, None) if !enough => (
            CriterionStatus::Fail,
            format!(
                "Public aid of {aid} is under {}.",
                Cents(SHARE_MINIMUM_CENTS)
            ),
        ),
        (None, None) => (
            CriterionStatus::Unknown,
            "No adopted budget for the year: the income, and so the share, is unknown.".into(),
        ),
    };
    vec![
        first,
        ObligationCriterion {
            code: "aid_40_percent",
            status,
            detail,
            aid_cents: aid,
            threshold_cents: Cents(SHARE_MINIMUM_CENTS),
            share_bp: share,
        },
    ]
}

/// The income of a year and, on the same basis, the part of it that is member fees.
#[derive(Debug, Clone, PartialEq)]
pub struct YearIncome {
    /// The income (see the module).
    pub figure: IncomeFigure,
    /// Of it, the member fees: the income lines whose source is a member category
    /// (`null` with basis `none`).
    pub membership_fees_cents: Option<Cents>,
}

/// The income of the year (see the module), with its member fees.
async fn income_of_year(conn: &mut AsyncPgConnection, year: i32) -> Result<YearIncome, ApiError> {
    let Some(budget) = crate::budgets::repo::adopted_of_year(conn, year).await? else {
        return Ok(YearIncome {
            figure: IncomeFigure {
                basis: IncomeBasis::None,
                budget_id: None,
                amount_cents: None,
            },
            membership_fees_cents: None,
        });
    };
    let lines: Vec<_> = crate::budgets::repo::all_lines(conn, budget.id)
        .await?
        .into_iter()
        .filter(|l| l.kind == LineKind::Income)
        .collect();
    let keys: Vec<Uuid> = lines.iter().map(|l| l.line_key).collect();
    let fee_keys: Vec<Uuid> = lines
        .iter()
        .filter(|l| l.source_member_category_id.is_some())
        .map(|l| l.line_key)
        .collect();
    let totals = crate::budgets::repo::totals(conn, year, &keys).await?;
    let received = totals.iter().any(|t| t.actual_cents.0 != 0);
    let (basis, amount, fees) = if received {
        (
            IncomeBasis::Executed,
            sum(totals.iter().map(|t| t.actual_cents))?,
            sum(totals
                .iter()
                .filter(|t| fee_keys.contains(&t.line_key))
                .map(|t| t.actual_cents))?,
        )
    } else {
        (
            IncomeBasis::Planned,
            sum(lines.iter().map(|l| l.planned_cents))?,
            sum(lines
                .iter()
                .filter(|l| l.source_member_category_id.is_some())
                .map(|l| l.planned_cents))?,
        )
    };
    Ok(YearIncome {
        figure: IncomeFigure {
            basis,
            budget_id: Some(budget.id),
            amount_cents: Some(amount),
        },
        membership_fees_cents: Some(fees),
    })
}

/// The aid items and their sums by funder (pure).
pub fn by_funder(aid: &[YearAid]) -> Result<(Vec<AidItem>, Vec<FunderAid>), ApiError> {
    let items: Vec<AidItem> = aid
        .iter()
        .map(|a| {
            let (kind, id) = match a.source {
                AidSource::Grant(id) => (AidKind::Grant, id.uuid()),
                AidSource::Agreement(id) => (AidKind::Agreement, id.uuid()),
            };
            AidItem {
                kind,
                id,
                title: a.title.clone(),
                funder_id: a.funder_id,
                funder_name: a.funder_name.clone(),
                funder_kind: a.funder_kind,
                public: is_public(a.funder_kind),
                amount_cents: a.amount_cents,
            }
        })
        .collect();
    let mut funders: BTreeMap<(bool, String, FunderId), FunderAid> = BTreeMap::new();
    for i in &items {
        let f = funders
            .entry((!i.public, i.funder_name.clone(), i.funder_id))
            .or_insert_with(|| FunderAid {
                funder_id: i.funder_id,
                funder_name: i.funder_name.clone(),
                funder_kind: i.funder_kind,
                public: i.public,
                grants_cents: Cents(0),
                agreements_cents: Cents(0),
                total_cents: Cents(0),
            });
        match i.kind {
            AidKind::Grant => {
                f.grants_cents = f
                    .grants_cents
                    .checked_add(i.amount_cents)
                    .map_err(overflow)?
            }
            AidKind::Agreement => {
                f.agreements_cents = f
                    .agreements_cents
                    .checked_add(i.amount_cents)
                    .map_err(overflow)?;
            }
        }
        f.total_cents = f
            .total_cents
            .checked_add(i.amount_cents)
            .map_err(overflow)?;
    }
    Ok((items, funders.into_values().collect()))
}

/// Computes the obligation test of a year (no permission check: the caller's service
/// decides who may see it).
pub async fn obligation_of(
    conn: &mut AsyncPgConnection,
    year: i32,
) -> Result<TransparencyObligation, ApiError> {
    Ok(obligation_and_fees(conn, year).await?.0)
}

/// [`obligation_of`], with the member fees of the year's income on the same basis (the
/// European profile's financing mix).
pub async fn obligation_and_fees(
    conn: &mut AsyncPgConnection,
    year: i32,
) -> Result<(TransparencyObligation, Option<Cents>), ApiError> {
    let aid = crate::funding::repo::aid_of_year(conn, year).await?;
    let (items, by_funder) = by_funder(&aid)?;
    let public_aid = sum(items.iter().filter(|i| i.public).map(|i| i.amount_cents))?;
    let other = sum(items.iter().filter(|i| !i.public).map(|i| i.amount_cents))?;
    let YearIncome {
        figure: income,
        membership_fees_cents,
    } = income_of_year(conn, year).await?;
    let criteria = criteria(public_aid, income.amount_cents);
    let obligation = TransparencyObligation {
        year,
        obliged: criteria.iter().any(|c| c.status == CriterionStatus::Pass),
        public_aid_cents: public_aid,
        other_funding_cents: other,
        income,
        criteria,
        by_funder,
        items,
    };
    Ok((obligation, membership_fees_cents))
}

/// The obligation test of a year (staff, admins, auditors): 403 for others, 422 for a year
/// out of range. Read in one transaction.
pub async fn obligation(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    year: i32,
) -> Result<TransparencyObligation, ApiError> {
    caller.require(Action::read(Resource::Reports))?;
    let year = check_year(year)?;
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(async |conn| obligation_of(conn, year).await)
        .await
}

/// Whether Ley 19/2013 art. 3.b binds the cluster to publish for a fiscal year: the public
/// aid of the year by funder and item, the income it is compared with (which figure, and
/// the fallback), each criterion with its figures (staff, admins, auditors). With
/// `Accept: text/csv`, one row per criterion; with `Accept: application/pdf`, the printable
/// report in Spanish (the SHA-256 in its footer is that of the JSON answer).
#[utoipa::path(tag = "reports", params(YearQuery), responses(
    (status = 200, description = "The obligation test (or CSV, or PDF).",
        content((TransparencyObligation = "application/json"), (String = "text/csv"),
            (crate::http::pdf::PdfFile = "application/pdf"))),
    (status = 400, description = "`invalid_query`: `year` out of 2000–2100.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/api/v1/reports/transparency")]
pub async fn transparency_report(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<YearQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let year = query.into_inner().checked()?;
    let mut conn = state.conn().await?;
    let report = obligation(&mut conn, &caller, year).await?;
    if pdf::wanted(&req) {
        let issuer = pdf::issuer(conn).await?;
        let file = super::pdf::transparency(&state.pdf, &issuer, &report).await?;
        return Ok(pdf::respond(&format!("transparencia-{year}.pdf"), file));
    }
    let filename = format!("transparency-{year}.csv");
    Ok(pdf::vary(super::respond(
        &req,
        &report,
        &filename,
        &report.criteria,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(aid: i64, income: Option<i64>) -> (CriterionStatus, CriterionStatus) {
        let c = criteria(Cents(aid), income.map(Cents));
        (c[0].status, c[1].status)
    }

    #[test]
    fn more_than_100000_eur_binds_to_the_cent() {
        use CriterionStatus::*;
        // Income huge, so the share criterion fails: only the amount decides.
        let big = Some(100_000_000_000);
        assert_eq!(status(10_000_000, big), (Fail, Fail));
        assert_eq!(status(10_000_001, big), (Pass, Fail));
    }

    #[test]
    fn forty_percent_with_5000_eur_binds_to_the_cent() {
        use CriterionStatus::*;
        // 40% exactly of 20,000.00 EUR.
        assert_eq!(status(800_000, Some(2_000_000)).1, Pass);
        assert_eq!(status(799_999, Some(2_000_000)).1, Fail);
        // 40% but under 5,000 EUR.
        assert_eq!(status(499_999, Some(1_000_000)).1, Fail);
        assert_eq!(status(500_000, Some(1_250_000)).1, Pass);
        // No budget: unknown unless under 5,000 EUR anyway.
        assert_eq!(status(600_000, None).1, Unknown);
        assert_eq!(status(400_000, None).1, Fail);
    }

    #[test]
    fn only_public_administrations_count() {
        assert!(is_public(FunderKind::CityCouncil));
        assert!(is_public(FunderKind::Eu));
        assert!(!is_public(FunderKind::Private));
        assert!(!is_public(FunderKind::Other));
    }
}
