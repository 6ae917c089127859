//! One list of routes for two uses: the OpenAPI document (through utoipa-actix-web, which
//! collects every operation's paths and schemas) and the workers' routers (plain actix-web,
//! which needs none of that: collecting it in every worker cost megabytes each).

use actix_web::dev::HttpServiceFactory;
use utoipa_actix_web::OpenApiFactory;

/// Somewhere to register documented services.
pub trait Routes {
    /// Registers one service (a handler declared with `#[utoipa::path]` and a route macro).
    fn service<F>(&mut self, factory: F) -> &mut Self
    where
        F: HttpServiceFactory + OpenApiFactory + 'static;
}

impl Routes for utoipa_actix_web::service_config::ServiceConfig<'_> {
    fn service<F>(&mut self, factory: F) -> &mut Self
    where
        F: HttpServiceFactory + OpenApiFactory + 'static,
    {
        utoipa_actix_web::service_config::ServiceConfig::service(self, factory)
    }
}

impl Routes for actix_web::web::ServiceConfig {
    fn service<F>(&mut self, factory: F) -> &mut Self
    where
        F: HttpServiceFactory + OpenApiFactory + 'static,
    {
        actix_web::web::ServiceConfig::service(self, factory)
    }
}
