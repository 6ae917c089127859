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

use std::{marker::PhantomData, sync::LazyLock};

use diesel::{
    QueryResult,
    expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping},
    pg::Pg,
    query_builder::{AstPass, QueryFragment, QueryId},
};

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

    #[test]
    #[should_panic(expected = "no bind parameters")]
    fn a_list_with_a_bound_value_cannot_be_prebuilt() {
        let _ = Prebuilt::sql(&(c::id, c::legal_name.eq("x")));
    }
}
