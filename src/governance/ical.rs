//! iCalendar (RFC 5545) of meetings: `Accept: text/calendar` on one meeting and on a body's
//! meetings. Written by hand (a few dozen lines, no crate): CRLF line ends, lines folded at
//! 75 octets without splitting a UTF-8 character, TEXT values escaped, times in UTC
//! (`…Z`, so no VTIMEZONE is needed), a UID stable per meeting, DTSTAMP and SEQUENCE from
//! the meeting's last change so that calendar clients update an event instead of
//! duplicating it.

use std::fmt::Write as _;

use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

use super::model::{BodyRow, MeetingKind, MeetingRow, MeetingStatus};

/// The media type.
pub const TEXT_CALENDAR: &str = "text/calendar";

/// Whether the client asked for iCalendar.
pub fn wanted(req: &HttpRequest) -> bool {
    crate::http::csv::accepts(req, TEXT_CALENDAR)
}

/// A calendar answer.
pub fn respond(filename: &str, calendar: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}\""),
        ))
        .body(calendar)
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded at 75 octets (§3.1) and ended by CRLF.
pub fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            // The leading space of a continuation counts towards its 75 octets.
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// A UTC date-time (`20250312T163000Z`).
pub fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// What the event says of a meeting: its agenda titles, in order.
pub struct Event<'a> {
    /// The meeting.
    pub meeting: &'a MeetingRow,
    /// Its body.
    pub body: &'a BodyRow,
    /// Its agenda's titles, in order.
    pub agenda: Vec<String>,
}

fn event(out: &mut String, e: &Event<'_>) {
    let m = e.meeting;
    let kind = match m.kind {
        MeetingKind::Ordinary => "ordinaria",
        MeetingKind::Extraordinary => "extraordinaria",
    };
    line(out, "BEGIN:VEVENT");
    line(out, &format!("UID:meeting-{}@agrupa", m.id));
    line(out, &format!("DTSTAMP:{}", utc(m.updated_at)));
    line(out, &format!("CREATED:{}", utc(m.created_at)));
    line(out, &format!("LAST-MODIFIED:{}", utc(m.updated_at)));
    line(out, &format!("SEQUENCE:{}", m.version.max(0)));
    line(out, &format!("DTSTART:{}", utc(m.first_call_at)));
    line(
        out,
        &format!(
            "SUMMARY:{}",
            escape(&format!("{} (reunión {kind})", e.body.name))
        ),
    );
    if let Some(place) = &m.place {
        line(out, &format!("LOCATION:{}", escape(place)));
    }
    let mut description = String::new();
    if let Some(second) = m.second_call_at {
        let _ = writeln!(description, "Segunda convocatoria: {}", utc(second));
    }
    if let Some(reason) = &m.reason {
        let _ = writeln!(description, "Motivo: {reason}");
    }
    if let Some(url) = &m.online_url {
        let _ = writeln!(description, "En línea: {url}");
    }
    if !e.agenda.is_empty() {
        description.push_str("Orden del día:\n");
        for (i, title) in e.agenda.iter().enumerate() {
            let _ = writeln!(description, "{}. {title}", i + 1);
        }
    }
    if !description.is_empty() {
        line(
            out,
            &format!("DESCRIPTION:{}", escape(description.trim_end())),
        );
    }
    let status = if m.status == MeetingStatus::Failed {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    line(out, &format!("STATUS:{status}"));
    line(out, "END:VEVENT");
}

/// A calendar of meetings (`name`: the calendar's display name).
pub fn calendar(name: &str, events: &[Event<'_>]) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//agrupa//Gobierno de la asociación//ES");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    for e in events {
        event(&mut out, e);
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("Sala 1; planta 2, Madrid\\\nfin"),
            "Sala 1\\; planta 2\\, Madrid\\\\\\nfin"
        );
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let text = format!("SUMMARY:{}", "aprobación ".repeat(20));
        line(&mut out, &text);
        assert!(out.ends_with("\r\n"));
        let physical: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(physical.len() > 2);
        for (i, l) in physical.iter().enumerate() {
            assert!(l.len() <= 75, "line {i} has {} octets", l.len());
            if i > 0 {
                assert!(l.starts_with(' '));
            }
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, text);
    }

    #[test]
    fn utc_times_end_in_z() {
        let at = DateTime::parse_from_rfc3339("2024-03-12T16:30:00+01:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(utc(at), "20240312T153000Z");
    }
}
