//! Meetings of a body: convening (the notice period, the agenda with what each item tables,
//! and the roll frozen that day), the list and one meeting with its agenda and resolutions.
//!
//! Convening **freezes the roll**: for the General Assembly, the members entitled to vote
//! that day (active, in good standing, of a category that counts as full membership, with
//! the category's voting weight when the body weighs by category); for a board or
//! committee, its seats held that day. Paying overdue dues later adds no one.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Duration, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    model::{
        AgendaItemRow, BodyKind, BodyRow, ConvenedBy, Effect, ItemKind, MajorityKind, MeetingKind,
        MeetingRow, MeetingStatus, RollEntryRow, Weighting,
    },
    repo,
    resolutions::Resolution,
    scope,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::{
        AgendaItemId, BodyId, BudgetId, MeetingId, MemberId, PlanId, RollEntryId, calendar, text,
    },
    error::{ApiError, FieldErrors},
    events,
    http::{
        csv::CsvRow,
        etag::{self, tag},
        json::Json,
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
    /// What the effect acts on (a plan, a budget, a member).
    pub target_id: Option<Uuid>,
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
}

/// An item of a new meeting's agenda.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// Title, 1–500 characters.
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "Aprobación del presupuesto de 2025"
    )]
    pub title: String,
    /// `informative` or `resolution`.
    pub kind: ItemKind,
    /// What adopting it does (default `none`); anything else needs `target_id`.
    pub effect: Option<Effect>,
    /// The body's majority it needs (default `simple`).
    pub majority: Option<MajorityKind>,
    /// The plan, budget or member the effect acts on; its current version is tabled.
    pub target_id: Option<Uuid>,
}

/// Convening a meeting (staff, admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeeting {
    /// The body.
    pub body_id: BodyId,
    /// Ordinary or extraordinary.
    pub kind: MeetingKind,
    /// Who convened it.
    pub convened_by: ConvenedBy,
    /// Why, up to 2000 characters.
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
    /// First call: at least the body's notice days from now.
    pub first_call_at: DateTime<Utc>,
    /// Second call (default: the first plus the body's minutes between calls).
    pub second_call_at: Option<DateTime<Utc>>,
    /// Place.
    #[schema(max_length = 500)]
    pub place: Option<String>,
    /// Online link.
    #[schema(max_length = 500)]
    pub online_url: Option<String>,
    /// The agenda, in order (at most 100 items).
    #[serde(default)]
    #[schema(max_items = 100)]
    pub agenda: Vec<NewItem>,
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
    let member = scope::narrowed_to(&caller)?;
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
        async move |conn, after, n| Ok(repo::list_meetings(conn, member, after, n).await?),
        |m: &MeetingRow| (m.first_call_at, m.id),
        Meeting::from,
    )
    .await
}

/// Convenes a meeting (staff, admins): checks the notice period, tables the current
/// version of what each item acts on, and freezes the roll.
#[utoipa::path(tag = "governance", request_body = NewMeeting, responses(
    (status = 201, description = "Convened.", body = MeetingDetail),
    (status = 422, description = "`notice_too_short` (names the earliest valid first call), an unknown target.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/meetings")]
pub async fn create_meeting(
    caller: Caller,
    body: Json<NewMeeting>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let row = convene(&mut conn, &caller, body.into_inner()).await?;
    let version = row.version;
    let detail = detail(&mut conn, row).await?;
    Ok(etag::created(
        format!("/api/v1/meetings/{}", detail.meeting.id),
        version,
        &detail,
    ))
}

/// One meeting with its agenda and resolutions.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Meeting id")), responses(
    (status = 200, description = "The meeting.", body = MeetingDetail),
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
    let ids: Vec<AgendaItemId> = items.iter().map(|i| i.id).collect();
    let mut resolutions: std::collections::HashMap<AgendaItemId, Resolution> =
        repo::resolutions_of(conn, &ids)
            .await?
            .into_iter()
            .map(|r| (r.item_id, Resolution::from(r)))
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
            target_id: i.target_id,
            tabled_etag: i.tabled_etag,
        })
        .collect();
    Ok(MeetingDetail {
        meeting: Meeting::from(row),
        agenda,
    })
}

/// The agenda's items checked (422 lists every problem), without ids of their meeting yet.
fn check_agenda(errors: &mut FieldErrors, agenda: &[NewItem]) -> Vec<(String, NewItemChecked)> {
    if agenda.len() > 100 {
        errors.add("agenda", "too_many", "at most 100 items");
    }
    let mut out = Vec::new();
    for (i, item) in agenda.iter().enumerate() {
        let field = |f: &str| format!("agenda[{i}].{f}");
        let title = errors.check(&field("title"), text::name(&item.title, 500));
        let effect = item.effect.unwrap_or(Effect::None);
        if effect != Effect::None && item.kind != ItemKind::Resolution {
            errors.add(
                &field("effect"),
                "needs_resolution",
                "only an item for a resolution has an effect",
            );
        }
        match (effect, item.target_id) {
            (Effect::None, Some(_)) => errors.add(
                &field("target_id"),
                "unexpected",
                "an item without effect has no target",
            ),
            (e, None) if e != Effect::None => errors.add(
                &field("target_id"),
                "required",
                "the effect needs the plan, budget or member it acts on",
            ),
            _ => {}
        }
        if let Some(title) = title {
            out.push((
                title,
                NewItemChecked {
                    kind: item.kind,
                    effect,
                    majority: item.majority.unwrap_or(MajorityKind::Simple),
                    target_id: item.target_id,
                },
            ));
        }
    }
    out
}

/// An agenda item whose fields passed the checks.
struct NewItemChecked {
    kind: ItemKind,
    effect: Effect,
    majority: MajorityKind,
    target_id: Option<Uuid>,
}

/// The ETag of what an item tables, as its owner's GET answers it (422 when it does not
/// exist).
async fn tabled_etag(
    conn: &mut AsyncPgConnection,
    field: &str,
    effect: Effect,
    target: Uuid,
) -> Result<Option<String>, ApiError> {
    use diesel::OptionalExtension;
    let version = match effect {
        Effect::None => return Ok(None),
        Effect::ApprovePlan => crate::plans::repo::find_plan(conn, PlanId(target), false)
            .await
            .optional()?
            .map(|p| p.version),
        Effect::ApproveBudget => crate::budgets::repo::find_budget(conn, BudgetId(target), false)
            .await
            .optional()?
            .map(|b| b.version),
        Effect::AdmitMember | Effect::ExpelMember => {
            crate::members::repo::find(conn, MemberId(target))
                .await
                .optional()?
                .map(|m| m.tag_version())
        }
    };
    match version {
        Some(v) => Ok(Some(tag(v))),
        None => Err(FieldErrors::one(
            field,
            "unknown",
            format!("no such {}", effect.target_noun()),
        )),
    }
}

impl Effect {
    /// What the effect acts on, in words.
    pub fn target_noun(self) -> &'static str {
        match self {
            Effect::None => "target",
            Effect::ApprovePlan => "plan",
            Effect::ApproveBudget => "budget",
            Effect::AdmitMember | Effect::ExpelMember => "member",
        }
    }
}

/// The roll a convening freezes: the Assembly's entitled members, or the body's seats
/// held today.
async fn frozen_roll(
    conn: &mut AsyncPgConnection,
    body: &BodyRow,
    meeting: MeetingId,
    now: DateTime<Utc>,
) -> Result<Vec<RollEntryRow>, ApiError> {
    let entry = |member_id, member_name, person_name, weight: i32| RollEntryRow {
        id: RollEntryId::new(),
        meeting_id: meeting,
        member_id,
        member_name,
        person_name,
        weight: match body.weighting {
            Weighting::OneMemberOneVote => 1,
            Weighting::ByCategory => weight,
        },
        attendance: super::model::Attendance::Absent,
        proxy_holder_id: None,
        proxy_document: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    if body.kind == BodyKind::Assembly {
        let voters = crate::members::repo::entitled_voters(conn).await?;
        return Ok(voters
            .into_iter()
            .map(|(id, name, weight)| entry(id, name, None, weight))
            .collect());
    }
    let seats = repo::seats_on(conn, body.id, calendar::date_of(now)).await?;
    let ids: Vec<MemberId> = seats.iter().map(|s| s.member_id).collect();
    let names = crate::members::repo::names_and_weights(conn, &ids).await?;
    let mut seen = std::collections::HashSet::new();
    Ok(seats
        .into_iter()
        .filter(|s| seen.insert(s.member_id))
        .filter_map(|s| {
            let (name, weight) = names.get(&s.member_id)?.clone();
            Some(entry(s.member_id, name, Some(s.person_name), weight))
        })
        .collect())
}

/// Convenes a meeting (staff, admins): 403, 422 (fields, `notice_too_short` naming the
/// earliest valid first call, unknown body or target). Tables each item's target at its
/// current version and freezes the roll, in one transaction.
pub async fn convene(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewMeeting,
) -> Result<MeetingRow, ApiError> {
    caller.require(Action::write(Resource::Governance))?;
    let mut errors = FieldErrors::default();
    let reason = errors.check("reason", text::optional(input.reason.as_deref(), 2000));
    let place = errors.check("place", text::optional(input.place.as_deref(), 500));
    let online = errors.check(
        "online_url",
        text::optional(input.online_url.as_deref(), 500),
    );
    if input
        .second_call_at
        .is_some_and(|s| s <= input.first_call_at)
    {
        errors.add(
            "second_call_at",
            "before_first_call",
            "must be after the first call",
        );
    }
    let agenda = check_agenda(&mut errors, &input.agenda);
    let (reason, (place, online_url)) = errors.finish_with(reason.zip(place.zip(online)))?;
    conn.transaction(async |conn| {
        use diesel::OptionalExtension;
        let Some(body) = repo::find_body(conn, input.body_id, true)
            .await
            .optional()?
        else {
            return Err(FieldErrors::one("body_id", "unknown", "no such body"));
        };
        let now = Utc::now();
        let earliest = now + Duration::days(i64::from(body.notice_days));
        if input.first_call_at < earliest {
            return Err(FieldErrors::one(
                "first_call_at",
                "notice_too_short",
                format!(
                    "{} needs {} days of notice: the earliest valid first call is {}",
                    body.name,
                    body.notice_days,
                    earliest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            ));
        }
        let id = MeetingId::new();
        let mut items = Vec::with_capacity(agenda.len());
        for (i, (title, item)) in agenda.into_iter().enumerate() {
            let field = format!("agenda[{i}].target_id");
            let tabled = match item.target_id {
                Some(t) => tabled_etag(conn, &field, item.effect, t).await?,
                None => None,
            };
            items.push(AgendaItemRow {
                id: AgendaItemId::new(),
                meeting_id: id,
                position: i32::try_from(i + 1).unwrap_or(i32::MAX),
                title,
                kind: item.kind,
                effect: item.effect,
                majority: item.majority,
                target_id: item.target_id,
                tabled_etag: tabled,
                created_at: now,
            });
        }
        let roll = frozen_roll(conn, &body, id, now).await?;
        let meeting = MeetingRow {
            id,
            body_id: body.id,
            kind: input.kind,
            convened_by: input.convened_by,
            reason,
            first_call_at: input.first_call_at,
            second_call_at: Some(input.second_call_at.unwrap_or_else(|| {
                input.first_call_at + Duration::minutes(i64::from(body.minutes_between_calls))
            })),
            place,
            online_url,
            status: MeetingStatus::Convened,
            convened_at: now,
            convened_by_user: caller.user_id(),
            roll_count: i32::try_from(roll.len()).unwrap_or(i32::MAX),
            present_count: None,
            represented_count: None,
            required_count: None,
            constituted_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let row = repo::insert_meeting(conn, &meeting, &items, &roll).await?;
        audit::created(
            conn,
            caller,
            "meeting",
            row.id.into(),
            &Meeting::from(row.clone()),
        )
        .await?;
        events::record(conn, events::kinds::meeting_convened(&row)).await?;
        Ok(row)
    })
    .await
}
