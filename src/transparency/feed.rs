//! `/public/v1/transparency/...`: the public, unauthenticated, read-only transparency feed
//! (Ley 19/2013, art. 8, for the entities of art. 3.b), served only for published years
//! (404 otherwise, as for a year that does not exist). JSON, and CSV per section; every
//! answer carries a strong `ETag` (a hash of its bytes, so it changes whenever the data
//! does), `Cache-Control: public, max-age=300` and `Vary: Accept`, and a matching
//! `If-None-Match` gets 304. Rate limits apply as on `/api/` (per client address).
//!
//! **What leaves, and what never does.** Public: the cluster's legal name, tax id and
//! website (a legal person's identity); agreements with public administrations (parties,
//! object, reference, term, amounts, economic obligations, how often and when last
//! modified); the aid of the year from public administrations (grantor, purpose, amount);
//! the adopted budget's lines with their execution; the governing bodies, and the seats of
//! boards and committees by **organisation and position**. Never: a person's name (the
//! natural person holding a seat), e-mail or phone; members' contacts, figures or
//! turnover; application summaries, documents or internal notes; private funders' money;
//! internal ids of people. Each item is built field by field from its source, never by
//! serialising a row, so a new column cannot leak by accident.

use std::collections::HashMap;

use actix_web::{
    HttpRequest, HttpResponse, get,
    http::header::{self, HeaderValue},
    web,
};
use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{document::*, repo};
use crate::{
    AppState,
    budgets::model::LineKind,
    domain::{Cents, calendar},
    error::{ApiError, not_found},
    funding::repo::AidSource,
    governance::model::Position,
    http::csv::{self, CsvRow, write_record},
    reports::transparency::is_public,
};

/// How long shared caches and browsers may keep an answer, in seconds.
pub const MAX_AGE_SECS: u32 = 300;

async fn agreements(
    conn: &mut AsyncPgConnection,
    year: i32,
    entity: &str,
) -> Result<Vec<PublicAgreement>, ApiError> {
    let rows = crate::funding::repo::agreements_of_year(conn, year).await?;
    Ok(rows
        .into_iter()
        .filter(|a| is_public(a.funder_kind))
        .map(|a| PublicAgreement {
            parties: vec![entity.to_owned(), a.funder_name],
            administration_kind: a.funder_kind,
            object: a.agreement.title,
            reference: a.agreement.reference,
            starts_on: a.agreement.starts_on,
            ends_on: a.agreement.ends_on,
            total_cents: a.agreement.total_cents,
            year_cents: a.year_cents,
            economic_obligations: a.agreement.obligations,
            modifications: (a.agreement.version - 1).max(0),
            last_modified_on: calendar::local(a.agreement.updated_at).date_naive(),
        })
        .collect())
}

async fn subsidies(
    conn: &mut AsyncPgConnection,
    year: i32,
) -> Result<Vec<PublicSubsidy>, ApiError> {
    let aid = crate::funding::repo::aid_of_year(conn, year).await?;
    Ok(aid
        .into_iter()
        .filter(|a| is_public(a.funder_kind))
        .map(|a| PublicSubsidy {
            grantor: a.funder_name,
            grantor_kind: a.funder_kind,
            instrument: match a.source {
                AidSource::Grant(_) => "grant".into(),
                AidSource::Agreement(_) => "agreement".into(),
            },
            purpose: a.title,
            amount_cents: a.amount_cents,
        })
        .collect())
}

async fn budget(conn: &mut AsyncPgConnection, year: i32) -> Result<Option<PublicBudget>, ApiError> {
    let Some(b) = crate::budgets::repo::adopted_of_year(conn, year).await? else {
        return Ok(None);
    };
    let lines = crate::budgets::repo::all_lines(conn, b.id).await?;
    let keys: Vec<_> = lines.iter().map(|l| l.line_key).collect();
    let totals: HashMap<_, _> = crate::budgets::repo::totals(conn, year, &keys)
        .await?
        .into_iter()
        .map(|t| (t.line_key, t))
        .collect();
    let lines: Vec<PublicBudgetLine> = lines
        .into_iter()
        .map(|l| {
            let t = totals.get(&l.line_key).copied().unwrap_or_default();
            PublicBudgetLine {
                code: l.code,
                kind: l.kind,
                description: l.description,
                planned_cents: l.planned_cents,
                committed_cents: t.committed_cents,
                actual_cents: t.actual_cents,
            }
        })
        .collect();
    let total = |kind: LineKind, f: fn(&PublicBudgetLine) -> Cents| {
        Cents::checked_sum(lines.iter().filter(|l| l.kind == kind).map(f)).map_err(|_| {
            ApiError::unprocessable(
                "value_out_of_range",
                "A total of this budget would go past what can be stored.",
            )
        })
    };
    Ok(Some(PublicBudget {
        title: b.title,
        version_number: b.version_number,
        approved_on: b.approved_on,
        planned_income_cents: total(LineKind::Income, |l| l.planned_cents)?,
        planned_expense_cents: total(LineKind::Expense, |l| l.planned_cents)?,
        actual_income_cents: total(LineKind::Income, |l| l.actual_cents)?,
        actual_expense_cents: total(LineKind::Expense, |l| l.actual_cents)?,
        lines,
    }))
}

/// The day the composition is given for.
fn composition_day(year: i32) -> NaiveDate {
    let today = calendar::today();
    NaiveDate::from_ymd_opt(year, 12, 31)
        .filter(|d| *d < today)
        .unwrap_or(today)
}

async fn bodies(conn: &mut AsyncPgConnection, on: NaiveDate) -> Result<Vec<PublicBody>, ApiError> {
    // The seats and their holders' names come with the composition (read once for both).
    let composition = crate::governance::composition::on(conn, on).await?;
    let rank = |p: Position| Position::ALL.iter().position(|x| *x == p);
    Ok(composition
        .into_iter()
        .map(|body| {
            let mut seats: Vec<PublicSeat> = body
                .seats
                .into_iter()
                .map(|s| PublicSeat {
                    body: body.name.clone(),
                    organisation: s.organisation,
                    position: s.position,
                })
                .collect();
            seats.sort_by(|a, b| {
                (rank(a.position), &a.organisation).cmp(&(rank(b.position), &b.organisation))
            });
            PublicBody {
                name: body.name,
                kind: body.kind,
                voting_organisations: body.voters,
                seats,
            }
        })
        .collect())
}

/// The published document of a year: 404 when the year is not published. Read in one
/// REPEATABLE READ, READ ONLY snapshot.
pub async fn document(
    conn: &mut AsyncPgConnection,
    year: i32,
) -> Result<TransparencyDocument, ApiError> {
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(async |conn| {
            let publication = repo::find(conn, year, false).await?.ok_or_else(not_found)?;
            let cluster = crate::cluster::repo::find(conn, false).await?;
            let entity = cluster.map(|c| PublicEntity {
                legal_name: c.legal_name,
                tax_id: c.tax_id,
                website: c.website,
            });
            let name = entity
                .as_ref()
                .map_or_else(String::new, |e| e.legal_name.clone());
            let agreements = agreements(conn, year, &name).await?;
            let subsidies = subsidies(conn, year).await?;
            let public_aid_cents = Cents::checked_sum(subsidies.iter().map(|s| s.amount_cents))
                .map_err(|_| {
                    ApiError::unprocessable(
                        "value_out_of_range",
                        "A total of this year's aid would go past what can be stored.",
                    )
                })?;
            let budget = budget(conn, year).await?;
            let composition_on = composition_day(year);
            let governing_bodies = bodies(conn, composition_on).await?;
            Ok(TransparencyDocument {
                fiscal_year: year,
                published_at: publication.published_at,
                note: publication.note,
                entity,
                public_aid_cents,
                agreements,
                subsidies,
                budget,
                governing_bodies,
                composition_on,
            })
        })
        .await
}

/// A strong ETag over the bytes of an answer.
fn content_tag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// 200 with the bytes, or 304 when `If-None-Match` names them; public caching headers.
fn cached(req: &HttpRequest, content_type: &str, bytes: Vec<u8>) -> HttpResponse {
    let tag = content_tag(&bytes);
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == tag)
        });
    let mut res = if matches {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok().content_type(content_type).body(bytes)
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={MAX_AGE_SECS}")) {
        h.insert(header::CACHE_CONTROL, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    res
}

fn json_answer<T: Serialize>(req: &HttpRequest, body: &T) -> Result<HttpResponse, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    Ok(cached(req, "application/json", bytes))
}

fn section_answer<T: Serialize + CsvRow>(
    req: &HttpRequest,
    year: i32,
    name: &str,
    items: Vec<T>,
) -> Result<HttpResponse, ApiError> {
    if csv::wants_csv(req) {
        let mut buf = String::from("\u{feff}");
        write_record(&mut buf, T::header());
        for row in &items {
            write_record(&mut buf, &row.cells());
        }
        let mut res = cached(req, "text/csv; charset=utf-8", buf.into_bytes());
        if let Ok(v) = HeaderValue::from_str(&format!(
            "attachment; filename=\"transparency-{year}-{name}.csv\""
        )) {
            res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok(res);
    }
    json_answer(
        req,
        &Section {
            items,
            next_cursor: None,
        },
    )
}

/// The published fiscal years, newest first (anyone, no token).
#[utoipa::path(tag = "transparency", security(()), responses(
    (status = 200, description = "The published years.", body = Section<PublishedYear>,
        headers(("ETag" = String, description = "Tag of this answer"),
            ("Cache-Control" = String, description = "public, max-age=300"))),
    (status = 304, description = "Not modified since the tag in `If-None-Match`.")))]
#[get("/public/v1/transparency")]
pub async fn list_public_transparency_years(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let rows = repo::list(&mut *state.conn().await?, None, 101).await?;
    let items: Vec<PublishedYear> = rows
        .into_iter()
        .map(|r| PublishedYear {
            fiscal_year: r.fiscal_year,
            published_at: r.published_at,
            href: format!("/public/v1/transparency/{}", r.fiscal_year),
        })
        .collect();
    json_answer(
        &req,
        &Section {
            items,
            next_cursor: None,
        },
    )
}

/// Everything published for a fiscal year (anyone, no token): 404 unless the year is
/// published. With `Accept: text/html`, a plain page a cluster can link from its website.
#[utoipa::path(tag = "transparency", security(()),
    params(("year" = i32, Path, description = "Fiscal year")),
    responses(
    (status = 200, description = "The year's transparency document (or an HTML page).",
        content((TransparencyDocument = "application/json"), (String = "text/html")),
        headers(("ETag" = String, description = "Tag of this answer"),
            ("Cache-Control" = String, description = "public, max-age=300"))),
    (status = 304, description = "Not modified since the tag in `If-None-Match`.")))]
#[get("/public/v1/transparency/{year}")]
pub async fn get_public_transparency(
    req: HttpRequest,
    year: web::Path<i32>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let doc = document(&mut *state.conn().await?, year.into_inner()).await?;
    if csv::accepts(&req, "text/html") {
        let mut res = cached(
            &req,
            "text/html; charset=utf-8",
            super::html::render(&doc).into_bytes(),
        );
        // The page's own style, by hash; the security headers keep a policy a handler set.
        if let Ok(v) = HeaderValue::from_str(&super::html::CSP) {
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
        return Ok(res);
    }
    json_answer(&req, &doc)
}

/// Agreements with public administrations in force during a published year (anyone, no
/// token), or CSV.
#[utoipa::path(tag = "transparency", security(()),
    params(("year" = i32, Path, description = "Fiscal year")),
    responses(
    (status = 200, description = "The agreements (or CSV).",
        content((Section<PublicAgreement> = "application/json"), (String = "text/csv"))),
    (status = 304, description = "Not modified.")))]
#[get("/public/v1/transparency/{year}/agreements")]
pub async fn get_public_transparency_agreements(
    req: HttpRequest,
    year: web::Path<i32>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let year = year.into_inner();
    let doc = document(&mut *state.conn().await?, year).await?;
    section_answer(&req, year, "agreements", doc.agreements)
}

/// Subsidies and aid received from public administrations in a published year (anyone, no
/// token), or CSV.
#[utoipa::path(tag = "transparency", security(()),
    params(("year" = i32, Path, description = "Fiscal year")),
    responses(
    (status = 200, description = "The subsidies (or CSV).",
        content((Section<PublicSubsidy> = "application/json"), (String = "text/csv"))),
    (status = 304, description = "Not modified.")))]
#[get("/public/v1/transparency/{year}/subsidies")]
pub async fn get_public_transparency_subsidies(
    req: HttpRequest,
    year: web::Path<i32>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let year = year.into_inner();
    let doc = document(&mut *state.conn().await?, year).await?;
    section_answer(&req, year, "subsidies", doc.subsidies)
}

/// The adopted budget's lines and their execution in a published year (anyone, no token),
/// or CSV. No lines when the year has no adopted budget.
#[utoipa::path(tag = "transparency", security(()),
    params(("year" = i32, Path, description = "Fiscal year")),
    responses(
    (status = 200, description = "The budget lines (or CSV).",
        content((Section<PublicBudgetLine> = "application/json"), (String = "text/csv"))),
    (status = 304, description = "Not modified.")))]
#[get("/public/v1/transparency/{year}/budget")]
pub async fn get_public_transparency_budget(
    req: HttpRequest,
    year: web::Path<i32>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let year = year.into_inner();
    let doc = document(&mut *state.conn().await?, year).await?;
    let lines = doc.budget.map(|b| b.lines).unwrap_or_default();
    section_answer(&req, year, "budget", lines)
}

/// The seats of the governing bodies (boards and committees) of a published year, by
/// organisation and position (anyone, no token), or CSV.
#[utoipa::path(tag = "transparency", security(()),
    params(("year" = i32, Path, description = "Fiscal year")),
    responses(
    (status = 200, description = "The seats (or CSV).",
        content((Section<PublicSeat> = "application/json"), (String = "text/csv"))),
    (status = 304, description = "Not modified.")))]
#[get("/public/v1/transparency/{year}/governing-bodies")]
pub async fn get_public_transparency_governing_bodies(
    req: HttpRequest,
    year: web::Path<i32>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let year = year.into_inner();
    let doc = document(&mut *state.conn().await?, year).await?;
    let seats = doc
        .governing_bodies
        .into_iter()
        .flat_map(|b| b.seats)
        .collect();
    section_answer(&req, year, "governing-bodies", seats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_composition_is_of_the_last_day_of_a_past_year() {
        assert_eq!(
            composition_day(2020),
            NaiveDate::from_ymd_opt(2020, 12, 31).unwrap()
        );
        assert_eq!(composition_day(2999), calendar::today());
    }
}
