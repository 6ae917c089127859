//! The member register: organisations, their membership lifecycle, contacts and dues,
//! search, statistics.
//!
//! One file per sub-resource, each with its request and response types, its service
//! functions (what handlers, the seed and General Assembly resolutions call: they take a
//! connection and a [`Caller`], never a request) and its handlers.

pub mod contacts;
pub mod dues;
pub mod lifecycle;
pub mod model;
pub mod register;
pub mod repo;
pub mod search;
pub mod stats;
pub mod view;

pub use lifecycle::change_status;

use crate::{
    auth::{Caller, policy},
    error::ApiError,
};

/// Registers the member endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    // `stats` before `{id}`: both are GET /api/v1/members/<segment>.
    cfg.service(stats::member_stats)
        .service(search::list_members)
        .service(register::create_member)
        .service(register::get_member)
        .service(register::update_member)
        .service(register::archive_member)
        .service(lifecycle::list_status_changes)
        .service(lifecycle::create_status_change)
        .service(contacts::list_contacts)
        .service(contacts::create_contact)
        .service(contacts::update_contact)
        .service(contacts::delete_contact)
        .service(dues::list_dues)
        .service(dues::update_due)
        .service(dues::issue_dues);
}

/// Staff and admins only (creating, archiving, status, dues).
fn require_staff(caller: &Caller) -> Result<(), ApiError> {
    if policy::runs_register(caller.role) {
        Ok(())
    } else {
        Err(ApiError::forbidden("Only the cluster's staff can do this."))
    }
}
