//! The justification account of a grant (cuenta justificativa, RLGS art. 72; the simplified
//! account of art. 75 for grants under 60,000 EUR when the call allows it):
//! `GET /api/v1/applications/{id}/justification-account` as JSON, CSV (the classified list
//! of expenses) and PDF, computed from the records on every read, never typed twice:
//!
//! - the **activity report**: the plan actions the grant served, what the application
//!   budgeted for each, their status, progress and indicators (from the plan);
//! - the **classified list of expenses**: every actual entry on the expense lines the grant
//!   funds (creditor and tax id, document, amount, issue and payment dates), by line and by
//!   category, with the deviations against what the application budgeted, and why an
//!   expense does not count when it does not;
//! - the **indirect costs** and how they were allocated; the **other income** that funded
//!   the same activity; and the **amount to return**.
//!
//! The arithmetic is [`rules`] (pure, property-tested). The move to
//! `justification_submitted` can attach the account, frozen, as a document of the
//! application ([`freeze`]).

pub mod account;
pub mod rules;

pub use account::*;

use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpRequest, HttpResponse, get, web};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use self::rules::{EntryIn, Ineligible, Input, LineIn};
use super::{
    applications,
    documents::{self, Store},
    model::{ApplicationRow, ApplicationStatus, DocumentRow, scale_up},
    repo,
    scope::is_partner_of,
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource, Role, policy},
    budgets::model::LineKind,
    domain::{ApplicationId, BudgetLineId, Cents, FunderId, NodeId, PlanId, calendar},
    error::ApiError,
    http::{
        csv,
        pdf::{self, Template},
    },
    plans::progress::ProgressNode,
};

/// The simplified account is for grants under this amount (RLGS art. 75: 60,000 EUR).
pub const SIMPLIFIED_BELOW: Cents = Cents(6_000_000);

/// An expense at or above this amount needed three quotes (LGS art. 31.3, services and
/// supplies; the ordinary account shows it for the funder to check).
pub const THREE_QUOTES_FROM: Cents = Cents(1_500_000);

/// The category whose lines are indirect costs.
const INDIRECT_CATEGORY: &str = "overheads";

static TEMPLATE: Template = Template::new(
    "justification_account",
    include_str!("justification_account.typ"),
);

// ---------------------------------------------------------------------------------------
// Handler

/// The justification account of an accepted grant, computed from the records now: the
/// activity report (the plan actions served, their progress and indicators), the classified
/// list of expenses on the lines the grant funds (creditor and tax id, document, amount,
/// issue and payment dates; why an expense does not count), deviations against the
/// application's budget by line and category, indirect costs and their allocation, other
/// income for the same activity, and the amount to return. Simplified (RLGS art. 75) for
/// grants under 60,000 EUR when the call allows it, else ordinary (art. 72). Staff,
/// auditors and the call's funder. `Accept: text/csv` gives the list of expenses;
/// `Accept: application/pdf` the printable account (with the SHA-256 of this JSON).
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id")),
    responses(
    (status = 200, description = "The account (or the list of expenses as CSV, or the PDF).",
        content((JustificationAccount = "application/json"), (String = "text/csv"),
            (pdf::PdfFile = "application/pdf"))),
    (status = 403, description = "Not staff, an auditor or the call's funder.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such application, or not visible.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "`not_accepted`: the grant is not accepted (yet).", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/api/v1/applications/{id}/justification-account")]
pub async fn justification_account(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<ApplicationId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let mut conn = state.conn().await?;
    let account = account(&mut conn, &caller, id.into_inner()).await?;
    if csv::wants_csv(&req) {
        return Ok(csv::attachment(
            "cuenta-justificativa.csv",
            &account.expenses,
        ));
    }
    if pdf::wanted(&req) {
        let issuer = pdf::issuer(conn).await?;
        let title = match account.variant {
            Variant::Simplified => "Cuenta justificativa simplificada",
            Variant::Ordinary => "Cuenta justificativa",
        };
        let bytes = state
            .pdf
            .render(&TEMPLATE, title, &issuer, &account)
            .await?;
        return Ok(pdf::respond("cuenta-justificativa.pdf", bytes));
    }
    Ok(pdf::vary(HttpResponse::Ok().json(account)))
}

// ---------------------------------------------------------------------------------------
// Services

/// The justification account of an application the caller sees (404), if the caller is
/// staff, an auditor or the call's funder (403), once the grant is accepted (409).
pub async fn account(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ApplicationId,
) -> Result<JustificationAccount, ApiError> {
    let (app, funder_id) = applications::visible(conn, caller, id).await?;
    if !(policy::runs_funding(caller.role)
        || caller.role == Role::Auditor
        || is_partner_of(caller, funder_id))
    {
        return Err(ApiError::forbidden(
            "The justification account is read by the cluster's staff, its auditors and \
             the call's funder.",
        ));
    }
    use ApplicationStatus::*;
    if !matches!(
        app.status,
        Accepted | JustificationSubmitted | Justified | Closed
    ) {
        return Err(ApiError::conflict(
            "not_accepted",
            format!(
                "A justification account is made for an accepted grant; this application \
                 is {}.",
                app.status
            ),
        ));
    }
    build(conn, caller, app, funder_id).await
}

/// Builds the account of `app` (accepted, visible to `caller`).
async fn build(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    app: ApplicationRow,
    funder_id: FunderId,
) -> Result<JustificationAccount, ApiError> {
    let call = repo::find_call(conn, app.call_id, false).await?;
    let funder = repo::find_funder(conn, funder_id, false).await?;
    let granted = app.granted_cents.unwrap_or_default();

    // The funded expense lines and their actual entries. An application names the part of
    // its request each line takes; the cost budgeted on the line is that part scaled up to
    // the eligible cost (the activity is co-financed in the same proportion on every line).
    let links = repo::application_lines(conn, app.id).await?;
    let budgeted: HashMap<BudgetLineId, Cents> = links
        .iter()
        .map(|l| {
            let cost = l
                .amount_cents
                .scale(
                    app.eligible_cost_cents.get(),
                    app.requested_cents.get(),
                    false,
                )
                .unwrap_or(l.amount_cents);
            (l.line_id, cost)
        })
        .collect();
    let ids: Vec<BudgetLineId> = links.iter().map(|l| l.line_id).collect();
    let lines: Vec<_> = crate::budgets::repo::lines_with_categories(conn, &ids)
        .await?
        .into_iter()
        .filter(|(l, ..)| l.kind == LineKind::Expense)
        .collect();
    let keys: Vec<Uuid> = lines.iter().map(|(l, ..)| l.line_key).collect();
    let entries = crate::budgets::repo::actual_entries_of(conn, &keys).await?;

    // Other grants on the same actions, and the activity report.
    let served = repo::application_actions(conn, &[app.id]).await?;
    let action_ids: Vec<NodeId> = served.iter().map(|a| a.action_id).collect();
    let mut others: BTreeMap<ApplicationId, OtherGrant> = BTreeMap::new();
    for g in repo::grants_on_actions(conn, &action_ids, app.id).await? {
        let part = scale_up(
            g.amount_cents,
            g.granted_cents.unwrap_or_default(),
            g.requested_cents,
        );
        let other = others.entry(g.application_id).or_insert(OtherGrant {
            application_id: g.application_id,
            title: g.title.clone(),
            amount_cents: Cents::ZERO,
        });
        other.amount_cents = Cents(other.amount_cents.get().saturating_add(part.get()));
    }
    let activity = activity(conn, caller, &served).await?;
    let other_total = others.values().fold(app.other_aid_cents.get(), |t, g| {
        t.saturating_add(g.amount_cents.get())
    });

    // The arithmetic.
    let input = Input {
        granted,
        rate_bp: call.cofinancing_rate_bp,
        indirect_rate_bp: call.indirect_cost_rate_bp,
        period: (call.execution_starts_on, call.execution_ends_on),
        due_on: app.justification_due_on.or(call.justification_due_on),
        other_income: Cents(other_total),
        lines: lines
            .iter()
            .map(|(l, _, c)| LineIn {
                line_key: l.line_key,
                budgeted: budgeted.get(&l.id).copied().unwrap_or_default(),
                indirect: c.code == INDIRECT_CATEGORY,
            })
            .collect(),
        entries: entries
            .iter()
            .map(|e| EntryIn {
                id: e.id,
                line_key: e.line_key,
                amount: e.amount_cents,
                issued_on: e.issued_on.unwrap_or(e.entry_date),
                paid_on: e.paid_on,
                reverses: e.reverses_id,
            })
            .collect(),
    };
    let f = rules::compute(&input).map_err(|_| {
        ApiError::unprocessable(
            "value_out_of_range",
            "The expenses of this grant add up past what can be shown.",
        )
    })?;

    let by_key: HashMap<Uuid, (&str, &str)> = lines
        .iter()
        .map(|(l, _, c)| (l.line_key, (l.code.as_str(), c.code.as_str())))
        .collect();
    let variant = if call.simplified_justification && granted < SIMPLIFIED_BELOW {
        Variant::Simplified
    } else {
        Variant::Ordinary
    };
    let variant_basis = match (call.simplified_justification, granted < SIMPLIFIED_BELOW) {
        (true, true) => "The call allows the simplified account and the grant is under 60,000 EUR \
                         (RLGS art. 75)."
            .to_owned(),
        (true, false) => "The call allows the simplified account, but only for grants under \
                          60,000 EUR: ordinary account with proof of each expense (RLGS art. 72)."
            .to_owned(),
        (false, _) => "The call does not allow the simplified account: ordinary account with \
                       proof of each expense (RLGS art. 72)."
            .to_owned(),
    };
    let expenses: Vec<Expense> = entries
        .iter()
        .zip(&f.entries)
        .map(|(e, status)| {
            let (line_code, category_code) = by_key.get(&e.line_key).copied().unwrap_or(("", ""));
            Expense {
                entry_id: e.id,
                line_code: line_code.to_owned(),
                category_code: category_code.to_owned(),
                creditor: e.counterparty.clone(),
                creditor_tax_id: e.counterparty_tax_id.clone(),
                document_ref: e.document_ref.clone(),
                description: e.description.clone(),
                amount_cents: e.amount_cents,
                issued_on: e.issued_on.unwrap_or(e.entry_date),
                paid_on: e.paid_on,
                reverses_id: e.reverses_id,
                eligible: status.is_none(),
                ineligible_reason: *status,
            }
        })
        .collect();
    let warnings = warnings(variant, &expenses);
    let lines: Vec<ExpenseLine> = lines
        .iter()
        .zip(&f.lines)
        .map(|((l, year, c), lf)| ExpenseLine {
            line_id: l.id,
            line_key: l.line_key,
            fiscal_year: *year,
            code: l.code.clone(),
            description: l.description.clone(),
            category_code: c.code.clone(),
            category_name: c.name.clone(),
            indirect: c.code == INDIRECT_CATEGORY,
            budgeted_cents: lf.budgeted,
            listed_cents: lf.listed,
            eligible_cents: lf.eligible,
            deviation_cents: lf.deviation,
            deviation_bp: (lf.budgeted.get() > 0).then(|| {
                i64::try_from(
                    i128::from(lf.deviation.get()) * 10_000 / i128::from(lf.budgeted.get()),
                )
                .unwrap_or(i64::MAX)
            }),
        })
        .collect();
    let mut categories: Vec<CategoryTotal> = Vec::new();
    for l in &lines {
        let add = |a: Cents, b: Cents| Cents(a.get().saturating_add(b.get()));
        match categories
            .iter_mut()
            .find(|c| c.category_code == l.category_code)
        {
            Some(c) => {
                c.budgeted_cents = add(c.budgeted_cents, l.budgeted_cents);
                c.listed_cents = add(c.listed_cents, l.listed_cents);
                c.eligible_cents = add(c.eligible_cents, l.eligible_cents);
                c.deviation_cents = add(c.deviation_cents, l.deviation_cents);
            }
            None => categories.push(CategoryTotal {
                category_code: l.category_code.clone(),
                category_name: l.category_name.clone(),
                budgeted_cents: l.budgeted_cents,
                listed_cents: l.listed_cents,
                eligible_cents: l.eligible_cents,
                deviation_cents: l.deviation_cents,
            }),
        }
    }
    let method = match (call.indirect_cost_rate_bp, lines.iter().any(|l| l.indirect)) {
        (Some(_), _) => IndirectMethod::FlatRate,
        (None, true) => IndirectMethod::ActualEntries,
        (None, false) => IndirectMethod::None,
    };
    Ok(JustificationAccount {
        grant: JustifiedGrant {
            application_id: app.id,
            title: app.title,
            status: app.status,
            call_id: call.id,
            call_title: call.title,
            bdns_code: call.bdns_code,
            funder_id,
            funder_name: funder.name,
            decided_on: app.decided_on,
            granted_cents: granted,
            eligible_cost_cents: app.eligible_cost_cents,
            cofinancing_rate_bp: call.cofinancing_rate_bp,
            execution_starts_on: call.execution_starts_on,
            execution_ends_on: call.execution_ends_on,
            justification_due_on: input.due_on,
        },
        variant,
        variant_basis,
        activity,
        lines,
        categories,
        expenses,
        indirect_costs: IndirectCosts {
            method,
            rate_bp: call.indirect_cost_rate_bp,
            base_cents: f.direct,
            amount_cents: f.indirect,
        },
        other_income: OtherIncome {
            declared_other_aid_cents: app.other_aid_cents,
            grants: others.into_values().collect(),
            total_cents: Cents(other_total),
        },
        totals: AccountTotals {
            budgeted_cents: f.budgeted,
            listed_cents: f.listed,
            ineligible_cents: f.ineligible,
            direct_cents: f.direct,
            indirect_cents: f.indirect,
            justified_cents: f.justified,
            supported_cents: f.supported,
            excess_funding_cents: f.excess,
            to_return_cents: f.to_return,
        },
        warnings,
        as_of: calendar::today(),
    })
}

/// The plan actions served, each with its progress and indicators (from its plan's
/// progress report, so the figures are the plan's own).
async fn activity(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    served: &[super::model::ApplicationActionRow],
) -> Result<Vec<ActivityAction>, ApiError> {
    let ids: Vec<NodeId> = served.iter().map(|a| a.action_id).collect();
    let nodes = crate::plans::repo::nodes_by_ids(conn, &ids).await?;
    let mut progress: HashMap<PlanId, Vec<ProgressNode>> = HashMap::new();
    for n in &nodes {
        if let std::collections::hash_map::Entry::Vacant(slot) = progress.entry(n.plan_id) {
            let p = crate::plans::progress::progress(conn, caller, n.plan_id).await?;
            slot.insert(p.axes);
        }
    }
    let mut out: Vec<ActivityAction> = served
        .iter()
        .filter_map(|a| {
            let n = nodes.iter().find(|n| n.id == a.action_id)?;
            let p = progress
                .get(&n.plan_id)
                .and_then(|axes| find_node(axes, n.id));
            Some(ActivityAction {
                action_id: n.id,
                plan_id: n.plan_id,
                code: n.code.clone(),
                title: n.title.clone(),
                budgeted_cents: a.amount_cents,
                status: n.action_status,
                progress: p.and_then(|p| p.progress),
                start_date: n.start_date,
                end_date: n.end_date,
                indicators: p.map(|p| p.indicators.clone()).unwrap_or_default(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(out)
}

fn find_node(nodes: &[ProgressNode], id: NodeId) -> Option<&ProgressNode> {
    nodes.iter().find_map(|n| {
        (n.id == id)
            .then_some(n)
            .or_else(|| find_node(&n.children, id))
    })
}

/// What the funder will ask about: ineligible expenses; in the ordinary account, expenses
/// without a document or a creditor's tax id, and those that needed three quotes.
fn warnings(variant: Variant, expenses: &[Expense]) -> Vec<AccountWarning> {
    let mut out = Vec::new();
    for e in expenses {
        let warn = |code: &str, message: String| AccountWarning {
            code: code.to_owned(),
            entry_id: Some(e.entry_id),
            message,
        };
        let doc = e.document_ref.as_deref().unwrap_or("Gasto sin documento");
        if let Some(r) = e.ineligible_reason {
            let message = match r {
                Ineligible::OutsidePeriod => format!(
                    "{doc}: fechado el {}, fuera del periodo de ejecución; no computa.",
                    e.issued_on.format("%d/%m/%Y")
                ),
                Ineligible::Unpaid => {
                    format!("{doc}: no consta pagado; registre la fecha de pago.")
                }
                Ineligible::PaidAfterDeadline => {
                    format!("{doc}: pagado después del fin del plazo de justificación; no computa.")
                }
                Ineligible::CoveredByFlatRate => continue,
            };
            out.push(warn(r.as_str(), message));
            continue;
        }
        if variant == Variant::Ordinary && e.reverses_id.is_none() && e.amount_cents.get() > 0 {
            if e.document_ref.is_none() {
                out.push(warn(
                    "missing_document",
                    format!(
                        "«{}»: sin factura ni documento de referencia.",
                        e.description
                    ),
                ));
            }
            if e.creditor_tax_id.is_none() {
                out.push(warn(
                    "missing_creditor_tax_id",
                    format!("{doc}: falta el NIF del acreedor."),
                ));
            }
            if e.amount_cents >= THREE_QUOTES_FROM {
                out.push(warn(
                    "three_quotes",
                    format!(
                        "{doc}: {} o más; conserve las tres ofertas que exige el art. 31.3 \
                         de la LGS.",
                        THREE_QUOTES_FROM.spanish()
                    ),
                ));
            }
        }
    }
    out
}

/// Attaches the account of `app`, as it is now, to the application as a JSON document
/// (`cuenta-justificativa-<date>.json`, its SHA-256 kept), in the caller's transaction: what
/// was submitted stays readable after the entries change. The bytes go to `store` under
/// `document_id` (on disk, the caller removes them if the transaction does not commit).
pub async fn freeze(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    app: ApplicationRow,
    funder_id: FunderId,
    store: &Store,
    document_id: crate::domain::DocumentId,
) -> Result<DocumentRow, ApiError> {
    let account = build(conn, caller, app, funder_id).await?;
    let bytes = serde_json::to_vec_pretty(&account).map_err(ApiError::internal)?;
    documents::insert_generated(
        conn,
        caller,
        documents::Generated {
            id: document_id,
            application_id: account.grant.application_id,
            filename: format!("cuenta-justificativa-{}.json", account.as_of),
            content_type: "application/json",
            description: "Cuenta justificativa presentada (congelada al presentarla)",
            bytes: &bytes,
        },
        store,
    )
    .await
}
