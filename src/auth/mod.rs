//! Identity and access: OAuth 2.0 tokens, the caller extractor and the role policy.
//!
//! Depends on nothing domain-specific; `users` and `api_clients` build on it.

pub mod caller;
pub mod dto;
pub mod grants;
pub mod handlers;
pub mod model;
pub mod password;
pub mod policy;
pub mod repo;
pub mod throttle;
pub mod tokens;

pub use caller::{Caller, Principal};
pub use policy::{Action, Resource, Role};

/// Registers the OAuth endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(handlers::token).service(handlers::revoke);
}
