//! Who sees what of governance. Staff, admins and auditors see everything; a member
//! representative sees the General Assembly, the bodies where its organisation holds a seat
//! and the meetings whose roll lists it; partners see nothing of it (404 on any one object,
//! 403 on lists, like any resource their role has no right to).

use diesel_async::AsyncPgConnection;

use super::{
    model::{BodyKind, BodyRow, MeetingRow},
    repo,
};
use crate::{
    auth::{Action, Caller, Resource, Role},
    domain::MemberId,
    error::{ApiError, not_found},
};

/// The organisation a representative's reads are narrowed to; `None` for callers who see
/// everything. 403 for a list the caller's role may not read.
pub fn narrowed_to(caller: &Caller) -> Result<Option<MemberId>, ApiError> {
    caller.require(Action::read(Resource::Governance))?;
    Ok(match caller.role {
        // A representative of no organisation sees nothing: the nil id matches no row.
        Role::Member => Some(MemberId(caller.member_id.unwrap_or_default())),
        _ => None,
    })
}

/// The read of one object: 404 for partners (never a 403 that tells the object exists).
fn read_one(caller: &Caller) -> Result<Option<MemberId>, ApiError> {
    if caller.role == Role::Partner {
        return Err(not_found());
    }
    narrowed_to(caller)
}

/// 404 unless the caller sees the body.
pub async fn check_body(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    body: &BodyRow,
) -> Result<(), ApiError> {
    match read_one(caller)? {
        None => Ok(()),
        Some(_) if body.kind == BodyKind::Assembly => Ok(()),
        Some(m) if repo::has_seat(conn, body.id, m).await? => Ok(()),
        Some(_) => Err(not_found()),
    }
}

/// 404 unless the caller sees the meeting (a representative: its organisation is on the
/// roll).
pub async fn check_meeting(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    meeting: &MeetingRow,
) -> Result<(), ApiError> {
    match read_one(caller)? {
        None => Ok(()),
        Some(m) if repo::on_roll(conn, meeting.id, m).await? => Ok(()),
        Some(_) => Err(not_found()),
    }
}
