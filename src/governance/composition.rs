//! Who sits with voice and vote on each governing body on a day, for reports that check the
//! bodies' composition (the AEI register wants a knowledge provider on every one).

use std::collections::HashSet;

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;

use super::{
    model::{BodyKind, Position},
    repo,
};
use crate::domain::{BodyId, MemberId};

/// A body, how many member organisations vote on it, and the knowledge providers among them.
#[derive(Debug, Clone)]
pub struct Composition {
    /// The body.
    pub id: BodyId,
    /// Its name.
    pub name: String,
    /// Assembly, board or committee.
    pub kind: BodyKind,
    /// How many member organisations have a vote: for the Assembly, the members entitled to
    /// vote today (what a convening would freeze); for boards and committees, the
    /// organisations holding a seat on `on`, each once.
    pub voters: i64,
    /// The legal names of the knowledge providers (universities, technology centres) among
    /// them: by name for the Assembly, in seat order for the others.
    pub knowledge_providers: Vec<String>,
    /// The seats held on `on`, in the order they started (empty for the Assembly, whose
    /// voters hold no seat): what the transparency feed publishes, read once with the count.
    pub seats: Vec<HeldSeat>,
}

/// A seat held on the day, with its holder's legal name.
#[derive(Debug, Clone)]
pub struct HeldSeat {
    /// The legal name of the member organisation holding it (empty if it has left the
    /// register since).
    pub organisation: String,
    /// President, secretary, member …
    pub position: Position,
}

/// Every body (by name) with its voters counted and its knowledge providers named. The
/// Assembly's are counted and filtered in the database, once whatever the bodies: the
/// register is never loaded whole.
pub async fn on(
    conn: &mut AsyncPgConnection,
    on: NaiveDate,
) -> diesel::QueryResult<Vec<Composition>> {
    let mut out = Vec::new();
    let mut after = None;
    let mut assembly: Option<(i64, Vec<String>)> = None;
    loop {
        let page = repo::list_bodies(conn, None, after.clone(), 100).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.name.clone(), last.id));
        let full = page.len() == 100;
        for body in page {
            let (voters, knowledge_providers, seats) = if body.kind == BodyKind::Assembly {
                if assembly.is_none() {
                    assembly = Some(crate::members::repo::entitled_voters_summary(conn).await?);
                }
                let (voters, providers) = assembly.clone().unwrap_or_default();
                (voters, providers, Vec::new())
            } else {
                seat_holders(conn, body.id, on).await?
            };
            out.push(Composition {
                id: body.id,
                name: body.name,
                kind: body.kind,
                voters,
                knowledge_providers,
                seats,
            });
        }
        if !full {
            break;
        }
    }
    Ok(out)
}

/// The organisations holding a seat on a board or committee on a day, counted once each;
/// the knowledge providers among them in seat order; and the seats with their holders' names.
async fn seat_holders(
    conn: &mut AsyncPgConnection,
    body: BodyId,
    on: NaiveDate,
) -> diesel::QueryResult<(i64, Vec<String>, Vec<HeldSeat>)> {
    let seats = repo::seats_on(conn, body, on).await?;
    let mut seen = HashSet::new();
    let holders: Vec<MemberId> = seats
        .iter()
        .map(|s| s.member_id)
        .filter(|m| seen.insert(*m))
        .collect();
    let kinds = crate::members::repo::names_and_kinds(conn, &holders).await?;
    let providers = holders
        .iter()
        .filter_map(|m| kinds.get(m))
        .filter(|(_, k)| k.is_knowledge_provider())
        .map(|(name, _)| name.clone())
        .collect();
    let held = seats
        .into_iter()
        .map(|s| HeldSeat {
            organisation: kinds
                .get(&s.member_id)
                .map(|(name, _)| name.clone())
                .unwrap_or_default(),
            position: s.position,
        })
        .collect();
    Ok((
        i64::try_from(holders.len()).unwrap_or(i64::MAX),
        providers,
        held,
    ))
}
