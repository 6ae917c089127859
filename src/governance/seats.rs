//! The seats of a board or committee: a member organisation, the person representing it,
//! a position (president, vice-president, secretary, treasurer, member), from/to dates.
//! Convening a board's meeting freezes the seats held that day as its roll.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
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
        etag,
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
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
        format!("/api/v1/bodies/{id}/seats"),
        1,
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
        };
        let row = repo::insert_seat(conn, &row).await.map_err(|e| {
            on_unique(
                e,
                "seats_one_open_position",
                "position_taken",
                "The body has an open seat in this position; close it first.",
            )
        })?;
        let after = Seat::from(row.clone());
        audit::created(conn, caller, "seat", row.id.into(), &after).await?;
        Ok(row)
    })
    .await
}
