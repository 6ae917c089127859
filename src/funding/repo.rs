//! Queries of funding.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{dsl::exists, prelude::*};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::model::{
    AgreementChanges, AgreementRow, ApplicationActionRow, ApplicationChanges, ApplicationLineRow,
    ApplicationRow, ApplicationStatus, CallChanges, CallRow, CallStatus, DocumentRow,
    FunderChanges, FunderRow, IncomeRow, InstalmentRow, TransitionRow,
};
use crate::schema::{
    agreement_instalments, agreements, application_actions, application_document_blobs,
    application_documents, application_income, application_lines, application_participants,
    application_transitions, applications, call_cost_categories, calls, funders,
};

/// Which funding records a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Staff, admins, auditors.
    All,
    /// A partner: what concerns its funder.
    Funder(Uuid),
    /// A member representative: applications its organisation leads or takes part in.
    Member(Uuid),
}

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
    id: Uuid,
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
    after: Option<(String, Uuid)>,
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
    id: Uuid,
    changes: &FunderChanges,
) -> QueryResult<FunderRow> {
    diesel::update(funders::table.find(id))
        .set((changes, funders::version.eq(funders::version + 1)))
        .returning(FunderRow::as_returning())
        .get_result(conn)
        .await
}

/// Names of funders.
pub async fn funder_names(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, String)>> {
    funders::table
        .filter(funders::id.eq_any(ids))
        .select((funders::id, funders::name))
        .load(conn)
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
pub async fn find_call(conn: &mut AsyncPgConnection, id: Uuid, lock: bool) -> QueryResult<CallRow> {
    let q = calls::table.find(id).select(CallRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// Filters of the call list.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallFilter {
    /// Only this funder's calls.
    pub funder_id: Option<Uuid>,
    /// Only calls in this status at the instant given.
    pub status: Option<(CallStatus, DateTime<Utc>)>,
}

/// Calls, most recently closing first, after the key `(closes_at, id)`.
pub async fn list_calls(
    conn: &mut AsyncPgConnection,
    filter: CallFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
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
    id: Uuid,
    changes: &CallChanges,
) -> QueryResult<CallRow> {
    diesel::update(calls::table.find(id))
        .set((changes, calls::version.eq(calls::version + 1)))
        .returning(CallRow::as_returning())
        .get_result(conn)
        .await
}

/// Bumps a call's version (its cost categories changed).
pub async fn touch_call(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<CallRow> {
    diesel::update(calls::table.find(id))
        .set(calls::version.eq(calls::version + 1))
        .returning(CallRow::as_returning())
        .get_result(conn)
        .await
}

/// The eligible cost categories of calls, as `(call, category)`.
pub async fn call_categories(
    conn: &mut AsyncPgConnection,
    call_ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, Uuid)>> {
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
    call_id: Uuid,
    categories: &[Uuid],
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
    id: Uuid,
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
    funder_id: Option<Uuid>,
    after: Option<(NaiveDate, Uuid)>,
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
    id: Uuid,
    changes: &AgreementChanges,
) -> QueryResult<AgreementRow> {
    diesel::update(agreements::table.find(id))
        .set((changes, agreements::version.eq(agreements::version + 1)))
        .returning(AgreementRow::as_returning())
        .get_result(conn)
        .await
}

/// Bumps an agreement's version (its instalments changed).
pub async fn touch_agreement(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<AgreementRow> {
    diesel::update(agreements::table.find(id))
        .set(agreements::version.eq(agreements::version + 1))
        .returning(AgreementRow::as_returning())
        .get_result(conn)
        .await
}

/// The instalments of agreements, by year.
pub async fn instalments(
    conn: &mut AsyncPgConnection,
    agreement_ids: &[Uuid],
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
    agreement_id: Uuid,
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
    id: Uuid,
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
    id: Uuid,
) -> QueryResult<(ApplicationRow, Uuid)> {
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
    funder_id: Uuid,
) -> QueryResult<bool> {
    Ok(match scope {
        Scope::All => true,
        // The funder sees what it has received: from the first submission on (a draft
        // withdrawn before it was ever submitted never reached it).
        Scope::Funder(f) => f == funder_id && app.submitted_at.is_some(),
        Scope::Member(m) => {
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

/// Filters of the application list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplicationFilter {
    /// Only applications to this call.
    pub call_id: Option<Uuid>,
    /// Only in this status.
    pub status: Option<ApplicationStatus>,
}

/// Applications visible in `scope`, newest first, after the key `(created_at, id)`.
pub async fn list_applications(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    filter: ApplicationFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<ApplicationRow>> {
    let mut q = applications::table
        .select(ApplicationRow::as_select())
        .into_boxed();
    match scope {
        Scope::All => {}
        Scope::Funder(f) => {
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
        Scope::Member(m) => {
            q = q.filter(
                applications::lead_member_id
                    .eq(m)
                    .or(applications::id.eq_any(
                        application_participants::table
                            .filter(application_participants::member_id.eq(m))
                            .select(application_participants::application_id),
                    )),
            );
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
    id: Uuid,
    changes: &ApplicationChanges,
) -> QueryResult<ApplicationRow> {
    diesel::update(applications::table.find(id))
        .set((changes, applications::version.eq(applications::version + 1)))
        .returning(ApplicationRow::as_returning())
        .get_result(conn)
        .await
}

/// The participating members of an application.
pub async fn participants(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Vec<Uuid>> {
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
    id: Uuid,
    members: &[Uuid],
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
    ids: &[Uuid],
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
    id: Uuid,
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
    id: Uuid,
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
    id: Uuid,
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

/// The grants other applications hold on these actions: `(action, application, title,
/// requested, granted, the action's part of the request)`.
pub async fn grants_on_actions(
    conn: &mut AsyncPgConnection,
    action_ids: &[Uuid],
    except: Uuid,
) -> QueryResult<Vec<(Uuid, Uuid, String, i64, Option<i64>, i64)>> {
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

#[derive(QueryableByName)]
struct Twin {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    code: String,
}

/// The same actions (by code) in every version of `plan_id`'s lineage (the plan, the
/// versions it revises and the revisions of those): a revision copies nodes with new ids,
/// so double funding is counted per lineage and code, not per node id. Returns
/// `(node id, code)`, the given plan's own nodes included.
pub async fn action_twins(
    conn: &mut AsyncPgConnection,
    plan_id: Uuid,
    codes: &[String],
) -> QueryResult<Vec<(Uuid, String)>> {
    let rows: Vec<Twin> = diesel::sql_query(
        "WITH RECURSIVE up (id, revises_id) AS ( \
             SELECT id, revises_id FROM plans WHERE id = $1 \
             UNION SELECT p.id, p.revises_id FROM plans p JOIN up ON p.id = up.revises_id), \
         down (id) AS ( \
             SELECT id FROM up WHERE revises_id IS NULL \
             UNION SELECT p.id FROM plans p JOIN down ON p.revises_id = down.id) \
         SELECT n.id, n.code FROM plan_nodes n \
         WHERE n.plan_id IN (SELECT id FROM down) AND n.kind = 'action' AND n.code = ANY($2) \
         ORDER BY n.id",
    )
    .bind::<diesel::sql_types::Uuid, _>(plan_id)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(codes)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|t| (t.id, t.code)).collect())
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
    id: Uuid,
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
pub async fn income_of(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Vec<IncomeRow>> {
    application_income::table
        .filter(application_income::application_id.eq(id))
        .select(IncomeRow::as_select())
        .order(application_income::fiscal_year)
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
    application_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
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
    application_id: Uuid,
    id: Uuid,
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
    id: Uuid,
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
pub async fn blob(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Vec<u8>> {
    application_document_blobs::table
        .find(id)
        .select(application_document_blobs::content)
        .first(conn)
        .await
}
