//! The caller's identity, extracted once per request from `Authorization: Bearer <JWT>`.
//!
//! The token is verified (see [`super::tokens`]) and the principal is re-read from the
//! database in the same statement that checks the token's revocation, so deactivation,
//! role changes, password changes and revocation take effect at once.

use std::{
    future::{Future, Ready, ready},
    pin::Pin,
    sync::Arc,
};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::{
    model::UserPrincipal,
    policy::{self, Action, Role},
    repo,
    tokens::{Claims, PrincipalKind},
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
    pub scopes: policy::Scopes,
    /// The token id.
    pub jti: Uuid,
    /// The request's id (for the audit log).
    pub request_id: Option<crate::http::RequestId>,
}

impl Caller {
    /// The request's id as the text the audit, event and entry rows keep.
    pub fn request_id_text(&self) -> Option<String> {
        self.request_id.as_ref().map(|id| id.as_str().to_owned())
    }

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
        if policy::allows(self.role, action) && self.scopes.contains(action) {
            return Ok(());
        }
        let scope = action.scope();
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
            let bearer = Bearer::extract(&req)?;
            let mut conn = bearer.state.conn().await?;
            let caller = bearer.check(&mut conn).await?;
            // For a second extraction in the same request (a handler reading its caller
            // through a `Bearer` keeps none: it has it).
            req.extensions_mut().insert(caller.clone());
            Ok(caller)
        })
    }
}

/// A bearer token whose signature and claims are verified, but whose principal has not been
/// checked against the database yet: not a caller until [`Bearer::check`] (one statement) or
/// [`Bearer::admit_user`] (with the principal read in the same statement as the data the
/// handler needs, saving a round trip) says so. A handler taking a `Bearer` must admit it
/// before it checks permissions, changes anything or answers with anything it read.
pub struct Bearer {
    claims: Arc<Claims>,
    state: web::Data<AppState>,
    /// The request's id, for the caller it becomes.
    request_id: Option<crate::http::RequestId>,
}

impl FromRequest for Bearer {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::extract(req))
    }
}

impl Bearer {
    /// The verified token of a request; 401 without a valid one.
    fn extract(req: &HttpRequest) -> Result<Self, ApiError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app state")))?
            .clone();
        let token = crate::http::bearer_token(req.headers()).ok_or_else(|| {
            let sent = req
                .headers()
                .contains_key(actix_web::http::header::AUTHORIZATION);
            unauthorized(if sent {
                "not a bearer token"
            } else {
                "no bearer token"
            })
        })?;
        // The claims were verified already (same request, same header) when a middleware
        // needed the caller; the request id was assigned by the outermost middleware step.
        let (verified, request_id) = {
            let extensions = req.extensions();
            (
                extensions.get::<Arc<Claims>>().cloned(),
                extensions.get::<crate::http::RequestId>().cloned(),
            )
        };
        let claims = match verified {
            Some(claims) => claims,
            None => state
                .keys
                .verify(token)
                .map_err(|e| unauthorized(&e.to_string()))?,
        };
        Ok(Self {
            claims,
            state,
            request_id,
        })
    }

    /// The user id and token id of a user's token (`None` for an API client's).
    pub fn user(&self) -> Option<(Uuid, Uuid)> {
        (self.claims.kind == PrincipalKind::User).then_some((self.claims.sub, self.claims.jti))
    }

    /// Reads the principal (one statement: the user or API client, and the token's
    /// revocation) and admits it, or 401.
    pub async fn check(self, conn: &mut AsyncPgConnection) -> Result<Caller, ApiError> {
        match self.claims.kind {
            PrincipalKind::User => {
                let row = repo::load_user_principal(conn, self.claims.sub, self.claims.jti).await?;
                self.admit_user(row)
            }
            PrincipalKind::Client => {
                let row = repo::load_client_principal(conn, self.claims.sub, self.claims.jti)
                    .await?
                    .ok_or_else(|| unauthorized("client not found"))?;
                if row.revoked_client || row.revoked {
                    return Err(unauthorized("token no longer valid"));
                }
                let granted: policy::Scopes = row
                    .scopes
                    .iter()
                    .filter_map(|name| policy::Scopes::parse(name))
                    .collect();
                let scopes =
                    policy::Scopes::from_names(&self.claims.scope, |a| granted.contains(a));
                let caller = Caller {
                    principal: Principal::Client(self.claims.sub),
                    role: Role::Partner,
                    member_id: None,
                    funder_id: row.funder_id,
                    scopes,
                    jti: self.claims.jti,
                    request_id: self.request_id,
                };
                Ok(caller)
            }
        }
    }

    /// Admits a user's token given its principal as read from the database now (what
    /// [`repo::load_user_principal`] reads, possibly in the same statement as other data):
    /// the user exists and is active, the token is not revoked and its session epoch is
    /// current; otherwise 401.
    pub fn admit_user(self, row: Option<UserPrincipal>) -> Result<Caller, ApiError> {
        if self.claims.kind != PrincipalKind::User {
            return Err(unauthorized("not a user token"));
        }
        let row = row.ok_or_else(|| unauthorized("user not found"))?;
        if !row.active || row.revoked || row.session_epoch != self.claims.epoch {
            return Err(unauthorized("token no longer valid"));
        }
        let caller = Caller {
            principal: Principal::User(self.claims.sub),
            role: row.role,
            member_id: row.member_id,
            funder_id: row.funder_id,
            scopes: policy::Scopes::from_names(&self.claims.scope, |a| policy::allows(row.role, a)),
            jti: self.claims.jti,
            request_id: self.request_id,
        };
        Ok(caller)
    }
}
