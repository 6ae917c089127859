//! The published year as one plain HTML page a cluster can link from its website:
//! server-rendered, every text escaped, no script and no external resource (the API's
//! `Content-Security-Policy: default-src 'none'` stays as it is).

use std::fmt::Write;

use super::document::TransparencyDocument;
use crate::domain::Cents;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn euros(c: Cents) -> String {
    escape(&c.to_string())
}

fn table(out: &mut String, caption: &str, header: &[&str], rows: &[Vec<String>]) {
    let _ = write!(
        out,
        "<table><caption>{}</caption><thead><tr>",
        escape(caption)
    );
    for h in header {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    if rows.is_empty() {
        let _ = write!(out, "<tr><td colspan=\"{}\">—</td></tr>", header.len());
    }
    for row in rows {
        out.push_str("<tr>");
        // Cells arrive escaped.
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

/// The page, in Spanish (the law's language).
pub fn render(doc: &TransparencyDocument) -> String {
    let year = doc.fiscal_year;
    let name = doc
        .entity
        .as_ref()
        .map_or_else(String::new, |e| escape(&e.legal_name));
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"es\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Portal de transparencia {year} · {name}</title></head><body>\
         <h1>Portal de transparencia · ejercicio {year}</h1><p>{name}"
    );
    if let Some(e) = &doc.entity {
        let _ = write!(out, " (NIF {})", escape(&e.tax_id));
    }
    let _ = write!(
        out,
        ". Publicado el {}. Ley 19/2013, de transparencia, artículos 3.b y 8.</p>",
        doc.published_at.format("%Y-%m-%d")
    );
    if let Some(note) = &doc.note {
        let _ = write!(out, "<p>{}</p>", escape(note));
    }
    let _ = write!(
        out,
        "<p>Ayudas públicas del ejercicio: {}. Datos reutilizables: \
         <a href=\"/public/v1/transparency/{year}\">JSON</a>, \
         <a href=\"/public/v1/transparency/{year}/agreements\">convenios</a>, \
         <a href=\"/public/v1/transparency/{year}/subsidies\">subvenciones</a>, \
         <a href=\"/public/v1/transparency/{year}/budget\">presupuesto</a>, \
         <a href=\"/public/v1/transparency/{year}/governing-bodies\">órganos de gobierno</a> \
         (también en CSV).</p>",
        euros(doc.public_aid_cents)
    );
    let rows: Vec<Vec<String>> = doc
        .agreements
        .iter()
        .map(|a| {
            vec![
                escape(&a.parties.join(" / ")),
                escape(&a.object),
                format!("{} – {}", a.starts_on, a.ends_on),
                euros(a.total_cents),
                euros(a.year_cents),
                escape(a.economic_obligations.as_deref().unwrap_or("")),
                a.modifications.to_string(),
            ]
        })
        .collect();
    table(
        &mut out,
        "Convenios con administraciones públicas",
        &[
            "Partes",
            "Objeto",
            "Vigencia",
            "Importe total",
            "Importe del ejercicio",
            "Obligaciones económicas",
            "Modificaciones",
        ],
        &rows,
    );
    let rows: Vec<Vec<String>> = doc
        .subsidies
        .iter()
        .map(|s| {
            vec![
                escape(&s.grantor),
                escape(&s.purpose),
                escape(&s.instrument),
                euros(s.amount_cents),
            ]
        })
        .collect();
    table(
        &mut out,
        "Subvenciones y ayudas públicas recibidas",
        &["Órgano concedente", "Objeto", "Instrumento", "Importe"],
        &rows,
    );
    let rows: Vec<Vec<String>> = doc
        .budget
        .iter()
        .flat_map(|b| b.lines.iter())
        .map(|l| {
            vec![
                escape(&l.code),
                escape(&l.kind.to_string()),
                escape(&l.description),
                euros(l.planned_cents),
                euros(l.actual_cents),
            ]
        })
        .collect();
    table(
        &mut out,
        "Presupuesto y ejecución",
        &[
            "Partida",
            "Tipo",
            "Descripción",
            "Presupuestado",
            "Ejecutado",
        ],
        &rows,
    );
    let rows: Vec<Vec<String>> = doc
        .governing_bodies
        .iter()
        .flat_map(|b| {
            let body = b.name.clone();
            let count = b.voting_organisations;
            let lines: Vec<Vec<String>> = if b.seats.is_empty() {
                vec![vec![
                    escape(&body),
                    format!("{count} organizaciones con voto"),
                    String::new(),
                ]]
            } else {
                b.seats
                    .iter()
                    .map(|s| {
                        vec![
                            escape(&body),
                            escape(&s.organisation),
                            escape(&s.position.to_string()),
                        ]
                    })
                    .collect()
            };
            lines
        })
        .collect();
    table(
        &mut out,
        &format!("Órganos de gobierno a {}", doc.composition_on),
        &["Órgano", "Organización", "Cargo"],
        &rows,
    );
    out.push_str("</body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
