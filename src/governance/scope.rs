//! Who sees what of governance. Staff, admins and auditors see everything; a member
//! representative sees the General Assembly, the bodies where its organisation holds a seat,
//! the meetings of the bodies its organisation belongs to (the Assembly's while it is an
//! active member, a board's where it holds or held a seat) and those whose roll lists it;
//! of a roll, only its own entry; of minutes, approved ones. Partners see nothing of it (404
//! on any one object, 403 on lists, like any resource their role has no right to).

use diesel_async::AsyncPgConnection;

use super::{
    model::{BodyKind, BodyRow, MeetingRow},
    repo::{self, MemberView},
};
use crate::{
    auth::{Action, Caller, Resource, Role},
    domain::MemberId,
    error::{ApiError, not_found},
    members::model::MemberStatus,
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

/// The meetings a caller sees: `None` for everything; 403 for a list the caller's role may
/// not read.
pub async fn meeting_view(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
) -> Result<Option<MemberView>, ApiError> {
    let Some(member) = narrowed_to(caller)? else {
        return Ok(None);
    };
    Ok(Some(view_of(conn, member).await?))
}

async fn view_of(conn: &mut AsyncPgConnection, member: MemberId) -> Result<MemberView, ApiError> {
    use diesel::OptionalExtension;
    let card = crate::members::repo::find(conn, member).await.optional()?;
    Ok(MemberView {
        member,
        assembly: card.is_some_and(|c| c.row.status == MemberStatus::Active),
    })
}

/// 404 unless the caller sees the meeting (see the module's rules).
pub async fn check_meeting(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    meeting: &MeetingRow,
) -> Result<(), ApiError> {
    let Some(member) = read_one(caller)? else {
        return Ok(());
    };
    if repo::on_roll(conn, meeting.id, member).await?
        || repo::has_seat(conn, meeting.body_id, member).await?
    {
        return Ok(());
    }
    let body = repo::find_body(conn, meeting.body_id, false).await?;
    if body.kind == BodyKind::Assembly && view_of(conn, member).await?.assembly {
        return Ok(());
    }
    Err(not_found())
}

/// The organisation whose roll entries a caller reads (`None`: the whole roll).
pub fn roll_narrowed_to(caller: &Caller) -> Option<MemberId> {
    (caller.role == Role::Member).then(|| MemberId(caller.member_id.unwrap_or_default()))
}
