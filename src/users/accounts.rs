//! User accounts: admins create and change them, admins and auditors read them.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    hash_password,
    model::{NewUserRow, UserChanges, UserRow, check_affiliation},
    repo,
};
use crate::{
    AppState, audit,
    auth::{self, Action, Caller, Resource, Role, password},
    domain::{Email, FunderId, MemberId, UserId, text},
    error::{ApiError, FieldErrors, on_unique},
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::Page,
        patch::nullable,
    },
};

/// The audit log's name for users.
pub(super) const RESOURCE: &str = "user";

const EMAIL_TAKEN: &str = "A user with this e-mail already exists.";

impl CsvRow for UserRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "email",
            "display_name",
            "role",
            "member_id",
            "funder_id",
            "active",
            "last_login_at",
            "created_at",
            "updated_at",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let opt = |v: Option<String>| v.unwrap_or_default();
        vec![
            self.id.to_string(),
            self.email.to_string(),
            self.display_name.clone(),
            self.role.to_string(),
            opt(self.member_id.map(|v| v.to_string())),
            opt(self.funder_id.map(|v| v.to_string())),
            self.active.to_string(),
            opt(self.last_login_at.map(|v| v.to_rfc3339())),
            self.created_at.to_rfc3339(),
            self.updated_at.to_rfc3339(),
        ]
    }
}

/// A user account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// E-mail (sign-in name), normalised to lowercase.
    #[schema(example = "lucia.fernandez@clusteraudiovisual.es")]
    pub email: String,
    /// Display name.
    #[schema(example = "Lucía Fernández")]
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// For `member` users: the member organisation they represent.
    pub member_id: Option<MemberId>,
    /// For `partner` users: the funder they belong to.
    pub funder_id: Option<FunderId>,
    /// Inactive users cannot sign in; their tokens stop working at once.
    pub active: bool,
    /// Last successful sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        Self {
            id: r.id,
            email: r.email.into(),
            display_name: r.display_name,
            role: r.role,
            member_id: r.member_id,
            funder_id: r.funder_id,
            active: r.active,
            last_login_at: r.last_login_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A new user (admins only).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// E-mail; unique, case-insensitive.
    #[schema(example = "lucia.fernandez@clusteraudiovisual.es", max_length = 254)]
    pub email: String,
    /// Display name (1–200 characters).
    #[schema(example = "Lucía Fernández", min_length = 1, max_length = 200)]
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Initial password (12–1024 characters).
    #[schema(
        example = "una contraseña larga y segura",
        min_length = 12,
        max_length = 1024
    )]
    pub password: String,
    /// For `member` users.
    pub member_id: Option<MemberId>,
    /// For `partner` users.
    pub funder_id: Option<FunderId>,
    /// Defaults to `true`.
    pub active: Option<bool>,
}

/// Changes to a user (admins only); absent fields stay as they are. Changing the role,
/// the password or deactivating ends the user's sessions.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// New e-mail.
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// New display name.
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// `false` deactivates (sessions end), `true` reactivates.
    pub active: Option<bool>,
    /// A new password set by an admin.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: Option<String>,
    /// Member organisation; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub member_id: Option<Option<MemberId>>,
    /// Funder; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub funder_id: Option<Option<FunderId>>,
}

/// Sort orders of the user list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub enum UserSort {
    /// Oldest first (default).
    #[default]
    #[serde(rename = "created_at")]
    CreatedAt,
    /// Newest first.
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    /// By e-mail, A–Z.
    #[serde(rename = "email")]
    Email,
    /// By e-mail, Z–A.
    #[serde(rename = "-email")]
    EmailDesc,
}

impl UserSort {
    /// The name used in cursors.
    pub fn as_str(self) -> &'static str {
        match self {
            UserSort::CreatedAt => "created_at",
            UserSort::CreatedAtDesc => "-created_at",
            UserSort::Email => "email",
            UserSort::EmailDesc => "-email",
        }
    }
}

/// Filters and paging of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only users with this role.
    pub role: Option<Role>,
    /// Only active (`true`) or inactive (`false`) users.
    pub active: Option<bool>,
    /// `created_at` (default), `-created_at`, `email`, `-email`.
    #[param(inline)]
    pub sort: Option<UserSort>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn email_taken(e: diesel::result::Error) -> ApiError {
    on_unique(e, "users_email_key", "user_email_taken", EMAIL_TAKEN)
}

fn key_by_id(r: &UserRow) -> repo::After {
    repo::After::Id(r.id)
}

fn key_by_email(r: &UserRow) -> repo::After {
    repo::After::Email(r.email.to_string())
}

/// Creates a user (admins): 403, 422 (every field), 409 `user_email_taken`.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewUser,
) -> Result<UserRow, ApiError> {
    caller.require(Action::write(Resource::Users))?;
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&input.email));
    let name = errors.check("display_name", text::name(&input.display_name, 200));
    errors.check("password", password::check_policy(&input.password));
    check_affiliation(&mut errors, input.role, input.member_id, input.funder_id);
    let (email, name) = errors.finish_with(email.zip(name))?;
    let row = NewUserRow {
        id: UserId::new(),
        email,
        display_name: name,
        role: input.role,
        member_id: input.member_id,
        funder_id: input.funder_id,
        active: input.active.unwrap_or(true),
        password_hash: hash_password(input.password).await?,
    };
    let user = conn
        .transaction(async |conn| {
            let user = repo::insert(conn, &row).await.map_err(email_taken)?;
            let after = User::from(user.clone());
            audit::created(conn, caller, RESOURCE, user.id.uuid(), &after).await?;
            Ok::<_, ApiError>(user)
        })
        .await?;
    tracing::info!(user = %user.id, by = %caller.id(), "user created");
    Ok(user)
}

/// Changes a user (admins): 403, 422, 404, 412, 409 `user_email_taken` or `last_admin`.
/// Changing the role or password, or deactivating, ends the user's sessions.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: UserId,
    precondition: Precondition,
    patch: UserPatch,
) -> Result<UserRow, ApiError> {
    caller.require(Action::write(Resource::Users))?;
    let mut errors = FieldErrors::default();
    let email = patch
        .email
        .as_deref()
        .and_then(|e| errors.check("email", Email::parse(e)));
    let name = patch
        .display_name
        .as_deref()
        .and_then(|n| errors.check("display_name", text::name(n, 200)));
    if let Some(p) = &patch.password {
        errors.check("password", password::check_policy(p));
    }
    errors.finish()?;
    let password_hash = match patch.password {
        Some(p) => Some(hash_password(p).await?),
        None => None,
    };
    let user = conn
        .transaction(async |conn| {
            let current = repo::find_for_update(conn, id).await?;
            precondition.check(current.version, IfMatch::Optional)?;
            let role = patch.role.unwrap_or(current.role);
            let member_id = patch.member_id.unwrap_or(current.member_id);
            let funder_id = patch.funder_id.unwrap_or(current.funder_id);
            let mut errors = FieldErrors::default();
            check_affiliation(&mut errors, role, member_id, funder_id);
            errors.finish()?;
            let active = patch.active.unwrap_or(current.active);
            let loses_admin =
                current.role == Role::Admin && current.active && (role != Role::Admin || !active);
            if loses_admin && repo::other_active_admins(conn, id).await? == 0 {
                return Err(ApiError::conflict(
                    "last_admin",
                    "This is the last active admin; make another user admin first.",
                ));
            }
            let changes = UserChanges {
                email,
                display_name: name,
                role: patch.role,
                member_id: patch.member_id,
                funder_id: patch.funder_id,
                active: patch.active,
                password_hash,
            };
            if changes.is_empty() {
                return Ok(current);
            }
            let ends_sessions = role != current.role || !active || changes.password_hash.is_some();
            let updated = repo::update(conn, id, &changes)
                .await
                .map_err(email_taken)?;
            if ends_sessions {
                auth::repo::end_user_sessions(conn, id.uuid()).await?;
            }
            let (before, after) = (User::from(current), User::from(updated.clone()));
            audit::updated(conn, caller, RESOURCE, id.uuid(), &before, &after).await?;
            Ok(updated)
        })
        .await?;
    tracing::info!(user = %user.id, by = %caller.id(), "user changed");
    Ok(user)
}

/// Lists users (admins and auditors). `Accept: text/csv` exports every matching user.
#[utoipa::path(
    tag = "users",
    params(UserQuery),
    responses((status = 200, description = "A page of users (or all of them as CSV).",
        content((Page<User> = "application/json"), (String = "text/csv"))))
)]
#[get("/api/v1/users")]
pub async fn list_users(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<UserQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Users))?;
    let query = query.into_inner();
    let sort = query.sort.unwrap_or_default();
    let key_of = match sort {
        UserSort::Email | UserSort::EmailDesc => key_by_email,
        UserSort::CreatedAt | UserSort::CreatedAtDesc => key_by_id,
    };
    let filter = repo::Filter {
        role: query.role,
        active: query.active,
    };
    let list = List {
        resource: "users",
        sort: sort.as_str(),
        filename: "users.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::list(conn, &filter, sort, after, n).await?),
        key_of,
        User::from,
    )
    .await
}

/// Creates a user (admins only).
#[utoipa::path(
    tag = "users",
    request_body = NewUser,
    responses(
        (status = 201, description = "Created.", body = User, headers(("Location" = String, description = "URL of the new user"))),
        (status = 409, description = "`user_email_taken`.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, with each field's problem.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/users")]
pub async fn create_user(
    caller: Caller,
    body: Json<NewUser>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let row = create(&mut conn, &caller, body.into_inner()).await?;
    Ok(etag::created(
        format!("/api/v1/users/{}", row.id),
        row.version,
        &User::from(row),
    ))
}

/// One user (admins and auditors).
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The user, with its `ETag`.", body = User,
            headers(("ETag" = String, description = "Send as `If-Match` to change it"))),
        (status = 304, description = "Not modified (`If-None-Match` matched)."),
    )
)]
#[get("/api/v1/users/{id}")]
pub async fn get_user(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<UserId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Users))?;
    let mut conn = state.conn().await?;
    let row = repo::find(&mut conn, id.into_inner()).await?;
    Ok(etag::respond(&req, row.version, &User::from(row)))
}

/// Changes a user (admins only). Changing the role or password, or deactivating, ends the
/// user's sessions at once. The last active admin cannot be demoted or deactivated.
/// `If-Match` (optional here) makes the change conditional on the version you read.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = Uuid, Path, description = "User id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a GET; 412 when stale"),
    ),
    request_body = UserPatch,
    responses(
        (status = 200, description = "The changed user.", body = User),
        (status = 412, description = "`precondition_failed`: changed since you read it.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`user_email_taken` or `last_admin`.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/api/v1/users/{id}")]
pub async fn update_user(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<UserId>,
    body: Json<UserPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let user = update(
        &mut conn,
        &caller,
        id.into_inner(),
        precondition,
        body.into_inner(),
    )
    .await?;
    Ok(etag::updated(user.version, &User::from(user)))
}
