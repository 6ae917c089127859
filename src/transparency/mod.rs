//! Transparency (Ley 19/2013, art. 3.b and 8): staff publish a fiscal year
//! ([`publications`]), and its data is then served to anyone, without a token, on the
//! public feed ([`feed`], `/public/v1/transparency/...`): the agreements with
//! administrations, the subsidies and aid received, the budget and its execution, and the
//! governing bodies. Whether a year must be published is the obligation test in
//! `crate::reports::transparency`.
//!
//! This module owns `transparency_publications` only; the feed reads every other fact
//! through its owner's repo.

pub mod document;
pub mod feed;
pub mod html;
pub mod model;
pub mod publications;
pub mod repo;

/// Registers the publication endpoints and the public feed.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(publications::list_transparency_publications)
        .service(publications::create_transparency_publication)
        .service(publications::get_transparency_publication)
        .service(publications::delete_transparency_publication)
        .service(feed::list_public_transparency_years)
        .service(feed::get_public_transparency)
        .service(feed::get_public_transparency_agreements)
        .service(feed::get_public_transparency_subsidies)
        .service(feed::get_public_transparency_budget)
        .service(feed::get_public_transparency_governing_bodies);
}
