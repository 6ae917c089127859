//! A call as the national subsidy database (Base de Datos Nacional de Subvenciones, BDNS)
//! exports it: the JSON of one convocatoria that its public API gives
//! (`https://www.infosubvenciones.es/bdnstrans/api/convocatorias?numConv=…`), field names as
//! it writes them, and what an import reads of it ([`read`], pure and unit-tested).
//!
//! **Read** (the call's field in brackets):
//! - `codigoBDNS` (or `numeroConvocatoria`, its name in the search results; both must agree)
//!   → `bdns_code`: the key the import matches an existing call by;
//! - `descripcion` → `title`;
//! - `organo.nivel1/2/3` → which funder publishes it (matched by name, most specific level
//!   first, when the request names no funder);
//! - `fechaInicioSolicitud` → `opens_at` (00:00 of that day, Madrid) and `fechaFinSolicitud` →
//!   `closes_at` (23:59:59 of that day, Madrid): the BDNS gives days, its times are always
//!   midnight. Accepted as `YYYY-MM-DD`, RFC 3339 (`2025-03-10T00:00:00+01:00`, the API's
//!   form, the day as written) or `DD/MM/YYYY`;
//! - `presupuestoTotal` → `total_budget_cents`: euros as a number (or a string, `.` or `,`
//!   before at most two decimals), converted exactly; 0 means "not published";
//! - `instrumentos[].descripcion` → `instruments`;
//! - `descripcionBasesReguladoras` → `regulatory_basis`; `urlBasesReguladoras` →
//!   `regulatory_basis_url` (when it is a web address: the BDNS often says "pendiente de
//!   publicación" there, which is kept out with a warning);
//! - `anuncios[]`: the earliest announcement in an official journal (`datPublicacion`) gives
//!   `journal_reference` (its `cve`, e.g. `BOE-B-2025-12345`, else `desDiarioOficial` and the
//!   date) and `journal_url` (its `url`, when it is a web address).
//!
//! **Ignored** (accepted, never stored): `id` (the BDNS's internal number), `fechaRecepcion`,
//! `abierto` (a call's status follows from its dates here), `sedeElectronica`,
//! `tipoConvocatoria`, `mrr`, `descripcionLeng`, `tiposBeneficiarios`, `sectores`,
//! `regiones`, `descripcionFinalidad`, `sePublicaDiarioOficial`, `textInicio`, `textFin`,
//! `ayudaEstado`, `urlAyudaEstado`, `fondos`, `reglamento`, `objetivos`, `sectoresProductos`,
//! `documentos`, `advertencia`, the other members of each announcement, and any field the
//! BDNS adds later: the format is someone else's, so unknown fields are accepted.
//!
//! A value that is absent or `null` in the file says nothing: an update keeps the call's.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    domain::{Cents, calendar, text},
    error::{FieldError, FieldErrors},
    members::model::check_website,
};

/// The granting body, in the BDNS's three levels (`nivel1` the administration, e.g.
/// `ESTADO`; `nivel2` the ministry or region; `nivel3` the directorate or body).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct BdnsOrgano {
    /// First level.
    #[schema(max_length = 300)]
    pub nivel1: Option<String>,
    /// Second level.
    #[schema(max_length = 300)]
    pub nivel2: Option<String>,
    /// Third level.
    #[schema(max_length = 300)]
    pub nivel3: Option<String>,
}

/// An aid instrument (`"SUBVENCIÓN Y ENTREGA DINERARIA SIN CONTRAPRESTACIÓN "`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct BdnsInstrumento {
    /// Its description.
    #[schema(max_length = 300)]
    pub descripcion: Option<String>,
}

/// An announcement of the call in an official journal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BdnsAnuncio {
    /// The journal's code of the announcement (`BOE-B-2025-12345`).
    #[schema(max_length = 300)]
    pub cve: Option<String>,
    /// The journal (`BOE`, `B.O.P. DE VALENCIA`).
    #[schema(max_length = 300)]
    pub des_diario_oficial: Option<String>,
    /// Publication date (`2025-03-12T00:00:00.000+01:00` or `2025-03-12`).
    #[schema(max_length = 40)]
    pub dat_publicacion: Option<String>,
    /// Where it is published.
    #[schema(max_length = 500)]
    pub url: Option<String>,
}

/// A BDNS convocatoria as its API exports it. Only the fields below are read; every other
/// field of the export is accepted and ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BdnsConvocatoria {
    /// The call's BDNS code (digits).
    #[serde(rename = "codigoBDNS")]
    #[schema(value_type = Option<String>, max_length = 10, example = "900123")]
    pub codigo_bdns: Option<Value>,
    /// The same code, as the BDNS search results name it.
    #[schema(value_type = Option<String>, max_length = 10)]
    pub numero_convocatoria: Option<Value>,
    /// The call's title.
    #[schema(max_length = 500)]
    pub descripcion: Option<String>,
    /// The granting body.
    pub organo: Option<BdnsOrgano>,
    /// First day of applications.
    #[schema(max_length = 40, example = "2025-03-13T00:00:00+01:00")]
    pub fecha_inicio_solicitud: Option<String>,
    /// Last day of applications.
    #[schema(max_length = 40, example = "2025-04-14T00:00:00+02:00")]
    pub fecha_fin_solicitud: Option<String>,
    /// The call's whole budget, euros.
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 10_000_000_000_000_i64)]
    pub presupuesto_total: Option<Value>,
    /// Aid instruments.
    #[schema(max_items = 10)]
    pub instrumentos: Option<Vec<BdnsInstrumento>>,
    /// The regulatory basis.
    #[schema(max_length = 2000)]
    pub descripcion_bases_reguladoras: Option<String>,
    /// Where the regulatory basis is published.
    #[schema(max_length = 500)]
    pub url_bases_reguladoras: Option<String>,
    /// Announcements in official journals.
    #[schema(max_items = 50)]
    pub anuncios: Option<Vec<BdnsAnuncio>>,
}

/// What an import takes from a convocatoria (`None`: the file says nothing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Read {
    /// The BDNS code.
    pub bdns_code: String,
    /// The title.
    pub title: Option<String>,
    /// The organ's names, most specific first.
    pub organo: Vec<String>,
    /// When applications open.
    pub opens_at: Option<DateTime<Utc>>,
    /// When applications close.
    pub closes_at: Option<DateTime<Utc>>,
    /// The total budget.
    pub total_budget_cents: Option<Cents>,
    /// The regulatory basis.
    pub regulatory_basis: Option<String>,
    /// Its address.
    pub regulatory_basis_url: Option<String>,
    /// The instruments (empty: none said).
    pub instruments: Vec<String>,
    /// The first announcement's reference.
    pub journal_reference: Option<String>,
    /// The first announcement's address.
    pub journal_url: Option<String>,
    /// Values left out, and why.
    pub warnings: Vec<FieldError>,
}

const PREFIX: &str = "convocatoria";

fn path(field: &str) -> String {
    format!("{PREFIX}.{field}")
}

/// A code as text: a string, or a whole number.
fn code_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        _ => None,
    }
}

/// The BDNS code: 1 to 10 digits (a call's `bdns_code`, however it is set).
pub fn check_code(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    if (1..=10).contains(&v.len()) && v.chars().all(|c| c.is_ascii_digit()) {
        Ok(v.to_owned())
    } else {
        Err("must be the BDNS code: 1 to 10 digits".into())
    }
}

/// A day as the BDNS writes it: `YYYY-MM-DD`, RFC 3339 (the day as written, in its own
/// offset) or `DD/MM/YYYY`, between 1990 and 2100.
pub fn parse_day(raw: &str) -> Result<NaiveDate, String> {
    let v = raw.trim();
    let day = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .or_else(|| DateTime::parse_from_rfc3339(v).ok().map(|t| t.date_naive()))
        .or_else(|| NaiveDate::parse_from_str(v, "%d/%m/%Y").ok())
        .ok_or_else(|| format!("`{v}` is not a date (YYYY-MM-DD, RFC 3339 or DD/MM/YYYY)"))?;
    if (1990..=2100).contains(&chrono::Datelike::year(&day)) {
        Ok(day)
    } else {
        Err(format!("{day} is outside 1990–2100"))
    }
}

/// A Madrid wall-clock time of a day as an instant (the earliest, on a repeated hour).
fn madrid(day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    calendar::ZONE
        .from_local_datetime(&day.and_time(time))
        .earliest()
        .map(|t| t.to_utc())
}

/// Euros with at most two decimals (`1234`, `1234.5`, `1234,56`) as exact cents.
fn parse_decimal_euros(raw: &str) -> Result<Cents, String> {
    let v = raw.trim().replace(',', ".");
    let (whole, fraction) = v.split_once('.').unwrap_or((&v, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !(fraction.is_empty() || digits(fraction)) {
        return Err(format!("`{raw}` is not an amount of euros"));
    }
    if fraction.len() > 2 {
        return Err(format!(
            "`{raw}` has more than two decimals: not to the cent"
        ));
    }
    let too_large = || format!("`{raw}` is above {}", Cents::MAX);
    let whole: i64 = whole.parse().map_err(|_| too_large())?;
    let cents: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
    let total = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .ok_or_else(too_large)?;
    if total > Cents::MAX.get() {
        return Err(too_large());
    }
    Ok(Cents(total))
}

/// An amount of euros as the BDNS writes it (a JSON number, or a string) in exact cents.
/// A number with a fraction arrives as the nearest double: its shortest decimal form (what
/// Rust prints) is the number as written for any amount to the cent below 10^13 euros.
pub fn parse_euros(v: &Value) -> Result<Cents, String> {
    match v {
        Value::Number(n) if n.is_f64() => parse_decimal_euros(&n.to_string()),
        Value::Number(n) => n.as_u64().map_or_else(
            || Err(format!("`{n}` is negative")),
            |u| parse_decimal_euros(&u.to_string()),
        ),
        Value::String(s) => parse_decimal_euros(s),
        _ => Err("must be an amount of euros".into()),
    }
}

/// Trimmed text with nothing in it as nothing.
fn given(v: Option<&String>) -> Option<&str> {
    v.map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// Reads a convocatoria: every problem with a value is recorded in `errors` (the import
/// then fails whole); a web address that is not one is left out with a warning.
pub fn read(c: &BdnsConvocatoria, errors: &mut FieldErrors) -> Read {
    let mut out = Read::default();
    let codes: Vec<(&str, &Value)> = [
        ("codigoBDNS", c.codigo_bdns.as_ref()),
        ("numeroConvocatoria", c.numero_convocatoria.as_ref()),
    ]
    .into_iter()
    .filter_map(|(name, v)| v.filter(|v| !v.is_null()).map(|v| (name, v)))
    .collect();
    let mut found: Vec<String> = Vec::new();
    for (name, v) in &codes {
        let checked = code_text(v)
            .ok_or_else(|| "must be the BDNS code: 1 to 10 digits".to_owned())
            .and_then(|t| check_code(&t));
        if let Some(code) = errors.check(&path(name), checked) {
            found.push(code);
        }
    }
    match found.as_slice() {
        [] if codes.is_empty() => errors.add(
            &path("codigoBDNS"),
            "required",
            "the call's BDNS code (`codigoBDNS` or `numeroConvocatoria`) is required",
        ),
        [a, b] if a != b => errors.add(
            &path("numeroConvocatoria"),
            "inconsistent",
            format!("`{b}` differs from `codigoBDNS` `{a}`"),
        ),
        _ => {}
    }
    out.bdns_code = found.into_iter().next().unwrap_or_default();
    out.title = given(c.descripcion.as_ref())
        .and_then(|t| errors.check(&path("descripcion"), text::name(t, 500)));
    if let Some(o) = &c.organo {
        out.organo = [&o.nivel3, &o.nivel2, &o.nivel1]
            .into_iter()
            .filter_map(|l| given(l.as_ref()).map(str::to_owned))
            .collect();
    }
    let mut day = |field: &str, raw: Option<&String>| {
        given(raw).and_then(|r| errors.check(&path(field), parse_day(r)))
    };
    let first = day("fechaInicioSolicitud", c.fecha_inicio_solicitud.as_ref());
    let last = day("fechaFinSolicitud", c.fecha_fin_solicitud.as_ref());
    if let (Some(f), Some(l)) = (first, last)
        && l < f
    {
        errors.add(
            &path("fechaFinSolicitud"),
            "before_start",
            "the last day of applications is before the first",
        );
    }
    out.opens_at = first.and_then(|d| madrid(d, NaiveTime::MIN));
    out.closes_at = last.and_then(|d| madrid(d, NaiveTime::from_hms_opt(23, 59, 59)?));
    if let Some(v) = c.presupuesto_total.as_ref().filter(|v| !v.is_null()) {
        out.total_budget_cents = errors
            .check(&path("presupuestoTotal"), parse_euros(v))
            .filter(|c| !c.is_zero());
    }
    for (i, inst) in c.instrumentos.iter().flatten().enumerate() {
        if let Some(d) = given(inst.descripcion.as_ref()) {
            let field = path(&format!("instrumentos[{i}].descripcion"));
            if let Some(d) = errors.check(&field, text::name(d, 300))
                && !out.instruments.contains(&d)
            {
                out.instruments.push(d);
            }
        }
    }
    out.regulatory_basis = given(c.descripcion_bases_reguladoras.as_ref())
        .and_then(|t| errors.check(&path("descripcionBasesReguladoras"), text::name(t, 2000)));
    out.regulatory_basis_url = web_address(
        &mut out.warnings,
        "urlBasesReguladoras",
        c.url_bases_reguladoras.as_ref(),
    );
    read_announcements(c, errors, &mut out);
    out
}

/// The address, or nothing with a warning when it is not a web address.
fn web_address(
    warnings: &mut Vec<FieldError>,
    field: &str,
    raw: Option<&String>,
) -> Option<String> {
    let raw = given(raw)?;
    match check_website(raw) {
        Ok(url) => Some(url),
        Err(_) => {
            warnings.push(FieldError::new(
                path(field),
                "ignored",
                format!("`{raw}` is not a web address: left out"),
            ));
            None
        }
    }
}

/// The earliest announcement's reference and address.
fn read_announcements(c: &BdnsConvocatoria, errors: &mut FieldErrors, out: &mut Read) {
    let mut earliest: Option<(NaiveDate, usize)> = None;
    let anuncios = c.anuncios.as_deref().unwrap_or_default();
    for (i, a) in anuncios.iter().enumerate() {
        let field = path(&format!("anuncios[{i}].datPublicacion"));
        let Some(day) =
            given(a.dat_publicacion.as_ref()).and_then(|d| errors.check(&field, parse_day(d)))
        else {
            continue;
        };
        if earliest.is_none_or(|(d, _)| day < d) {
            earliest = Some((day, i));
        }
    }
    let Some((day, i)) = earliest else {
        return;
    };
    let a = &anuncios[i];
    let reference = given(a.cve.as_ref())
        .map(str::to_owned)
        .or_else(|| given(a.des_diario_oficial.as_ref()).map(|j| format!("{j}, {day}")));
    out.journal_reference = reference
        .and_then(|r| errors.check(&path(&format!("anuncios[{i}].cve")), text::name(&r, 300)));
    out.journal_url = web_address(
        &mut out.warnings,
        &format!("anuncios[{i}].url"),
        a.url.as_ref(),
    );
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read_json(v: Value) -> (Read, FieldErrors) {
        let c: BdnsConvocatoria = serde_json::from_value(v).unwrap();
        let mut errors = FieldErrors::default();
        let r = read(&c, &mut errors);
        (r, errors)
    }

    #[test]
    fn euros_become_exact_cents() {
        assert_eq!(parse_euros(&json!(750000)), Ok(Cents(75_000_000)));
        assert_eq!(parse_euros(&json!(1234.56)), Ok(Cents(123_456)));
        assert_eq!(parse_euros(&json!(0.1)), Ok(Cents(10)));
        assert_eq!(
            parse_euros(&json!(9_999_999_999_999.99)),
            Ok(Cents(999_999_999_999_999))
        );
        assert_eq!(parse_euros(&json!("1234,5")), Ok(Cents(123_450)));
        assert!(parse_euros(&json!(1234.567)).is_err());
        assert!(parse_euros(&json!(-5)).is_err());
        assert!(parse_euros(&json!("12 euros")).is_err());
        assert!(parse_euros(&json!(true)).is_err());
        assert!(parse_euros(&json!(1e20)).is_err());
    }

    #[test]
    fn days_in_the_forms_the_bdns_writes() {
        let d = NaiveDate::from_ymd_opt(2024, 10, 31).unwrap();
        assert_eq!(parse_day("2024-10-31"), Ok(d));
        assert_eq!(parse_day("2024-10-31T00:00:00+01:00"), Ok(d));
        assert_eq!(parse_day("2024-10-31T00:00:00.000+01:00"), Ok(d));
        assert_eq!(parse_day("31/10/2024"), Ok(d));
        assert!(parse_day("31-10-2024").is_err());
        assert!(parse_day("2024-02-30").is_err());
        assert!(parse_day("1900-01-01").is_err());
    }

    #[test]
    fn a_convocatoria_is_read_and_unknown_fields_pass() {
        let (r, errors) = read_json(json!({
            "id": 1, "codigoBDNS": "900123", "numeroConvocatoria": 900123,
            "descripcion": " Ayudas AEI ", "organo": {"nivel1": "ESTADO", "nivel2": "MINISTERIO", "nivel3": null},
            "fechaInicioSolicitud": "2025-03-13T00:00:00+01:00", "fechaFinSolicitud": "2025-04-14",
            "presupuestoTotal": 7000000, "instrumentos": [{"descripcion": "SUBVENCIÓN "}, {"descripcion": "SUBVENCIÓN"}],
            "urlBasesReguladoras": "pendiente de publicación",
            "anuncios": [
                {"cve": "BOE-B-2025-2", "datPublicacion": "2025-03-20", "url": "https://www.boe.es/b"},
                {"cve": "BOE-B-2025-1", "desDiarioOficial": "BOE", "datPublicacion": "2025-03-12T00:00:00.000+01:00", "url": "https://www.boe.es/a"}
            ],
            "algoNuevo": {"x": [1, 2]}
        }));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(r.bdns_code, "900123");
        assert_eq!(r.title.as_deref(), Some("Ayudas AEI"));
        assert_eq!(r.organo, ["MINISTERIO", "ESTADO"]);
        assert_eq!(
            r.opens_at.unwrap().to_rfc3339(),
            "2025-03-12T23:00:00+00:00"
        );
        assert_eq!(
            r.closes_at.unwrap().to_rfc3339(),
            "2025-04-14T21:59:59+00:00"
        );
        assert_eq!(r.total_budget_cents, Some(Cents(700_000_000)));
        assert_eq!(r.instruments, ["SUBVENCIÓN"]);
        assert_eq!(r.journal_reference.as_deref(), Some("BOE-B-2025-1"));
        assert_eq!(r.journal_url.as_deref(), Some("https://www.boe.es/a"));
        assert_eq!(r.regulatory_basis_url, None);
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].field, "convocatoria.urlBasesReguladoras");
    }

    #[test]
    fn bad_values_are_all_reported() {
        let (_, errors) = read_json(json!({
            "codigoBDNS": "900123", "numeroConvocatoria": "900124",
            "fechaInicioSolicitud": "2025-04-15", "fechaFinSolicitud": "2025-04-14",
            "presupuestoTotal": "mucho", "anuncios": [{"datPublicacion": "ayer"}]
        }));
        let e = errors.finish().unwrap_err().problem(None).errors;
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "convocatoria.numeroConvocatoria",
                "convocatoria.fechaFinSolicitud",
                "convocatoria.presupuestoTotal",
                "convocatoria.anuncios[0].datPublicacion"
            ]
        );
        let (_, errors) = read_json(json!({"descripcion": "Sin código"}));
        assert!(!errors.is_empty());
    }
}
