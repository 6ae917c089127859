//! `POST /api/v1/bdns-call-imports`: a call imported from its export in the national subsidy
//! database (BDNS; [`format`] says which of its fields are read and which ignored), as a new
//! call or as an update of the call with its BDNS code, idempotently: importing the same file
//! again changes nothing (no new version, no audit event), and the answer lists what changed
//! field by field. `dry_run` answers the same without writing.
//!
//! - **The funder** of a new call is the request's `funder_id`, or else the funder whose name
//!   is one of the file's `organo` levels (compared without case, accents or punctuation; the
//!   most specific level that names a funder wins): none, or two funders for that level, is a
//!   422 on `convocatoria.organo` (send `funder_id`). An existing call keeps its funder; a
//!   `funder_id` that differs from it is a 409.
//! - **What the BDNS does not publish** (the co-financing rate, the largest grant, the
//!   programme) comes from `new_call` when the import creates the call (the rate is
//!   required then), and is never touched by an update, nor are the eligible cost categories,
//!   the execution period and the justification deadline.
//! - A value the file leaves out or sends as `null` keeps the call's; the import never
//!   clears a field.
//!
//! Staff and admins; one transaction, audited as the call's creation or change.

pub mod format;

use actix_web::{HttpResponse, http::header, post, web};
use diesel::OptionalExtension;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use self::format::{BdnsConvocatoria, Read};
use super::{
    calls::{Call, CallView, bdns_taken, view},
    funders,
    model::{CallChanges, CallRow, FunderRow},
    repo,
    scope::staff_only,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::{CallId, Cents, FunderId, text},
    error::{ApiError, FieldError, FieldErrors},
    http::json::Json,
    plans::model::{Comparable, FieldChange, field_diff},
};

/// What a call the import creates needs that the BDNS does not publish.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCallSettings {
    /// Co-financing rate, basis points (1–10000).
    #[schema(minimum = 1, maximum = 10000, example = 8000)]
    pub cofinancing_rate_bp: i32,
    /// Largest grant per application, euro cents.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub max_grant_cents: Option<Cents>,
    /// Programme.
    #[schema(min_length = 1, max_length = 300)]
    pub programme: Option<String>,
}

/// An import of a call from its BDNS export (staff, admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BdnsCallImport {
    /// The call as the BDNS exports it (its own field names; unknown fields are accepted).
    pub convocatoria: BdnsConvocatoria,
    /// The funder of a new call; without it, the funder named by `convocatoria.organo`.
    /// On an existing call it must be the call's funder.
    pub funder_id: Option<FunderId>,
    /// Settings of a new call (its co-financing rate is required then); ignored on update.
    pub new_call: Option<NewCallSettings>,
    /// Report what would change without writing anything.
    #[serde(default)]
    pub dry_run: bool,
}

crate::text_enum!(
    /// What an import did (or, in a dry run, would do).
    ImportOutcome {
        /// A new call.
        Created => "created",
        /// The call with the BDNS code changed.
        Updated => "updated",
        /// The call already says what the file says: nothing written.
        Unchanged => "unchanged",
    }
);

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BdnsCallImportResult {
    /// `created`, `updated` or `unchanged`.
    pub outcome: ImportOutcome,
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    /// The call after the import (in a dry run, as it would be; a new call's id is then
    /// not stored).
    pub call: Call,
    /// The call's fields that changed, with their values before (`null` for a new call)
    /// and after, by field name; empty when unchanged.
    pub changes: Vec<FieldChange>,
    /// Values of the file left out (a web address that is not one), with why.
    pub warnings: Vec<FieldError>,
}

/// The call's fields an import may set, as the `Call` representation names them.
const IMPORTED: [&str; 14] = [
    "funder_id",
    "title",
    "bdns_code",
    "programme",
    "journal_reference",
    "journal_url",
    "opens_at",
    "closes_at",
    "max_grant_cents",
    "cofinancing_rate_bp",
    "total_budget_cents",
    "regulatory_basis",
    "regulatory_basis_url",
    "instruments",
];

/// Imports a call from its BDNS export (staff, admins). A call created answers 201 with its
/// `Location`; an update, an unchanged call and any dry run answer 200.
#[utoipa::path(tag = "funding", request_body = BdnsCallImport, responses(
    (status = 200, description = "Updated, unchanged, or a dry run.", body = BdnsCallImportResult),
    (status = 201, description = "A new call (`Location`: the call).", body = BdnsCallImportResult),
    (status = 409, description = "`bdns_code_taken` (a concurrent import), \
        `bdns_call_of_other_funder`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/bdns-call-imports")]
pub async fn import_bdns_call(
    caller: Caller,
    body: Json<BdnsCallImport>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    let mut conn = state.conn().await?;
    let result = import(&mut conn, &caller, body.into_inner()).await?;
    if result.outcome == ImportOutcome::Created && !result.dry_run {
        return Ok(HttpResponse::Created()
            .insert_header((
                header::LOCATION,
                format!("/api/v1/calls/{}", result.call.id),
            ))
            .json(result));
    }
    Ok(HttpResponse::Ok().json(result))
}

/// A name as compared with the BDNS's organ levels: lower case, without accents or
/// punctuation, single spaces.
fn comparable_name(name: &str) -> String {
    let plain: String = name
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The funder an organ's levels (most specific first) name: the first level that names
/// exactly one funder (pure).
pub fn funder_named(levels: &[String], funders: &[FunderRow]) -> Result<FunderId, ApiError> {
    for level in levels {
        let wanted = comparable_name(level);
        let matches: Vec<&FunderRow> = funders
            .iter()
            .filter(|f| comparable_name(&f.name) == wanted)
            .collect();
        match matches.as_slice() {
            [one] => return Ok(one.id),
            [] => {}
            many => {
                let names: Vec<&str> = many.iter().map(|f| f.name.as_str()).collect();
                return Err(FieldErrors::one(
                    "convocatoria.organo",
                    "ambiguous",
                    format!(
                        "`{level}` names several funders ({}): send `funder_id`",
                        names.join(", ")
                    ),
                ));
            }
        }
    }
    Err(FieldErrors::one(
        "convocatoria.organo",
        "unknown",
        format!(
            "no funder is named {}: add the funder or send `funder_id`",
            if levels.is_empty() {
                "(the file names no organ)".to_owned()
            } else {
                levels
                    .iter()
                    .map(|l| format!("`{l}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            }
        ),
    ))
}

/// The call's fields an import may set, from its representation.
fn comparable(call: &Call) -> Result<Comparable, ApiError> {
    let value = serde_json::to_value(call).map_err(ApiError::internal)?;
    Ok(IMPORTED
        .iter()
        .map(|k| (*k, value.get(*k).cloned().unwrap_or_default()))
        .collect())
}

/// What changed between two versions of a call (a new call: from nothing, its fields set).
fn changes_of(before: Option<&Call>, after: &Call) -> Result<Vec<FieldChange>, ApiError> {
    let after = comparable(after)?;
    let before = match before {
        Some(b) => comparable(b)?,
        None => Comparable::new(),
    };
    Ok(field_diff(&before, &after)
        .into_iter()
        .filter(|c| !(c.before.is_null() && c.after == serde_json::json!([])))
        .collect())
}

/// `current` with what the file says set (what it leaves out is kept).
fn apply(current: &CallRow, read: &Read) -> CallRow {
    let mut next = current.clone();
    let set = |field: &mut Option<String>, value: &Option<String>| {
        if value.is_some() {
            field.clone_from(value);
        }
    };
    if let Some(t) = &read.title {
        next.title.clone_from(t);
    }
    next.bdns_code = Some(read.bdns_code.clone());
    set(&mut next.journal_reference, &read.journal_reference);
    set(&mut next.journal_url, &read.journal_url);
    set(&mut next.regulatory_basis, &read.regulatory_basis);
    set(&mut next.regulatory_basis_url, &read.regulatory_basis_url);
    next.opens_at = read.opens_at.unwrap_or(current.opens_at);
    next.closes_at = read.closes_at.unwrap_or(current.closes_at);
    next.total_budget_cents = read.total_budget_cents.or(current.total_budget_cents);
    if !read.instruments.is_empty() {
        next.instruments.clone_from(&read.instruments);
    }
    next
}

/// The changeset that turns `current` into `next` (the fields an import sets).
fn changeset(current: &CallRow, next: &CallRow) -> CallChanges {
    fn differs<T: PartialEq + Clone>(a: &T, b: &T) -> Option<T> {
        (a != b).then(|| b.clone())
    }
    CallChanges {
        title: differs(&current.title, &next.title),
        bdns_code: differs(&current.bdns_code, &next.bdns_code),
        journal_reference: differs(&current.journal_reference, &next.journal_reference),
        journal_url: differs(&current.journal_url, &next.journal_url),
        opens_at: differs(&current.opens_at, &next.opens_at),
        closes_at: differs(&current.closes_at, &next.closes_at),
        total_budget_cents: differs(&current.total_budget_cents, &next.total_budget_cents),
        regulatory_basis: differs(&current.regulatory_basis, &next.regulatory_basis),
        regulatory_basis_url: differs(&current.regulatory_basis_url, &next.regulatory_basis_url),
        instruments: differs(&current.instruments, &next.instruments),
        ..CallChanges::default()
    }
}

/// A new call from the file and the request's settings (422 for what a call needs and
/// neither gives).
fn new_row(
    read: &Read,
    funder_id: FunderId,
    settings: Option<&NewCallSettings>,
) -> Result<CallRow, ApiError> {
    let mut errors = FieldErrors::default();
    let required = |errors: &mut FieldErrors, field: &str, what: &str| {
        errors.add(field, "required", format!("a new call needs {what}"));
    };
    if read.title.is_none() {
        required(&mut errors, "convocatoria.descripcion", "its title");
    }
    if read.opens_at.is_none() {
        required(
            &mut errors,
            "convocatoria.fechaInicioSolicitud",
            "its first day of applications",
        );
    }
    if read.closes_at.is_none() {
        required(
            &mut errors,
            "convocatoria.fechaFinSolicitud",
            "its last day of applications",
        );
    }
    if settings.is_none() {
        required(
            &mut errors,
            "new_call.cofinancing_rate_bp",
            "its co-financing rate",
        );
    }
    let programme = settings
        .and_then(|s| s.programme.as_deref())
        .and_then(|p| errors.check("new_call.programme", text::name(p, 300)));
    let now = chrono::Utc::now();
    let row = CallRow {
        id: CallId::new(),
        funder_id,
        title: read.title.clone().unwrap_or_default(),
        programme,
        bdns_code: Some(read.bdns_code.clone()),
        journal_reference: read.journal_reference.clone(),
        journal_url: read.journal_url.clone(),
        opens_at: read.opens_at.unwrap_or(now),
        closes_at: read.closes_at.unwrap_or(now),
        max_grant_cents: settings.and_then(|s| s.max_grant_cents),
        cofinancing_rate_bp: settings.map_or(1, |s| s.cofinancing_rate_bp),
        execution_starts_on: None,
        execution_ends_on: None,
        justification_due_on: None,
        version: 1,
        created_at: now,
        updated_at: now,
        // What the justification allows is in the call's rules, not in the BDNS record:
        // staff set it on the call.
        simplified_justification: false,
        indirect_cost_rate_bp: None,
        total_budget_cents: read.total_budget_cents,
        regulatory_basis: read.regulatory_basis.clone(),
        regulatory_basis_url: read.regulatory_basis_url.clone(),
        instruments: read.instruments.clone(),
    };
    errors.finish()?;
    let mut errors = FieldErrors::default();
    row.check_rules(&mut errors);
    errors.finish()?;
    Ok(row)
}

/// Imports a call (staff, admins): 403; 422 for a bad file (every problem at once) or a
/// funder that cannot be decided; 409 `bdns_call_of_other_funder`, `bdns_code_taken`.
/// Nothing is written on an error, in a dry run, or when nothing changes.
pub async fn import(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: BdnsCallImport,
) -> Result<BdnsCallImportResult, ApiError> {
    staff_only(caller)?;
    let mut errors = FieldErrors::default();
    let read = format::read(&input.convocatoria, &mut errors);
    errors.finish()?;
    let dry_run = input.dry_run;
    conn.transaction(async |conn| {
        let existing = repo::find_call_by_bdns_code(conn, &read.bdns_code, true)
            .await
            .optional()?;
        let Some(current) = existing else {
            let funder_id = match input.funder_id {
                Some(id) => {
                    funders::check_exists(conn, id).await?;
                    id
                }
                None => funder_named(&read.organo, &repo::all_funders(conn).await?)?,
            };
            let row = new_row(&read, funder_id, input.new_call.as_ref())?;
            let saved = if dry_run {
                row
            } else {
                repo::insert_call(conn, &row).await.map_err(bdns_taken)?
            };
            let call = Call::from(CallView {
                row: saved,
                categories: Vec::new(),
            });
            if !dry_run {
                audit::created(conn, caller, "call", call.id.into(), &call).await?;
            }
            return Ok(BdnsCallImportResult {
                outcome: ImportOutcome::Created,
                dry_run,
                changes: changes_of(None, &call)?,
                call,
                warnings: read.warnings.clone(),
            });
        };
        if let Some(f) = input.funder_id
            && f != current.funder_id
        {
            return Err(ApiError::conflict(
                "bdns_call_of_other_funder",
                format!(
                    "The call with BDNS code {} belongs to another funder; a call's funder \
                     does not change.",
                    read.bdns_code
                ),
            ));
        }
        let next = apply(&current, &read);
        let mut errors = FieldErrors::default();
        next.check_rules(&mut errors);
        errors.finish()?;
        let changes = changeset(&current, &next);
        let id = current.id;
        let before = view(conn, current).await?;
        let categories = before.categories.clone();
        let before = Call::from(before);
        let after = Call::from(CallView {
            row: next,
            categories,
        });
        let diff = changes_of(Some(&before), &after)?;
        if diff.is_empty() || dry_run {
            let outcome = if diff.is_empty() {
                ImportOutcome::Unchanged
            } else {
                ImportOutcome::Updated
            };
            let call = if diff.is_empty() { before } else { after };
            return Ok(BdnsCallImportResult {
                outcome,
                dry_run,
                call,
                changes: diff,
                warnings: read.warnings.clone(),
            });
        }
        let row = repo::update_call(conn, id, &changes)
            .await
            .map_err(bdns_taken)?;
        let after = Call::from(view(conn, row).await?);
        audit::updated(conn, caller, "call", id.into(), &before, &after).await?;
        Ok(BdnsCallImportResult {
            outcome: ImportOutcome::Updated,
            dry_run,
            call: after,
            changes: diff,
            warnings: read.warnings.clone(),
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::funding::model::FunderKind;

    fn funder(name: &str) -> FunderRow {
        FunderRow {
            id: FunderId::new(),
            name: name.into(),
            kind: FunderKind::Ministry,
            tax_id: None,
            website: None,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn the_most_specific_organ_level_that_names_a_funder_wins() {
        let ministry = funder("Ministerio de Industria y Turismo");
        let general = funder("Secretaría General de Industria y de la PYME");
        let funders = [ministry.clone(), general.clone()];
        let levels = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let named = |l: &[&str]| funder_named(&levels(l), &funders).ok();
        assert_eq!(
            named(&[
                "SECRETARIA GENERAL DE INDUSTRIA Y DE LA PYME",
                "MINISTERIO DE INDUSTRIA Y TURISMO",
                "ESTADO"
            ]),
            Some(general.id)
        );
        assert_eq!(
            named(&[
                "DIRECCIÓN GENERAL DESCONOCIDA",
                "MINISTERIO DE INDUSTRIA Y TURISMO"
            ]),
            Some(ministry.id)
        );
        assert_eq!(named(&["ESTADO"]), None);
        assert_eq!(named(&[]), None);
        let twins = [
            funder("Ayuntamiento de Málaga"),
            funder("AYUNTAMIENTO DE MALAGA"),
        ];
        let err = funder_named(&levels(&["Ayuntamiento de Malaga"]), &twins).unwrap_err();
        assert_eq!(err.problem(None).errors[0].code, "ambiguous");
    }
}
