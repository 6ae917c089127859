//! API clients: partner institutions' systems, signing in with OAuth client credentials.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;

/// Registers the API client endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(handlers::list_clients)
        .service(handlers::create_client)
        .service(handlers::get_client)
        .service(handlers::update_client)
        .service(handlers::rotate_secret)
        .service(handlers::revoke_client);
}
