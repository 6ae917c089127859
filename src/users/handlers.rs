//! HTTP handlers of the user endpoints: parse, check permission, call the repo, answer.

use actix_web::{HttpResponse, get, patch, post, web};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use super::{
    dto::{Me, NewUser, PasswordChange, User, UserPatch, UserQuery},
    model::{NewUserRow, UserChanges, check_affiliation},
    repo,
};
use crate::{
    AppState,
    auth::{self, Action, Caller, Principal, Resource, Role, password},
    db,
    domain::{Email, text},
    error::{ApiError, FieldErrors, on_unique},
    http::pagination::{self, Page},
};

const EMAIL_TAKEN: &str = "A user with this e-mail already exists.";

async fn hash_password(plain: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || password::hash(&plain))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// Lists users (admins and auditors).
#[utoipa::path(
    tag = "users",
    params(UserQuery),
    responses((status = 200, description = "A page of users.", body = Page<User>))
)]
#[get("/api/v1/users")]
pub async fn list_users(
    caller: Caller,
    query: web::Query<UserQuery>,
    state: web::Data<AppState>,
) -> Result<web::Json<Page<User>>, ApiError> {
    caller.require(Action::read(Resource::Users))?;
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let sort = query.sort.unwrap_or_default();
    let after = query
        .cursor
        .as_deref()
        .map(|c| {
            state
                .cursors
                .decode::<repo::After>("users", sort.as_str(), c)
        })
        .transpose()?;
    let filter = repo::Filter {
        role: query.role,
        active: query.active,
    };
    let mut conn = db::conn(&state.pool).await?;
    let rows = repo::list(&mut conn, &filter, sort, after, limit + 1).await?;
    Ok(web::Json(pagination::page(
        &state.cursors,
        "users",
        sort.as_str(),
        rows,
        limit,
        |r| match sort {
            super::dto::UserSort::Email | super::dto::UserSort::EmailDesc => {
                repo::After::Email(r.email.clone())
            }
            _ => repo::After::Id(r.id),
        },
        User::from,
    )))
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
    body: web::Json<NewUser>,
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
    let mut conn = db::conn(&state.pool).await?;
    let user = repo::insert(&mut conn, &row)
        .await
        .map_err(|e| on_unique(e, "users_email_key", "user_email_taken", EMAIL_TAKEN))?;
    tracing::info!(user = %user.id, by = %caller.id(), "user created");
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", user.id)))
        .json(User::from(user)))
}

/// One user (admins and auditors).
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The user.", body = User),
        (status = 404, description = "No such user.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/users/{id}")]
pub async fn get_user(
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<web::Json<User>, ApiError> {
    caller.require(Action::read(Resource::Users))?;
    let mut conn = db::conn(&state.pool).await?;
    Ok(web::Json(
        repo::find(&mut conn, id.into_inner()).await?.into(),
    ))
}

/// Changes a user (admins only). Changing the role or password, or deactivating, ends the
/// user's sessions at once. The last active admin cannot be demoted or deactivated.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "The changed user.", body = User),
        (status = 404, description = "No such user.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`user_email_taken` or `last_admin`.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/api/v1/users/{id}")]
pub async fn update_user(
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<UserPatch>,
    state: web::Data<AppState>,
) -> Result<web::Json<User>, ApiError> {
    caller.require(Action::write(Resource::Users))?;
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
    let mut conn = db::conn(&state.pool).await?;
    let user = conn
        .transaction::<_, ApiError, _>(async move |conn| {
            let current = repo::find_for_update(conn, id).await?;
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
            Ok(updated)
        })
        .await?;
    tracing::info!(user = %user.id, by = %caller.id(), "user changed");
    Ok(web::Json(user.into()))
}

/// The signed-in caller: a user or a partner API client.
#[utoipa::path(
    tag = "users",
    responses((status = 200, description = "Who you are.", body = Me))
)]
#[get("/api/v1/me")]
pub async fn me(caller: Caller, state: web::Data<AppState>) -> Result<web::Json<Me>, ApiError> {
    let mut conn = db::conn(&state.pool).await?;
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
    Ok(web::Json(me))
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
    body: web::Json<PasswordChange>,
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
    let mut conn = db::conn(&state.pool).await?;
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
    conn.transaction::<_, ApiError, _>(async move |conn| {
        let changes = UserChanges {
            password_hash: Some(new_hash),
            ..Default::default()
        };
        repo::update(conn, user_id, &changes).await?;
        auth::repo::end_user_sessions(conn, user_id).await?;
        Ok(())
    })
    .await?;
    tracing::info!(user = %user_id, "password changed");
    Ok(HttpResponse::NoContent().finish())
}
