//! Events that come from the passing of time rather than a request: a call that opened, a
//! justification coming due.
//! Each replica's worker runs the scan; each event is written once (its `dedupe_key`).

use chrono::Days;
use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{kinds, record};
use crate::{domain::calendar, error::ApiError, funding};

/// Records `call.opened` for every call open now that has none yet; the number written.
pub async fn calls_opened(conn: &mut AsyncPgConnection) -> Result<usize, ApiError> {
    let calls = funding::repo::open_calls(conn, chrono::Utc::now()).await?;
    let mut written = 0;
    for call in calls {
        let key = format!("call.opened:{}:{}", call.id, call.opens_at.timestamp());
        let event = kinds::call_opened(&call).once(key);
        if conn
            .transaction(async |conn| record(conn, event).await)
            .await?
        {
            written += 1;
        }
    }
    Ok(written)
}

/// The days before a justification's deadline at which `justification.due_soon` is sent:
/// each deadline is announced once per threshold, at the tightest one reached (a grant
/// accepted five days before its deadline gets the 7-day notice, then the 1-day one).
pub const DUE_SOON_DAYS: [i64; 3] = [1, 7, 30];

/// The tightest threshold of [`DUE_SOON_DAYS`] that `days_left` has reached, if any (a
/// deadline already past has none).
pub fn due_soon_threshold(days_left: i64) -> Option<i64> {
    if days_left < 0 {
        return None;
    }
    DUE_SOON_DAYS.into_iter().find(|t| days_left <= *t)
}

/// Records `justification.due_soon` for the justifications of accepted grants, of
/// agreements and of their instalments due in the next 30 days (Europe/Madrid), once per
/// deadline and threshold; the number written.
pub async fn justifications_due_soon(conn: &mut AsyncPgConnection) -> Result<usize, ApiError> {
    let today = calendar::today();
    let horizon = DUE_SOON_DAYS[DUE_SOON_DAYS.len() - 1];
    let to = today
        .checked_add_days(Days::new(horizon.unsigned_abs()))
        .unwrap_or(today);
    let mut due = Vec::new();
    for (app, funder) in funding::repo::justifications_due_with_funder(conn, today, to).await? {
        if let Some(on) = app.justification_due_on {
            due.push(kinds::DueJustification::application(&app, funder, on));
        }
    }
    let agreements = funding::repo::agreements_due(conn, None, today, to).await?;
    let ids: Vec<_> = agreements.iter().map(|a| a.id).collect();
    let instalments = funding::repo::instalments(conn, &ids).await?;
    for a in &agreements {
        if let Some(on) = a.justification_due_on.filter(|d| *d >= today && *d <= to) {
            due.push(kinds::DueJustification::agreement(a, None, on));
        }
        for i in instalments.iter().filter(|i| i.agreement_id == a.id) {
            if let Some(on) = i.justification_due_on.filter(|d| *d >= today && *d <= to) {
                due.push(kinds::DueJustification::agreement(a, Some(i), on));
            }
        }
    }
    let mut written = 0;
    for d in due {
        let days_left = (d.due_on - today).num_days();
        let Some(threshold) = due_soon_threshold(days_left) else {
            continue;
        };
        let event = d.event(days_left, threshold);
        if conn
            .transaction(async |conn| record(conn, event).await)
            .await?
        {
            written += 1;
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::due_soon_threshold;

    #[test]
    fn thresholds_are_the_tightest_reached() {
        assert_eq!(due_soon_threshold(-1), None);
        assert_eq!(due_soon_threshold(0), Some(1));
        assert_eq!(due_soon_threshold(1), Some(1));
        assert_eq!(due_soon_threshold(2), Some(7));
        assert_eq!(due_soon_threshold(7), Some(7));
        assert_eq!(due_soon_threshold(8), Some(30));
        assert_eq!(due_soon_threshold(30), Some(30));
        assert_eq!(due_soon_threshold(31), None);
    }
}
