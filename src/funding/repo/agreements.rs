//! Agreements.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::super::model::{AgreementChanges, AgreementRow, InstalmentRow};
use crate::{
    domain::{AgreementId, FunderId},
    schema::{agreement_instalments, agreements},
};

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
