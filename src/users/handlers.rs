//! HTTP handlers of the user endpoints: parse, check permission, call the repo, answer.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use super::{
    dto::{Me, NewUser, PasswordChange, User, UserPatch, UserQuery, UserSort},
    model::{NewUserRow, UserChanges, UserRow, check_affiliation},
    repo,
};
use crate::http::json::Json;
use crate::{
    AppState,
    audit::{self, Change},
    auth::{self, Action, Caller, Principal, Resource, Role, password},
    domain::{Email, text},
    error::{ApiError, FieldErrors, on_unique},
    http::{
        etag::{self, IfMatch, Precondition},
        listing::{self, List},
        pagination::Page,
    },
};

/// The audit log's name for users.
const RESOURCE: &str = "user";

const EMAIL_TAKEN: &str = "A user with this e-mail already exists.";

async fn hash_password(plain: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || password::hash(&plain))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

fn key_by_id(r: &UserRow) -> repo::After {
    repo::After::Id(r.id)
}

fn key_by_email(r: &UserRow) -> repo::After {
    repo::After::Email(r.email.clone())
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
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::list(&mut conn, &filter, sort, after, n).await?)
        }
    };
    let list = List {
        resource: "users",
        sort: sort.as_str(),
        filename: "users.csv",
    };
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
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
    caller.require(Action::write(Resource::Users))?;
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&input.email));
    let name = errors.check("display_name", text::name(&input.display_name, 200));
    errors.check("password", password::check_policy(&input.password));
    check_affiliation(&mut errors, input.role, input.member_id, input.funder_id);
    let (email, name) = errors.finish_with(email.zip(name))?;
    let row = NewUserRow {
        id: Uuid::now_v7(),
        email: email.as_str().to_owned(),
        display_name: name,
        role: input.role,
        member_id: input.member_id,
        funder_id: input.funder_id,
        active: input.active.unwrap_or(true),
        password_hash: hash_password(input.password).await?,
    };
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let user = repo::insert(conn, &row)
                .await
                .map_err(|e| on_unique(e, "users_email_key", "user_email_taken", EMAIL_TAKEN))?;
            let after = User::from(user.clone());
            audit::created(conn, &caller, RESOURCE, user.id, &after).await?;
            Ok(user)
        })
        .await?;
    tracing::info!(user = %row.id, by = %caller.id(), "user created");
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
    id: web::Path<Uuid>,
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
    id: web::Path<Uuid>,
    body: Json<UserPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Users))?;
    let precondition = Precondition::from_request(&req);
    let id = id.into_inner();
    let patch = body.into_inner();
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
    let mut conn = state.conn().await?;
    let user = conn
        .transaction::<_, ApiError, _>(async |conn| {
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
                email: email.map(|e| e.as_str().to_owned()),
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
                .map_err(|e| on_unique(e, "users_email_key", "user_email_taken", EMAIL_TAKEN))?;
            if ends_sessions {
                auth::repo::end_user_sessions(conn, id).await?;
            }
            let (before, after) = (User::from(current), User::from(updated.clone()));
            audit::updated(conn, &caller, RESOURCE, id, &before, &after).await?;
            Ok(updated)
        })
        .await?;
    tracing::info!(user = %user.id, by = %caller.id(), "user changed");
    Ok(etag::updated(user.version, &User::from(user)))
}

/// The signed-in caller: a user or a partner API client.
#[utoipa::path(
    tag = "users",
    responses((status = 200, description = "Who you are.", body = Me))
)]
#[get("/api/v1/me")]
pub async fn me(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let me = match caller.principal {
        Principal::User(id) => {
            let user = repo::find(&mut conn, id).await?;
            Me {
                kind: "user",
                id,
                role: user.role,
                email: Some(user.email),
                display_name: user.display_name,
                member_id: user.member_id,
                funder_id: user.funder_id,
                scopes: caller.scopes,
            }
        }
        Principal::Client(id) => {
            let client = crate::api_clients::repo::find(&mut conn, id).await?;
            Me {
                kind: "api_client",
                id,
                role: Role::Partner,
                email: None,
                display_name: client.name,
                member_id: None,
                funder_id: client.funder_id,
                scopes: caller.scopes,
            }
        }
    };
    Ok(HttpResponse::Ok().json(me))
}

/// Changes the signed-in user's password. Every session of the user ends (sign in again).
#[utoipa::path(
    tag = "users",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; sign in again."),
        (status = 422, description = "`wrong_password` or `validation_failed`.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/me/password")]
pub async fn change_password(
    caller: Caller,
    body: Json<PasswordChange>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(user_id) = caller.user_id() else {
        return Err(ApiError::forbidden(
            "API clients have no password; rotate the client secret instead.",
        ));
    };
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    errors.check("new_password", password::check_policy(&input.new_password));
    errors.finish()?;
    let mut conn = state.conn().await?;
    let stored = repo::password_hash(&mut conn, user_id).await?;
    let current = input.current_password;
    let verified = tokio::task::spawn_blocking(move || password::verify(&current, &stored))
        .await
        .map_err(ApiError::internal)?;
    if verified == password::Verified::No {
        return Err(ApiError::unprocessable(
            "wrong_password",
            "The current password is not correct.",
        ));
    }
    let new_hash = hash_password(input.new_password).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = User::from(repo::find_for_update(conn, user_id).await?);
        let changes = UserChanges {
            password_hash: Some(new_hash),
            ..Default::default()
        };
        let after = User::from(repo::update(conn, user_id, &changes).await?);
        auth::repo::end_user_sessions(conn, user_id).await?;
        audit::record(
            conn,
            &caller,
            Change {
                action: "password_changed",
                resource_type: RESOURCE,
                resource_id: user_id,
                before: Some(&before),
                after: Some(&after),
            },
        )
        .await?;
        Ok(())
    })
    .await?;
    tracing::info!(user = %user_id, "password changed");
    Ok(HttpResponse::NoContent().finish())
}
