//! The minutes of a meeting (libro de actas): generated from the data (the body, the
//! version of its rules and the statutes the meeting applied, place and time, the members whose request convened it, attendance with proxies, the quorum, the
//! agenda, the resolutions with their tallies and dissents) plus the secretary's summary of
//! the debate. A draft changes; approving it
//! freezes the content with its SHA-256, and a trigger refuses any later change.
//!
//! Staff, admins and auditors read drafts; representatives read approved minutes of the
//! meetings whose roll lists their organisation.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{
    meetings,
    model::{MeetingStatus, MinutesRow, MinutesStatus},
    repo,
    roll::RollEntry,
};
use crate::{
    AppState,
    audit::{self, Change},
    auth::{Action, Caller, Resource, policy},
    domain::{MeetingId, text},
    error::{ApiError, FieldErrors, not_found},
    http::{
        etag::{self, IfMatch, Precondition},
        json::Json,
        pdf,
    },
};

/// The minutes of a meeting.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Minutes {
    /// The meeting.
    pub meeting_id: MeetingId,
    /// `draft` or `approved` (frozen).
    pub status: MinutesStatus,
    /// The secretary's summary of the debate.
    pub debate_summary: String,
    /// The minutes' content: generated from the meeting's data while a draft, frozen once
    /// approved.
    pub content: serde_json::Value,
    /// SHA-256 (hex) of the frozen content's UTF-8 JSON text, once approved.
    pub content_sha256: Option<String>,
    /// When approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The summary of the debate (staff, admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesDraft {
    /// The main points of the debate, 1–20000 characters.
    #[schema(min_length = 1, max_length = 20000)]
    pub debate_summary: String,
}

/// A meeting's minutes.
///
/// JSON, or the printable minutes (Spanish, A4) with `Accept: application/pdf`: attendance,
/// quorum, agenda, the summary of the debate, resolutions with their tallies and dissents,
/// and the SHA-256 of the frozen content once approved.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Meeting id")), responses(
    (status = 200, description = "The minutes (or their PDF).",
        content((Minutes = "application/json"), (crate::http::pdf::PdfFile = "application/pdf"))),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/meetings/{id}/minutes")]
pub async fn get_minutes(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<MeetingId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    meetings::visible(&mut conn, &caller, id).await?;
    let row = repo::find_minutes(&mut conn, id, false)
        .await?
        .ok_or_else(not_found)?;
    if row.status == MinutesStatus::Draft && !policy::reads_drafts(caller.role) {
        return Err(not_found());
    }
    let version = row.version;
    let minutes = view(&mut conn, row).await?;
    if pdf::wanted(&req) {
        let issuer = pdf::issuer(conn).await?;
        let file = super::pdf::minutes(&state.pdf, &issuer, &minutes).await?;
        return Ok(pdf::respond("acta.pdf", file));
    }
    Ok(pdf::vary(etag::respond(&req, version, &minutes)))
}

/// Writes the draft minutes' summary of the debate (staff, admins), once the meeting was
/// held (constituted or failed). Honours `If-Match` when sent.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Meeting id")),
    request_body = MinutesDraft, responses(
    (status = 200, description = "The draft.", body = Minutes),
    (status = 409, description = "`minutes_approved` (frozen), `meeting_not_held`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[put("/api/v1/meetings/{id}/minutes")]
pub async fn write_minutes(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<MeetingId>,
    body: Json<MinutesDraft>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let row = draft(
        &mut conn,
        &caller,
        id.into_inner(),
        precondition,
        body.into_inner(),
    )
    .await?;
    let version = row.version;
    Ok(etag::updated(version, &view(&mut conn, row).await?))
}

/// Approves the minutes (staff, admins): their content is generated one last time and
/// frozen with its SHA-256.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Meeting id")), responses(
    (status = 200, description = "Approved and frozen.", body = Minutes),
    (status = 409, description = "`minutes_approved`, `minutes_missing` (write the draft first).", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/meetings/{id}/minutes/approval")]
pub async fn approve_minutes(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<MeetingId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let row = approve(&mut conn, &caller, id.into_inner(), precondition).await?;
    let version = row.version;
    Ok(etag::updated(version, &view(&mut conn, row).await?))
}

/// The minutes as answered: the frozen content, or a draft's generated now.
async fn view(conn: &mut AsyncPgConnection, row: MinutesRow) -> Result<Minutes, ApiError> {
    let content = match &row.content {
        Some(frozen) => serde_json::from_str(frozen).map_err(ApiError::internal)?,
        None => generate(conn, row.meeting_id, &row.debate_summary).await?,
    };
    Ok(Minutes {
        meeting_id: row.meeting_id,
        status: row.status,
        debate_summary: row.debate_summary,
        content,
        content_sha256: row.content_sha256,
        approved_at: row.approved_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The minutes' content from the meeting's data (the seed writes historical minutes with
/// it too).
pub async fn generate(
    conn: &mut AsyncPgConnection,
    id: MeetingId,
    summary: &str,
) -> Result<serde_json::Value, ApiError> {
    let meeting = repo::find_meeting(conn, id, false).await?;
    let body = repo::find_body(conn, meeting.body_id, false).await?;
    let roll = repo::roll(conn, id).await?;
    let detail = meetings::detail(conn, meeting).await?;
    let attendance: Vec<RollEntry> = roll.into_iter().map(RollEntry::from).collect();
    // The statutes and rules the meeting applied (the version it was convened under), not
    // the body's current ones.
    Ok(serde_json::json!({
        "body": {"id": body.id, "name": body.name,
            "statutes_reference": detail.rules.statutes_reference},
        "rules": detail.rules,
        "meeting": detail.meeting,
        "attendance": attendance,
        "agenda": detail.agenda,
        "requested_by": detail.requested_by,
        "debate_summary": summary,
    }))
}

/// Writes the draft (staff, admins): 403, 404, 409 `meeting_not_held`, `minutes_approved`,
/// 412, 422.
pub async fn draft(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: MeetingId,
    precondition: Precondition,
    input: MinutesDraft,
) -> Result<MinutesRow, ApiError> {
    caller.require(Action::write(Resource::Governance))?;
    let summary = text::optional(Some(&input.debate_summary), 20000)
        .and_then(|s| s.ok_or_else(|| "must not be empty".to_owned()))
        .map_err(|m| FieldErrors::one("debate_summary", "invalid", m))?;
    conn.transaction(async |conn| {
        meetings::visible(conn, caller, id).await?;
        let meeting = repo::find_meeting(conn, id, true).await?;
        if meeting.status == MeetingStatus::Convened {
            return Err(ApiError::conflict(
                "meeting_not_held",
                "The meeting has not been constituted (or failed) yet: no minutes before.",
            ));
        }
        let current = repo::find_minutes(conn, id, true).await?;
        if let Some(c) = &current {
            precondition.check(c.version, IfMatch::Optional)?;
            check_draft(c)?;
        }
        let row = repo::save_draft(conn, id, &summary).await?;
        let after = serde_json::json!({"status": row.status, "version": row.version});
        audit::record(
            conn,
            caller,
            Change {
                action: "minutes_written",
                resource_type: "meeting",
                resource_id: id.uuid(),
                before: None,
                after: Some(&after),
            },
        )
        .await?;
        Ok(row)
    })
    .await
}

fn check_draft(row: &MinutesRow) -> Result<(), ApiError> {
    if row.status == MinutesStatus::Approved {
        return Err(ApiError::conflict(
            "minutes_approved",
            "The minutes are approved and frozen: they never change.",
        ));
    }
    Ok(())
}

/// The SHA-256 of `content`, hex.
pub fn sha256_hex(content: &str) -> String {
    Sha256::digest(content.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Approves the minutes (staff, admins): 403, 404, 409 `minutes_missing`,
/// `minutes_approved`, 412.
pub async fn approve(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: MeetingId,
    precondition: Precondition,
) -> Result<MinutesRow, ApiError> {
    caller.require(Action::write(Resource::Governance))?;
    conn.transaction(async |conn| {
        meetings::visible(conn, caller, id).await?;
        repo::find_meeting(conn, id, true).await?;
        let Some(current) = repo::find_minutes(conn, id, true).await? else {
            return Err(ApiError::conflict(
                "minutes_missing",
                "The meeting has no draft minutes: write them first (PUT …/minutes).",
            ));
        };
        precondition.check(current.version, IfMatch::Optional)?;
        check_draft(&current)?;
        let content = generate(conn, id, &current.debate_summary).await?;
        let text = serde_json::to_string(&content).map_err(ApiError::internal)?;
        let hash = sha256_hex(&text);
        let row = repo::approve_minutes(conn, id, &text, &hash, caller.user_id()).await?;
        let after = serde_json::json!({"status": row.status, "content_sha256": hash});
        audit::record(
            conn,
            caller,
            Change {
                action: "minutes_approved",
                resource_type: "meeting",
                resource_id: id.uuid(),
                before: None,
                after: Some(&after),
            },
        )
        .await?;
        Ok(row)
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha256_is_the_hex_of_the_utf8_text() {
        assert_eq!(
            super::sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let h = super::sha256_hex("Acta de la Asamblea: aprobación, año, señal");
        assert_eq!(h.len(), 64);
        assert!(
            h.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }
}
