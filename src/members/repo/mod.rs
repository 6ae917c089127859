//! Queries of the member register. A member is read in one statement (its category name,
//! segments and good standing come with it), so a request costs at most the caller check
//! plus one query.
//!
//! Contacts and dues have their own files (`contacts.rs`, `dues.rs`, re-exported here).
//! Over 600 lines on purpose: every other query on the register's tables is here, and the
//! performance-tuned ones (the list's keyset query, the bulk issuance of dues, the
//! statistics) are long SQL that reads best whole. The read with the caller check has its own
//! file, `with_caller.rs`.

use chrono::NaiveDate;
use diesel::{
    dsl::sql,
    prelude::*,
    sql_types::{Array, BigInt, Bool, Date, Jsonb, Nullable, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};

use super::model::{
    MemberCard, MemberChanges, MemberKind, MemberRow, MemberSize, MemberSort, MemberStatus,
    SegmentRef, StatusChangeRow,
};
use crate::{
    db::prebuilt::{ListText, Prebuilt},
    domain::{MemberCategoryId, MemberId, SegmentId, StatusChangeId},
    schema::{member_categories, member_segments, member_status_changes, members},
};

mod contacts;
mod dues;

pub use contacts::*;
pub use dues::*;

/// The member's segments as a JSON array of `{id, code, name}` in value-chain order.
const SEGMENTS_SQL: &str = "coalesce((SELECT jsonb_agg(jsonb_build_object('id', g.id, 'code', g.code, \
    'name', g.name) ORDER BY g.position, g.code) FROM member_segments s JOIN segments g ON g.id = s.segment_id \
    WHERE s.member_id = members.id), '[]'::jsonb)";
/// Active, and no pending due past its date. Written as a per-row scalar subquery on
/// purpose: as `NOT EXISTS` the planner hashes every overdue due of the register for each
/// page (measured: 14 ms per page at 100,000 members, growing with the register; 0.3 ms so).
const GOOD_STANDING_SQL: &str = "(members.status = 'active' AND coalesce((SELECT false FROM member_dues d \
    WHERE d.member_id = members.id AND d.status = 'pending' AND d.due_on < current_date LIMIT 1), true))";
/// The same rule for whole-register aggregates, where hashing all overdue dues once is right.
const GOOD_STANDING_SET_SQL: &str = "(members.status = 'active' AND NOT EXISTS (SELECT 1 FROM member_dues d \
    WHERE d.member_id = members.id AND d.status = 'pending' AND d.due_on < current_date))";
/// The category's name, as a scalar subquery: a join would keep the planner from walking
/// the name index in order (measured: 1M members, list pages 6x slower with the join).
const CATEGORY_NAME_SQL: &str =
    "(SELECT c.name FROM member_categories c WHERE c.id = members.category_id)";
const JOINED_KEY_SQL: &str = "coalesce(members.joined_on, DATE '0001-01-01')";

/// A member as its statements read it: the row, its category's name, its segments (JSON)
/// and its good standing.
type CardColumns = (MemberRow, String, SegmentsJson, bool);

fn card((row, category_name, segments, in_good_standing): CardColumns) -> MemberCard {
    MemberCard {
        row,
        category_name,
        segments: segments.0,
        in_good_standing,
    }
}

/// The segments' `jsonb` array ([`SEGMENTS_SQL`], the `member_cards` view) decoded straight
/// into [`SegmentRef`]s, without building a `serde_json::Value` first (issue 18: about
/// 30,000 instructions of a member read went there).
#[derive(Debug, diesel::deserialize::FromSqlRow)]
struct SegmentsJson(Vec<SegmentRef>);

impl diesel::deserialize::FromSql<Jsonb, diesel::pg::Pg> for SegmentsJson {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        // Binary `jsonb`: a version byte (1), then the JSON text.
        match value.as_bytes().split_first() {
            Some((1, json)) => Ok(Self(serde_json::from_slice(json)?)),
            _ => Err("unsupported jsonb encoding".into()),
        }
    }
}

/// Filters of the list (already checked against the caller's view).
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Full-text and name search.
    pub q: Option<String>,
    /// Status (`Some(Active)` is forced for the public register).
    pub status: Option<MemberStatus>,
    /// Category.
    pub category_id: Option<MemberCategoryId>,
    /// Segment code.
    pub segment: Option<String>,
    /// Kind.
    pub kind: Option<MemberKind>,
    /// Size.
    pub size: Option<MemberSize>,
    /// Municipality.
    pub municipality: Option<String>,
    /// Good standing.
    pub in_good_standing: Option<bool>,
    /// Joined on or after.
    pub joined_from: Option<NaiveDate>,
    /// Joined on or before.
    pub joined_to: Option<NaiveDate>,
    /// Include archived members.
    pub include_archived: bool,
    /// Always include this member whatever the status filter (a representative's own).
    pub also_id: Option<MemberId>,
    /// Search names only (not descriptions), for viewers of the public register.
    pub names_only: bool,
}

/// Where a page starts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum After {
    /// After this name and id.
    Name(String, MemberId),
    /// After this joining date and id.
    Joined(NaiveDate, MemberId),
}

/// The key of a member in `sort` order.
pub fn key_of(sort: MemberSort, m: &MemberRow) -> After {
    match sort {
        MemberSort::Name | MemberSort::NameDesc => After::Name(m.legal_name.clone(), m.id),
        MemberSort::Joined | MemberSort::JoinedDesc => {
            After::Joined(m.joined_on.unwrap_or(NaiveDate::MIN), m.id)
        }
    }
}

fn like_pattern(q: &str) -> String {
    let escaped = q
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// A keyset page of members.
pub async fn list(
    conn: &mut AsyncPgConnection,
    f: &Filter,
    sort: MemberSort,
    after: Option<After>,
    limit: i64,
) -> QueryResult<Vec<MemberCard>> {
    let mut q = members::table
        .select((
            MemberRow::as_select(),
            sql::<Text>(CATEGORY_NAME_SQL),
            sql::<Jsonb>(SEGMENTS_SQL),
            sql::<Bool>(GOOD_STANDING_SQL),
        ))
        .into_boxed();
    if !f.include_archived {
        q = q.filter(members::archived_at.is_null());
    }
    if let Some(status) = f.status {
        match f.also_id {
            Some(own) => q = q.filter(members::status.eq(status).or(members::id.eq(own))),
            None => q = q.filter(members::status.eq(status)),
        }
    }
    if let Some(text) = &f.q {
        // Names carry weight A in `search`; descriptions weight B.
        let vector = if f.names_only {
            "ts_filter(members.search, '{a}')"
        } else {
            "members.search"
        };
        q = q.filter(
            sql::<Bool>(&format!("({vector} @@ websearch_to_tsquery('agrupa_es', "))
                .bind::<Text, _>(text.clone())
                .sql(") OR agrupa_unaccent(lower(members.legal_name)) LIKE agrupa_unaccent(")
                .bind::<Text, _>(like_pattern(text))
                .sql("))"),
        );
    }
    if let Some(id) = f.category_id {
        q = q.filter(members::category_id.eq(id));
    }
    if let Some(code) = &f.segment {
        q = q.filter(
            sql::<Bool>(
                "EXISTS (SELECT 1 FROM member_segments s JOIN segments g ON g.id = s.segment_id \
                 WHERE s.member_id = members.id AND g.code = ",
            )
            .bind::<Text, _>(code.clone())
            .sql(")"),
        );
    }
    if let Some(kind) = f.kind {
        q = q.filter(members::kind.eq(kind));
    }
    if let Some(size) = f.size {
        q = q.filter(members::size.eq(size));
    }
    if let Some(m) = &f.municipality {
        q = q.filter(
            sql::<Bool>("agrupa_unaccent(lower(members.municipality)) = agrupa_unaccent(lower(")
                .bind::<Text, _>(m.clone())
                .sql("))"),
        );
    }
    if let Some(good) = f.in_good_standing {
        q = q.filter(sql::<Bool>(GOOD_STANDING_SQL).eq(good));
    }
    if let Some(from) = f.joined_from {
        q = q.filter(members::joined_on.ge(from));
    }
    if let Some(to) = f.joined_to {
        q = q.filter(members::joined_on.le(to));
    }
    let (op, desc) = match sort {
        MemberSort::Name | MemberSort::Joined => (">", false),
        MemberSort::NameDesc | MemberSort::JoinedDesc => ("<", true),
    };
    match after {
        Some(After::Name(name, id)) => {
            q = q.filter(
                sql::<Bool>(&format!("(members.legal_name, members.id) {op} ("))
                    .bind::<Text, _>(name)
                    .sql(", ")
                    .bind::<SqlUuid, _>(id)
                    .sql(")"),
            );
        }
        Some(After::Joined(date, id)) => {
            q = q.filter(
                sql::<Bool>(&format!("({JOINED_KEY_SQL}, members.id) {op} ("))
                    .bind::<Date, _>(date)
                    .sql(", ")
                    .bind::<SqlUuid, _>(id)
                    .sql(")"),
            );
        }
        None => {}
    }
    q = match (sort, desc) {
        (MemberSort::Name | MemberSort::NameDesc, false) => {
            q.order((members::legal_name.asc(), members::id.asc()))
        }
        (MemberSort::Name | MemberSort::NameDesc, true) => {
            q.order((members::legal_name.desc(), members::id.desc()))
        }
        (_, false) => q.order((sql::<Date>(JOINED_KEY_SQL).asc(), members::id.asc())),
        (_, true) => q.order((sql::<Date>(JOINED_KEY_SQL).desc(), members::id.desc())),
    };
    let rows: Vec<CardColumns> = q.limit(limit).load(conn).await?;
    Ok(rows.into_iter().map(card).collect())
}

/// The columns of `member_cards` that make a [`MemberCard`].
macro_rules! member_card_columns {
    () => {{
        use crate::schema::member_cards as c;
        (
            (
                c::id,
                c::legal_name,
                c::trade_name,
                c::tax_id,
                c::kind,
                c::size,
                c::category_id,
                c::status,
                c::address,
                c::postcode,
                c::municipality,
                c::province,
                c::country,
                c::website,
                c::employees,
                c::annual_turnover_cents,
                c::description,
                c::joined_on,
                c::archived_at,
                c::version,
                c::created_at,
                c::updated_at,
            ),
            c::category_name,
            c::segments,
            c::in_good_standing,
        )
    }};
}

/// The text of [`member_card_columns`], written once (the hot reads' select list).
static CARD_SQL: ListText = ListText::new(|| Prebuilt::sql(&member_card_columns!()));

/// One member with its category name, segments and good standing: one statement, and a
/// prepared one (it reads the `member_cards` view, so it carries no SQL fragment).
pub async fn find(conn: &mut AsyncPgConnection, id: MemberId) -> QueryResult<MemberCard> {
    crate::schema::member_cards::table
        .find(id)
        .select(Prebuilt::new(member_card_columns!(), &CARD_SQL))
        .first(conn)
        .await
        .map(card)
}

mod with_caller;

pub use with_caller::find_with_user_principal;

/// One member row, locked until the transaction ends.
pub async fn lock(conn: &mut AsyncPgConnection, id: MemberId) -> QueryResult<MemberRow> {
    members::table
        .find(id)
        .select(MemberRow::as_select())
        .for_update()
        .first(conn)
        .await
}

/// Inserts a member.
pub async fn insert(conn: &mut AsyncPgConnection, row: &MemberRow) -> QueryResult<()> {
    diesel::insert_into(members::table)
        .values(row)
        .execute(conn)
        .await?;
    Ok(())
}

/// Applies changes (and bumps the version).
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: MemberId,
    changes: &MemberChanges,
) -> QueryResult<()> {
    diesel::update(members::table.find(id))
        .set((changes, members::version.eq(members::version + 1)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces a member's segments.
pub async fn set_segments(
    conn: &mut AsyncPgConnection,
    id: MemberId,
    segment_ids: &[SegmentId],
) -> QueryResult<()> {
    diesel::delete(member_segments::table.filter(member_segments::member_id.eq(id)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = segment_ids
        .iter()
        .map(|s| {
            (
                member_segments::member_id.eq(id),
                member_segments::segment_id.eq(*s),
            )
        })
        .collect();
    diesel::insert_into(member_segments::table)
        .values(&rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets status (and joined_on when it was unset and the member becomes active).
pub async fn set_status(
    conn: &mut AsyncPgConnection,
    id: MemberId,
    status: MemberStatus,
    joined_on: Option<NaiveDate>,
) -> QueryResult<()> {
    match joined_on {
        Some(date) => {
            diesel::update(members::table.find(id))
                .set((
                    members::status.eq(status),
                    members::joined_on.eq(diesel::dsl::sql::<diesel::sql_types::Nullable<Date>>(
                        "coalesce(members.joined_on, ",
                    )
                    .bind::<Date, _>(date)
                    .sql(")")),
                    members::version.eq(members::version + 1),
                ))
                .execute(conn)
                .await?
        }
        None => {
            diesel::update(members::table.find(id))
                .set((
                    members::status.eq(status),
                    members::version.eq(members::version + 1),
                ))
                .execute(conn)
                .await?
        }
    };
    Ok(())
}

/// Archives a member.
pub async fn archive(conn: &mut AsyncPgConnection, id: MemberId) -> QueryResult<()> {
    diesel::update(members::table.find(id))
        .set((
            members::archived_at.eq(diesel::dsl::now),
            members::version.eq(members::version + 1),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a status change.
pub async fn insert_status_change(
    conn: &mut AsyncPgConnection,
    row: &StatusChangeRow,
) -> QueryResult<()> {
    diesel::insert_into(member_status_changes::table)
        .values(row)
        .execute(conn)
        .await?;
    Ok(())
}

/// A member's status history, oldest first.
pub async fn status_changes(
    conn: &mut AsyncPgConnection,
    member_id: MemberId,
    after: Option<StatusChangeId>,
    limit: i64,
) -> QueryResult<Vec<StatusChangeRow>> {
    let mut q = member_status_changes::table
        .filter(member_status_changes::member_id.eq(member_id))
        .select(StatusChangeRow::as_select())
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(member_status_changes::id.gt(a));
    }
    q.order(member_status_changes::id.asc())
        .limit(limit)
        .load(conn)
        .await
}

#[derive(QueryableByName)]
/// One row of a breakdown.
pub struct CountRow {
    /// Key.
    #[diesel(sql_type = Text)]
    pub key: String,
    /// Display name.
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub name: Option<String>,
    /// Count.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub count: i64,
}

/// The register's breakdowns, each as (dimension, rows), in one statement.
pub async fn stats(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(String, CountRow)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        dim: String,
        #[diesel(sql_type = Text)]
        key: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        name: Option<String>,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        count: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(format!(
        "WITH m AS (SELECT members.*, {GOOD_STANDING_SET_SQL} AS good FROM members WHERE archived_at IS NULL) \
         SELECT 'status' AS dim, status AS key, NULL AS name, count(*) AS count FROM m GROUP BY status \
         UNION ALL SELECT 'category', c.id::text, c.name, count(*) FROM m JOIN member_categories c ON c.id = m.category_id GROUP BY c.id, c.name \
         UNION ALL SELECT 'segment', g.code, g.name, count(*) FROM m JOIN member_segments s ON s.member_id = m.id \
           JOIN segments g ON g.id = s.segment_id GROUP BY g.code, g.name \
         UNION ALL SELECT 'kind', kind, NULL, count(*) FROM m GROUP BY kind \
         UNION ALL SELECT 'size', coalesce(size, 'unknown'), NULL, count(*) FROM m GROUP BY coalesce(size, 'unknown') \
         UNION ALL SELECT 'joined', coalesce(extract(year FROM joined_on)::int::text, 'unknown'), NULL, count(*) \
           FROM m GROUP BY 2 \
         UNION ALL SELECT 'good', 'in_good_standing', NULL, count(*) FROM m WHERE good \
         ORDER BY 1, 2"
    ))
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.dim,
                CountRow {
                    key: r.key,
                    name: r.name,
                    count: r.count,
                },
            )
        })
        .collect())
}

// Read by other modules

/// Which of `ids` are members of the register (not archived): the members a plan action or
/// a subsidy application may name.
pub async fn existing(
    conn: &mut AsyncPgConnection,
    ids: &[crate::domain::MemberId],
) -> QueryResult<std::collections::HashSet<crate::domain::MemberId>> {
    if ids.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let found: Vec<crate::domain::MemberId> = members::table
        .filter(members::id.eq_any(ids))
        .filter(members::archived_at.is_null())
        .select(members::id)
        .load(conn)
        .await?;
    Ok(found.into_iter().collect())
}

/// The members entitled to vote in the General Assembly today, joined to their category: not
/// archived, of a category that counts as full membership, active and in good standing (no
/// overdue due) by `$standing` ([`GOOD_STANDING_SQL`] per row, or [`GOOD_STANDING_SET_SQL`]
/// for a count over the whole register). The one statement of the rule for
/// [`entitled_voters`] and [`entitled_voters_summary`].
macro_rules! entitled {
    ($standing:expr) => {
        members::table
            .inner_join(member_categories::table)
            .filter(members::archived_at.is_null())
            .filter(member_categories::full_member.eq(true))
            .filter(sql::<Bool>($standing))
    };
}

/// The members entitled to vote in the General Assembly today (what a convening freezes):
/// active, not archived, in good standing (no overdue due), of a category that counts as
/// full membership; with their legal name and their category's voting weight, by name.
pub async fn entitled_voters(
    conn: &mut AsyncPgConnection,
) -> QueryResult<Vec<(MemberId, String, i32)>> {
    entitled!(GOOD_STANDING_SQL)
        .select((
            members::id,
            members::legal_name,
            member_categories::voting_weight,
        ))
        .order((members::legal_name, members::id))
        .load(conn)
        .await
}

/// How many members are entitled to vote in the General Assembly today (as
/// [`entitled_voters`]), and the legal names of the knowledge providers (universities and
/// technology centres) among them, by name. Two statements that count and filter in the
/// database: a register of 100,000 members is not loaded to find its universities.
pub async fn entitled_voters_summary(
    conn: &mut AsyncPgConnection,
) -> QueryResult<(i64, Vec<String>)> {
    let count: i64 = entitled!(GOOD_STANDING_SET_SQL)
        .select(diesel::dsl::count_star())
        .get_result(conn)
        .await?;
    let providers: Vec<String> = entitled!(GOOD_STANDING_SQL)
        .filter(members::kind.eq_any(MemberKind::KNOWLEDGE_PROVIDERS))
        .select(members::legal_name)
        .order((members::legal_name, members::id))
        .load(conn)
        .await?;
    Ok((count, providers))
}

/// The legal names and categories' voting weights of members (not archived), by id.
pub async fn names_and_weights(
    conn: &mut AsyncPgConnection,
    ids: &[MemberId],
) -> QueryResult<std::collections::HashMap<MemberId, (String, i32)>> {
    let rows: Vec<(MemberId, String, i32)> = members::table
        .inner_join(member_categories::table)
        .filter(members::id.eq_any(ids))
        .filter(members::archived_at.is_null())
        .select((
            members::id,
            members::legal_name,
            member_categories::voting_weight,
        ))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, n, w)| (id, (n, w))).collect())
}

/// Links a status change to the resolution that made it (written with the change, in the
/// resolution's transaction).
pub async fn set_status_change_resolution(
    conn: &mut AsyncPgConnection,
    id: crate::domain::StatusChangeId,
    resolution: crate::domain::ResolutionId,
) -> QueryResult<()> {
    diesel::update(member_status_changes::table.find(id))
        .set(member_status_changes::resolution_id.eq(resolution))
        .execute(conn)
        .await
        .map(|_| ())
}

/// The register's figures the AEI register weighs critical mass with: of the active members
/// (not archived), how many there are, how many are companies (companies and self-employed
/// professionals), how many have a turnover recorded, and the sum of those turnovers.
/// Counted in one statement: the register is never loaded (100,000 members took 5 s and
/// tens of megabytes so). The sum is numeric in PostgreSQL and read as text into `i128`.
pub async fn critical_mass(conn: &mut AsyncPgConnection) -> QueryResult<CriticalMass> {
    let (active, companies, with_turnover, sum): (i64, i64, i64, Option<String>) = members::table
        .filter(members::archived_at.is_null())
        .filter(members::status.eq(MemberStatus::Active))
        .select((
            diesel::dsl::count_star(),
            sql::<BigInt>("count(*) FILTER (WHERE members.kind = ANY(")
                .bind::<Array<Text>, _>(MemberKind::COMPANIES.map(MemberKind::as_str).to_vec())
                .sql("))"),
            diesel::dsl::count(members::annual_turnover_cents),
            sql::<Nullable<Text>>("sum(members.annual_turnover_cents)::text"),
        ))
        .get_result(conn)
        .await?;
    let turnover_cents = match sum {
        None => 0,
        Some(text) => text.parse::<i128>().map_err(|e| {
            diesel::result::Error::DeserializationError(
                format!("the turnovers' sum {text:?} is not a whole number: {e}").into(),
            )
        })?,
    };
    Ok(CriticalMass {
        active,
        companies,
        with_turnover,
        turnover_cents,
    })
}

/// See [`critical_mass`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CriticalMass {
    /// Active members.
    pub active: i64,
    /// Of them, companies and self-employed professionals.
    pub companies: i64,
    /// Of them, those with a yearly turnover recorded.
    pub with_turnover: i64,
    /// The sum of those turnovers (cents; wide, as it adds many large amounts).
    pub turnover_cents: i128,
}

/// The active members (not archived) counted by kind and size, for the register's
/// composition (the European profile's members by type).
pub async fn active_by_kind_and_size(
    conn: &mut AsyncPgConnection,
) -> QueryResult<Vec<(MemberKind, Option<MemberSize>, i64)>> {
    members::table
        .filter(members::archived_at.is_null())
        .filter(members::status.eq(MemberStatus::Active))
        .group_by((members::kind, members::size))
        .select((members::kind, members::size, diesel::dsl::count_star()))
        .load(conn)
        .await
}

/// The legal names and kinds of members (archived ones too: history names them), by id.
pub async fn names_and_kinds(
    conn: &mut AsyncPgConnection,
    ids: &[MemberId],
) -> QueryResult<std::collections::HashMap<MemberId, (String, MemberKind)>> {
    let rows: Vec<(MemberId, String, MemberKind)> = members::table
        .filter(members::id.eq_any(ids))
        .select((members::id, members::legal_name, members::kind))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, n, k)| (id, (n, k))).collect())
}
