//! `GET /api/v1/reports/european-profile?year=`: the cluster as the European Cluster
//! Collaboration Platform (ECCP) profiles a cluster organisation and as the cluster
//! management excellence labels (ESCA / EUCLES Bronze, Silver and Gold) benchmark it:
//! identity, sector and region, founding and registration; the members by type; the
//! management's staff; the governing bodies; the financing mix; the services. Computed from
//! the records (never typed twice).
//!
//! The ECCP validates a cluster organisation's profile against a dedicated management of at
//! least 0.5 FTE, at least 15 clearly committed members, and the triple helix in the
//! membership (more than one type of member; without public bodies among the members, a
//! visible collaboration with them, such as public funding). The labels' benchmarking asks
//! the same of the structure, and about governance, financing (public and private shares,
//! member fees) and services. Our reading of each check (`criteria`):
//!
//! - **committed_members**: the active members (admitted, with full rights: not applicants,
//!   suspended, withdrawn, expelled or archived) are at least 15.
//! - **triple_helix**: among the active members there are industry (companies and
//!   self-employed professionals) and research and education (universities, technology
//!   centres, training centres), and either public institutions among the members or public
//!   funding in the year (a grant or agreement of a public administration, as the
//!   transparency report counts it: the collaboration with public bodies the ECCP accepts).
//! - **management_fte**: the cluster record's management staff is at least 0.5 FTE
//!   (unknown when the record does not say).
//!
//! Governance lists every body with its voting organisations and the knowledge providers
//! among them, and carries the AEI register's criterion (a university or technology centre
//! with voice and vote on every body), computed the same way.
//!
//! The financing mix of a fiscal year (`year`, default the last one) splits the income in
//! four parts: **membership fees** (the adopted budget's income lines whose source is a
//! member category), **public funding** and **private funding** (the grants' and
//! agreements' income of the year by the funder's kind, exactly as the transparency report
//! counts public aid and other funding), and **other income** (what the budget's income has
//! beyond those three, never negative). Fees and the budget's income are executed figures
//! once any income is received, else planned (`income_basis`). The parts add up to the
//! total to the cent; as funding comes from its own records, the total can exceed the
//! budget's income when a grant of the year is not yet in the budget.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Datelike, NaiveDate};
use diesel_async::AsyncPgConnection;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    aei_register::{self, Criterion, CriterionStatus, Evidence},
    transparency,
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    domain::{Cents, calendar},
    error::ApiError,
    governance::composition::Composition,
    http::{csv, extract::query_in_range, pdf},
    members::model::{MemberKind, MemberSize},
};

mod view;

pub use view::*;

/// At least this many committed members (ECCP).
pub const MIN_COMMITTED_MEMBERS: i64 = 15;
/// At least this much management staff, in hundredths of FTE (0.5 FTE, ECCP).
pub const MIN_MANAGEMENT_FTE_HUNDREDTHS: i32 = 50;

/// The profile's query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProfileQuery {
    /// The fiscal year of the financing mix (2000–2100; default: last year, Madrid).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
}

/// The members by type, from the active members' counts by kind and size (pure).
pub fn membership(counts: &[(MemberKind, Option<MemberSize>, i64)]) -> Membership {
    let mut industry = IndustryMembers::default();
    let mut research = ResearchMembers::default();
    let mut public = PublicAndOtherMembers::default();
    let mut committed = 0;
    for &(kind, size, n) in counts {
        committed += n;
        match kind {
            MemberKind::Company | MemberKind::Freelancer => {
                industry.total += n;
                match size {
                    Some(s) if s.is_sme() => industry.smes += n,
                    Some(_) => industry.large += n,
                    None => industry.size_unknown += n,
                }
            }
            MemberKind::University => research.universities += n,
            MemberKind::TechnologyCentre => research.technology_centres += n,
            MemberKind::TrainingCentre => research.training_centres += n,
            MemberKind::PublicInstitution => public.public_institutions += n,
            MemberKind::Association => public.associations += n,
            MemberKind::Other => public.other += n,
        }
    }
    research.total =
        research.universities + research.technology_centres + research.training_centres;
    public.total = public.public_institutions + public.associations + public.other;
    let by_kind = MemberKind::ALL
        .iter()
        .map(|&kind| KindCount {
            kind,
            count: counts
                .iter()
                .filter(|(k, _, _)| *k == kind)
                .map(|(_, _, n)| n)
                .sum(),
        })
        .collect();
    Membership {
        committed,
        by_kind,
        industry,
        research_and_education: research,
        public_and_other: public,
    }
}

fn pass_or_fail(ok: bool) -> CriterionStatus {
    if ok {
        CriterionStatus::Pass
    } else {
        CriterionStatus::Fail
    }
}

/// At least 15 committed members (pure).
pub fn committed_members(m: &Membership) -> Criterion {
    let ok = m.committed >= MIN_COMMITTED_MEMBERS;
    Criterion {
        code: "committed_members",
        status: pass_or_fail(ok),
        detail: format!(
            "{} committed (active) members; at least {MIN_COMMITTED_MEMBERS} are needed.",
            m.committed
        ),
        evidence: vec![
            Evidence::figure("committed_members", "active members", m.committed),
            Evidence::figure(
                "required_members",
                "committed members required",
                MIN_COMMITTED_MEMBERS,
            ),
        ],
    }
}

/// The triple helix (pure): industry, research and education, and public bodies among the
/// members or public funding of the year.
pub fn triple_helix(m: &Membership, public_funding: Cents) -> Criterion {
    let industry = m.industry.total > 0;
    let research = m.research_and_education.total > 0;
    let public_members = m.public_and_other.public_institutions > 0;
    let public_money = public_funding.0 > 0;
    let mut missing = Vec::new();
    if !industry {
        missing.push("no company or self-employed member");
    }
    if !research {
        missing.push("no university, technology centre or training centre among the members");
    }
    if !public_members && !public_money {
        missing.push("no public institution among the members and no public funding this year");
    }
    let detail = if missing.is_empty() {
        format!(
            "Industry ({}), research and education ({}) and {}.",
            m.industry.total,
            m.research_and_education.total,
            if public_members {
                format!(
                    "public institutions ({}) are members",
                    m.public_and_other.public_institutions
                )
            } else {
                format!("public funding of {public_funding} this year")
            }
        )
    } else {
        format!("The triple helix is incomplete: {}.", missing.join("; "))
    };
    Criterion {
        code: "triple_helix",
        status: pass_or_fail(missing.is_empty()),
        detail,
        evidence: vec![
            Evidence::figure("industry_members", "industry members", m.industry.total),
            Evidence::figure(
                "research_members",
                "research and education members",
                m.research_and_education.total,
            ),
            Evidence::figure(
                "public_institution_members",
                "public institutions among the members",
                m.public_and_other.public_institutions,
            ),
            Evidence::figure(
                "public_funding_cents",
                "public funding of the year",
                public_funding.0,
            ),
        ],
    }
}

/// At least 0.5 FTE of management staff (pure).
pub fn management_fte(fte_hundredths: Option<i32>) -> Criterion {
    let required = Evidence::figure(
        "required_fte_hundredths",
        "management staff required, hundredths of FTE",
        i64::from(MIN_MANAGEMENT_FTE_HUNDREDTHS),
    );
    let Some(h) = fte_hundredths else {
        return Criterion {
            code: "management_fte",
            status: CriterionStatus::Unknown,
            detail: "The cluster's record does not say its management staff in FTE.".into(),
            evidence: vec![required],
        };
    };
    Criterion {
        code: "management_fte",
        status: pass_or_fail(h >= MIN_MANAGEMENT_FTE_HUNDREDTHS),
        detail: format!(
            "Management staff of {}.{:02} FTE; at least 0.50 is needed.",
            h / 100,
            h % 100
        ),
        evidence: vec![
            Evidence::figure(
                "management_fte_hundredths",
                "management staff, hundredths of FTE",
                i64::from(h),
            ),
            required,
        ],
    }
}

fn overflow(_: crate::domain::Overflow) -> ApiError {
    ApiError::unprocessable(
        "value_out_of_range",
        "A total of this year's income would go past what can be stored.",
    )
}

fn share_bp(part: Cents, whole: Cents) -> Option<i64> {
    (whole.0 > 0).then(|| {
        i64::try_from(i128::from(part.0) * 10_000 / i128::from(whole.0)).unwrap_or(i64::MAX)
    })
}

/// The financing mix (pure) from the transparency report's figures and the year's fees.
pub fn financing(
    obligation: &transparency::TransparencyObligation,
    fees: Option<Cents>,
) -> Result<FinancingMix, ApiError> {
    let fees = fees.unwrap_or(Cents(0));
    let public = obligation.public_aid_cents;
    let private = obligation.other_funding_cents;
    let budget_income = obligation.income.amount_cents;
    let known = Cents::checked_sum([fees, public, private]).map_err(overflow)?;
    let other = Cents(budget_income.map_or(0, |i| i.0.saturating_sub(known.0).max(0)));
    let total = known.checked_add(other).map_err(overflow)?;
    let sources = [
        (FinancingSourceKind::MembershipFees, fees),
        (FinancingSourceKind::PublicFunding, public),
        (FinancingSourceKind::PrivateFunding, private),
        (FinancingSourceKind::OtherIncome, other),
    ]
    .into_iter()
    .map(|(source, amount_cents)| FinancingSource {
        source,
        amount_cents,
        share_bp: share_bp(amount_cents, total),
    })
    .collect();
    Ok(FinancingMix {
        year: obligation.year,
        income_basis: obligation.income.basis,
        budget_id: obligation.income.budget_id,
        budget_income_cents: budget_income,
        sources,
        total_cents: total,
    })
}

/// The bodies with their voters and the knowledge providers among them.
fn governance(bodies: &[Composition]) -> Governance {
    let profiles = bodies
        .iter()
        .map(|b| BodyProfile {
            id: b.id,
            name: b.name.clone(),
            kind: b.kind,
            voting_members: b.voters,
            knowledge_providers: b.knowledge_providers.clone(),
        })
        .collect();
    Governance {
        bodies: profiles,
        knowledge_providers_vote: aei_register::knowledge_provider(bodies),
    }
}

async fn compute(
    conn: &mut AsyncPgConnection,
    as_of: NaiveDate,
    year: i32,
) -> Result<EuropeanProfile, ApiError> {
    let cluster = crate::cluster::repo::find(conn, false).await?;
    let members = membership(&crate::members::repo::active_by_kind_and_size(conn).await?);
    let (obligation, fees) = transparency::obligation_and_fees(conn, year).await?;
    let bodies = crate::governance::composition::on(conn, as_of).await?;
    let fte = cluster.as_ref().and_then(|c| c.management_fte_hundredths);
    let criteria = vec![
        committed_members(&members),
        triple_helix(&members, obligation.public_aid_cents),
        management_fte(fte),
    ];
    let overall = aei_register::overall(&criteria);
    Ok(EuropeanProfile {
        as_of,
        overall,
        organisation: cluster.as_ref().map(Organisation::from),
        criteria,
        members,
        management: Management {
            fte: fte.map(|h| f64::from(h) / 100.0),
        },
        governance: governance(&bodies),
        financing: financing(&obligation, fees)?,
        services: cluster.map(|c| c.services).unwrap_or_default(),
    })
}

/// Computes the profile (staff, admins, auditors): 403 for others. `year` defaults to last
/// year. Read in one transaction, so every figure is of the same moment.
pub async fn profile(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    year: Option<i32>,
) -> Result<EuropeanProfile, ApiError> {
    caller.require(Action::read(Resource::Reports))?;
    let as_of = calendar::today();
    let year = transparency::check_year(year.unwrap_or(as_of.year() - 1))?;
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(async |conn| compute(conn, as_of, year).await)
        .await
}

/// The cluster's profile as the European Cluster Collaboration Platform and the cluster
/// management excellence labels ask for it: identity, sector, region, founding and AEI
/// registration; members by type in the three helices; the checks of at least 15 committed
/// members, the triple helix and 0.5 FTE of management; the governing bodies and whether
/// knowledge providers vote on each; the financing mix of a year; the services (staff,
/// admins, auditors). With `Accept: text/csv`, one row per check (the governance one
/// last); with `Accept: application/pdf`, the printable profile in Spanish.
#[utoipa::path(tag = "reports", params(ProfileQuery), responses(
    (status = 200, description = "The profile (or CSV, or PDF).",
        content((EuropeanProfile = "application/json"), (String = "text/csv"),
            (crate::http::pdf::PdfFile = "application/pdf"))),
    (status = 400, description = "`invalid_query`: `year` out of 2000–2100.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/api/v1/reports/european-profile")]
pub async fn european_profile_report(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<ProfileQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let year = query_in_range("year", query.into_inner().year, 2000..=2100)?;
    let mut conn = state.conn().await?;
    let report = profile(&mut conn, &caller, year).await?;
    if pdf::wanted(&req) {
        let issuer = pdf::issuer(conn).await?;
        let file = super::pdf::european_profile(&state.pdf, &issuer, &report).await?;
        return Ok(pdf::respond("perfil-europeo.pdf", file));
    }
    if csv::wants_csv(&req) {
        let mut rows = report.criteria.clone();
        rows.push(report.governance.knowledge_providers_vote.clone());
        return Ok(pdf::vary(csv::attachment("european-profile.csv", &rows)));
    }
    Ok(pdf::vary(HttpResponse::Ok().json(report)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(counts: &[(MemberKind, Option<MemberSize>, i64)]) -> Membership {
        membership(counts)
    }

    #[test]
    fn members_fall_into_three_helices_with_smes_apart() {
        let m = with(&[
            (MemberKind::Company, Some(MemberSize::Micro), 3),
            (MemberKind::Company, Some(MemberSize::Large), 2),
            (MemberKind::Freelancer, None, 1),
            (MemberKind::University, None, 1),
            (MemberKind::TrainingCentre, None, 2),
            (MemberKind::PublicInstitution, None, 1),
            (MemberKind::Association, None, 1),
        ]);
        assert_eq!(m.committed, 11);
        assert_eq!(
            m.industry,
            IndustryMembers {
                total: 6,
                smes: 3,
                large: 2,
                size_unknown: 1
            }
        );
        assert_eq!(m.research_and_education.total, 3);
        assert_eq!(m.public_and_other.total, 2);
        assert_eq!(m.by_kind.len(), MemberKind::ALL.len());
        assert_eq!(m.by_kind[0].count, 5);
    }

    #[test]
    fn fifteen_committed_members_pass_fourteen_fail() {
        let n = |c| committed_members(&with(&[(MemberKind::Company, None, c)])).status;
        assert_eq!(n(14), CriterionStatus::Fail);
        assert_eq!(n(15), CriterionStatus::Pass);
    }

    #[test]
    fn the_triple_helix_takes_public_funding_for_public_members() {
        let industry_and_research = with(&[
            (MemberKind::Company, None, 5),
            (MemberKind::TechnologyCentre, None, 1),
        ]);
        assert_eq!(
            triple_helix(&industry_and_research, Cents(0)).status,
            CriterionStatus::Fail
        );
        assert_eq!(
            triple_helix(&industry_and_research, Cents(1)).status,
            CriterionStatus::Pass
        );
        let no_research = with(&[
            (MemberKind::Company, None, 5),
            (MemberKind::PublicInstitution, None, 1),
        ]);
        assert_eq!(
            triple_helix(&no_research, Cents(100)).status,
            CriterionStatus::Fail
        );
    }

    #[test]
    fn half_an_fte_of_management_is_needed() {
        assert_eq!(management_fte(Some(49)).status, CriterionStatus::Fail);
        assert_eq!(management_fte(Some(50)).status, CriterionStatus::Pass);
        assert_eq!(management_fte(None).status, CriterionStatus::Unknown);
    }
}
