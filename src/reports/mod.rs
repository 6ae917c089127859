//! Accountability reports, computed from the records of their owner modules (never typed
//! twice): the AEI register readiness dossier ([`aei_register`]), the transparency
//! obligation test ([`transparency`]), the European profile ([`european_profile`]) and the
//! year's grants as the national subsidy database's records ([`bdns_grants`]), each as JSON,
//! CSV and (the first three) a printable PDF ([`pdf`]). Reports own no table; they read
//! through the owners' repos.

use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::http::csv::{self, CsvRow};

pub mod aei_register;
pub mod bdns_grants;
pub mod european_profile;
pub mod pdf;
pub mod transparency;

/// Registers the report endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(aei_register::aei_register_report)
        .service(transparency::transparency_report)
        .service(bdns_grants::bdns_grants_report)
        .service(european_profile::european_profile_report);
}

/// A report's answer: its `rows` as a CSV attachment named `filename` when the client asks
/// for `text/csv`, else the whole report as JSON.
pub fn respond<T: Serialize, R: CsvRow>(
    req: &HttpRequest,
    report: &T,
    filename: &str,
    rows: &[R],
) -> HttpResponse {
    if csv::wants_csv(req) {
        return csv::attachment(filename, rows);
    }
    HttpResponse::Ok().json(report)
}
