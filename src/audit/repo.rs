//! Queries of the audit log: insert and read, never update or delete (a trigger refuses).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::model::AuditEventRow;
use crate::schema::audit_events;

/// Appends an event.
pub async fn insert(conn: &mut AsyncPgConnection, row: &AuditEventRow) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(row)
        .execute(conn)
        .await?;
    Ok(())
}

/// Filters of the audit log.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Resource type.
    pub resource_type: Option<String>,
    /// Resource id.
    pub resource_id: Option<Uuid>,
    /// Actor id.
    pub actor_id: Option<Uuid>,
    /// Action.
    pub action: Option<String>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
}

fn filtered(filter: &Filter) -> audit_events::BoxedQuery<'static, diesel::pg::Pg> {
    let mut q = audit_events::table.into_boxed();
    if let Some(t) = &filter.resource_type {
        q = q.filter(audit_events::resource_type.eq(t.clone()));
    }
    if let Some(id) = filter.resource_id {
        q = q.filter(audit_events::resource_id.eq(id));
    }
    if let Some(id) = filter.actor_id {
        q = q.filter(audit_events::actor_id.eq(id));
    }
    if let Some(a) = &filter.action {
        q = q.filter(audit_events::action.eq(a.clone()));
    }
    if let Some(from) = filter.from {
        q = q.filter(audit_events::occurred_at.ge(from));
    }
    if let Some(to) = filter.to {
        q = q.filter(audit_events::occurred_at.lt(to));
    }
    q
}

/// A keyset page, newest first (`newest_first`) or oldest first, after the event `after`.
pub fn list_query(
    filter: &Filter,
    newest_first: bool,
    after: Option<Uuid>,
) -> audit_events::BoxedQuery<'static, diesel::pg::Pg> {
    let mut q = filtered(filter);
    q = match (newest_first, after) {
        (true, Some(id)) => q.filter(audit_events::id.lt(id)),
        (false, Some(id)) => q.filter(audit_events::id.gt(id)),
        (_, None) => q,
    };
    if newest_first {
        q.order(audit_events::id.desc())
    } else {
        q.order(audit_events::id.asc())
    }
}

/// Loads a page.
pub async fn list(
    conn: &mut AsyncPgConnection,
    filter: &Filter,
    newest_first: bool,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<AuditEventRow>> {
    list_query(filter, newest_first, after)
        .select(AuditEventRow::as_select())
        .limit(limit)
        .load(conn)
        .await
}
