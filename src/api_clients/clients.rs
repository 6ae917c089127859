//! The API clients themselves: listing, creating (with the secret shown once), reading and
//! changing them.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    model::{ApiClientChanges, ApiClientRow, NewApiClientRow, check_scopes, new_client_id},
    repo,
};
use crate::{
    AppState,
    audit::{self, Change},
    auth::{Action, Caller, Resource, tokens},
    domain::{ApiClientId, FunderId, text},
    error::{ApiError, FieldErrors},
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::Page,
        patch::nullable,
    },
};

/// The audit log's name for API clients.
const RESOURCE: &str = "api_client";

impl CsvRow for ApiClientRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "client_id",
            "name",
            "scopes",
            "funder_id",
            "revoked_at",
            "secret_rotated_at",
            "last_used_at",
            "created_at",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let opt = |v: Option<String>| v.unwrap_or_default();
        vec![
            self.id.to_string(),
            self.client_id.clone(),
            self.name.clone(),
            self.scopes.join(" "),
            opt(self.funder_id.map(|v| v.to_string())),
            opt(self.revoked_at.map(|v| v.to_rfc3339())),
            self.secret_rotated_at.to_rfc3339(),
            opt(self.last_used_at.map(|v| v.to_rfc3339())),
            self.created_at.to_rfc3339(),
        ]
    }
}

/// A partner institution's system, signing in with `client_credentials`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiClient {
    /// Id.
    pub id: ApiClientId,
    /// The public `client_id` for the token endpoint.
    #[schema(example = "pc_3f9a0c2b7d1e4a5b6c7d")]
    pub client_id: String,
    /// Name.
    #[schema(example = "Ayuntamiento de Madrid · integración")]
    pub name: String,
    /// Scopes the client may request.
    pub scopes: Vec<String>,
    /// The funder the client belongs to.
    pub funder_id: Option<FunderId>,
    /// Set when revoked: it can no longer sign in and its tokens stop working.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last secret rotation.
    pub secret_rotated_at: DateTime<Utc>,
    /// Last token issued.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<ApiClientRow> for ApiClient {
    fn from(r: ApiClientRow) -> Self {
        Self {
            id: r.id,
            client_id: r.client_id,
            name: r.name,
            scopes: r.scopes,
            funder_id: r.funder_id,
            revoked_at: r.revoked_at,
            secret_rotated_at: r.secret_rotated_at,
            last_used_at: r.last_used_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// An API client with its secret: returned once, at creation and at rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiClientWithSecret {
    /// The client.
    #[serde(flatten)]
    pub client: ApiClient,
    /// The secret. Store it now: it is never shown again.
    pub client_secret: String,
}

/// A new API client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiClient {
    /// Name (1–200 characters).
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Scopes (partner scopes only).
    #[serde(default)]
    #[schema(schema_with = super::model::scopes_schema)]
    pub scopes: Vec<String>,
    /// The funder it belongs to.
    pub funder_id: Option<FunderId>,
}

/// Changes to an API client.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiClientPatch {
    /// New name (1–200 characters).
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// New scopes (replace the old ones).
    #[schema(schema_with = super::model::nullable_scopes_schema)]
    pub scopes: Option<Vec<String>>,
    /// Funder; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub funder_id: Option<Option<FunderId>>,
}

/// Filters and paging of the client list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApiClientQuery {
    /// Include revoked clients (default `false`).
    pub include_revoked: Option<bool>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Records a change of a client in the audit log.
pub(super) async fn audit_change(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    action: &str,
    before: Option<&ApiClientRow>,
    after: &ApiClientRow,
) -> Result<(), ApiError> {
    let before = before.cloned().map(ApiClient::from);
    let after = ApiClient::from(after.clone());
    audit::record(
        conn,
        caller,
        Change {
            action,
            resource_type: RESOURCE,
            resource_id: after.id.uuid(),
            before: before.as_ref(),
            after: Some(&after),
        },
    )
    .await
}

/// Creates an API client (admins): 403, 422. Returns it with its secret, which is shown
/// only now.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewApiClient,
) -> Result<(ApiClientRow, String), ApiError> {
    caller.require(Action::write(Resource::ApiClients))?;
    let mut errors = FieldErrors::default();
    let name = errors.check("name", text::name(&input.name, 200));
    let scopes = check_scopes(&mut errors, &input.scopes);
    let name = errors.finish_with(name)?;
    let secret = tokens::random_token();
    let row = NewApiClientRow {
        id: ApiClientId::new(),
        client_id: new_client_id(),
        name,
        secret_hash: tokens::hash_secret(&secret),
        scopes,
        funder_id: input.funder_id,
    };
    let client = conn
        .transaction(async |conn| {
            let client = repo::insert(conn, &row).await?;
            audit_change(conn, caller, "created", None, &client).await?;
            Ok::<_, ApiError>(client)
        })
        .await?;
    tracing::info!(client = %client.id, by = %caller.id(), "API client created");
    Ok((client, secret))
}

/// Changes an API client's name, scopes or funder (admins): 403, 422, 404, 412.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ApiClientId,
    precondition: Precondition,
    patch: ApiClientPatch,
) -> Result<ApiClientRow, ApiError> {
    caller.require(Action::write(Resource::ApiClients))?;
    let mut errors = FieldErrors::default();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| errors.check("name", text::name(n, 200)));
    let scopes = patch
        .scopes
        .as_deref()
        .map(|s| check_scopes(&mut errors, s));
    errors.finish()?;
    let changes = ApiClientChanges {
        name,
        scopes,
        funder_id: patch.funder_id,
    };
    conn.transaction(async |conn| {
        let current = repo::find_for_update(conn, id).await?;
        precondition.check(current.version, IfMatch::Optional)?;
        if changes.name.is_none() && changes.scopes.is_none() && changes.funder_id.is_none() {
            return Ok(current);
        }
        let updated = repo::update(conn, id, &changes).await?;
        audit_change(conn, caller, "updated", Some(&current), &updated).await?;
        Ok(updated)
    })
    .await
}

/// Lists API clients. `Accept: text/csv` exports every matching client.
#[utoipa::path(
    tag = "api-clients",
    params(ApiClientQuery),
    responses((status = 200, description = "A page of API clients (or all of them as CSV).",
        content((Page<ApiClient> = "application/json"), (String = "text/csv"))))
)]
#[get("/api/v1/api-clients")]
pub async fn list_clients(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<ApiClientQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::ApiClients))?;
    let include_revoked = query.include_revoked.unwrap_or(false);
    let list = List {
        resource: "api_clients",
        sort: "created_at",
        filename: "api-clients.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::list(conn, include_revoked, after, n).await?),
        |r: &ApiClientRow| r.id,
        ApiClient::from,
    )
    .await
}

/// Creates an API client and shows its secret, once.
#[utoipa::path(
    tag = "api-clients",
    request_body = NewApiClient,
    responses(
        (status = 201, description = "Created; `client_secret` is shown only now.", body = ApiClientWithSecret,
            headers(("Location" = String, description = "URL of the new client"))),
    )
)]
#[post("/api/v1/api-clients")]
pub async fn create_client(
    caller: Caller,
    body: Json<NewApiClient>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let (client, secret) = create(&mut conn, &caller, body.into_inner()).await?;
    let mut res = etag::created(
        format!("/api/v1/api-clients/{}", client.id),
        client.version,
        &ApiClientWithSecret {
            client: client.into(),
            client_secret: secret,
        },
    );
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// One API client (never its secret).
#[utoipa::path(
    tag = "api-clients",
    params(("id" = Uuid, Path, description = "API client id")),
    responses(
        (status = 200, description = "The client, with its `ETag`.", body = ApiClient,
            headers(("ETag" = String, description = "Send as `If-Match` to change it"))),
        (status = 304, description = "Not modified (`If-None-Match` matched)."),
    )
)]
#[get("/api/v1/api-clients/{id}")]
pub async fn get_client(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<ApiClientId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::ApiClients))?;
    let mut conn = state.conn().await?;
    let row = repo::find(&mut conn, id.into_inner()).await?;
    Ok(etag::respond(&req, row.version, &ApiClient::from(row)))
}

/// Changes an API client's name, scopes or funder.
#[utoipa::path(
    tag = "api-clients",
    params(
        ("id" = Uuid, Path, description = "API client id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a GET; 412 when stale"),
    ),
    request_body = ApiClientPatch,
    responses(
        (status = 200, description = "The changed client.", body = ApiClient),
    )
)]
#[patch("/api/v1/api-clients/{id}")]
pub async fn update_client(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<ApiClientId>,
    body: Json<ApiClientPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let client = update(
        &mut conn,
        &caller,
        id.into_inner(),
        precondition,
        body.into_inner(),
    )
    .await?;
    Ok(etag::updated(client.version, &ApiClient::from(client)))
}
