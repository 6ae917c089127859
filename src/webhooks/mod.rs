//! Signed webhooks (Standard Webhooks v1) for the events of the outbox (`crate::events`).
//!
//! [`endpoints`]: where events go, their secret and its rotation; [`deliveries`]: the log of
//! each endpoint's messages, redelivery and pings; [`worker`]: the task in every replica
//! that claims and sends due deliveries; [`guard`]: the SSRF guard; [`signature`]: the
//! signatures; [`repo`]: the queries, including the fan-out of each event into deliveries in
//! the transaction that records it.

pub mod deliveries;
pub mod endpoints;
pub mod guard;
pub mod model;
pub mod repo;
pub mod signature;
pub mod worker;

/// Registers the webhook endpoints (static paths before `{id}` ones).
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(endpoints::list_webhook_endpoints)
        .service(endpoints::create_webhook_endpoint)
        .service(endpoints::get_webhook_endpoint)
        .service(endpoints::update_webhook_endpoint)
        .service(endpoints::delete_webhook_endpoint)
        .service(endpoints::rotate_webhook_secret)
        .service(deliveries::list_webhook_deliveries)
        .service(deliveries::redeliver_webhook)
        .service(deliveries::ping_webhook_endpoint);
}
