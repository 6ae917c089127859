//! User accounts: admins manage them, auditors read them, everyone reads `/me`.

pub mod accounts;
pub mod me;
pub mod model;
pub mod repo;

use diesel_async::AsyncPgConnection;

use crate::{
    auth::{Role, password},
    domain::{Email, UserId, text},
    error::ApiError,
};

/// Registers the user endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(accounts::list_users)
        .service(accounts::create_user)
        .service(accounts::get_user)
        .service(accounts::update_user)
        .service(me::me)
        .service(me::change_password);
}

/// Hashes a password off the async workers (argon2 takes a while on purpose).
async fn hash_password(plain: String) -> Result<String, ApiError> {
    password::hash(plain).await
}

/// What `agrupa admin create` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Bootstrap {
    /// A new admin was created.
    Created(UserId),
    /// A user with this e-mail already exists; nothing changed.
    Exists(UserId),
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
    if let Some(existing) = repo::find_by_email(conn, &email).await? {
        return Ok(Bootstrap::Exists(existing.id));
    }
    password::check_policy(&plain_password).map_err(|e| anyhow::anyhow!("password {e}"))?;
    let hash = password::hash(plain_password)
        .await
        .map_err(|e| anyhow::anyhow!("hashing the password: {}", e.code()))?;
    let row = model::NewUserRow {
        id: UserId::new(),
        email,
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
