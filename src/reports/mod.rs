//! Accountability reports, computed from the records of their owner modules (never typed
//! twice): the AEI register readiness dossier ([`aei_register`]), the transparency
//! obligation test ([`transparency`]) and the European profile ([`european_profile`]), each
//! as JSON, CSV and a printable PDF ([`pdf`]). Reports own no table; they read through the
//! owners' repos.

pub mod aei_register;
pub mod european_profile;
pub mod pdf;
pub mod transparency;

/// Registers the report endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(aei_register::aei_register_report)
        .service(transparency::transparency_report)
        .service(european_profile::european_profile_report);
}
