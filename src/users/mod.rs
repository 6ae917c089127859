//! User accounts: admins manage them, auditors read them, everyone reads `/me`.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;

use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::{
    auth::{Role, password},
    domain::{Email, text},
};

/// Registers the user endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(handlers::list_users)
        .service(handlers::create_user)
        .service(handlers::get_user)
        .service(handlers::update_user)
        .service(handlers::me)
        .service(handlers::change_password);
}

/// What `agrupa admin create` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Bootstrap {
    /// A new admin was created.
    Created(Uuid),
    /// A user with this e-mail already exists; nothing changed.
    Exists(Uuid),
}

/// Creates an admin unless a user with this e-mail exists (then changes nothing).
pub async fn bootstrap_admin(
    conn: &mut AsyncPgConnection,
    email: &str,
    display_name: &str,
    plain_password: String,
) -> anyhow::Result<Bootstrap> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("e-mail {e}"))?;
    let name = text::name(display_name, 200).map_err(|e| anyhow::anyhow!("name {e}"))?;
    if let Some(existing) = repo::find_by_email(conn, email.as_str()).await? {
        return Ok(Bootstrap::Exists(existing.id));
    }
    password::check_policy(&plain_password).map_err(|e| anyhow::anyhow!("password {e}"))?;
    let hash = tokio::task::spawn_blocking(move || password::hash(&plain_password)).await??;
    let row = model::NewUserRow {
        id: Uuid::now_v7(),
        email: email.as_str().to_owned(),
        display_name: name,
        role: Role::Admin,
        member_id: None,
        funder_id: None,
        active: true,
        password_hash: hash,
    };
    Ok(Bootstrap::Created(repo::insert(conn, &row).await?.id))
}

/// Whether the register has no users yet (zero-config first start).
pub async fn is_empty(conn: &mut AsyncPgConnection) -> anyhow::Result<bool> {
    Ok(!repo::any(conn).await?)
}
