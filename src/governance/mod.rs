//! Governance: the General Assembly, boards and committees ([`bodies`], [`seats`]), their
//! meetings (convening freezes the roll), attendance with proxies, the quorum at each call,
//! and resolutions whose adoption enacts their effect (a plan or budget approved, a member
//! admitted or expelled) in the same transaction, through the owning modules' services.
//!
//! The rules of the law and the statutes are pure functions in [`rules`]; who sees what is
//! [`scope`].

pub mod accounts;
pub mod bodies;
pub mod certificates;
pub mod composition;
pub mod constitution;
pub mod convening;
pub mod dissents;
pub mod ical;
pub mod meetings;
pub mod minutes;
pub mod model;
pub mod pdf;
pub mod repo;
pub mod resolutions;
pub mod roll;
pub mod rule_versions;
pub mod rules;
pub mod scope;
pub mod seats;

/// Registers the governance endpoints (static paths before `{id}` ones).
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(bodies::list_bodies)
        .service(bodies::create_body)
        .service(bodies::get_body)
        .service(bodies::update_body)
        .service(rule_versions::list_rule_versions)
        .service(seats::list_seats)
        .service(seats::create_seat)
        .service(seats::get_seat)
        .service(seats::update_seat)
        .service(meetings::list_body_meetings)
        .service(meetings::list_meetings)
        .service(convening::create_meeting)
        .service(meetings::get_meeting)
        .service(roll::list_roll)
        .service(roll::record_attendance)
        .service(constitution::constitute_meeting)
        .service(minutes::get_minutes)
        .service(minutes::write_minutes)
        .service(minutes::approve_minutes)
        .service(resolutions::create_resolution)
        .service(dissents::create_dissent)
        .service(certificates::list_certificates)
        .service(certificates::create_certificate)
        .service(certificates::get_certificate)
        .service(accounts::list_approved_accounts);
}
