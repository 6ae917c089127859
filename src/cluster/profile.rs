//! `GET`/`PUT /api/v1/cluster`: the cluster's own record. It is one record, not a
//! collection, so it is replaced whole with `PUT` (created by the first `PUT`); once it exists,
//! a change needs `If-Match` (428 without it), because every admin edits the same record.

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use chrono::{DateTime, Months, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    model::{ClusterRow, ID},
    repo,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::{Cents, TaxId, text},
    error::{ApiError, FieldErrors},
    http::{
        etag::{self, IfMatch, Precondition},
        json::Json,
    },
};

/// The audit log's name for the record (its id in the log is the nil UUID: there is one).
const RESOURCE: &str = "cluster";

/// The cluster's inscription in the Ministry's register of innovative business clusters
/// (Registro de Agrupaciones Empresariales Innovadoras, Orden IET/1444/2014).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AeiRegistration {
    /// The register's number for the cluster.
    #[schema(min_length = 1, max_length = 50, example = "AEI-MAD-0123")]
    pub register_number: String,
    /// Date of the inscription (or of its last renewal).
    pub registered_on: NaiveDate,
    /// When it expires: after `registered_on`, at most four years later.
    pub expires_on: NaiveDate,
}

/// The size of the sector the cluster claims critical mass against, with its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectorFigures {
    /// The sector's yearly turnover, in cents of euro (positive), when the source gives it.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub turnover_cents: Option<Cents>,
    /// The number of companies in the sector (positive), when the source gives it.
    #[schema(minimum = 1, maximum = 2_147_483_647)]
    pub companies: Option<i32>,
    /// Where the figures come from (a statistics office's table, a sector study).
    #[schema(min_length = 1, max_length = 300)]
    pub source: String,
    /// The year the figures describe.
    #[schema(minimum = 1900, maximum = 2200)]
    pub year: i32,
}

/// The cluster's record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Cluster {
    /// Legal name.
    #[schema(example = "Clúster Audiovisual de Madrid")]
    pub legal_name: String,
    /// Short name.
    pub short_name: Option<String>,
    /// Spanish tax id (CIF), normalised.
    #[schema(example = "G12345674")]
    pub tax_id: String,
    /// Street address.
    pub street: Option<String>,
    /// Postal code (five digits).
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Province.
    pub province: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[schema(example = "ES")]
    pub country_code: String,
    /// Website.
    pub website: Option<String>,
    /// The sector, in words.
    pub sector_description: Option<String>,
    /// CNAE-2009 codes of the sector (`59.11`, `60`).
    pub cnae_codes: Vec<String>,
    /// The AEI register inscription, when the cluster has one.
    pub aei_registration: Option<AeiRegistration>,
    /// The sector's size, when known.
    pub sector_figures: Option<SectorFigures>,
    /// Management staff in full-time equivalents (two decimals).
    #[schema(example = 2.5)]
    pub management_fte: Option<f64>,
    /// The services the cluster's management offers its members, in words, in the order the
    /// cluster presents them (the European profile lists them).
    pub services: Vec<String>,
    /// When the cluster was founded.
    pub founded_on: Option<NaiveDate>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<ClusterRow> for Cluster {
    fn from(r: ClusterRow) -> Self {
        let aei_registration = match (r.aei_register_number, r.aei_registered_on, r.aei_expires_on)
        {
            (Some(register_number), Some(registered_on), Some(expires_on)) => {
                Some(AeiRegistration {
                    register_number,
                    registered_on,
                    expires_on,
                })
            }
            _ => None,
        };
        let sector_figures = match (r.sector_source, r.sector_year) {
            (Some(source), Some(year)) => Some(SectorFigures {
                turnover_cents: r.sector_turnover_cents,
                companies: r.sector_companies,
                source,
                year,
            }),
            _ => None,
        };
        Self {
            legal_name: r.legal_name,
            short_name: r.short_name,
            tax_id: r.tax_id,
            street: r.street,
            postal_code: r.postal_code,
            city: r.city,
            province: r.province,
            country_code: r.country_code,
            website: r.website,
            sector_description: r.sector_description,
            cnae_codes: r.cnae_codes,
            aei_registration,
            sector_figures,
            management_fte: r.management_fte_hundredths.map(|h| f64::from(h) / 100.0),
            services: r.services,
            founded_on: r.founded_on,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The whole record, as `PUT` replaces it (fields left out are cleared).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterInput {
    /// Legal name (1–200 characters).
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Clúster Audiovisual de Madrid"
    )]
    pub legal_name: String,
    /// Short name (up to 100 characters).
    #[schema(max_length = 100)]
    pub short_name: Option<String>,
    /// Spanish tax id (CIF, NIF or NIE, with a valid control character).
    #[schema(min_length = 9, max_length = 20, example = "G12345674")]
    pub tax_id: String,
    /// Street address (up to 200 characters).
    #[schema(max_length = 200)]
    pub street: Option<String>,
    /// Postal code (five digits).
    #[schema(pattern = "^[0-9]{5}$", max_length = 5)]
    pub postal_code: Option<String>,
    /// City (up to 100 characters).
    #[schema(max_length = 100)]
    pub city: Option<String>,
    /// Province (up to 100 characters).
    #[schema(max_length = 100)]
    pub province: Option<String>,
    /// ISO 3166-1 alpha-2 country code (default `ES`).
    #[schema(pattern = "^[A-Z]{2}$", max_length = 2)]
    pub country_code: Option<String>,
    /// Website (`http://` or `https://`, up to 300 characters).
    #[schema(max_length = 300, pattern = "^https?://")]
    pub website: Option<String>,
    /// The sector, in words (up to 2,000 characters).
    #[schema(max_length = 2000)]
    pub sector_description: Option<String>,
    /// CNAE-2009 codes (up to 20, each a division `59`, group `59.1` or class `59.11`).
    #[schema(schema_with = cnae_schema)]
    pub cnae_codes: Option<Vec<String>>,
    /// The AEI register inscription.
    pub aei_registration: Option<AeiRegistration>,
    /// The sector's size.
    pub sector_figures: Option<SectorFigures>,
    /// Management staff in full-time equivalents (0–10,000, at most two decimals).
    #[schema(minimum = 0, maximum = 10000, multiple_of = 0.01)]
    pub management_fte: Option<f64>,
    /// The services the management offers the members (up to 30, each 1–200 characters on
    /// one line; repeated ones are kept once), in the order to present them.
    #[schema(schema_with = services_schema)]
    pub services: Option<Vec<String>>,
    /// When the cluster was founded (from 1800-01-01, not after today).
    pub founded_on: Option<NaiveDate>,
}

/// CNAE codes as the OpenAPI document describes them (what [`check_cnae`] accepts).
fn cnae_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, Type};
    let array = ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[0-9]{2}(\\.[0-9]{1,2})?$"))
                .max_length(Some(5)),
        )
        .max_items(Some(20))
        .build();
    crate::openapi::or_null(array)
}

/// Services as the OpenAPI document describes them (what [`check_services`] accepts).
fn services_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, Type};
    let array = ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(200)),
        )
        .max_items(Some(30))
        .build();
    crate::openapi::or_null(array)
}

fn check_services(services: &[String]) -> Result<Vec<String>, String> {
    if services.len() > 30 {
        return Err("at most 30 services".into());
    }
    let mut out: Vec<String> = Vec::with_capacity(services.len());
    for service in services {
        let service = text::name(service, 200).map_err(|e| format!("each service {e}"))?;
        if !out.contains(&service) {
            out.push(service);
        }
    }
    Ok(out)
}

fn check_founded(on: NaiveDate) -> Result<NaiveDate, String> {
    let first = NaiveDate::from_ymd_opt(1800, 1, 1).unwrap_or(NaiveDate::MIN);
    if on < first || on > crate::domain::calendar::today() {
        return Err("must be between 1800-01-01 and today".into());
    }
    Ok(on)
}

fn check_registration(r: &AeiRegistration) -> Result<(String, NaiveDate, NaiveDate), String> {
    let number = text::name(&r.register_number, 50)?;
    if r.expires_on <= r.registered_on {
        return Err("expires_on must be after registered_on".into());
    }
    let limit = r
        .registered_on
        .checked_add_months(Months::new(48))
        .ok_or("registered_on is out of range")?;
    if r.expires_on > limit {
        return Err(format!(
            "an inscription lasts at most four years: expires_on must be on or before {limit}"
        ));
    }
    Ok((number, r.registered_on, r.expires_on))
}

fn check_sector(s: &SectorFigures) -> Result<SectorFigures, String> {
    if let Some(t) = s.turnover_cents
        && !t.in_range(Cents(1))
    {
        return Err(format!("turnover_cents {}", Cents::range_message(Cents(1))));
    }
    if s.companies.is_some_and(|c| c <= 0) {
        return Err("companies must be positive".into());
    }
    if !(1900..=2200).contains(&s.year) {
        return Err("year must be between 1900 and 2200".into());
    }
    Ok(SectorFigures {
        source: text::name(&s.source, 300)?,
        ..s.clone()
    })
}

fn check_cnae(codes: &[String]) -> Result<Vec<String>, String> {
    if codes.len() > 20 {
        return Err("at most 20 codes".into());
    }
    let mut out: Vec<String> = Vec::with_capacity(codes.len());
    for code in codes {
        let code = code.trim();
        let (division, rest) = code
            .split_at_checked(2)
            .ok_or("codes look like 59 or 59.11")?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let ok = digits(division)
            && (rest.is_empty()
                || rest
                    .strip_prefix('.')
                    .is_some_and(|r| r.len() <= 2 && digits(r)));
        if !ok {
            return Err(format!("`{code}` is not a CNAE code (59, 59.1 or 59.11)"));
        }
        if !out.iter().any(|c| c == code) {
            out.push(code.to_owned());
        }
    }
    Ok(out)
}

fn check_fte(fte: f64) -> Result<i32, String> {
    let hundredths = fte * 100.0;
    if !fte.is_finite() || !(0.0..=10_000.0).contains(&fte) {
        return Err("must be between 0 and 10000".into());
    }
    if (hundredths - hundredths.round()).abs() > 1e-6 {
        return Err("at most two decimals".into());
    }
    #[expect(clippy::cast_possible_truncation, reason = "checked: 0..=1,000,000")]
    Ok(hundredths.round() as i32)
}

fn check_pattern(value: &str, len: usize, digits: bool) -> bool {
    value.len() == len
        && value.bytes().all(|b| {
            if digits {
                b.is_ascii_digit()
            } else {
                b.is_ascii_uppercase()
            }
        })
}

/// Validates the whole record into a row (version and timestamps set by the caller).
fn check(input: ClusterInput) -> Result<ClusterRow, ApiError> {
    let mut e = FieldErrors::default();
    let legal_name = e.check("legal_name", text::name(&input.legal_name, 200));
    let short_name = e
        .check(
            "short_name",
            text::optional_line(input.short_name.as_deref(), 100),
        )
        .flatten();
    let tax_id = e.check(
        "tax_id",
        TaxId::parse(&input.tax_id).map(|t| t.as_str().to_owned()),
    );
    let street = e
        .check("street", text::optional_line(input.street.as_deref(), 200))
        .flatten();
    let postal_code = match input.postal_code.as_deref().map(str::trim) {
        Some(p) if !check_pattern(p, 5, true) => {
            e.add("postal_code", "invalid", "must be five digits");
            None
        }
        p => p.map(str::to_owned),
    };
    let city = e
        .check("city", text::optional_line(input.city.as_deref(), 100))
        .flatten();
    let province = e
        .check(
            "province",
            text::optional_line(input.province.as_deref(), 100),
        )
        .flatten();
    let country_code = input.country_code.unwrap_or_else(|| "ES".into());
    if !check_pattern(&country_code, 2, false) {
        e.add(
            "country_code",
            "invalid",
            "must be an ISO 3166-1 alpha-2 code (ES)",
        );
    }
    let website = e
        .check(
            "website",
            text::optional_line(input.website.as_deref(), 300).and_then(|w| match w {
                Some(w)
                    if !(w.starts_with("https://") || w.starts_with("http://"))
                        || w.contains(char::is_whitespace) =>
                {
                    Err("must be an http:// or https:// address without spaces".into())
                }
                w => Ok(w),
            }),
        )
        .flatten();
    let sector_description = e
        .check(
            "sector_description",
            text::optional(input.sector_description.as_deref(), 2000),
        )
        .flatten();
    let cnae_codes = e
        .check(
            "cnae_codes",
            check_cnae(input.cnae_codes.as_deref().unwrap_or_default()),
        )
        .unwrap_or_default();
    let registration = input
        .aei_registration
        .as_ref()
        .and_then(|r| e.check("aei_registration", check_registration(r)));
    let sector = input
        .sector_figures
        .as_ref()
        .and_then(|s| e.check("sector_figures", check_sector(s)));
    let fte = input
        .management_fte
        .and_then(|f| e.check("management_fte", check_fte(f)));
    let services = e
        .check(
            "services",
            check_services(input.services.as_deref().unwrap_or_default()),
        )
        .unwrap_or_default();
    let founded_on = input
        .founded_on
        .and_then(|d| e.check("founded_on", check_founded(d)));
    let (legal_name, tax_id) = e.finish_with(legal_name.zip(tax_id))?;
    let now = Utc::now();
    Ok(ClusterRow {
        id: ID,
        legal_name,
        short_name,
        tax_id,
        street,
        postal_code,
        city,
        province,
        country_code,
        website,
        sector_description,
        cnae_codes,
        aei_register_number: registration.as_ref().map(|r| r.0.clone()),
        aei_registered_on: registration.as_ref().map(|r| r.1),
        aei_expires_on: registration.as_ref().map(|r| r.2),
        sector_turnover_cents: sector.as_ref().and_then(|s| s.turnover_cents),
        sector_companies: sector.as_ref().and_then(|s| s.companies),
        sector_source: sector.as_ref().map(|s| s.source.clone()),
        sector_year: sector.as_ref().map(|s| s.year),
        management_fte_hundredths: fte,
        services,
        founded_on,
        version: 1,
        created_at: now,
        updated_at: now,
    })
}

fn not_configured() -> ApiError {
    ApiError::not_found("The cluster's record has not been set up yet; an admin PUTs it.")
}

/// The record: 404 until an admin sets it up.
pub async fn get(conn: &mut AsyncPgConnection, caller: &Caller) -> Result<ClusterRow, ApiError> {
    caller.require(Action::read(Resource::Cluster))?;
    repo::find(conn, false).await?.ok_or_else(not_configured)
}

/// Sets up or replaces the record (admins): 403, 422; once it exists, 428 without
/// `If-Match` and 412 on a stale one; `If-Match` on a record that does not exist yet is 412.
/// Returns the row and whether it was created.
pub async fn put(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    precondition: Precondition,
    input: ClusterInput,
) -> Result<(ClusterRow, bool), ApiError> {
    caller.require(Action::write(Resource::Cluster))?;
    let mut row = check(input)?;
    conn.transaction(async |conn| {
        let Some(current) = repo::find(conn, true).await? else {
            precondition.check_absent()?;
            let saved = repo::save(conn, &row).await.map_err(|e| match e {
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                ) => ApiError::conflict(
                    "cluster_exists",
                    "The cluster's record was set up meanwhile; GET it and retry with If-Match.",
                ),
                other => other.into(),
            })?;
            audit::created(
                conn,
                caller,
                RESOURCE,
                Uuid::nil(),
                &Cluster::from(saved.clone()),
            )
            .await?;
            return Ok((saved, true));
        };
        precondition.check(current.version, IfMatch::Required)?;
        row.version = current.version + 1;
        row.created_at = current.created_at;
        let saved = repo::save(conn, &row).await?;
        let (before, after) = (Cluster::from(current), Cluster::from(saved.clone()));
        audit::updated(conn, caller, RESOURCE, Uuid::nil(), &before, &after).await?;
        Ok((saved, false))
    })
    .await
}

/// The cluster's record (everyone signed in).
#[utoipa::path(tag = "cluster", responses(
    (status = 200, description = "The record.", body = Cluster),
    (status = 304, description = "Not modified."),
    (status = 404, description = "Not set up yet.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/api/v1/cluster")]
pub async fn get_cluster(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let row = get(&mut *state.conn().await?, &caller).await?;
    Ok(etag::respond(&req, row.version, &Cluster::from(row)))
}

/// Sets up or replaces the cluster's record (admins). The first `PUT` creates it (201);
/// later ones replace it whole and need `If-Match` with the current `ETag` (428 without it).
#[utoipa::path(tag = "cluster", request_body = ClusterInput, params(
    ("If-Match" = Option<String>, Header, description = "ETag from a GET (required once the record exists)")),
    responses(
    (status = 200, description = "Replaced.", body = Cluster),
    (status = 201, description = "Created.", body = Cluster),
    (status = 412, description = "`If-Match` names another version, or the record does not exist yet.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 428, description = "The record exists and `If-Match` is missing.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "`cluster_exists`: set up by someone else meanwhile.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[put("/api/v1/cluster")]
pub async fn put_cluster(
    req: HttpRequest,
    caller: Caller,
    body: Json<ClusterInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let (row, created) = put(&mut conn, &caller, precondition, body.into_inner()).await?;
    let version = row.version;
    let body = Cluster::from(row);
    Ok(if created {
        etag::created("/api/v1/cluster".into(), version, &body)
    } else {
        etag::updated(version, &body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnae_codes_are_divisions_groups_or_classes() {
        let ok = check_cnae(&["59".into(), "59.1".into(), " 59.11 ".into(), "59".into()]);
        assert_eq!(ok.unwrap(), ["59", "59.1", "59.11"]);
        for bad in ["5", "591", "59.", "59.111", "AB", "59,11", "５９"] {
            assert!(check_cnae(&[bad.into()]).is_err(), "{bad}");
        }
        assert!(check_cnae(&vec!["59".into(); 21]).is_err());
    }

    #[test]
    fn an_inscription_lasts_at_most_four_years() {
        let on = |s: &str| s.parse::<NaiveDate>().unwrap();
        let reg = |from: &str, to: &str| AeiRegistration {
            register_number: "AEI-1".into(),
            registered_on: on(from),
            expires_on: on(to),
        };
        assert!(check_registration(&reg("2024-02-29", "2028-02-29")).is_ok());
        assert!(check_registration(&reg("2024-02-29", "2028-03-01")).is_err());
        assert!(check_registration(&reg("2024-03-15", "2024-03-15")).is_err());
        assert!(check_registration(&reg("2024-03-15", "2023-03-15")).is_err());
    }

    #[test]
    fn fte_has_two_decimals() {
        assert_eq!(check_fte(2.5), Ok(250));
        assert_eq!(check_fte(0.07), Ok(7));
        assert!(check_fte(2.505).is_err());
        assert!(check_fte(-1.0).is_err());
        assert!(check_fte(f64::NAN).is_err());
        assert!(check_fte(10_000.01).is_err());
    }
}
