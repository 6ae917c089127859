//! The seats of a board or committee: a member organisation, the person representing it,
//! a position (president, vice-president, secretary, treasurer, member), from/to dates.
//! Convening a board's meeting freezes the seats held that day as its roll.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    bodies,
    model::{BodyKind, Position, SeatRow},
    repo,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::{BodyId, MemberId, SeatId, text},
    error::{ApiError, FieldErrors, on_unique},
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
        patch::nullable,
    },
};

/// A seat on a board or committee.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Seat {
    /// Id.
    pub id: SeatId,
    /// The body.
    pub body_id: BodyId,
    /// The member organisation holding it.
    pub member_id: MemberId,
    /// The person who represents the organisation on the body.
    #[schema(example = "María Peña Ibáñez")]
    pub person_name: String,
    /// Position.
    pub position: Position,
    /// From.
    pub starts_on: NaiveDate,
    /// Until (inclusive); `null`: open.
    pub ends_on: Option<NaiveDate>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<SeatRow> for Seat {
    fn from(r: SeatRow) -> Self {
        Self {
            id: r.id,
            body_id: r.body_id,
            member_id: r.member_id,
            person_name: r.person_name,
            position: r.position,
            starts_on: r.starts_on,
            ends_on: r.ends_on,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for SeatRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "member_id",
            "person_name",
            "position",
            "starts_on",
            "ends_on",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.member_id.to_string(),
            self.person_name.clone(),
            self.position.to_string(),
            self.starts_on.to_string(),
            self.ends_on.map(|d| d.to_string()).unwrap_or_default(),
        ]
    }
}

/// A new seat (staff, admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSeat {
    /// The member organisation.
    pub member_id: MemberId,
    /// The person representing it, 1–300 characters.
    #[schema(min_length = 1, max_length = 300)]
    pub person_name: String,
    /// Position (one open president, vice-president, secretary and treasurer per body).
    pub position: Position,
    /// From.
    pub starts_on: NaiveDate,
    /// Until (inclusive).
    pub ends_on: Option<NaiveDate>,
}

/// The seats of a body, by start date.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Body id"), PageQuery),
    responses((status = 200, description = "A page of seats (or CSV).",
        content((Page<Seat> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/bodies/{id}/seats")]
pub async fn list_seats(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<BodyId>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    bodies::visible(&mut *state.conn().await?, &caller, id).await?;
    let list = List {
        resource: "seats",
        sort: "starts_on",
        filename: "seats.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::list_seats(conn, id, after, n).await?),
        |s: &SeatRow| (s.starts_on, s.id.uuid()),
        Seat::from,
    )
    .await
}

/// Adds a seat to a board or committee (staff, admins).
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Body id")),
    request_body = NewSeat, responses(
    (status = 201, description = "Created.", body = Seat),
    (status = 409, description = "`position_taken`, `assembly_has_no_seats`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/bodies/{id}/seats")]
pub async fn create_seat(
    caller: Caller,
    id: web::Path<BodyId>,
    body: Json<NewSeat>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = create(&mut conn, &caller, id, body.into_inner()).await?;
    Ok(etag::created(
        format!("/api/v1/bodies/{id}/seats/{}", row.id),
        row.version,
        &Seat::from(row),
    ))
}

/// Adds a seat (staff, admins): 403, 404, 409 `assembly_has_no_seats`, `position_taken`,
/// 422.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    body_id: BodyId,
    input: NewSeat,
) -> Result<SeatRow, ApiError> {
    caller.require(Action::write(Resource::Governance))?;
    let mut errors = FieldErrors::default();
    let person = errors.check("person_name", text::name(&input.person_name, 300));
    if input.ends_on.is_some_and(|e| e < input.starts_on) {
        errors.add("ends_on", "before_start", "must not be before starts_on");
    }
    let person_name = errors.finish_with(person)?;
    conn.transaction(async |conn| {
        let body = repo::find_body(conn, body_id, true).await?;
        if body.kind == BodyKind::Assembly {
            return Err(ApiError::conflict(
                "assembly_has_no_seats",
                "The General Assembly's members are the member organisations: it has no seats.",
            ));
        }
        if crate::members::repo::existing(conn, &[input.member_id])
            .await?
            .is_empty()
        {
            return Err(FieldErrors::one("member_id", "unknown", "no such member"));
        }
        let now = Utc::now();
        let row = SeatRow {
            id: SeatId::new(),
            body_id,
            member_id: input.member_id,
            person_name,
            position: input.position,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let row = repo::insert_seat(conn, &row)
            .await
            .map_err(position_taken)?;
        let after = Seat::from(row.clone());
        audit::created(conn, caller, "seat", row.id.into(), &after).await?;
        Ok(row)
    })
    .await
}

fn position_taken(e: diesel::result::Error) -> ApiError {
    on_unique(
        e,
        "seats_one_open_position",
        "position_taken",
        "The body has an open seat in this position; close it first.",
    )
}

/// Changes to a seat: the person representing the organisation, or the end of the term.
/// The organisation and the position do not change (end the seat and add another).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatPatch {
    /// The person holding it, 1–300 characters.
    #[schema(min_length = 1, max_length = 300)]
    pub person_name: Option<String>,
    /// The last day; `null` reopens it (409 `position_taken` if another holds it).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub ends_on: Option<Option<NaiveDate>>,
}

/// One seat of a body.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Body id"),
    ("seat_id" = Uuid, Path, description = "Seat id")), responses(
    (status = 200, description = "The seat.", body = Seat),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/bodies/{id}/seats/{seat_id}")]
pub async fn get_seat(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<(BodyId, SeatId)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (body, seat) = path.into_inner();
    let mut conn = state.conn().await?;
    bodies::visible(&mut conn, &caller, body).await?;
    let row = repo::find_seat(&mut conn, body, seat, false).await?;
    Ok(etag::respond(&req, row.version, &Seat::from(row)))
}

/// Changes a seat (staff, admins): the person, or the end of the term. Needs `If-Match`.
///
/// Meetings convened before keep the roll they froze.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Body id"),
    ("seat_id" = Uuid, Path, description = "Seat id"),
    ("If-Match" = String, Header, description = "ETag from a GET")),
    request_body = SeatPatch, responses(
    (status = 200, description = "Changed.", body = Seat),
    (status = 409, description = "`position_taken` (reopening a position another holds).", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/bodies/{id}/seats/{seat_id}")]
pub async fn update_seat(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<(BodyId, SeatId)>,
    body: Json<SeatPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (body_id, seat) = path.into_inner();
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let row = update(
        &mut conn,
        &caller,
        (body_id, seat),
        precondition,
        body.into_inner(),
    )
    .await?;
    Ok(etag::updated(row.version, &Seat::from(row)))
}

/// Changes a seat (staff, admins): 403, 404, 409 `position_taken`, 412, 428, 422.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    (body_id, id): (BodyId, SeatId),
    precondition: Precondition,
    patch: SeatPatch,
) -> Result<SeatRow, ApiError> {
    caller.require(Action::write(Resource::Governance))?;
    let mut errors = FieldErrors::default();
    let person = patch
        .person_name
        .as_deref()
        .and_then(|n| errors.check("person_name", text::name(n, 300)));
    errors.finish()?;
    conn.transaction(async |conn| {
        let current = repo::find_seat(conn, body_id, id, true).await?;
        precondition.check(current.version, IfMatch::Required)?;
        let ends_on = patch.ends_on.unwrap_or(current.ends_on);
        if ends_on.is_some_and(|e| e < current.starts_on) {
            return Err(FieldErrors::one(
                "ends_on",
                "before_start",
                format!("must not be before starts_on ({})", current.starts_on),
            ));
        }
        let person_name = person.unwrap_or_else(|| current.person_name.clone());
        let row = repo::update_seat(conn, id, &person_name, ends_on)
            .await
            .map_err(position_taken)?;
        let (before, after) = (Seat::from(current), Seat::from(row.clone()));
        audit::updated(conn, caller, "seat", id.into(), &before, &after).await?;
        Ok(row)
    })
    .await
}
