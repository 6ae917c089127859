//! Certificates of a resolution: issued by the secretary with the president's approval
//! (visto bueno), both read from the seats held on the day of issue (the meeting's body's,
//! else the Board's: the Assembly has no seats of its own). A certificate issued before the
//! minutes are approved says so (`minutes_pending`, and its text), as Ley 40/2015 art. 19.5
//! has it. Its content is generated once and frozen with its SHA-256; a trigger refuses any
//! change.
//!
//! Staff and admins issue; whoever sees the meeting reads them.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    dissents::context,
    minutes::sha256_hex,
    model::{
        AgendaItemRow, BodyRow, CertificateRow, MeetingKind, MeetingRow, MeetingStatus,
        MinutesStatus, Position, ResolutionRow, SeatRow,
    },
    repo,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::{CertificateId, ResolutionId, SeatId, calendar, text},
    error::{ApiError, FieldErrors},
    http::{
        csv::CsvRow,
        etag,
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
        pdf,
    },
};

/// Who signed: the seat and the person holding it that day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Signatory {
    /// The seat.
    pub seat_id: SeatId,
    /// The person holding it.
    pub person_name: String,
}

/// A certificate of a resolution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Certificate {
    /// Id.
    pub id: CertificateId,
    /// The resolution certified.
    pub resolution_id: ResolutionId,
    /// The day of issue.
    pub issued_on: NaiveDate,
    /// The secretary who issues it.
    pub secretary: Signatory,
    /// The president who approves it (visto bueno).
    pub president: Signatory,
    /// Issued before the minutes were approved: the certificate says so.
    pub minutes_pending: bool,
    /// What it was issued for.
    pub purpose: Option<String>,
    /// The certificate: the meeting, the item, the tallies and its text, frozen at issue.
    pub content: serde_json::Value,
    /// SHA-256 (hex) of the content's UTF-8 JSON text.
    pub content_sha256: String,
    /// When issued.
    pub created_at: DateTime<Utc>,
}

impl From<CertificateRow> for Certificate {
    fn from(r: CertificateRow) -> Self {
        // The content is the JSON text written at issue; a text that were not JSON (never
        // written by this module) is answered as a string rather than failing the read.
        let content = serde_json::from_str(&r.content)
            .unwrap_or_else(|_| serde_json::Value::String(r.content.clone()));
        Self {
            id: r.id,
            resolution_id: r.resolution_id,
            issued_on: r.issued_on,
            secretary: Signatory {
                seat_id: r.secretary_seat_id,
                person_name: r.secretary_name,
            },
            president: Signatory {
                seat_id: r.president_seat_id,
                person_name: r.president_name,
            },
            minutes_pending: r.minutes_pending,
            purpose: r.purpose,
            content,
            content_sha256: r.content_sha256,
            created_at: r.created_at,
        }
    }
}

impl CsvRow for CertificateRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "issued_on",
            "secretary_name",
            "president_name",
            "minutes_pending",
            "content_sha256",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.issued_on.to_string(),
            self.secretary_name.clone(),
            self.president_name.clone(),
            self.minutes_pending.to_string(),
            self.content_sha256.clone(),
        ]
    }
}

/// A certificate to issue (staff, admins).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCertificate {
    /// What it is issued for (stated in its text), up to 500 characters.
    #[schema(
        max_length = 500,
        example = "su presentación ante la Agencia Estatal de Investigación"
    )]
    pub purpose: Option<String>,
}

/// A resolution's certificates, oldest first (JSON, or CSV with `Accept: text/csv`).
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Resolution id"), PageQuery),
    responses((status = 200, description = "A page of certificates (or CSV).",
        content((Page<Certificate> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/resolutions/{id}/certificates")]
pub async fn list_certificates(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<ResolutionId>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    context(&mut *state.conn().await?, &caller, id).await?;
    let list = List {
        resource: "certificates",
        sort: "created_at",
        filename: "certificates.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::list_certificates(conn, id, after, n).await?),
        |c: &CertificateRow| (c.created_at, c.id),
        Certificate::from,
    )
    .await
}

/// Issues a certificate of an adopted resolution (staff, admins).
///
/// Signed by the secretary, with the president's approval, holding their seats today (the
/// meeting's body's, else the Board's); marked pending while the minutes are not approved.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Resolution id")),
    request_body = NewCertificate, responses(
    (status = 201, description = "Issued.", body = Certificate),
    (status = 409, description = "`resolution_not_adopted`.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "`no_secretary`, `no_president` (nobody holds the seat today), a too long purpose.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/resolutions/{id}/certificates")]
pub async fn create_certificate(
    caller: Caller,
    id: web::Path<ResolutionId>,
    body: Json<NewCertificate>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = issue(&mut conn, &caller, id, body.into_inner(), calendar::today()).await?;
    Ok(etag::created(
        format!("/api/v1/resolutions/{id}/certificates/{}", row.id),
        1,
        &Certificate::from(row),
    ))
}

/// One certificate.
///
/// JSON, or the printable certificate (Spanish, A4) with `Accept: application/pdf`, marked
/// "pendiente de aprobación del acta" when issued before the minutes were approved.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Resolution id"),
    ("certificate_id" = Uuid, Path, description = "Certificate id")), responses(
    (status = 200, description = "The certificate (or its PDF).",
        content((Certificate = "application/json"), (crate::http::pdf::PdfFile = "application/pdf"))),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/resolutions/{id}/certificates/{certificate_id}")]
pub async fn get_certificate(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<(ResolutionId, CertificateId)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (id, certificate) = path.into_inner();
    let mut conn = state.conn().await?;
    context(&mut conn, &caller, id).await?;
    let row = repo::find_certificate(&mut conn, id, certificate).await?;
    let certificate = Certificate::from(row);
    if pdf::wanted(&req) {
        let issuer = pdf::issuer(conn).await?;
        let file = super::pdf::certificate(&state.pdf, &issuer, &certificate).await?;
        return Ok(pdf::respond("certificado.pdf", file));
    }
    Ok(pdf::vary(etag::respond(&req, 1, &certificate)))
}

/// The seat holding `position` on `on`: the body's, else a board's.
async fn signatory(
    conn: &mut AsyncPgConnection,
    body: &BodyRow,
    position: Position,
    on: NaiveDate,
) -> Result<SeatRow, ApiError> {
    let mut bodies = vec![body.id];
    bodies.extend(repo::boards(conn).await?);
    repo::seat_holding(conn, &bodies, position, on)
        .await?
        .ok_or_else(|| {
            FieldErrors::one(
                "issued_on",
                &format!("no_{position}"),
                format!(
                    "nobody holds the {position}'s seat of {} or a board on {on}",
                    body.name
                ),
            )
        })
}

fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The certificate's text, in Spanish as the book of minutes is kept.
fn wording(c: &Certified<'_>) -> String {
    let m = c.meeting;
    let kind = match m.kind {
        MeetingKind::Ordinary => "ordinaria",
        MeetingKind::Extraordinary => "extraordinaria",
    };
    let call = match m.status {
        MeetingStatus::ConstitutedSecond => "en segunda convocatoria",
        _ => "en primera convocatoria",
    };
    let place = m
        .place
        .as_deref()
        .map(|p| format!(" en {p}"))
        .unwrap_or_default();
    let r = c.resolution;
    let minutes = match c.minutes_approved_on {
        Some(d) => format!("El acta de la reunión fue aprobada el {}.", date(d)),
        None => "Se expide antes de la aprobación del acta de la reunión, sin perjuicio de su \
                 ulterior aprobación."
            .to_owned(),
    };
    let purpose = c
        .purpose
        .map(|p| format!(", a efectos de {p},"))
        .unwrap_or_default();
    format!(
        "{secretary}, secretario/a, CERTIFICA: Que en la reunión {kind} de {body} celebrada el \
         {held}{place}, válidamente constituida {call}, se trató el punto {position} del orden \
         del día, «{title}», y se adoptó el acuerdo con {yes} votos a favor, {no} en contra y \
         {abstain} abstenciones (mayoría aplicada: {rule}). {minutes} Y para que conste{purpose} \
         expide el presente certificado con el visto bueno de {president}, presidente/a, el {on}.",
        secretary = c.secretary.person_name,
        body = c.body.name,
        held = date(calendar::date_of(m.first_call_at)),
        position = c.item.position,
        title = c.item.title,
        yes = r.yes_weight,
        no = r.no_weight,
        abstain = r.abstain_weight,
        rule = r.majority_rule,
        president = c.president.person_name,
        on = date(c.on),
    )
}

/// What a certificate states.
#[expect(missing_docs, reason = "each field is what the certificate names")]
pub struct Certified<'a> {
    pub body: &'a BodyRow,
    pub meeting: &'a MeetingRow,
    pub item: &'a AgendaItemRow,
    pub resolution: &'a ResolutionRow,
    pub secretary: &'a SeatRow,
    pub president: &'a SeatRow,
    /// When the minutes were approved; `None`: pending.
    pub minutes_approved_on: Option<NaiveDate>,
    pub purpose: Option<&'a str>,
    /// The day of issue.
    pub on: NaiveDate,
}

impl Certified<'_> {
    /// The certificate's row: its content generated and hashed.
    pub fn row(&self, issued_by: Option<uuid::Uuid>) -> Result<CertificateRow, ApiError> {
        let (body, meeting, item, resolution) =
            (self.body, self.meeting, self.item, self.resolution);
        let (secretary, president) = (self.secretary, self.president);
        let content = serde_json::json!({
            "title": "Certificado de acuerdo",
            "body": {"id": body.id, "name": body.name},
            "meeting": {"id": meeting.id, "kind": meeting.kind, "first_call_at": meeting.first_call_at,
                "place": meeting.place, "status": meeting.status},
            "item": {"id": item.id, "position": item.position, "title": item.title},
            "resolution": {"id": resolution.id, "adopted": resolution.adopted,
                "yes": resolution.yes_weight, "no": resolution.no_weight,
                "abstain": resolution.abstain_weight, "majority_rule": resolution.majority_rule,
                "adopted_at": resolution.adopted_at},
            "secretary": {"seat_id": secretary.id, "person_name": secretary.person_name},
            "president": {"seat_id": president.id, "person_name": president.person_name},
            "minutes_pending": self.minutes_approved_on.is_none(),
            "issued_on": self.on,
            "text": wording(self),
        });
        let text = serde_json::to_string(&content).map_err(ApiError::internal)?;
        Ok(CertificateRow {
            id: CertificateId::new(),
            resolution_id: resolution.id,
            issued_on: self.on,
            secretary_seat_id: secretary.id,
            secretary_name: secretary.person_name.clone(),
            president_seat_id: president.id,
            president_name: president.person_name.clone(),
            minutes_pending: self.minutes_approved_on.is_none(),
            purpose: self.purpose.map(str::to_owned),
            content_sha256: sha256_hex(&text),
            content: text,
            issued_by,
            created_at: Utc::now(),
        })
    }
}

/// Issues a certificate on `on` (staff, admins): 403, 404, 409 `resolution_not_adopted`,
/// 422 `no_secretary`, `no_president`.
pub async fn issue(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ResolutionId,
    input: NewCertificate,
    on: NaiveDate,
) -> Result<CertificateRow, ApiError> {
    caller.require(Action::write(Resource::Governance))?;
    let purpose = text::optional(input.purpose.as_deref(), 500)
        .map_err(|m| FieldErrors::one("purpose", "invalid", m))?;
    conn.transaction(async |conn| {
        let (resolution, item, meeting) = context(conn, caller, id).await?;
        if !resolution.adopted {
            return Err(ApiError::conflict(
                "resolution_not_adopted",
                "The resolution was rejected: only adopted resolutions are certified.",
            ));
        }
        let body = repo::find_body(conn, meeting.body_id, false).await?;
        let secretary = signatory(conn, &body, Position::Secretary, on).await?;
        let president = signatory(conn, &body, Position::President, on).await?;
        let minutes = repo::find_minutes(conn, meeting.id, false).await?;
        let minutes_approved_on = minutes
            .filter(|m| m.status == MinutesStatus::Approved)
            .and_then(|m| m.approved_at)
            .map(calendar::date_of);
        let row = Certified {
            body: &body,
            meeting: &meeting,
            item: &item,
            resolution: &resolution,
            secretary: &secretary,
            president: &president,
            minutes_approved_on,
            purpose: purpose.as_deref(),
            on,
        }
        .row(caller.user_id())?;
        let row = repo::insert_certificate(conn, &row).await?;
        let after = serde_json::json!({"resolution_id": row.resolution_id,
            "minutes_pending": row.minutes_pending, "content_sha256": row.content_sha256});
        audit::created(conn, caller, "certificate", row.id.into(), &after).await?;
        Ok(row)
    })
    .await
}
