//! Read by budgets: where income comes from, and what a funder funds.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::super::model::{ApplicationStatus, FunderKind};
use crate::{
    budgets::model::LineLineage,
    domain::{AgreementId, ApplicationId, BudgetId, BudgetLineId, Cents, FunderId},
    schema::{
        agreement_instalments, agreements, application_income, application_lines, applications,
        calls, funders,
    },
};

/// Where an income line's money comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FundingSource {
    /// An agreement whose instalment of the year names the line.
    Agreement(AgreementId),
    /// A grant whose income was booked on the line, or that named it.
    Grant(ApplicationId),
}

/// A funding source of an income line lineage.
#[derive(Debug, Clone)]
pub struct IncomeLink {
    /// The line lineage.
    pub line_key: Uuid,
    /// The agreement or the application.
    pub source: FundingSource,
    /// Its title.
    pub name: String,
}

/// Where income lines of a fiscal year come from, besides member fees: agreements whose
/// instalment of that year names a line of the lineage, and grants whose income was booked
/// on it or that named it. `lines` are every line (in any version) of the income lineages.
pub async fn income_sources(
    conn: &mut AsyncPgConnection,
    year: i32,
    lines: &[LineLineage],
) -> QueryResult<Vec<IncomeLink>> {
    let key_of: HashMap<BudgetLineId, Uuid> = lines.iter().map(|l| (l.id, l.line_key)).collect();
    let ids: Vec<BudgetLineId> = key_of.keys().copied().collect();
    let keys: Vec<Uuid> = lines.iter().map(|l| l.line_key).collect();
    let instalments: Vec<(Option<BudgetLineId>, AgreementId, String)> =
        agreement_instalments::table
            .inner_join(agreements::table)
            .filter(agreement_instalments::fiscal_year.eq(year))
            .filter(agreement_instalments::budget_line_id.eq_any(&ids))
            .select((
                agreement_instalments::budget_line_id,
                agreements::id,
                agreements::title,
            ))
            .load(conn)
            .await?;
    let mut links: Vec<IncomeLink> = instalments
        .into_iter()
        .filter_map(|(line, id, name)| {
            let line_key = *key_of.get(&line?)?;
            Some(IncomeLink {
                line_key,
                source: FundingSource::Agreement(id),
                name,
            })
        })
        .collect();
    let booked: Vec<(Option<Uuid>, ApplicationId, String)> = application_income::table
        .inner_join(applications::table)
        .filter(application_income::fiscal_year.eq(year))
        .filter(application_income::line_key.eq_any(&keys))
        .select((
            application_income::line_key,
            applications::id,
            applications::title,
        ))
        .load(conn)
        .await?;
    links.extend(booked.into_iter().filter_map(|(key, id, name)| {
        Some(IncomeLink {
            line_key: key?,
            source: FundingSource::Grant(id),
            name,
        })
    }));
    let named: Vec<(BudgetLineId, ApplicationId, String)> = application_lines::table
        .inner_join(applications::table)
        .filter(application_lines::line_id.eq_any(&ids))
        .filter(applications::status.eq_any(ApplicationStatus::granted_statuses()))
        .select((
            application_lines::line_id,
            applications::id,
            applications::title,
        ))
        .load(conn)
        .await?;
    links.extend(named.into_iter().filter_map(|(line, id, name)| {
        Some(IncomeLink {
            line_key: *key_of.get(&line)?,
            source: FundingSource::Grant(id),
            name,
        })
    }));
    Ok(links)
}

/// What a funder funds: the lines its agreements' instalments name and the lines of the
/// applications made to its calls (once it has received them), by id; and the line
/// lineages where the income of its calls' grants was booked.
#[derive(Debug, Clone, Default)]
pub struct FundedLines {
    /// Lines named by id.
    pub line_ids: Vec<BudgetLineId>,
    /// Line lineages the income was booked on.
    pub line_keys: Vec<Uuid>,
}

/// The lines a funder funds (see [`FundedLines`]).
pub async fn funded_lines(
    conn: &mut AsyncPgConnection,
    funder_id: FunderId,
) -> QueryResult<FundedLines> {
    let mut line_ids: Vec<BudgetLineId> = agreement_instalments::table
        .inner_join(agreements::table)
        .filter(agreements::funder_id.eq(funder_id))
        .select(agreement_instalments::budget_line_id)
        .load::<Option<BudgetLineId>>(conn)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let received = applications::table
        .inner_join(calls::table)
        .filter(calls::funder_id.eq(funder_id))
        .filter(applications::submitted_at.is_not_null())
        .select(applications::id);
    line_ids.extend(
        application_lines::table
            .filter(application_lines::application_id.eq_any(received))
            .select(application_lines::line_id)
            .load::<BudgetLineId>(conn)
            .await?,
    );
    let all = applications::table
        .inner_join(calls::table)
        .filter(calls::funder_id.eq(funder_id))
        .select(applications::id);
    let line_keys = application_income::table
        .filter(application_income::application_id.eq_any(all))
        .select(application_income::line_key)
        .load::<Option<Uuid>>(conn)
        .await?
        .into_iter()
        .flatten()
        .collect();
    Ok(FundedLines {
        line_ids,
        line_keys,
    })
}

/// What other grants have booked on a line lineage in a fiscal year.
pub async fn booked_on(
    conn: &mut AsyncPgConnection,
    year: i32,
    key: Uuid,
    except: ApplicationId,
) -> QueryResult<Cents> {
    let amounts: Vec<Cents> = application_income::table
        .filter(application_income::fiscal_year.eq(year))
        .filter(application_income::line_key.eq(key))
        .filter(application_income::application_id.ne(except))
        .select(application_income::amount_cents)
        .load(conn)
        .await?;
    Ok(Cents(
        amounts.iter().fold(0i64, |a, b| a.saturating_add(b.get())),
    ))
}

/// A grant's income waiting for a draft budget of its year.
#[derive(Debug, Clone, Queryable)]
pub struct PendingGrant {
    /// The application.
    pub application_id: ApplicationId,
    /// Its title.
    pub title: String,
    /// Its funder's name.
    pub funder: String,
    /// The income of the year.
    pub amount_cents: Cents,
    /// The income line it named, if any.
    pub line_key: Option<Uuid>,
}

/// The grants whose income of `year` is pending.
pub async fn pending_grants(
    conn: &mut AsyncPgConnection,
    year: i32,
) -> QueryResult<Vec<PendingGrant>> {
    application_income::table
        .inner_join(applications::table.inner_join(calls::table.inner_join(funders::table)))
        .filter(application_income::fiscal_year.eq(year))
        .filter(application_income::pending)
        .select((
            applications::id,
            applications::title,
            funders::name,
            application_income::amount_cents,
            application_income::line_key,
        ))
        .order(applications::id)
        .load(conn)
        .await
}

/// Marks a grant's income of a year as booked on a draft budget's line.
pub async fn mark_booked(
    conn: &mut AsyncPgConnection,
    application_id: ApplicationId,
    year: i32,
    budget_id: BudgetId,
    key: Uuid,
) -> QueryResult<()> {
    diesel::update(
        application_income::table
            .filter(application_income::application_id.eq(application_id))
            .filter(application_income::fiscal_year.eq(year)),
    )
    .set((
        application_income::pending.eq(false),
        application_income::budget_id.eq(Some(budget_id)),
        application_income::line_key.eq(Some(key)),
    ))
    .execute(conn)
    .await?;
    Ok(())
}

/// Where a fiscal year's aid comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AidSource {
    /// An agreement's instalment of the year.
    Agreement(AgreementId),
    /// A grant's income of the year.
    Grant(ApplicationId),
}

/// One piece of aid received in a fiscal year, with its funder (public or not: the caller
/// decides what counts).
#[derive(Debug, Clone)]
pub struct YearAid {
    /// The agreement or the grant.
    pub source: AidSource,
    /// Its title.
    pub title: String,
    /// The funder.
    pub funder_id: FunderId,
    /// The funder's name.
    pub funder_name: String,
    /// The funder's kind.
    pub funder_kind: FunderKind,
    /// The amount of the year.
    pub amount_cents: Cents,
}

/// The aid of a fiscal year: the income of that year of every grant that still holds its
/// grant (renounced or withdrawn ones drop out), and every agreement instalment of that
/// year, each with its funder; by funder name, then title.
pub async fn aid_of_year(conn: &mut AsyncPgConnection, year: i32) -> QueryResult<Vec<YearAid>> {
    type Row<I> = (I, String, FunderId, String, FunderKind, Cents);
    let grants: Vec<Row<ApplicationId>> = application_income::table
        .inner_join(applications::table.inner_join(calls::table.inner_join(funders::table)))
        .filter(application_income::fiscal_year.eq(year))
        .filter(applications::status.eq_any(ApplicationStatus::granted_statuses()))
        .select((
            applications::id,
            applications::title,
            funders::id,
            funders::name,
            funders::kind,
            application_income::amount_cents,
        ))
        .load(conn)
        .await?;
    let instalments: Vec<Row<AgreementId>> = agreement_instalments::table
        .inner_join(agreements::table.inner_join(funders::table))
        .filter(agreement_instalments::fiscal_year.eq(year))
        .select((
            agreements::id,
            agreements::title,
            funders::id,
            funders::name,
            funders::kind,
            agreement_instalments::amount_cents,
        ))
        .load(conn)
        .await?;
    let aid = |source, (title, funder_id, funder_name, funder_kind, amount_cents)| YearAid {
        source,
        title,
        funder_id,
        funder_name,
        funder_kind,
        amount_cents,
    };
    let mut all: Vec<YearAid> = grants
        .into_iter()
        .map(|(id, t, f, n, k, a)| aid(AidSource::Grant(id), (t, f, n, k, a)))
        .chain(
            instalments
                .into_iter()
                .map(|(id, t, f, n, k, a)| aid(AidSource::Agreement(id), (t, f, n, k, a))),
        )
        .collect();
    all.sort_by(|a, b| (&a.funder_name, &a.title).cmp(&(&b.funder_name, &b.title)));
    Ok(all)
}

/// An agreement in force during a fiscal year, with its funder and what it pays that year.
#[derive(Debug, Clone)]
pub struct YearAgreement {
    /// The agreement.
    pub agreement: super::super::model::AgreementRow,
    /// The funder's name.
    pub funder_name: String,
    /// The funder's kind.
    pub funder_kind: FunderKind,
    /// The sum of its instalments of the year.
    pub year_cents: Cents,
}

/// The agreements in force at some time of a fiscal year (their term overlaps it) or with
/// an instalment in it, by start date and title.
pub async fn agreements_of_year(
    conn: &mut AsyncPgConnection,
    year: i32,
) -> QueryResult<Vec<YearAgreement>> {
    use super::super::model::AgreementRow;
    let (Some(first), Some(last)) = (
        chrono::NaiveDate::from_ymd_opt(year, 1, 1),
        chrono::NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(Vec::new());
    };
    let with_instalment = agreement_instalments::table
        .filter(agreement_instalments::fiscal_year.eq(year))
        .select(agreement_instalments::agreement_id);
    let rows: Vec<(AgreementRow, String, FunderKind)> = agreements::table
        .inner_join(funders::table)
        .filter(
            agreements::starts_on
                .le(last)
                .and(agreements::ends_on.ge(first))
                .or(agreements::id.eq_any(with_instalment)),
        )
        .select((AgreementRow::as_select(), funders::name, funders::kind))
        .order((agreements::starts_on, agreements::title, agreements::id))
        .load(conn)
        .await?;
    let ids: Vec<AgreementId> = rows.iter().map(|r| r.0.id).collect();
    let amounts: Vec<(AgreementId, Cents)> = agreement_instalments::table
        .filter(agreement_instalments::fiscal_year.eq(year))
        .filter(agreement_instalments::agreement_id.eq_any(&ids))
        .select((
            agreement_instalments::agreement_id,
            agreement_instalments::amount_cents,
        ))
        .load(conn)
        .await?;
    let mut by_id: HashMap<AgreementId, i64> = HashMap::new();
    for (id, a) in amounts {
        let sum = by_id.entry(id).or_default();
        *sum = sum.saturating_add(a.get());
    }
    Ok(rows
        .into_iter()
        .map(|(agreement, funder_name, funder_kind)| YearAgreement {
            year_cents: Cents(by_id.get(&agreement.id).copied().unwrap_or(0)),
            agreement,
            funder_name,
            funder_kind,
        })
        .collect())
}
