//! Funding: funders, their calls for subsidies, agreements with yearly instalments, and the
//! cluster's subsidy applications. An application moves only along its state machine
//! ([`transition`] is the one place where it moves: a grant, a rejection, an acceptance);
//! accepting a grant books its money as income of the years it funds.
//!
//! One file per sub-resource, each with its request and response types, its handlers and
//! its service functions: [`funders`], [`calls`], [`agreements`], [`applications`] (a
//! folder: content rules, the state machine, double funding, income), [`documents`],
//! [`justification`] (the justification account of a grant), [`deadlines`]; who sees what
//! is [`scope`]. [`bdns`] imports a call from its export in the national subsidy database.
//! Changes of funders, calls, agreements and
//! applications need `If-Match` (428 without); a move of an application honours it when
//! sent.

pub mod agreements;
pub mod applications;
pub mod bdns;
pub mod calls;
pub mod deadlines;
pub mod documents;
pub mod funders;
pub mod justification;
pub mod model;
pub mod repo;
pub mod scope;

pub use applications::transition;
pub use scope::Scope;

/// Registers the funding endpoints (static paths before `{id}` ones).
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(funders::list_funders)
        .service(funders::create_funder)
        .service(funders::get_funder)
        .service(funders::update_funder)
        .service(calls::list_calls)
        .service(calls::create_call)
        .service(bdns::import_bdns_call)
        .service(calls::get_call)
        .service(calls::update_call)
        .service(agreements::list_agreements)
        .service(agreements::create_agreement)
        .service(agreements::get_agreement)
        .service(agreements::update_agreement)
        .service(applications::list_applications)
        .service(applications::create_application)
        .service(applications::get_application)
        .service(applications::update_application)
        .service(applications::transition::transition_application)
        .service(applications::transition::application_history)
        .service(documents::list_documents)
        .service(documents::upload_document)
        .service(documents::get_document)
        .service(documents::document_content)
        .service(justification::justification_account)
        .service(deadlines::deadlines);
}
