//! Accountability reports, computed from the records of their owner modules (never typed
//! twice): the AEI register readiness dossier ([`aei_register`]), the transparency
//! obligation test ([`transparency`]) and the year's grants as the national subsidy
//! database's records ([`bdns_grants`]). Reports own no table; they read through the
//! owners' repos.

pub mod aei_register;
pub mod bdns_grants;
pub mod transparency;

/// Registers the report endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(aei_register::aei_register_report)
        .service(transparency::transparency_report)
        .service(bdns_grants::bdns_grants_report);
}
