//! Events that come from the passing of time rather than a request: a call that opened.
//! Each replica's worker runs the scan; each event is written once (its `dedupe_key`).

use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::record;
use crate::{error::ApiError, funding};

/// Records `call.opened` for every call open now that has none yet; the number written.
pub async fn calls_opened(conn: &mut AsyncPgConnection) -> Result<usize, ApiError> {
    let calls = funding::repo::open_calls(conn, chrono::Utc::now()).await?;
    let mut written = 0;
    for call in calls {
        let key = format!("call.opened:{}:{}", call.id, call.opens_at.timestamp());
        let event = super::kinds::call_opened(&call).once(key);
        if conn
            .transaction(async |conn| record(conn, event).await)
            .await?
        {
            written += 1;
        }
    }
    Ok(written)
}
