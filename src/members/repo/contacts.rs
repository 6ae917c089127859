//! Queries of a member's contacts (one primary at most).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::members::model::{ContactChanges, ContactRow};
use crate::{
    domain::{ContactId, MemberId},
    schema::member_contacts,
};

/// A member's contacts, primary first.
pub async fn contacts(
    conn: &mut AsyncPgConnection,
    member_id: MemberId,
    after: Option<ContactId>,
    limit: i64,
) -> QueryResult<Vec<ContactRow>> {
    let mut q = member_contacts::table
        .filter(member_contacts::member_id.eq(member_id))
        .select(ContactRow::as_select())
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(member_contacts::id.gt(a));
    }
    q.order(member_contacts::id.asc())
        .limit(limit)
        .load(conn)
        .await
}

/// One contact of a member, locked.
pub async fn lock_contact(
    conn: &mut AsyncPgConnection,
    member_id: MemberId,
    id: ContactId,
) -> QueryResult<ContactRow> {
    member_contacts::table
        .filter(member_contacts::member_id.eq(member_id))
        .filter(member_contacts::id.eq(id))
        .select(ContactRow::as_select())
        .for_update()
        .first(conn)
        .await
}

/// Whether the member has a primary contact.
pub async fn has_primary(conn: &mut AsyncPgConnection, member_id: MemberId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        member_contacts::table
            .filter(member_contacts::member_id.eq(member_id))
            .filter(member_contacts::is_primary.eq(true)),
    ))
    .get_result(conn)
    .await
}

/// Clears the primary flag of a member's contacts.
pub async fn clear_primary(conn: &mut AsyncPgConnection, member_id: MemberId) -> QueryResult<()> {
    diesel::update(
        member_contacts::table
            .filter(member_contacts::member_id.eq(member_id))
            .filter(member_contacts::is_primary.eq(true)),
    )
    .set((
        member_contacts::is_primary.eq(false),
        member_contacts::version.eq(member_contacts::version + 1),
    ))
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts a contact.
pub async fn insert_contact(
    conn: &mut AsyncPgConnection,
    row: &ContactRow,
) -> QueryResult<ContactRow> {
    diesel::insert_into(member_contacts::table)
        .values(row)
        .returning(ContactRow::as_returning())
        .get_result(conn)
        .await
}

/// Applies changes to a contact.
pub async fn update_contact(
    conn: &mut AsyncPgConnection,
    id: ContactId,
    changes: &ContactChanges,
) -> QueryResult<ContactRow> {
    diesel::update(member_contacts::table.find(id))
        .set((
            changes,
            member_contacts::version.eq(member_contacts::version + 1),
        ))
        .returning(ContactRow::as_returning())
        .get_result(conn)
        .await
}

/// Deletes a contact; when it was the primary one, the oldest other contact becomes primary.
pub async fn delete_contact(
    conn: &mut AsyncPgConnection,
    member_id: MemberId,
    id: ContactId,
) -> QueryResult<()> {
    diesel::delete(member_contacts::table.find(id))
        .execute(conn)
        .await?;
    if !has_primary(conn, member_id).await? {
        let next: Option<ContactId> = member_contacts::table
            .filter(member_contacts::member_id.eq(member_id))
            .select(member_contacts::id)
            .order(member_contacts::id.asc())
            .first(conn)
            .await
            .optional()?;
        if let Some(next) = next {
            diesel::update(member_contacts::table.find(next))
                .set(member_contacts::is_primary.eq(true))
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}
