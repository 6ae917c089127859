//! API clients: partner institutions' systems, signing in with OAuth client credentials.

pub mod clients;
pub mod credentials;
pub mod model;
pub mod repo;

/// Registers the API client endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(clients::list_clients)
        .service(clients::create_client)
        .service(clients::get_client)
        .service(clients::update_client)
        .service(credentials::rotate_secret)
        .service(credentials::revoke_client);
}
