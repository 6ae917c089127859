//! Queries of funding: every query on funding's tables, and nothing else (budgets and
//! plans are read through their repos).
//!
//! One file past 600 lines: thirteen tables' queries, grouped by sub-resource, are easier
//! to keep consistent (keyset pagination, scopes) side by side than spread over files.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{dsl::exists, prelude::*};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::{
    model::{
        AgreementChanges, AgreementRow, ApplicationActionRow, ApplicationChanges,
        ApplicationLineRow, ApplicationRow, ApplicationStatus, CallChanges, CallRow, CallStatus,
        DocumentRow, FunderChanges, FunderRow, IncomeRow, InstalmentRow, TransitionRow,
    },
    scope::Scope,
};
use crate::{
    budgets::model::LineLineage,
    domain::{
        AgreementId, ApplicationId, BudgetCategoryId, BudgetId, BudgetLineId, CallId, Cents,
        DocumentId, FunderId, MemberId, NodeId,
    },
    schema::{
        agreement_instalments, agreements, application_actions, application_document_blobs,
        application_documents, application_income, application_lines, application_participants,
        application_transitions, applications, call_cost_categories, calls, funders,
    },
};

// ---------------------------------------------------------------------------------------
// Funders

/// Inserts a funder.
pub async fn insert_funder(
    conn: &mut AsyncPgConnection,
    row: &FunderRow,
) -> QueryResult<FunderRow> {
    diesel::insert_into(funders::table)
        .values(row)
        .returning(FunderRow::as_returning())
        .get_result(conn)
        .await
}

/// One funder (`lock`: `FOR UPDATE`).
pub async fn find_funder(
    conn: &mut AsyncPgConnection,
    id: FunderId,
    lock: bool,
) -> QueryResult<FunderRow> {
    let q = funders::table.find(id).select(FunderRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// Funders by name, after the key `(name, id)`.
pub async fn list_funders(
    conn: &mut AsyncPgConnection,
    after: Option<(String, FunderId)>,
    limit: i64,
) -> QueryResult<Vec<FunderRow>> {
    let mut q = funders::table.select(FunderRow::as_select()).into_boxed();
    if let Some((name, id)) = after {
        q = q.filter(
            funders::name
                .gt(name.clone())
                .or(funders::name.eq(name).and(funders::id.gt(id))),
        );
    }
    q.order((funders::name, funders::id))
        .limit(limit)
        .load(conn)
        .await
}

/// Changes a funder and bumps its version.
pub async fn update_funder(
    conn: &mut AsyncPgConnection,
    id: FunderId,
    changes: &FunderChanges,
) -> QueryResult<FunderRow> {
    diesel::update(funders::table.find(id))
        .set((changes, funders::version.eq(funders::version + 1)))
        .returning(FunderRow::as_returning())
        .get_result(conn)
        .await
}

// ---------------------------------------------------------------------------------------
// Calls

/// Inserts a call.
pub async fn insert_call(conn: &mut AsyncPgConnection, row: &CallRow) -> QueryResult<CallRow> {
    diesel::insert_into(calls::table)
        .values(row)
        .returning(CallRow::as_returning())
        .get_result(conn)
        .await
}

/// One call (`lock`: `FOR UPDATE`).
pub async fn find_call(
    conn: &mut AsyncPgConnection,
    id: CallId,
    lock: bool,
) -> QueryResult<CallRow> {
    let q = calls::table.find(id).select(CallRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// The calls open at `at` (for the `call.opened` scan; a handful at any time).
pub async fn open_calls(
    conn: &mut AsyncPgConnection,
    at: DateTime<Utc>,
) -> QueryResult<Vec<CallRow>> {
    calls::table
        .filter(calls::opens_at.le(at).and(calls::closes_at.gt(at)))
        .select(CallRow::as_select())
        .load(conn)
        .await
}

/// Filters of the call list.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallFilter {
    /// Only this funder's calls.
    pub funder_id: Option<FunderId>,
    /// Only calls in this status at the instant given.
    pub status: Option<(CallStatus, DateTime<Utc>)>,
}

/// Calls, most recently closing first, after the key `(closes_at, id)`.
pub async fn list_calls(
    conn: &mut AsyncPgConnection,
    filter: CallFilter,
    after: Option<(DateTime<Utc>, CallId)>,
    limit: i64,
) -> QueryResult<Vec<CallRow>> {
    let mut q = calls::table.select(CallRow::as_select()).into_boxed();
    if let Some(f) = filter.funder_id {
        q = q.filter(calls::funder_id.eq(f));
    }
    match filter.status {
        Some((CallStatus::Forecast, at)) => q = q.filter(calls::opens_at.gt(at)),
        Some((CallStatus::Open, at)) => {
            q = q.filter(calls::opens_at.le(at).and(calls::closes_at.gt(at)));
        }
        Some((CallStatus::Closed, at)) => q = q.filter(calls::closes_at.le(at)),
        None => {}
    }
    if let Some((at, id)) = after {
        q = q.filter(
            calls::closes_at
                .lt(at)
                .or(calls::closes_at.eq(at).and(calls::id.lt(id))),
        );
    }
    q.order((calls::closes_at.desc(), calls::id.desc()))
        .limit(limit)
        .load(conn)
        .await
}

/// Changes a call and bumps its version.
pub async fn update_call(
    conn: &mut AsyncPgConnection,
    id: CallId,
    changes: &CallChanges,
) -> QueryResult<CallRow> {
    diesel::update(calls::table.find(id))
        .set((changes, calls::version.eq(calls::version + 1)))
        .returning(CallRow::as_returning())
        .get_result(conn)
        .await
}

/// The eligible cost categories of calls, as `(call, category)`.
pub async fn call_categories(
    conn: &mut AsyncPgConnection,
    call_ids: &[CallId],
) -> QueryResult<Vec<(CallId, BudgetCategoryId)>> {
    call_cost_categories::table
        .filter(call_cost_categories::call_id.eq_any(call_ids))
        .select((
            call_cost_categories::call_id,
            call_cost_categories::category_id,
        ))
        .order((
            call_cost_categories::call_id,
            call_cost_categories::category_id,
        ))
        .load(conn)
        .await
}

/// Replaces a call's eligible cost categories (expense categories; the foreign key checks
/// the kind).
pub async fn set_call_categories(
    conn: &mut AsyncPgConnection,
    call_id: CallId,
    categories: &[BudgetCategoryId],
) -> QueryResult<()> {
    diesel::delete(call_cost_categories::table.filter(call_cost_categories::call_id.eq(call_id)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = categories
        .iter()
        .map(|c| {
            (
                call_cost_categories::call_id.eq(call_id),
                call_cost_categories::category_id.eq(*c),
            )
        })
        .collect();
    diesel::insert_into(call_cost_categories::table)
        .values(&rows)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Agreements

/// Inserts an agreement.
pub async fn insert_agreement(
    conn: &mut AsyncPgConnection,
    row: &AgreementRow,
) -> QueryResult<AgreementRow> {
    diesel::insert_into(agreements::table)
        .values(row)
        .returning(AgreementRow::as_returning())
        .get_result(conn)
        .await
}

/// One agreement (`lock`: `FOR UPDATE`).
pub async fn find_agreement(
    conn: &mut AsyncPgConnection,
    id: AgreementId,
    lock: bool,
) -> QueryResult<AgreementRow> {
    let q = agreements::table.find(id).select(AgreementRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// Agreements, latest start first, after the key `(starts_on, id)`.
pub async fn list_agreements(
    conn: &mut AsyncPgConnection,
    funder_id: Option<FunderId>,
    after: Option<(NaiveDate, AgreementId)>,
    limit: i64,
) -> QueryResult<Vec<AgreementRow>> {
    let mut q = agreements::table
        .select(AgreementRow::as_select())
        .into_boxed();
    if let Some(f) = funder_id {
        q = q.filter(agreements::funder_id.eq(f));
    }
    if let Some((on, id)) = after {
        q = q.filter(
            agreements::starts_on
                .lt(on)
                .or(agreements::starts_on.eq(on).and(agreements::id.lt(id))),
        );
    }
    q.order((agreements::starts_on.desc(), agreements::id.desc()))
        .limit(limit)
        .load(conn)
        .await
}

/// Changes an agreement and bumps its version.
pub async fn update_agreement(
    conn: &mut AsyncPgConnection,
    id: AgreementId,
    changes: &AgreementChanges,
) -> QueryResult<AgreementRow> {
    diesel::update(agreements::table.find(id))
        .set((changes, agreements::version.eq(agreements::version + 1)))
        .returning(AgreementRow::as_returning())
        .get_result(conn)
        .await
}

/// The instalments of agreements, by year.
pub async fn instalments(
    conn: &mut AsyncPgConnection,
    agreement_ids: &[AgreementId],
) -> QueryResult<Vec<InstalmentRow>> {
    agreement_instalments::table
        .filter(agreement_instalments::agreement_id.eq_any(agreement_ids))
        .select(InstalmentRow::as_select())
        .order((
            agreement_instalments::agreement_id,
            agreement_instalments::fiscal_year,
        ))
        .load(conn)
        .await
}

/// Replaces an agreement's instalments.
pub async fn set_instalments(
    conn: &mut AsyncPgConnection,
    agreement_id: AgreementId,
    rows: &[InstalmentRow],
) -> QueryResult<()> {
    diesel::delete(
        agreement_instalments::table.filter(agreement_instalments::agreement_id.eq(agreement_id)),
    )
    .execute(conn)
    .await?;
    diesel::insert_into(agreement_instalments::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Applications

/// Inserts an application.
pub async fn insert_application(
    conn: &mut AsyncPgConnection,
    row: &ApplicationRow,
) -> QueryResult<ApplicationRow> {
    diesel::insert_into(applications::table)
        .values(row)
        .returning(ApplicationRow::as_returning())
        .get_result(conn)
        .await
}

/// One application (`lock`: `FOR UPDATE`).
pub async fn find_application(
    conn: &mut AsyncPgConnection,
    id: ApplicationId,
    lock: bool,
) -> QueryResult<ApplicationRow> {
    let q = applications::table
        .find(id)
        .select(ApplicationRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// One application with its call's funder (one query).
pub async fn find_application_funder(
    conn: &mut AsyncPgConnection,
    id: ApplicationId,
) -> QueryResult<(ApplicationRow, FunderId)> {
    applications::table
        .inner_join(calls::table)
        .filter(applications::id.eq(id))
        .select((ApplicationRow::as_select(), calls::funder_id))
        .first(conn)
        .await
}

/// Whether `scope` sees the application (given its call's funder).
pub async fn sees_application(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    app: &ApplicationRow,
    funder_id: FunderId,
) -> QueryResult<bool> {
    Ok(match scope {
        Scope::All => true,
        // The funder sees what it has received: from the first submission on (a draft
        // withdrawn before it was ever submitted never reached it).
        Scope::Funder(Some(f)) => f == funder_id && app.submitted_at.is_some(),
        Scope::Funder(None) | Scope::Member(None) => false,
        Scope::Member(Some(m)) => {
            app.lead_member_id == Some(m)
                || diesel::select(exists(
                    application_participants::table.filter(
                        application_participants::application_id
                            .eq(app.id)
                            .and(application_participants::member_id.eq(m)),
                    ),
                ))
                .get_result(conn)
                .await?
        }
    })
}

/// The applications member `m` leads or takes part in (a filter of any query on
/// applications).
#[diesel::dsl::auto_type]
fn of_member(m: MemberId) -> _ {
    applications::lead_member_id
        .eq(m)
        .or(applications::id.eq_any(
            application_participants::table
                .filter(application_participants::member_id.eq(m))
                .select(application_participants::application_id),
        ))
}

/// Filters of the application list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplicationFilter {
    /// Only applications to this call.
    pub call_id: Option<CallId>,
    /// Only in this status.
    pub status: Option<ApplicationStatus>,
}

/// Applications visible in `scope`, newest first, after the key `(created_at, id)`.
pub async fn list_applications(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    filter: ApplicationFilter,
    after: Option<(DateTime<Utc>, ApplicationId)>,
    limit: i64,
) -> QueryResult<Vec<ApplicationRow>> {
    let mut q = applications::table
        .select(ApplicationRow::as_select())
        .into_boxed();
    match scope {
        Scope::All => {}
        Scope::Funder(None) | Scope::Member(None) => return Ok(Vec::new()),
        Scope::Funder(Some(f)) => {
            q = q
                .filter(
                    applications::call_id.eq_any(
                        calls::table
                            .filter(calls::funder_id.eq(f))
                            .select(calls::id),
                    ),
                )
                .filter(applications::submitted_at.is_not_null());
        }
        Scope::Member(Some(m)) => {
            q = q.filter(of_member(m));
        }
    }
    if let Some(c) = filter.call_id {
        q = q.filter(applications::call_id.eq(c));
    }
    if let Some(s) = filter.status {
        q = q.filter(applications::status.eq(s));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            applications::created_at
                .lt(at)
                .or(applications::created_at.eq(at).and(applications::id.lt(id))),
        );
    }
    q.order((applications::created_at.desc(), applications::id.desc()))
        .limit(limit)
        .load(conn)
        .await
}

/// Changes an application and bumps its version.
pub async fn update_application(
    conn: &mut AsyncPgConnection,
    id: ApplicationId,
    changes: &ApplicationChanges,
) -> QueryResult<ApplicationRow> {
    diesel::update(applications::table.find(id))
        .set((changes, applications::version.eq(applications::version + 1)))
        .returning(ApplicationRow::as_returning())
        .get_result(conn)
        .await
}

/// The participating members of an application.
pub async fn participants(
    conn: &mut AsyncPgConnection,
    id: ApplicationId,
) -> QueryResult<Vec<MemberId>> {
    application_participants::table
        .filter(application_participants::application_id.eq(id))
        .select(application_participants::member_id)
        .order(application_participants::member_id)
        .load(conn)
        .await
}

/// Replaces the participating members of an application.
pub async fn set_participants(
    conn: &mut AsyncPgConnection,
    id: ApplicationId,
    members: &[MemberId],
) -> QueryResult<()> {
    diesel::delete(
        application_participants::table.filter(application_participants::application_id.eq(id)),
    )
    .execute(conn)
    .await?;
    let rows: Vec<_> = members
        .iter()
        .map(|m| {
            (
                application_participants::application_id.eq(id),
                application_participants::member_id.eq(*m),
            )
        })
        .collect();
    diesel::insert_into(application_participants::table)
        .values(&rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// The plan actions of applications.
pub async fn application_actions(
    conn: &mut AsyncPgConnection,
    ids: &[ApplicationId],
) -> QueryResult<Vec<ApplicationActionRow>> {
    application_actions::table
        .filter(application_actions::application_id.eq_any(ids))
        .select(ApplicationActionRow::as_select())
        .order((
            application_actions::application_id,
            application_actions::action_id,
        ))
        .load(conn)
        .await
}

/// Replaces the plan actions of an application.
pub async fn set_application_actions(
    conn: &mut AsyncPgConnection,
    id: ApplicationId,
    rows: &[ApplicationActionRow],
) -> QueryResult<()> {
    diesel::delete(application_actions::table.filter(application_actions::application_id.eq(id)))
        .execute(conn)
        .await?;
    diesel::insert_into(application_actions::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// The budget lines of an application.
pub async fn application_lines(
    conn: &mut AsyncPgConnection,
    id: ApplicationId,
) -> QueryResult<Vec<ApplicationLineRow>> {
    application_lines::table
        .filter(application_lines::application_id.eq(id))
        .select(ApplicationLineRow::as_select())
        .order(application_lines::line_id)
        .load(conn)
        .await
}

/// Replaces the budget lines of an application.
pub async fn set_application_lines(
    conn: &mut AsyncPgConnection,
    id: ApplicationId,
    rows: &[ApplicationLineRow],
) -> QueryResult<()> {
    diesel::delete(application_lines::table.filter(application_lines::application_id.eq(id)))
        .execute(conn)
        .await?;
    diesel::insert_into(application_lines::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// A grant another application holds on an action.
#[derive(Debug, Clone, Queryable)]
pub struct ActionGrant {
    /// The action.
    pub action_id: NodeId,
    /// The application.
    pub application_id: ApplicationId,
    /// Its title.
    pub title: String,
    /// What it requested.
    pub requested_cents: Cents,
    /// What it was granted.
    pub granted_cents: Option<Cents>,
    /// The action's part of the request.
    pub amount_cents: Cents,
}

/// The grants other applications (but `except`) hold on these actions.
pub async fn grants_on_actions(
    conn: &mut AsyncPgConnection,
    action_ids: &[NodeId],
    except: ApplicationId,
) -> QueryResult<Vec<ActionGrant>> {
    application_actions::table
        .inner_join(applications::table)
        .filter(application_actions::action_id.eq_any(action_ids))
        .filter(applications::id.ne(except))
        .filter(applications::status.eq_any(ApplicationStatus::granted_statuses()))
        .select((
            application_actions::action_id,
            applications::id,
            applications::title,
            applications::requested_cents,
            applications::granted_cents,
            application_actions::amount_cents,
        ))
        .order((application_actions::action_id, applications::id))
        .load(conn)
        .await
}

/// Records a move of an application.
pub async fn insert_transition(
    conn: &mut AsyncPgConnection,
    row: &TransitionRow,
) -> QueryResult<()> {
    diesel::insert_into(application_transitions::table)
        .values(row)
        .execute(conn)
        .await?;
    Ok(())
}

/// The moves of an application, oldest first, after the key `(created_at, id)`.
pub async fn transitions(
    conn: &mut AsyncPgConnection,
    id: ApplicationId,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<TransitionRow>> {
    let mut q = application_transitions::table
        .filter(application_transitions::application_id.eq(id))
        .select(TransitionRow::as_select())
        .into_boxed();
    if let Some((at, tid)) = after {
        q = q.filter(
            application_transitions::created_at
                .gt(at)
                .or(application_transitions::created_at
                    .eq(at)
                    .and(application_transitions::id.gt(tid))),
        );
    }
    q.order((
        application_transitions::created_at,
        application_transitions::id,
    ))
    .limit(limit)
    .load(conn)
    .await
}

/// Records the income of an accepted grant in one fiscal year.
pub async fn insert_income(conn: &mut AsyncPgConnection, row: &IncomeRow) -> QueryResult<()> {
    diesel::insert_into(application_income::table)
        .values(row)
        .execute(conn)
        .await?;
    Ok(())
}

/// The income an application brings, by year.
pub async fn income_of(
    conn: &mut AsyncPgConnection,
    id: ApplicationId,
) -> QueryResult<Vec<IncomeRow>> {
    application_income::table
        .filter(application_income::application_id.eq(id))
        .select(IncomeRow::as_select())
        .order(application_income::fiscal_year)
        .load(conn)
        .await
}

// ---------------------------------------------------------------------------------------
// Deadlines

/// The calls (of `funder`, or every funder's) closing in `[from, until)`.
pub async fn calls_closing(
    conn: &mut AsyncPgConnection,
    funder: Option<FunderId>,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> QueryResult<Vec<CallRow>> {
    let mut q = calls::table
        .filter(calls::closes_at.ge(from).and(calls::closes_at.lt(until)))
        .select(CallRow::as_select())
        .into_boxed();
    if let Some(f) = funder {
        q = q.filter(calls::funder_id.eq(f));
    }
    q.load(conn).await
}

/// The accepted applications visible in `scope` whose justification is due from `from` to
/// `to` (both included).
pub async fn justifications_due(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<ApplicationRow>> {
    let mut q = applications::table
        .inner_join(calls::table)
        .filter(applications::status.eq(ApplicationStatus::Accepted))
        .filter(applications::justification_due_on.between(from, to))
        .select(ApplicationRow::as_select())
        .into_boxed();
    match scope {
        Scope::All => {}
        Scope::Funder(None) | Scope::Member(None) => return Ok(Vec::new()),
        Scope::Funder(Some(f)) => q = q.filter(calls::funder_id.eq(f)),
        Scope::Member(Some(m)) => {
            q = q.filter(of_member(m));
        }
    }
    q.load(conn).await
}

/// The agreements (of `funder`, or every funder's) with a justification (theirs or an
/// instalment's) due, or an end, from `from` to `to` (both included).
pub async fn agreements_due(
    conn: &mut AsyncPgConnection,
    funder: Option<FunderId>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<AgreementRow>> {
    let mut q = agreements::table
        .select(AgreementRow::as_select())
        .into_boxed();
    if let Some(f) = funder {
        q = q.filter(agreements::funder_id.eq(f));
    }
    q.filter(
        agreements::justification_due_on
            .between(from, to)
            .or(agreements::ends_on.between(from, to))
            .or(agreements::id.eq_any(
                agreement_instalments::table
                    .filter(agreement_instalments::justification_due_on.between(from, to))
                    .select(agreement_instalments::agreement_id),
            )),
    )
    .load(conn)
    .await
}

// ---------------------------------------------------------------------------------------
// Documents

/// Inserts a document's metadata.
pub async fn insert_document(
    conn: &mut AsyncPgConnection,
    row: &DocumentRow,
) -> QueryResult<DocumentRow> {
    diesel::insert_into(application_documents::table)
        .values(row)
        .returning(DocumentRow::as_returning())
        .get_result(conn)
        .await
}

/// The documents of an application, oldest first.
pub async fn documents(
    conn: &mut AsyncPgConnection,
    application_id: ApplicationId,
    after: Option<(DateTime<Utc>, DocumentId)>,
    limit: i64,
) -> QueryResult<Vec<DocumentRow>> {
    let mut q = application_documents::table
        .filter(application_documents::application_id.eq(application_id))
        .select(DocumentRow::as_select())
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            application_documents::created_at
                .gt(at)
                .or(application_documents::created_at
                    .eq(at)
                    .and(application_documents::id.gt(id))),
        );
    }
    q.order((application_documents::created_at, application_documents::id))
        .limit(limit)
        .load(conn)
        .await
}

/// One document of an application.
pub async fn find_document(
    conn: &mut AsyncPgConnection,
    application_id: ApplicationId,
    id: DocumentId,
) -> QueryResult<DocumentRow> {
    application_documents::table
        .filter(application_documents::application_id.eq(application_id))
        .filter(application_documents::id.eq(id))
        .select(DocumentRow::as_select())
        .first(conn)
        .await
}

/// Stores a document's bytes in the database.
pub async fn insert_blob(
    conn: &mut AsyncPgConnection,
    id: DocumentId,
    content: &[u8],
) -> QueryResult<()> {
    diesel::insert_into(application_document_blobs::table)
        .values((
            application_document_blobs::document_id.eq(id),
            application_document_blobs::content.eq(content),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A document's bytes from the database.
pub async fn blob(conn: &mut AsyncPgConnection, id: DocumentId) -> QueryResult<Vec<u8>> {
    application_document_blobs::table
        .find(id)
        .select(application_document_blobs::content)
        .first(conn)
        .await
}

// ---------------------------------------------------------------------------------------
// Read by budgets: where income comes from, and what a funder funds

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
