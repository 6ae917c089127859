//! The printable reports (`Accept: application/pdf`): the report's JSON, exactly as the API
//! answers it, printed through the templates in `pdf/` by [`crate::http::pdf`]. The data
//! handed to the template is the report itself, so the SHA-256 in the footer is that of the
//! JSON answer to the same request: anyone can check a printed report against the data.
//! Labels are in Spanish; the `detail` sentences print as the API gives them.

use crate::{
    error::ApiError,
    http::pdf::{Renderer, Template},
};

use super::{
    aei_register::AeiReadiness, european_profile::EuropeanProfile,
    transparency::TransparencyObligation,
};

static AEI_REGISTER: Template = Template::new("aei_register", include_str!("pdf/aei_register.typ"));
static TRANSPARENCY: Template = Template::new("transparency", include_str!("pdf/transparency.typ"));
static EUROPEAN_PROFILE: Template =
    Template::new("european_profile", include_str!("pdf/european_profile.typ"));

/// The AEI register readiness dossier as a PDF.
pub async fn aei_register(
    renderer: &Renderer,
    issuer: &str,
    report: &AeiReadiness,
) -> Result<Vec<u8>, ApiError> {
    renderer
        .render(
            &AEI_REGISTER,
            "Registro de AEI: cumplimiento de requisitos",
            issuer,
            report,
        )
        .await
}

/// The transparency obligation test of a year as a PDF.
pub async fn transparency(
    renderer: &Renderer,
    issuer: &str,
    report: &TransparencyObligation,
) -> Result<Vec<u8>, ApiError> {
    let title = format!("Obligación de transparencia {}", report.year);
    renderer.render(&TRANSPARENCY, &title, issuer, report).await
}

/// The European profile as a PDF.
pub async fn european_profile(
    renderer: &Renderer,
    issuer: &str,
    report: &EuropeanProfile,
) -> Result<Vec<u8>, ApiError> {
    renderer
        .render(
            &EUROPEAN_PROFILE,
            "Perfil europeo del clúster",
            issuer,
            report,
        )
        .await
}
