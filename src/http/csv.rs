//! CSV exports of lists: `Accept: text/csv` on any list, with the list's filters.
//!
//! Rows are fetched in keyset batches (a connection is held only per batch) and written
//! to the response through a bounded channel, so memory stays constant however long the
//! export, and a slow client slows the export instead of filling memory. Output is RFC 4180
//! (CRLF, quoted when needed) in UTF-8 with a byte-order mark so that Excel reads accents
//! right; cells that a spreadsheet would run as a formula are neutralised.

use std::future::Future;

use actix_web::{HttpRequest, HttpResponse, http::header, web::Bytes};

use crate::error::ApiError;

/// Rows per database round trip.
pub const BATCH: i64 = 1000;
/// Chunks buffered between the database task and the socket.
const CHANNEL_CHUNKS: usize = 8;
/// Bytes per chunk sent to the client.
const CHUNK_BYTES: usize = 64 * 1024;

/// Whether the client asked for CSV.
pub fn wants_csv(req: &HttpRequest) -> bool {
    accepts(req, "text/csv")
}

/// Whether `Accept` names the media type `media` (parameters and weights aside).
pub fn accepts(req: &HttpRequest, media: &str) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            range
                .split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case(media))
        })
}

/// A type exported as CSV rows.
pub trait CsvRow {
    /// Column names.
    fn header() -> &'static [&'static str];
    /// One row's cells, in header order.
    fn cells(&self) -> Vec<String>;
}

/// Writes one cell: neutralised against formula injection, quoted when needed.
pub fn write_cell(out: &mut String, value: &str) {
    let risky = value
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'))
        && value.parse::<f64>().is_err();
    let value = if risky {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\r', '\n']) || value.starts_with(' ') || value.ends_with(' ') {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&value);
    }
}

/// Writes one record with CRLF.
pub fn write_record<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_cell(out, cell.as_ref());
    }
    out.push_str("\r\n");
}

/// Streams every row `fetch` yields as a CSV attachment. `fetch(after)` returns the next
/// batch (at most [`BATCH`] rows) after the key `after`; `key_of` gives a row's key.
pub fn stream<R, K, F, Fut>(filename: &str, mut fetch: F, key_of: fn(&R) -> K) -> HttpResponse
where
    R: CsvRow + 'static,
    K: 'static,
    F: FnMut(Option<K>) -> Fut + 'static,
    Fut: Future<Output = Result<Vec<R>, ApiError>> + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, actix_web::Error>>(CHANNEL_CHUNKS);
    actix_web::rt::spawn(async move {
        let mut buf = String::from("\u{feff}");
        write_record(&mut buf, R::header());
        let mut after: Option<K> = None;
        loop {
            let rows = match fetch(after.take()).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(error = %e, "CSV export failed midway");
                    let _ = tx
                        .send(Err(actix_web::error::ErrorInternalServerError(
                            "export failed",
                        )))
                        .await;
                    return;
                }
            };
            let done = (rows.len() as i64) < BATCH;
            for row in &rows {
                write_record(&mut buf, &row.cells());
                if buf.len() >= CHUNK_BYTES {
                    let chunk = Bytes::from(std::mem::take(&mut buf));
                    if tx.send(Ok(chunk)).await.is_err() {
                        return; // the client went away
                    }
                }
            }
            after = rows.last().map(key_of);
            if done || after.is_none() {
                break;
            }
        }
        if !buf.is_empty() {
            let _ = tx.send(Ok(Bytes::from(buf))).await;
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(body)
}

/// Answers with rows already in memory (a report of bounded size) as a CSV attachment.
pub fn attachment<R: CsvRow>(filename: &str, rows: &[R]) -> HttpResponse {
    let mut buf = String::from("\u{feff}");
    write_record(&mut buf, R::header());
    for row in rows {
        write_record(&mut buf, &row.cells());
    }
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(cells: &[&str]) -> String {
        let mut s = String::new();
        write_record(&mut s, cells);
        s
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(line(&["a", "b c", "Núñez"]), "a,b c,Núñez\r\n");
        assert_eq!(
            line(&["x,y", "say \"hi\"", "two\nlines"]),
            "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
        assert_eq!(line(&[""]), "\r\n");
    }

    #[test]
    fn formulas_are_neutralised_but_numbers_are_not() {
        assert_eq!(
            line(&["=1+1", "+34 600", "@SUM(A1)", "-cmd|x"]),
            "'=1+1,'+34 600,'@SUM(A1),'-cmd|x\r\n"
        );
        assert_eq!(line(&["-12.5", "42", "+7"]), "-12.5,42,+7\r\n");
    }

    #[test]
    fn accept_negotiation_finds_text_csv() {
        let req = actix_web::test::TestRequest::default()
            .insert_header((header::ACCEPT, "application/json;q=0.5, text/csv"))
            .to_http_request();
        assert!(wants_csv(&req));
        let req = actix_web::test::TestRequest::default().to_http_request();
        assert!(!wants_csv(&req));
    }
}
