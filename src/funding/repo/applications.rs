//! Applications.

use chrono::{DateTime, Utc};
use diesel::{dsl::exists, prelude::*};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::super::{
    model::{
        ApplicationActionRow, ApplicationChanges, ApplicationLineRow, ApplicationRow,
        ApplicationStatus, IncomeRow, TransitionRow,
    },
    scope::Scope,
};
use crate::{
    domain::{ApplicationId, CallId, Cents, FunderId, MemberId, NodeId},
    schema::{
        application_actions, application_income, application_lines, application_participants,
        application_transitions, applications, calls,
    },
};

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
pub(super) fn of_member(m: MemberId) -> _ {
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
