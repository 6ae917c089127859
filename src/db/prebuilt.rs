//! A select list whose SQL is written once per process, not on every call.
//!
//! diesel-async writes a statement's SQL text on every execution, even when the statement
//! is already prepared on the connection (it looks the statement up by the query's type, but
//! builds the text first): for a select of 25 columns that is a walk over each column and an
//! escaped copy of each identifier, about 45,000 instructions a call, a fifth of a whole
//! `GET /api/v1/members/{id}` (docs/BENCHMARKS.md). [`Prebuilt`] wraps such a select list:
//! it has the list's SQL type, query id and the same rules of where it may appear, and it
//! writes the text diesel wrote for the list the first time, kept in a `LazyLock`. The
//! statement stays a prepared, cached one (its query id is the list's), and its text is the
//! same byte for byte (it is what diesel wrote for the list).
//!
//! Only for lists of columns and other expressions **without bind parameters**: the text is
//! written once, so a bound value would be the first call's. [`Prebuilt::sql`] checks this when
//! it writes the text.
//!
//! [`Fixed`] does the same for a whole statement whose only parameters are ids (the hottest
//! read, a member with the caller check): the text diesel wrote for the statement, split at
//! its parameters, with the ids pushed between the pieces. The joins and the WHERE clause
//! are no longer walked, and no identifier is escaped into a new `String` (13 a request).

use std::{marker::PhantomData, sync::LazyLock};

use diesel::{
    QueryResult,
    expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping},
    pg::Pg,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    sql_types,
};
use uuid::Uuid;

/// The text of a select list, written once (see [`Prebuilt::sql`]).
pub type ListText = LazyLock<String>;

/// A select list `E` that writes the SQL kept in `sql` instead of walking its columns.
pub struct Prebuilt<E> {
    sql: &'static str,
    list: PhantomData<E>,
}

impl<E> Clone for Prebuilt<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for Prebuilt<E> {}

impl<E> Prebuilt<E>
where
    E: QueryFragment<Pg>,
{
    /// The list `list` (used only for its type) written as `text`, which must hold the
    /// text of the same list: declare it as `static T: ListText = ListText::new(||
    /// Prebuilt::sql(&list!()))`.
    pub fn new(_list: E, text: &'static ListText) -> Self {
        Self {
            sql: text.as_str(),
            list: PhantomData,
        }
    }

    /// The SQL diesel writes for `list`. Panics (when first used, at start-up of the
    /// statement) if the list has a bind parameter, which a text written once cannot carry.
    pub fn sql(list: &E) -> String {
        let query = diesel::debug_query::<Pg, _>(list).to_string();
        match query.rsplit_once(" -- binds: ") {
            Some((sql, "[]")) => sql.to_owned(),
            _ => panic!("a prebuilt select list has no bind parameters: {query}"),
        }
    }
}

impl<E: Expression> Expression for Prebuilt<E> {
    type SqlType = E::SqlType;
}

impl<E, QS> AppearsOnTable<QS> for Prebuilt<E> where E: AppearsOnTable<QS> {}

impl<E, QS> SelectableExpression<QS> for Prebuilt<E> where E: SelectableExpression<QS> {}

impl<E, G> ValidGrouping<G> for Prebuilt<E>
where
    E: ValidGrouping<G>,
{
    type IsAggregate = E::IsAggregate;
}

impl<E: QueryId> QueryId for Prebuilt<E> {
    // The same text as the list's, so the same prepared statement.
    type QueryId = E::QueryId;
    const HAS_STATIC_QUERY_ID: bool = E::HAS_STATIC_QUERY_ID;
}

impl<E> QueryFragment<Pg> for Prebuilt<E> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(self.sql);
        Ok(())
    }
}

/// The text of a [`Fixed`] statement, written once (see [`FixedSql::of`]).
pub type FixedText = LazyLock<FixedSql>;

/// A statement's SQL split at its parameters: `pieces[k]` comes before parameter `k + 1`,
/// which takes id `order[k]`; the last piece ends the statement.
#[derive(Debug)]
pub struct FixedSql {
    pieces: Vec<String>,
    order: Vec<usize>,
}

impl FixedSql {
    /// The SQL diesel writes for `dsl`'s statement. `dsl` is called once, with ids that mark
    /// where each of its ids is bound. Panics (when first used) if the statement binds
    /// anything but those ids, each exactly once: a text written once cannot carry it.
    pub fn of<Q: QueryFragment<Pg>, const N: usize>(dsl: fn([Uuid; N]) -> Q) -> Self {
        let markers: [Uuid; N] = std::array::from_fn(|i| Uuid::from_u128(0xA9_0000 + i as u128));
        let query = diesel::debug_query::<Pg, _>(&dsl(markers)).to_string();
        let (sql, binds) = query
            .rsplit_once(" -- binds: ")
            .unwrap_or_else(|| panic!("not a statement: {query}"));
        let mut found: Vec<(usize, usize)> = markers
            .iter()
            .enumerate()
            .map(|(i, marker)| {
                let text = marker.to_string();
                match binds
                    .match_indices(&text)
                    .map(|(at, _)| at)
                    .collect::<Vec<_>>()[..]
                {
                    [at] => (at, i),
                    _ => panic!("a fixed statement binds each of its ids once: {query}"),
                }
            })
            .collect();
        found.sort_unstable();
        let order: Vec<usize> = found.into_iter().map(|(_, i)| i).collect();
        let mut pieces = Vec::with_capacity(N + 1);
        let mut rest = sql;
        for k in 1..=N {
            let placeholder = format!("${k}");
            let (before, after) = rest
                .split_once(&placeholder)
                .filter(|(_, after)| !after.starts_with(|c: char| c.is_ascii_digit()))
                .unwrap_or_else(|| panic!("parameter {placeholder} not in order: {query}"));
            pieces.push(before.to_owned());
            rest = after;
        }
        assert!(
            !rest.contains(&format!("${}", N + 1)),
            "a fixed statement binds nothing but its ids: {query}"
        );
        pieces.push(rest.to_owned());
        Self { pieces, order }
    }
}

/// A statement `Q` (the query `dsl` builds) whose only parameters are the ids `ids`, written
/// as the text kept in `text` instead of walking `Q`. The same text, parameters, SQL type and
/// query id as `Q`, so the same prepared statement and the same rows.
pub struct Fixed<Q, const N: usize> {
    text: &'static FixedText,
    ids: [Uuid; N],
    query: PhantomData<fn() -> Q>,
}

impl<Q, const N: usize> Fixed<Q, N> {
    /// `dsl`'s statement with `ids`; `text` must be declared as `static T: FixedText =
    /// FixedText::new(|| FixedSql::of(dsl))` with the same `dsl`.
    pub fn new(_dsl: fn([Uuid; N]) -> Q, text: &'static FixedText, ids: [Uuid; N]) -> Self {
        Self {
            text,
            ids,
            query: PhantomData,
        }
    }
}

impl<Q: Query, const N: usize> Query for Fixed<Q, N> {
    type SqlType = Q::SqlType;
}

impl<Q: QueryId, const N: usize> QueryId for Fixed<Q, N> {
    type QueryId = Q::QueryId;
    const HAS_STATIC_QUERY_ID: bool = Q::HAS_STATIC_QUERY_ID;
}

impl<Q, const N: usize> QueryFragment<Pg> for Fixed<Q, N> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let text: &FixedSql = self.text;
        for (piece, &id) in text.pieces.iter().zip(&text.order) {
            out.push_sql(piece);
            out.push_bind_param::<sql_types::Uuid, Uuid>(&self.ids[id])?;
        }
        if let Some(last) = text.pieces.last() {
            out.push_sql(last);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;
    use crate::schema::member_cards as c;

    static LIST: ListText = ListText::new(|| Prebuilt::sql(&(c::id, c::legal_name, c::segments)));

    #[test]
    fn the_statement_is_the_same_text_with_the_list_prebuilt() {
        let id = uuid::Uuid::nil();
        let plain = c::table
            .find(id)
            .select((c::id, c::legal_name, c::segments));
        let prebuilt = c::table
            .find(id)
            .select(Prebuilt::new((c::id, c::legal_name, c::segments), &LIST));
        let plain = diesel::debug_query::<Pg, _>(&plain).to_string();
        assert_eq!(diesel::debug_query::<Pg, _>(&prebuilt).to_string(), plain);
        assert!(plain.contains("\"member_cards\".\"legal_name\""), "{plain}");
        // The same prepared statement too.
        assert_eq!(
            std::any::TypeId::of::<<Prebuilt<(c::id, c::legal_name)> as QueryId>::QueryId>(),
            std::any::TypeId::of::<<(c::id, c::legal_name) as QueryId>::QueryId>()
        );
    }

    fn member_by_two_ids([member, category]: [uuid::Uuid; 2]) -> impl QueryFragment<Pg> {
        // Bound in the other order than the array's, on purpose.
        c::table
            .filter(c::category_id.eq(category))
            .filter(c::id.eq(member))
            .select(c::legal_name)
    }

    static TWO_IDS: FixedText = FixedText::new(|| FixedSql::of(member_by_two_ids));

    #[test]
    fn a_fixed_statement_is_the_same_text_and_parameters_in_the_same_order() {
        let ids = [uuid::Uuid::now_v7(), uuid::Uuid::new_v4()];
        let fixed = Fixed::new(member_by_two_ids, &TWO_IDS, ids);
        assert_eq!(
            diesel::debug_query::<Pg, _>(&fixed).to_string(),
            diesel::debug_query::<Pg, _>(&member_by_two_ids(ids)).to_string()
        );
    }

    fn with_a_limit([member]: [uuid::Uuid; 1]) -> impl QueryFragment<Pg> {
        c::table.find(member).select(c::legal_name).limit(1)
    }

    #[test]
    #[should_panic(expected = "binds nothing but its ids")]
    fn a_statement_binding_anything_else_cannot_be_fixed() {
        let _ = FixedSql::of(with_a_limit);
    }

    #[test]
    #[should_panic(expected = "no bind parameters")]
    fn a_list_with_a_bound_value_cannot_be_prebuilt() {
        let _ = Prebuilt::sql(&(c::id, c::legal_name.eq("x")));
    }
}
