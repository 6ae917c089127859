//! Accountability reports, computed from the records of their owner modules (never typed
//! twice): the AEI register readiness dossier ([`aei_register`]) and the transparency
//! obligation test ([`transparency`]). Reports own no table;
//! they read through the owners' repos.

pub mod aei_register;
pub mod transparency;

/// Registers the report endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(aei_register::aei_register_report)
        .service(transparency::transparency_report);
}
