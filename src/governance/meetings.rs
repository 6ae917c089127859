//! Meetings of a body: the list (all, or one body's, also as iCalendar) and one meeting
//! with its agenda, its resolutions and their dissents, and the members whose request
//! convened it. Convening is [`super::convening`].

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    bodies,
    dissents::Dissent,
    ical,
    model::{
        ConvenedBy, Effect, ItemKind, MajorityKind, Matter, MeetingKind, MeetingRow, MeetingStatus,
    },
    repo,
    resolutions::Resolution,
    scope,
};
use crate::{
    AppState,
    auth::Caller,
    domain::{AgendaItemId, BodyId, MeetingId, MemberId, RulesVersionId},
    error::ApiError,
    http::{
        csv::CsvRow,
        etag,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
};

/// The quorum as recorded at constitution, in members present or represented.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Quorum {
    /// Members on the roll.
    pub roll_count: i32,
    /// Present in person or remotely.
    pub present_count: Option<i32>,
    /// Represented by a holder who attended.
    pub represented_count: Option<i32>,
    /// Needed at the call that decided.
    pub required_count: Option<i32>,
    /// When the constitution (or the failure) was recorded.
    pub constituted_at: Option<DateTime<Utc>>,
}

/// A meeting.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Meeting {
    /// Id.
    pub id: MeetingId,
    /// The body.
    pub body_id: BodyId,
    /// Ordinary or extraordinary.
    pub kind: MeetingKind,
    /// Who convened it.
    pub convened_by: ConvenedBy,
    /// Why (a board decision, the members who asked…).
    pub reason: Option<String>,
    /// First call.
    pub first_call_at: DateTime<Utc>,
    /// Second call.
    pub second_call_at: Option<DateTime<Utc>>,
    /// Place.
    pub place: Option<String>,
    /// Online link.
    pub online_url: Option<String>,
    /// `convened`, `constituted_first`, `constituted_second`, `failed` (nothing can be
    /// voted) or `closed`.
    pub status: MeetingStatus,
    /// When it was convened (the day the roll was frozen).
    pub convened_at: DateTime<Utc>,
    /// The quorum.
    pub quorum: Quorum,
    /// The version of the body's rules the meeting was convened under: its quorum,
    /// proxies, majorities and reserved matters, whatever the body's rules become later.
    pub rules_version_id: RulesVersionId,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<MeetingRow> for Meeting {
    fn from(r: MeetingRow) -> Self {
        Self {
            id: r.id,
            body_id: r.body_id,
            kind: r.kind,
            convened_by: r.convened_by,
            reason: r.reason,
            first_call_at: r.first_call_at,
            second_call_at: r.second_call_at,
            place: r.place,
            online_url: r.online_url,
            status: r.status,
            convened_at: r.convened_at,
            quorum: Quorum {
                roll_count: r.roll_count,
                present_count: r.present_count,
                represented_count: r.represented_count,
                required_count: r.required_count,
                constituted_at: r.constituted_at,
            },
            rules_version_id: r.rules_version_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for MeetingRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "body_id",
            "kind",
            "first_call_at",
            "status",
            "roll_count",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.body_id.to_string(),
            self.kind.to_string(),
            self.first_call_at.to_rfc3339(),
            self.status.to_string(),
            self.roll_count.to_string(),
        ]
    }
}

/// An agenda item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgendaItem {
    /// Id.
    pub id: AgendaItemId,
    /// Order, from 1.
    pub position: i32,
    /// Title.
    pub title: String,
    /// `informative` or `resolution`.
    pub kind: ItemKind,
    /// What adopting its resolution does.
    pub effect: Effect,
    /// Which of the body's majorities it needs.
    pub majority: MajorityKind,
    /// What it is about (the body's rules name the matters only an extraordinary meeting
    /// may resolve).
    pub matter: Matter,
    /// What the effect acts on (a plan, a budget, a member).
    pub target_id: Option<Uuid>,
    /// The year whose accounts the item approves (`approve_accounts`).
    pub fiscal_year: Option<i32>,
    /// The target's ETag when the meeting was convened: the version tabled. If it changes
    /// before the vote, adoption is a 409 and nothing is adopted.
    pub tabled_etag: Option<String>,
    /// Its resolution, once voted.
    pub resolution: Option<Resolution>,
}

/// A meeting with its agenda.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeetingDetail {
    /// The meeting.
    #[serde(flatten)]
    pub meeting: Meeting,
    /// The agenda, in order.
    pub agenda: Vec<AgendaItem>,
    /// The members whose request convened it (`convened_by` `members_request`), by name.
    pub requested_by: Vec<Requester>,
    /// The rules it applies: the version of the body's rules in force when it was
    /// convened, with the statutes they come from.
    pub rules: super::rule_versions::RulesVersion,
}

/// A member whose request convened a meeting.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Requester {
    /// The member organisation.
    pub member_id: MemberId,
    /// Its legal name as on the roll that day.
    pub member_name: String,
}

/// Meetings, latest first call first. Representatives see those whose roll lists their
/// organisation.
#[utoipa::path(tag = "governance", params(PageQuery),
    responses((status = 200, description = "A page of meetings (or CSV).",
        content((Page<Meeting> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/meetings")]
pub async fn list_meetings(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let member = scope::meeting_view(&mut *state.conn().await?, &caller).await?;
    let list = List {
        resource: "meetings",
        sort: "first_call_at",
        filename: "meetings.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::list_meetings(conn, member, None, after, n).await?),
        |m: &MeetingRow| (m.first_call_at, m.id),
        Meeting::from,
    )
    .await
}

/// The most meetings one calendar lists (the latest).
const CALENDAR_MAX: i64 = 500;

/// A body's meetings, latest first call first.
///
/// JSON, CSV with `Accept: text/csv`, or an iCalendar (RFC 5545) of its latest 500 with
/// `Accept: text/calendar`. Representatives see those of the bodies their organisation
/// belongs to.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Body id"), PageQuery),
    responses((status = 200, description = "A page of the body's meetings (or CSV, or iCalendar).",
        content((Page<Meeting> = "application/json"), (String = "text/csv"), (String = "text/calendar")))))]
#[get("/api/v1/bodies/{id}/meetings")]
pub async fn list_body_meetings(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<BodyId>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (body, member) = {
        let mut conn = state.conn().await?;
        let body = bodies::visible(&mut conn, &caller, id).await?;
        (body, scope::meeting_view(&mut conn, &caller).await?)
    };
    if ical::wanted(&req) {
        let mut conn = state.conn().await?;
        let rows = repo::list_meetings(&mut conn, member, Some(id), None, CALENDAR_MAX).await?;
        let mut agendas = Vec::with_capacity(rows.len());
        for m in &rows {
            agendas.push(agenda_titles(&mut conn, m.id).await?);
        }
        let events: Vec<ical::Event<'_>> = rows
            .iter()
            .zip(agendas)
            .map(|(meeting, agenda)| ical::Event {
                meeting,
                body: &body,
                agenda,
            })
            .collect();
        return Ok(ical::respond(
            "meetings.ics",
            ical::calendar(&body.name, &events),
        ));
    }
    let list = List {
        resource: "body_meetings",
        sort: "first_call_at",
        filename: "meetings.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| {
            Ok(repo::list_meetings(conn, member, Some(id), after, n).await?)
        },
        |m: &MeetingRow| (m.first_call_at, m.id),
        Meeting::from,
    )
    .await
}

async fn agenda_titles(
    conn: &mut AsyncPgConnection,
    meeting: MeetingId,
) -> Result<Vec<String>, ApiError> {
    Ok(repo::agenda(conn, meeting)
        .await?
        .into_iter()
        .map(|i| i.title)
        .collect())
}

/// One meeting with its agenda and resolutions.
///
/// JSON, or an iCalendar (RFC 5545) event with `Accept: text/calendar`.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Meeting id")), responses(
    (status = 200, description = "The meeting (or its iCalendar).",
        content((MeetingDetail = "application/json"), (String = "text/calendar"))),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/meetings/{id}")]
pub async fn get_meeting(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<MeetingId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let row = visible(&mut conn, &caller, id.into_inner()).await?;
    if ical::wanted(&req) {
        let body = repo::find_body(&mut conn, row.body_id, false).await?;
        let agenda = agenda_titles(&mut conn, row.id).await?;
        let event = ical::Event {
            meeting: &row,
            body: &body,
            agenda,
        };
        return Ok(ical::respond(
            "meeting.ics",
            ical::calendar(&body.name, std::slice::from_ref(&event)),
        ));
    }
    let version = row.version;
    let detail = detail(&mut conn, row).await?;
    Ok(etag::respond(&req, version, &detail))
}

/// A meeting the caller sees (404 otherwise).
pub async fn visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: MeetingId,
) -> Result<MeetingRow, ApiError> {
    let row = repo::find_meeting(conn, id, false).await?;
    scope::check_meeting(conn, caller, &row).await?;
    Ok(row)
}

/// The meeting with its agenda and the items' resolutions.
pub async fn detail(
    conn: &mut AsyncPgConnection,
    row: MeetingRow,
) -> Result<MeetingDetail, ApiError> {
    let items = repo::agenda(conn, row.id).await?;
    let rules = repo::find_rules_version(conn, row.rules_version_id).await?;
    let ids: Vec<AgendaItemId> = items.iter().map(|i| i.id).collect();
    let rows = repo::resolutions_of(conn, &ids).await?;
    let resolution_ids: Vec<_> = rows.iter().map(|r| r.id).collect();
    let mut dissents: std::collections::HashMap<_, Vec<Dissent>> = std::collections::HashMap::new();
    for (d, name) in repo::dissents_of(conn, &resolution_ids).await? {
        dissents
            .entry(d.resolution_id)
            .or_default()
            .push(Dissent::new(d, name));
    }
    let mut resolutions: std::collections::HashMap<AgendaItemId, Resolution> = rows
        .into_iter()
        .map(|r| {
            let of = dissents.remove(&r.id).unwrap_or_default();
            let item = r.item_id;
            (
                item,
                Resolution {
                    dissents: of,
                    ..Resolution::from(r)
                },
            )
        })
        .collect();
    let requested_by = repo::requests_of(conn, row.id)
        .await?
        .into_iter()
        .map(|r| Requester {
            member_id: r.member_id,
            member_name: r.member_name,
        })
        .collect();
    let agenda = items
        .into_iter()
        .map(|i| AgendaItem {
            resolution: resolutions.remove(&i.id),
            id: i.id,
            position: i.position,
            title: i.title,
            kind: i.kind,
            effect: i.effect,
            majority: i.majority,
            matter: i.matter,
            target_id: i.target_id,
            fiscal_year: i.fiscal_year,
            tabled_etag: i.tabled_etag,
        })
        .collect();
    Ok(MeetingDetail {
        meeting: Meeting::from(row),
        agenda,
        requested_by,
        rules: rules.into(),
    })
}
