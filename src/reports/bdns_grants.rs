//! `GET /api/v1/reports/bdns-grants?year=`: the grants the cluster received in a year, in the
//! shape of the national subsidy database's grant records (concesiones, as its public API
//! `https://www.infosubvenciones.es/bdnstrans/api/concesiones/busqueda` gives them), so
//! that they can be checked against, or reported to, the BDNS. JSON or CSV.
//!
//! A grant is an application that holds one (granted, partially granted, or later:
//! accepted, justification submitted, justified, closed; a renounced grant is not one) whose
//! decision (`decided_on`) falls in the year. Each record:
//!
//! - `codConcesion`: the application's id (the BDNS gives its own code when the granting
//!   body records the grant; agrupa does not know it);
//! - `numeroConvocatoria`, `convocatoria`: the call's BDNS code and title;
//! - `nivel1`, `nivel2`, `nivel3`: the granting body, as far as agrupa knows it: the kind of
//!   administration (`ESTATAL` a ministry, `AUTONOMICA` a regional government, `LOCAL` a
//!   city council, `OTROS` the EU and anything else), the funder's name, and nothing;
//! - `fechaConcesion`: the day of the decision;
//! - `beneficiario`: the cluster, as the BDNS writes a beneficiary: its tax id, a space, its
//!   legal name (from the cluster's record, which must be set up: 409 otherwise);
//! - `instrumento`: the call's first aid instrument, or the BDNS's description of a plain
//!   subsidy when the call has none;
//! - `importe`, `ayudaEquivalente`: the amount granted in euros, as the BDNS writes it (a
//!   JSON number with at most two decimals, written from the exact cents); for a subsidy the
//!   equivalent aid is the amount. The report's `total_cents` is their exact sum in cents.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use super::transparency::{YearQuery, check_year};
use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    domain::Cents,
    error::ApiError,
    funding::{model::FunderKind, repo::DecidedGrant},
    http::csv::CsvRow,
};

/// The BDNS's description of a plain subsidy, for a call that names no instrument.
pub const SUBSIDY: &str = "SUBVENCIÓN Y ENTREGA DINERARIA SIN CONTRAPRESTACIÓN";

/// Cents as euros with two decimals (`1234.50`), exactly, for CSV.
fn euros_text(c: Cents) -> String {
    let v = c.get();
    let sign = if v < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", (v / 100).abs(), (v % 100).abs())
}

/// Cents as a JSON number of euros. Every amount agrupa holds is below 2^53 cents, so the
/// nearest double to `cents / 100` prints as the exact two-decimal amount.
fn euros<S: Serializer>(c: &Cents, s: S) -> Result<S::Ok, S::Error> {
    // At most 10^15 cents: exact in a double.
    let cents = c.get() as f64;
    s.serialize_f64(cents / 100.0)
}

/// One grant as a BDNS concesión record (the BDNS's field names).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BdnsGrant {
    /// The grant's code: the application's id here.
    pub cod_concesion: String,
    /// The call's BDNS code.
    pub numero_convocatoria: Option<String>,
    /// The call's title.
    pub convocatoria: String,
    /// The kind of administration: `ESTATAL`, `AUTONOMICA`, `LOCAL` or `OTROS`.
    pub nivel1: String,
    /// The funder's name.
    pub nivel2: String,
    /// The granting body's third level (not known here: always `null`).
    pub nivel3: Option<String>,
    /// The day of the decision.
    pub fecha_concesion: NaiveDate,
    /// The beneficiary: tax id, a space, legal name.
    #[schema(example = "G12345674 Clúster Audiovisual de Madrid")]
    pub beneficiario: String,
    /// The aid instrument.
    #[schema(example = "SUBVENCIÓN Y ENTREGA DINERARIA SIN CONTRAPRESTACIÓN")]
    pub instrumento: String,
    /// The amount granted, euros (at most two decimals).
    #[serde(serialize_with = "euros")]
    #[schema(value_type = f64, example = 80000.5)]
    pub importe: Cents,
    /// The equivalent aid, euros (the amount, for a subsidy).
    #[serde(serialize_with = "euros")]
    #[schema(value_type = f64, example = 80000.5)]
    pub ayuda_equivalente: Cents,
}

impl CsvRow for BdnsGrant {
    fn header() -> &'static [&'static str] {
        &[
            "codConcesion",
            "numeroConvocatoria",
            "convocatoria",
            "nivel1",
            "nivel2",
            "nivel3",
            "fechaConcesion",
            "beneficiario",
            "instrumento",
            "importe",
            "ayudaEquivalente",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.cod_concesion.clone(),
            self.numero_convocatoria.clone().unwrap_or_default(),
            self.convocatoria.clone(),
            self.nivel1.clone(),
            self.nivel2.clone(),
            self.nivel3.clone().unwrap_or_default(),
            self.fecha_concesion.to_string(),
            self.beneficiario.clone(),
            self.instrumento.clone(),
            euros_text(self.importe),
            euros_text(self.ayuda_equivalente),
        ]
    }
}

/// The grants of a year as BDNS records.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BdnsGrants {
    /// The year of the decisions.
    pub year: i32,
    /// The beneficiary of every record (the cluster).
    pub beneficiary: String,
    /// The sum of the amounts granted, in cents (exact).
    pub total_cents: Cents,
    /// The grants, by decision day.
    pub items: Vec<BdnsGrant>,
}

/// The BDNS's first organ level for a funder's kind.
pub fn administration(kind: FunderKind) -> &'static str {
    match kind {
        FunderKind::Ministry => "ESTATAL",
        FunderKind::RegionalGovernment => "AUTONOMICA",
        FunderKind::CityCouncil => "LOCAL",
        FunderKind::Eu | FunderKind::Private | FunderKind::Other => "OTROS",
    }
}

/// One grant as a record (pure).
pub fn record(g: &DecidedGrant, beneficiary: &str) -> Option<BdnsGrant> {
    let amount = g.granted_cents?;
    Some(BdnsGrant {
        cod_concesion: g.application_id.to_string(),
        numero_convocatoria: g.bdns_code.clone(),
        convocatoria: g.call_title.clone(),
        nivel1: administration(g.funder_kind).to_owned(),
        nivel2: g.funder_name.clone(),
        nivel3: None,
        fecha_concesion: g.decided_on?,
        beneficiario: beneficiary.to_owned(),
        instrumento: g
            .instruments
            .first()
            .map_or(SUBSIDY, String::as_str)
            .to_owned(),
        importe: amount,
        ayuda_equivalente: amount,
    })
}

/// The grants of a year (staff, admins, auditors): 403 for others, 422 for a year out of
/// range, 409 `cluster_record_missing` until the cluster's record is set up. One read-only
/// transaction.
pub async fn grants(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    year: i32,
) -> Result<BdnsGrants, ApiError> {
    caller.require(Action::read(Resource::Reports))?;
    let year = check_year(year)?;
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(async |conn| {
            let cluster = crate::cluster::repo::find(conn, false)
                .await?
                .ok_or_else(|| {
                    ApiError::conflict(
                        "cluster_record_missing",
                        "The cluster's record is not set up (PUT /api/v1/cluster): it is the \
                     beneficiary of every grant.",
                    )
                })?;
            let beneficiary = format!("{} {}", cluster.tax_id, cluster.legal_name);
            let decided = crate::funding::repo::grants_decided_in(conn, year).await?;
            let items: Vec<BdnsGrant> = decided
                .iter()
                .filter_map(|g| record(g, &beneficiary))
                .collect();
            let total_cents =
                Cents::checked_sum(items.iter().map(|i| i.importe)).map_err(|_| {
                    ApiError::unprocessable(
                        "value_out_of_range",
                        "The year's grants add up to more than can be stored.",
                    )
                })?;
            Ok(BdnsGrants {
                year,
                beneficiary,
                total_cents,
                items,
            })
        })
        .await
}

/// The grants the cluster received in a year (decided in it), as the national subsidy
/// database's grant records (staff, admins, auditors). With `Accept: text/csv`, one row per
/// grant with the BDNS's column names.
#[utoipa::path(tag = "reports", params(YearQuery), responses(
    (status = 200, description = "The grants (or CSV).",
        content((BdnsGrants = "application/json"), (String = "text/csv"))),
    (status = 400, description = "`invalid_query`: `year` out of 2000–2100.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "`cluster_record_missing`: the cluster's record (the beneficiary) is not set up.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/api/v1/reports/bdns-grants")]
pub async fn bdns_grants_report(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<YearQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let year = query.into_inner().checked()?;
    let report = grants(&mut *state.conn().await?, &caller, year).await?;
    let filename = format!("bdns-grants-{year}.csv");
    Ok(super::respond(&req, &report, &filename, &report.items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euros_are_exact_in_json_and_csv() {
        for (cents, text) in [
            (Cents(12_345_678), "123456.78"),
            (Cents(10), "0.10"),
            (Cents(8_000_000), "80000.00"),
            (Cents(999_999_999_999_999), "9999999999999.99"),
        ] {
            assert_eq!(euros_text(cents), text);
            let mut out = Vec::new();
            euros(&cents, &mut serde_json::Serializer::new(&mut out)).unwrap();
            let written = String::from_utf8(out).unwrap();
            let expected = text.trim_end_matches('0').trim_end_matches('.');
            assert_eq!(written.trim_end_matches(".0"), expected, "{cents:?}");
        }
    }

    #[test]
    fn organ_levels_follow_the_funders_kind() {
        assert_eq!(administration(FunderKind::Ministry), "ESTATAL");
        assert_eq!(administration(FunderKind::RegionalGovernment), "AUTONOMICA");
        assert_eq!(administration(FunderKind::CityCouncil), "LOCAL");
        assert_eq!(administration(FunderKind::Eu), "OTROS");
    }
}
