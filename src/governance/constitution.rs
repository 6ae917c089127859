//! The constitution of a meeting: the quorum is computed from the frozen roll and the
//! attendance, and recorded. At first call without quorum nothing is recorded (409: try
//! the second call); at second call without quorum the meeting fails, and nothing can be
//! voted.

use actix_web::{HttpRequest, HttpResponse, post, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{
    meetings::{self, Meeting, MeetingDetail},
    model::{MeetingRow, MeetingStatus},
    repo,
    roll::seats,
    rules,
};
use crate::{
    AppState,
    audit::{self, Change},
    auth::{Action, Caller, Resource},
    domain::MeetingId,
    error::ApiError,
    http::{
        etag::{self, IfMatch, Precondition},
        json::Json,
    },
};

crate::text_enum!(
    /// Which call.
    MeetingCall {
        /// The first call.
        First => "first",
        /// The second call.
        Second => "second",
    }
);

/// The constitution to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConstitution {
    /// The call at which the quorum is counted.
    pub call: MeetingCall,
}

/// Records the constitution at a call (staff, admins): the quorum from the roll and the
/// attendance. Honours `If-Match` (the meeting's ETag) when sent.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Meeting id")),
    request_body = NewConstitution, responses(
    (status = 200, description = "Constituted, or failed at second call.", body = MeetingDetail),
    (status = 409, description = "`no_quorum` at first call (nothing recorded; try the second call), `already_constituted`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/meetings/{id}/constitution")]
pub async fn constitute_meeting(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<MeetingId>,
    body: Json<NewConstitution>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let row = constitute(&mut conn, &caller, id.into_inner(), precondition, body.call).await?;
    let version = row.version;
    let detail = meetings::detail(&mut conn, row).await?;
    Ok(etag::updated(version, &detail))
}

/// Records the constitution (staff, admins): 403, 404, 409 `already_constituted`,
/// `no_quorum` (first call), 412.
pub async fn constitute(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: MeetingId,
    precondition: Precondition,
    call: MeetingCall,
) -> Result<MeetingRow, ApiError> {
    caller.require(Action::write(Resource::Governance))?;
    conn.transaction(async |conn| {
        meetings::visible(conn, caller, id).await?;
        let meeting = repo::find_meeting(conn, id, true).await?;
        precondition.check(meeting.version, IfMatch::Optional)?;
        if meeting.status != MeetingStatus::Convened {
            return Err(ApiError::conflict(
                "already_constituted",
                format!("The meeting is {} already.", meeting.status),
            ));
        }
        // The rules the meeting was convened under, not the body's current ones.
        let frozen = repo::find_rules_version(conn, meeting.rules_version_id).await?;
        let roll = repo::roll(conn, id).await?;
        let presence = rules::presence(&seats(&roll));
        let quorum = match call {
            MeetingCall::First => frozen.quorum_first(),
            MeetingCall::Second => frozen.quorum_second(),
        };
        let required = rules::required(presence.roll_count, quorum);
        let status = match (rules::quorate(&presence, quorum), call) {
            (true, MeetingCall::First) => MeetingStatus::ConstitutedFirst,
            (true, MeetingCall::Second) => MeetingStatus::ConstitutedSecond,
            (false, MeetingCall::Second) => MeetingStatus::Failed,
            (false, MeetingCall::First) => {
                return Err(ApiError::conflict(
                    "no_quorum",
                    format!(
                        "No quorum at first call: {} present or represented of {} needed \
                         ({} on the roll). Record the second call.",
                        presence.counted(),
                        required,
                        presence.roll_count
                    ),
                ));
            }
        };
        let count = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
        let row = repo::constitute(
            conn,
            id,
            status,
            (
                count(presence.present_count),
                count(presence.represented_count),
                count(required),
            ),
        )
        .await?;
        audit::record(
            conn,
            caller,
            Change {
                action: "constituted",
                resource_type: "meeting",
                resource_id: id.uuid(),
                before: Some(&Meeting::from(meeting)),
                after: Some(&Meeting::from(row.clone())),
            },
        )
        .await?;
        Ok(row)
    })
    .await
}
