//! A meeting's roll (frozen at convening) and its attendance: present, remote, represented
//! by another attendee (with the proxy document), or absent. A proxy counts only if its
//! holder attends; the body's cap on proxies per holder is enforced. Attendance is
//! recorded until the meeting is constituted.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    meetings,
    model::{Attendance, MeetingStatus, RollEntryRow},
    repo,
    rules::{self, Presence, Seat},
    scope,
};
use crate::{
    AppState,
    audit::{self, Change},
    auth::{Action, Caller, Resource},
    domain::{MeetingId, MemberId, RollEntryId, text},
    error::{ApiError, FieldErrors},
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
};

/// An entry of a meeting's roll.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RollEntry {
    /// Id.
    pub id: RollEntryId,
    /// The member organisation.
    pub member_id: MemberId,
    /// Its legal name when the roll was frozen.
    pub member_name: String,
    /// The person holding its seat (boards and committees).
    pub person_name: Option<String>,
    /// Its vote weight.
    pub weight: i32,
    /// How it attends.
    pub attendance: Attendance,
    /// The entry whose attendee holds its proxy (when represented).
    pub proxy_holder_id: Option<RollEntryId>,
    /// The proxy document (a reference or a link).
    pub proxy_document: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<RollEntryRow> for RollEntry {
    fn from(r: RollEntryRow) -> Self {
        Self {
            id: r.id,
            member_id: r.member_id,
            member_name: r.member_name,
            person_name: r.person_name,
            weight: r.weight,
            attendance: r.attendance,
            proxy_holder_id: r.proxy_holder_id,
            proxy_document: r.proxy_document,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for RollEntryRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "member_id",
            "member_name",
            "person_name",
            "weight",
            "attendance",
            "proxy_holder_id",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.member_id.to_string(),
            self.member_name.clone(),
            self.person_name.clone().unwrap_or_default(),
            self.weight.to_string(),
            self.attendance.to_string(),
            self.proxy_holder_id
                .map(|h| h.to_string())
                .unwrap_or_default(),
        ]
    }
}

/// The roll as the quorum sees it.
pub fn seats(roll: &[RollEntryRow]) -> Vec<Seat<RollEntryId>> {
    roll.iter()
        .map(|r| Seat {
            id: r.id,
            weight: i64::from(r.weight),
            attendance: r.attendance,
            proxy_holder: r.proxy_holder_id,
        })
        .collect()
}

/// One entry's attendance.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceEntry {
    /// The roll entry.
    pub roll_entry_id: RollEntryId,
    /// How it attends.
    pub attendance: Attendance,
    /// With `represented`: the roll entry whose attendee holds the proxy.
    pub proxy_holder_id: Option<RollEntryId>,
    /// With `represented`: the proxy document (a reference or a link), up to 500 characters.
    #[schema(max_length = 500)]
    pub proxy_document: Option<String>,
}

/// Attendance to record; entries left out keep theirs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceInput {
    /// The entries to set (1–10000).
    #[schema(min_items = 1, max_items = 10000)]
    pub entries: Vec<AttendanceEntry>,
}

/// Who is present and represented now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttendanceSummary {
    /// Members on the roll.
    pub roll_count: i64,
    /// Present in person or remotely.
    pub present_count: i64,
    /// Represented by a holder who attends.
    pub represented_count: i64,
    /// The vote weight present and represented.
    pub present_weight: i64,
    /// The weight of the whole roll.
    pub roll_weight: i64,
    /// The roll after the change.
    pub items: Vec<RollEntry>,
}

impl AttendanceSummary {
    fn new(p: Presence, roll: Vec<RollEntryRow>) -> Self {
        Self {
            roll_count: p.roll_count,
            present_count: p.present_count,
            represented_count: p.represented_count,
            present_weight: p.present_weight,
            roll_weight: p.roll_weight,
            items: roll.into_iter().map(RollEntry::from).collect(),
        }
    }
}

/// A meeting's roll, by member name (JSON, or CSV with `Accept: text/csv`).
///
/// A representative reads its own organisation's entry only.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Meeting id"), PageQuery),
    responses((status = 200, description = "A page of the roll (or CSV).",
        content((Page<RollEntry> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/meetings/{id}/roll")]
pub async fn list_roll(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<MeetingId>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    meetings::visible(&mut *state.conn().await?, &caller, id).await?;
    let member = scope::roll_narrowed_to(&caller);
    let list = List {
        resource: "roll",
        sort: "member_name",
        filename: "roll.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::roll_page(conn, id, member, after, n).await?),
        |r: &RollEntryRow| (r.member_name.clone(), r.id),
        RollEntry::from,
    )
    .await
}

/// Records attendance (staff, admins) until the meeting is constituted. Honours `If-Match`
/// (the meeting's ETag) when sent.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Meeting id")),
    request_body = AttendanceInput, responses(
    (status = 200, description = "Recorded; the presence now.", body = AttendanceSummary),
    (status = 409, description = "`attendance_closed`: the meeting is constituted or failed.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "`proxy_cap_exceeded`, `proxies_not_allowed`, an unknown entry or holder.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[put("/api/v1/meetings/{id}/attendance")]
pub async fn record_attendance(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<MeetingId>,
    body: Json<AttendanceInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let (version, summary) = record(
        &mut conn,
        &caller,
        id.into_inner(),
        precondition,
        body.into_inner(),
    )
    .await?;
    Ok(etag::updated(version, &summary))
}

/// Records attendance (staff, admins): 403, 404, 409 `attendance_closed`, 412, 422
/// (`proxy_cap_exceeded` names the holders over the cap).
pub async fn record(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: MeetingId,
    precondition: Precondition,
    input: AttendanceInput,
) -> Result<(i64, AttendanceSummary), ApiError> {
    caller.require(Action::write(Resource::Governance))?;
    let mut errors = FieldErrors::default();
    if input.entries.is_empty() || input.entries.len() > 10_000 {
        errors.add("entries", "length", "1–10000 entries");
    }
    let mut documents = Vec::with_capacity(input.entries.len());
    for (i, e) in input.entries.iter().enumerate() {
        let field = |f: &str| format!("entries[{i}].{f}");
        match (e.attendance, e.proxy_holder_id) {
            (Attendance::Represented, None) => errors.add(
                &field("proxy_holder_id"),
                "required",
                "a represented member names the entry holding its proxy",
            ),
            (Attendance::Represented, Some(h)) if h == e.roll_entry_id => errors.add(
                &field("proxy_holder_id"),
                "self",
                "a member does not hold its own proxy",
            ),
            (a, Some(_)) if a != Attendance::Represented => errors.add(
                &field("proxy_holder_id"),
                "unexpected",
                "only a represented member has a proxy holder",
            ),
            _ => {}
        }
        documents.push(
            errors
                .check(
                    &field("proxy_document"),
                    text::optional(e.proxy_document.as_deref(), 500),
                )
                .flatten(),
        );
    }
    errors.finish()?;
    conn.transaction(async |conn| {
        let meeting = meetings::visible(conn, caller, id).await?;
        let meeting = repo::find_meeting(conn, meeting.id, true).await?;
        precondition.check(meeting.version, IfMatch::Optional)?;
        if meeting.status != MeetingStatus::Convened {
            return Err(ApiError::conflict(
                "attendance_closed",
                format!(
                    "The meeting is {}: attendance is recorded until it is constituted.",
                    meeting.status
                ),
            ));
        }
        let body = repo::find_body(conn, meeting.body_id, false).await?;
        // Proxies as the rules the meeting was convened under allow them.
        let frozen = repo::find_rules_version(conn, meeting.rules_version_id).await?;
        let mut roll = repo::roll(conn, id).await?;
        let index: HashMap<RollEntryId, usize> =
            roll.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let mut errors = FieldErrors::default();
        let mut changed = Vec::new();
        for (i, (e, document)) in input.entries.iter().zip(documents).enumerate() {
            let Some(&at) = index.get(&e.roll_entry_id) else {
                errors.add(
                    &format!("entries[{i}].roll_entry_id"),
                    "unknown",
                    "not on this meeting's roll",
                );
                continue;
            };
            if let Some(h) = e.proxy_holder_id {
                if !index.contains_key(&h) {
                    errors.add(
                        &format!("entries[{i}].proxy_holder_id"),
                        "unknown",
                        "not on this meeting's roll",
                    );
                }
                if !frozen.proxies_allowed {
                    errors.add(
                        &format!("entries[{i}].attendance"),
                        "proxies_not_allowed",
                        format!("{} does not allow proxies", body.name),
                    );
                }
            }
            let entry = &mut roll[at];
            entry.attendance = e.attendance;
            entry.proxy_holder_id = e.proxy_holder_id;
            entry.proxy_document = document;
            changed.push(at);
        }
        errors.finish()?;
        let max = frozen.max_proxies_per_holder.map(i64::from);
        let over = rules::over_proxy_cap(&seats(&roll), max);
        if !over.is_empty() {
            let names: Vec<String> = over
                .iter()
                .filter_map(|(h, n)| {
                    index
                        .get(h)
                        .map(|&i| format!("{} holds {n}", roll[i].member_name))
                })
                .collect();
            return Err(FieldErrors::one(
                "entries",
                "proxy_cap_exceeded",
                format!(
                    "{} allows {} proxies per attendee: {}",
                    body.name,
                    max.unwrap_or_default(),
                    names.join("; ")
                ),
            ));
        }
        for &at in &changed {
            let r = &roll[at];
            repo::set_attendance(
                conn,
                r.id,
                r.attendance,
                r.proxy_holder_id,
                r.proxy_document.as_deref(),
            )
            .await?;
        }
        let touched = repo::touch_meeting(conn, id).await?;
        let presence = rules::presence(&seats(&roll));
        let summary = AttendanceSummary::new(presence, repo::roll(conn, id).await?);
        let after = serde_json::json!({
            "present_count": presence.present_count,
            "represented_count": presence.represented_count,
            "entries": changed.len(),
        });
        audit::record(
            conn,
            caller,
            Change {
                action: "attendance_recorded",
                resource_type: "meeting",
                resource_id: id.uuid(),
                before: None,
                after: Some(&after),
            },
        )
        .await?;
        Ok((touched.version, summary))
    })
    .await
}
