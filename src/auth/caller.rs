//! The caller's identity, extracted once per request from `Authorization: Bearer <JWT>`.
//!
//! The token is verified (see [`super::tokens`]) and the principal is re-read from the
//! database in the same statement that checks the token's revocation, so deactivation,
//! role changes, password changes and revocation take effect at once.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use uuid::Uuid;

use super::{
    policy::{self, Action, Role},
    repo,
    tokens::PrincipalKind,
};
use crate::{AppState, error::ApiError};

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A signed-in user.
    User(Uuid),
    /// A partner API client.
    Client(Uuid),
}

/// The authenticated caller, as handlers see it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// User or API client, with its id.
    pub principal: Principal,
    /// The current role (from the database, not the token).
    pub role: Role,
    /// For `member` users: the organisation they represent.
    pub member_id: Option<Uuid>,
    /// For `partner` users and API clients: their funder.
    pub funder_id: Option<Uuid>,
    /// The token's scopes.
    pub scopes: Vec<String>,
    /// The token id.
    pub jti: Uuid,
    /// The request's id (for the audit log).
    pub request_id: Option<String>,
}

impl Caller {
    /// The id of the user or API client.
    pub fn id(&self) -> Uuid {
        match self.principal {
            Principal::User(id) | Principal::Client(id) => id,
        }
    }

    /// The user id, when the caller is a user.
    pub fn user_id(&self) -> Option<Uuid> {
        match self.principal {
            Principal::User(id) => Some(id),
            Principal::Client(_) => None,
        }
    }

    /// Allowed when both the role and the token's scopes permit `action`; otherwise 403
    /// (logged).
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        let scope = action.scope();
        if policy::allows(self.role, action) && self.scopes.contains(&scope) {
            return Ok(());
        }
        tracing::warn!(
            caller = %self.id(),
            role = %self.role,
            required = %scope,
            "request denied"
        );
        Err(ApiError::forbidden(format!(
            "Your role or token does not allow this ({scope})."
        )))
    }
}

/// The caller's subject for logs and rate limits (stored in request extensions).
#[derive(Debug, Clone)]
pub struct CallerSubject(pub String);

fn unauthorized(reason: &str) -> ApiError {
    tracing::warn!(reason, "authentication failed");
    ApiError::unauthorized("A valid access token is required (Authorization: Bearer <token>).")
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(caller) = req.extensions().get::<Caller>() {
                return Ok(caller.clone());
            }
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app state")))?
                .clone();
            let header = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| unauthorized("no bearer token"))?;
            let token = header
                .strip_prefix("Bearer ")
                .or_else(|| header.strip_prefix("bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| unauthorized("not a bearer token"))?;
            // Verified already (same request, same header) when a middleware needed the caller.
            let verified = req.extensions().get::<super::tokens::Claims>().cloned();
            let claims = match verified {
                Some(claims) => claims,
                None => state
                    .keys
                    .verify(token)
                    .map_err(|e| unauthorized(&e.to_string()))?,
            };
            let request_id = req
                .extensions()
                .get::<crate::http::RequestId>()
                .map(|r| r.as_str().to_owned());
            let mut conn = state.conn().await?;
            let caller = match claims.kind {
                PrincipalKind::User => {
                    let row = repo::load_user_principal(&mut conn, claims.sub, claims.jti)
                        .await?
                        .ok_or_else(|| unauthorized("user not found"))?;
                    if !row.active || row.revoked || row.session_epoch != claims.epoch {
                        return Err(unauthorized("token no longer valid"));
                    }
                    Caller {
                        principal: Principal::User(claims.sub),
                        role: row.role,
                        member_id: row.member_id,
                        funder_id: row.funder_id,
                        scopes: narrow(&claims.scope, row.role),
                        jti: claims.jti,
                        request_id: request_id.clone(),
                    }
                }
                PrincipalKind::Client => {
                    let row = repo::load_client_principal(&mut conn, claims.sub, claims.jti)
                        .await?
                        .ok_or_else(|| unauthorized("client not found"))?;
                    if row.revoked_client || row.revoked {
                        return Err(unauthorized("token no longer valid"));
                    }
                    let scopes: Vec<String> = claims
                        .scope
                        .split_whitespace()
                        .filter(|s| row.scopes.iter().any(|c| c == s))
                        .map(str::to_owned)
                        .collect();
                    Caller {
                        principal: Principal::Client(claims.sub),
                        role: Role::Partner,
                        member_id: None,
                        funder_id: row.funder_id,
                        scopes,
                        jti: claims.jti,
                        request_id: request_id.clone(),
                    }
                }
            };
            req.extensions_mut().insert(caller.clone());
            req.extensions_mut()
                .insert(CallerSubject(caller.id().to_string()));
            Ok(caller)
        })
    }
}

/// The token's scopes, limited to what the user's current role allows.
fn narrow(token_scope: &str, role: Role) -> Vec<String> {
    let allowed = policy::scopes_for(role);
    token_scope
        .split_whitespace()
        .filter(|s| allowed.iter().any(|a| a == s))
        .map(str::to_owned)
        .collect()
}
