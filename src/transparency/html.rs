//! The published year as one plain HTML page a cluster can link from its website:
//! server-rendered, every text escaped, no script and no external resource. Its one inline
//! style is allowed by hash ([`CSP`]): the API's `default-src 'none'` otherwise stays.

use std::fmt::Write;

use super::document::TransparencyDocument;
use crate::{
    budgets::model::LineKind,
    domain::{Cents, calendar},
    governance::model::Position,
};

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

/// The page's only style, inline; its SHA-256 is in the page's Content-Security-Policy
/// ([`CSP`]), so nothing else (no script, no external resource) can run or load.
pub const STYLE: &str = "\
:root{color-scheme:light;--ink:#1d2430;--muted:#5b6473;--line:#d9dee6;--band:#f4f6f9;--accent:#0b5cad}\
*{box-sizing:border-box}\
body{margin:0;background:#eef1f5;color:var(--ink);font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\
main{max-width:72rem;margin:0 auto;padding:2rem 1.5rem 3rem;background:#fff;min-height:100vh}\
header{border-bottom:3px solid var(--accent);padding-bottom:1rem;margin-bottom:1.5rem}\
h1{font-size:1.75rem;line-height:1.25;margin:0 0 .35rem}\
.entity{font-size:1.15rem;font-weight:600;margin:0}\
.meta,.note{color:var(--muted);margin:.35rem 0 0}\
.figures{display:flex;flex-wrap:wrap;gap:1rem;margin:0 0 1.5rem;padding:0;list-style:none}\
.figures li{flex:1 1 11rem;background:var(--band);border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem}\
.figures b{display:block;font-size:1.35rem;font-variant-numeric:tabular-nums}\
.figures span{color:var(--muted);font-size:.9rem}\
section{margin:0 0 2rem}\
.scroll{overflow-x:auto}\
table{width:100%;border-collapse:collapse;font-size:.92rem}\
caption{text-align:left;font-size:1.2rem;font-weight:700;padding:0 0 .5rem}\
th,td{padding:.45rem .6rem;border-bottom:1px solid var(--line);vertical-align:top;text-align:left}\
thead th{background:var(--band);border-bottom:2px solid var(--line);font-weight:600}\
tbody tr:nth-child(even){background:#fafbfc}\
td.n,th.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\
a{color:var(--accent)}\
footer{border-top:1px solid var(--line);padding-top:1rem;color:var(--muted);font-size:.9rem}\
";

/// The page's Content-Security-Policy: the API's (`default-src 'none'`) plus its own style,
/// by hash.
pub static CSP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use sha2::{Digest, Sha256};
    let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!("default-src 'none'; style-src 'sha256-{hash}'; frame-ancestors 'none'")
});

/// Euros as Spanish readers write them: `1.234.567,89 €`.
fn euros(c: Cents) -> String {
    c.spanish()
}

/// A date as `DD/MM/YYYY`.
fn date(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A table; `numeric` marks the columns to align right. Cells arrive escaped.
fn table(
    out: &mut String,
    caption: &str,
    header: &[&str],
    numeric: &[usize],
    rows: &[Vec<String>],
) {
    let class = |i: usize| {
        if numeric.contains(&i) {
            " class=\"n\""
        } else {
            ""
        }
    };
    let _ = write!(
        out,
        "<section><div class=\"scroll\"><table><caption>{}</caption><thead><tr>",
        escape(caption)
    );
    for (i, h) in header.iter().enumerate() {
        let _ = write!(out, "<th scope=\"col\"{}>{}</th>", class(i), escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    if rows.is_empty() {
        let _ = write!(
            out,
            "<tr><td colspan=\"{}\">Nada que publicar en este ejercicio.</td></tr>",
            header.len()
        );
    }
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let _ = write!(out, "<td{}>{cell}</td>", class(i));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div></section>");
}

fn position(p: Position) -> &'static str {
    match p {
        Position::President => "Presidencia",
        Position::VicePresident => "Vicepresidencia",
        Position::Secretary => "Secretaría",
        Position::Treasurer => "Tesorería",
        Position::Member => "Vocal",
    }
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
         <title>Portal de transparencia {year} · {name}</title><style>{STYLE}</style></head>\
         <body><main><header><h1>Portal de transparencia · ejercicio {year}</h1>"
    );
    if let Some(e) = &doc.entity {
        let _ = write!(
            out,
            "<p class=\"entity\">{name} <span class=\"meta\">(NIF {})</span></p>",
            escape(&e.tax_id)
        );
        if let Some(w) = &e.website {
            let w = escape(w);
            let _ = write!(out, "<p class=\"meta\"><a href=\"{w}\">{w}</a></p>");
        }
    }
    let _ = write!(
        out,
        "<p class=\"meta\">Publicado el {}. Información publicada conforme a la Ley 19/2013, de \
         transparencia, artículos 3.b y 8.</p>",
        date(calendar::date_of(doc.published_at))
    );
    if let Some(note) = &doc.note {
        let _ = write!(out, "<p class=\"note\">{}</p>", escape(note));
    }
    out.push_str("</header><ul class=\"figures\">");
    let mut figure = |value: String, label: &str| {
        let _ = write!(out, "<li><b>{value}</b><span>{}</span></li>", escape(label));
    };
    figure(euros(doc.public_aid_cents), "Ayudas públicas del ejercicio");
    figure(
        doc.agreements.len().to_string(),
        "Convenios con administraciones públicas",
    );
    figure(
        doc.subsidies.len().to_string(),
        "Subvenciones y ayudas recibidas",
    );
    if let Some(b) = &doc.budget {
        figure(euros(b.planned_income_cents), "Ingresos presupuestados");
        figure(euros(b.actual_income_cents), "Ingresos ejecutados");
    }
    out.push_str("</ul>");
    let rows: Vec<Vec<String>> = doc
        .agreements
        .iter()
        .map(|a| {
            vec![
                escape(&a.parties.join(" / ")),
                escape(&a.object),
                format!("{} – {}", date(a.starts_on), date(a.ends_on)),
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
        &[3, 4, 6],
        &rows,
    );
    let rows: Vec<Vec<String>> = doc
        .subsidies
        .iter()
        .map(|s| {
            vec![
                escape(&s.grantor),
                escape(&s.purpose),
                escape(match s.instrument.as_str() {
                    "grant" => "Subvención",
                    "agreement" => "Convenio",
                    other => other,
                }),
                euros(s.amount_cents),
            ]
        })
        .collect();
    table(
        &mut out,
        "Subvenciones y ayudas públicas recibidas",
        &["Órgano concedente", "Objeto", "Instrumento", "Importe"],
        &[3],
        &rows,
    );
    let rows: Vec<Vec<String>> = doc
        .budget
        .iter()
        .flat_map(|b| b.lines.iter())
        .map(|l| {
            vec![
                escape(&l.code),
                match l.kind {
                    LineKind::Income => "Ingreso".into(),
                    LineKind::Expense => "Gasto".into(),
                },
                escape(&l.description),
                euros(l.planned_cents),
                euros(l.actual_cents),
            ]
        })
        .collect();
    let caption = doc.budget.as_ref().map_or_else(
        || "Presupuesto y ejecución".to_owned(),
        |b| format!("Presupuesto y ejecución: {}", b.title),
    );
    table(
        &mut out,
        &caption,
        &[
            "Partida",
            "Tipo",
            "Descripción",
            "Presupuestado",
            "Ejecutado",
        ],
        &[3, 4],
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
                            position(s.position).into(),
                        ]
                    })
                    .collect()
            };
            lines
        })
        .collect();
    table(
        &mut out,
        &format!("Órganos de gobierno a {}", date(doc.composition_on)),
        &["Órgano", "Organización", "Cargo"],
        &[],
        &rows,
    );
    let _ = write!(
        out,
        "<footer><p>Datos reutilizables (JSON; cada sección también en CSV): \
         <a href=\"/public/v1/transparency/{year}\">todo el ejercicio</a>, \
         <a href=\"/public/v1/transparency/{year}/agreements\">convenios</a>, \
         <a href=\"/public/v1/transparency/{year}/subsidies\">subvenciones</a>, \
         <a href=\"/public/v1/transparency/{year}/budget\">presupuesto</a>, \
         <a href=\"/public/v1/transparency/{year}/governing-bodies\">órganos de gobierno</a>.</p>\
         </footer></main></body></html>"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euros_are_written_the_spanish_way() {
        assert_eq!(euros(Cents(0)), "0,00 €");
        assert_eq!(euros(Cents(5)), "0,05 €");
        assert_eq!(euros(Cents(99_999)), "999,99 €");
        assert_eq!(euros(Cents(100_000)), "1.000,00 €");
        assert_eq!(euros(Cents(12_345_678)), "123.456,78 €");
        assert_eq!(euros(Cents(-123_456_789)), "-1.234.567,89 €");
    }

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
