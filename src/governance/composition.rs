//! Who sits with voice and vote on each governing body on a day, for reports that check the
//! bodies' composition (the AEI register wants a knowledge provider on every one).

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;

use super::{model::BodyKind, repo};
use crate::domain::{BodyId, MemberId};

/// A body and the member organisations with a vote on it.
#[derive(Debug, Clone)]
pub struct Composition {
    /// The body.
    pub id: BodyId,
    /// Its name.
    pub name: String,
    /// Assembly, board or committee.
    pub kind: BodyKind,
    /// The member organisations with a vote: for the Assembly, the members entitled to vote
    /// today (what a convening would freeze); for boards and committees, the organisations
    /// holding a seat on `on`.
    pub voters: Vec<MemberId>,
}

/// Every body (by name) with its voters.
pub async fn on(
    conn: &mut AsyncPgConnection,
    on: NaiveDate,
) -> diesel::QueryResult<Vec<Composition>> {
    let mut out = Vec::new();
    let mut after = None;
    // The Assembly's voters do not depend on the body: read once, whatever the bodies.
    let mut assembly: Option<Vec<MemberId>> = None;
    loop {
        let page = repo::list_bodies(conn, None, after.clone(), 100).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.name.clone(), last.id));
        let full = page.len() == 100;
        for body in page {
            let voters = if body.kind == BodyKind::Assembly {
                if assembly.is_none() {
                    let voters = crate::members::repo::entitled_voters(conn).await?;
                    assembly = Some(voters.into_iter().map(|(id, _, _)| id).collect());
                }
                assembly.clone().unwrap_or_default()
            } else {
                let mut ids: Vec<MemberId> = repo::seats_on(conn, body.id, on)
                    .await?
                    .into_iter()
                    .map(|s| s.member_id)
                    .collect();
                ids.dedup();
                ids
            };
            out.push(Composition {
                id: body.id,
                name: body.name,
                kind: body.kind,
                voters,
            });
        }
        if !full {
            break;
        }
    }
    Ok(out)
}
