//! One answer for every list endpoint: a JSON page (cursor pagination) or, with
//! `Accept: text/csv`, every matching row streamed as CSV, from the same keyset query.

use std::{future::Future, rc::Rc};

use actix_web::{HttpRequest, HttpResponse};
use diesel_async::AsyncPgConnection;
use serde::{Serialize, de::DeserializeOwned};

use super::{csv, pagination};
use crate::{AppState, error::ApiError};

/// Which list, in which order.
#[derive(Debug, Clone, Copy)]
pub struct List {
    /// The resource name cursors are bound to (`users`).
    pub resource: &'static str,
    /// The sort cursors are bound to (`-created_at`).
    pub sort: &'static str,
    /// The CSV file name (`users.csv`).
    pub filename: &'static str,
}

/// Answers a list request. `fetch(after, n)` loads at most `n` rows after the key `after`
/// in the list's order (taking its own connection); `key_of` gives a row's key.
#[expect(
    clippy::too_many_arguments,
    reason = "each argument is one distinct part of a list"
)]
pub async fn respond<R, K, T, F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    list: List,
    limit: Option<i64>,
    cursor: Option<&str>,
    fetch: F,
    key_of: fn(&R) -> K,
    to_item: fn(R) -> T,
) -> Result<HttpResponse, ApiError>
where
    R: csv::CsvRow + 'static,
    K: Serialize + DeserializeOwned + 'static,
    T: Serialize,
    F: Fn(Option<K>, i64) -> Fut + 'static,
    Fut: Future<Output = Result<Vec<R>, ApiError>> + 'static,
{
    if csv::wants_csv(req) {
        return Ok(csv::stream(
            list.filename,
            move |after| fetch(after, csv::BATCH),
            key_of,
        ));
    }
    let limit = pagination::limit(limit)?;
    // An empty `cursor=` is the first page, like no cursor.
    let after = cursor
        .filter(|c| !c.is_empty())
        .map(|c| state.cursors.decode::<K>(list.resource, list.sort, c))
        .transpose()?;
    let rows = fetch(after, limit + 1).await?;
    Ok(HttpResponse::Ok().json(pagination::page(
        &state.cursors,
        list.resource,
        list.sort,
        rows,
        limit,
        key_of,
        to_item,
    )))
}

/// [`respond`] for the common case: `fetch(conn, after, n)` is the keyset query (a repo
/// function, filters captured), run on a connection taken per page or per CSV batch.
///
/// ```ignore
/// caller.require(Action::read(Resource::Funding))?;
/// listing::from_db(&req, &state, FUNDERS, query.limit, query.cursor.as_deref(),
///     async |conn, after, n| Ok(repo::list_funders(conn, after, n).await?),
///     |f| (f.name.clone(), f.id), Funder::from).await
/// ```
#[expect(
    clippy::too_many_arguments,
    reason = "each argument is one distinct part of a list"
)]
pub async fn from_db<R, K, T, F>(
    req: &HttpRequest,
    state: &AppState,
    list: List,
    limit: Option<i64>,
    cursor: Option<&str>,
    fetch: F,
    key_of: fn(&R) -> K,
    to_item: fn(R) -> T,
) -> Result<HttpResponse, ApiError>
where
    R: csv::CsvRow + 'static,
    K: Serialize + DeserializeOwned + 'static,
    T: Serialize,
    F: AsyncFn(&mut AsyncPgConnection, Option<K>, i64) -> Result<Vec<R>, ApiError> + 'static,
{
    let fetch = Rc::new(fetch);
    let db = state.clone();
    let on_connection = move |after: Option<K>, n: i64| {
        let (fetch, db) = (fetch.clone(), db.clone());
        async move {
            let mut conn = db.conn().await?;
            fetch(&mut conn, after, n).await
        }
    };
    respond(
        req,
        state,
        list,
        limit,
        cursor,
        on_connection,
        key_of,
        to_item,
    )
    .await
}
