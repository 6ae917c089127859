//! The demo cluster's own record: the audiovisual cluster of Madrid, inscribed in the AEI
//! register, with the sector figures it claims critical mass against (illustrative figures
//! for the demo, not official statistics).

use chrono::{NaiveDate, Utc};
use diesel_async::AsyncPgConnection;

use crate::{
    cluster::{model::ClusterRow, repo},
    domain::{Cents, tax_id::make_cif},
};

fn date(y: i32, m: u32, d: u32) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| anyhow::anyhow!("bad demo date"))
}

/// Sets up the record unless one exists; whether it did.
pub async fn seed(conn: &mut AsyncPgConnection) -> anyhow::Result<bool> {
    if repo::find(conn, false).await?.is_some() {
        return Ok(false);
    }
    let now = Utc::now();
    let row = ClusterRow {
        id: crate::cluster::model::ID,
        legal_name: "Asociación Clúster Audiovisual de Madrid".into(),
        short_name: Some("Clúster Audiovisual de Madrid".into()),
        tax_id: make_cif('G', 8_765_432),
        street: Some("Calle de Alcalá, 45".into()),
        postal_code: Some("28014".into()),
        city: Some("Madrid".into()),
        province: Some("Madrid".into()),
        country_code: "ES".into(),
        website: Some("https://clusteraudiovisual.madrid".into()),
        sector_description: Some(
            "Industria audiovisual de la Comunidad de Madrid: cine, televisión, animación, \
             efectos visuales, videojuegos y servicios de producción."
                .into(),
        ),
        cnae_codes: [
            "59.11", "59.12", "59.13", "59.14", "59.15", "60.20", "58.21",
        ]
        .map(String::from)
        .to_vec(),
        aei_register_number: Some("AEI-2024-0187".into()),
        aei_registered_on: Some(date(2024, 3, 15)?),
        aei_expires_on: Some(date(2028, 3, 15)?),
        // Illustrative: the niche the cluster claims critical mass in (production services,
        // post-production, animation and VFX in the region), 480 M€ a year and 290 companies;
        // the demo members add up to about a third of the turnover and a tenth of them.
        sector_turnover_cents: Some(Cents(48_000_000_000)),
        sector_companies: Some(290),
        sector_source: Some(
            "Datos ilustrativos de la demo: servicios de producción, posproducción, animación \
             y VFX en la Comunidad de Madrid"
                .into(),
        ),
        sector_year: Some(2023),
        management_fte_hundredths: Some(250),
        services: [
            "Proyectos colaborativos de innovación entre socios",
            "Vigilancia tecnológica e inteligencia de mercado",
            "Internacionalización: misiones, ferias y festivales",
            "Formación y talento para la industria audiovisual",
            "Networking y encuentros B2B entre productoras y proveedores",
            "Búsqueda de financiación pública y apoyo en convocatorias",
        ]
        .map(String::from)
        .to_vec(),
        founded_on: Some(date(2019, 6, 12)?),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    repo::save(conn, &row).await?;
    Ok(true)
}

/// Publishes the demo's 2025 transparency year (its approved budget's year) unless it is
/// published; whether it did. The public feed then has a year to serve.
pub async fn seed_transparency(conn: &mut AsyncPgConnection) -> anyhow::Result<bool> {
    use crate::transparency::{model::PublicationRow, repo as publications};
    if publications::find(conn, 2025, false).await?.is_some() {
        return Ok(false);
    }
    let now = Utc::now();
    let row = PublicationRow {
        fiscal_year: 2025,
        id: uuid::Uuid::now_v7(),
        note: Some("Cuentas del ejercicio 2025 aprobadas por la Asamblea General.".into()),
        published_by: None,
        published_at: now,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    publications::insert(conn, &row).await?;
    Ok(true)
}
