//! Accountability reports, computed from the records of their owner modules (never typed
//! twice): today the AEI register readiness dossier ([`aei_register`]). Reports own no table;
//! they read through the owners' repos.

pub mod aei_register;

/// Registers the report endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(aei_register::aei_register_report);
}
