//! The demo funding, consistent with the demo register, plan and budget 2025: the Ministry
//! of Industry and Tourism with its AEI support calls (2025, and one open now), the city
//! council with its 2023/2024 agreement (extended to 2025, whose instalment is income line
//! I-10 of the budget), and applications in several states: the AEI 2025 grant, accepted,
//! funding plan actions and the budget lines I-20 and G-02; one rejected; one submitted and
//! one draft to the open call. Stable ids: seeding again changes nothing.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::stable_id;
use crate::{
    budgets::model::BudgetRow,
    domain::{
        AgreementId, ApplicationId, BudgetCategoryId, BudgetLineId, CallId, Cents, DocumentId,
        FunderId, MemberId, NodeId,
    },
    funding::{
        documents,
        model::{
            AgreementRow, ApplicationActionRow, ApplicationLineRow, ApplicationRow,
            ApplicationStatus, CallRow, DocumentRow, FunderKind, FunderRow, IncomeRow,
            InstalmentRow, TransitionRow,
        },
        repo,
    },
    schema::{budget_categories, budget_lines, budgets, plan_nodes},
};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// A Madrid wall-clock time as an instant.
fn madrid(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Madrid
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .earliest()
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.to_utc())
}

/// A Madrid wall-clock hour of a day as an instant.
fn at_madrid(d: NaiveDate, h: u32) -> DateTime<Utc> {
    madrid(d.year(), d.month(), d.day(), h)
}

/// Who the seed records as the actor of past moves.
fn seed_actor() -> Uuid {
    stable_id("actor", "agrupa seed demo")
}

/// Loads the demo funding (the demo register, plan and budget 2025 must be there). Returns
/// whether it was added.
pub async fn seed(conn: &mut AsyncPgConnection) -> anyhow::Result<bool> {
    let ministry = stable_id("funder", "Ministerio de Industria y Turismo");
    if repo::find_funder(conn, FunderId(ministry), false)
        .await
        .is_ok()
    {
        return Ok(false);
    }
    let budget_id = stable_id("budget", "Presupuesto 2025");
    let Some(budget) = budgets::table
        .find(budget_id)
        .select(BudgetRow::as_select())
        .first(conn)
        .await
        .optional()?
    else {
        return Ok(false);
    };
    let line = |code: &'static str| {
        budget_lines::table
            .filter(budget_lines::budget_id.eq(budget.id))
            .filter(budget_lines::code.eq(code))
            .select((budget_lines::id, budget_lines::line_key))
    };
    let (agreement_line, _) = line("I-10").first::<(Uuid, Uuid)>(conn).await?;
    let (grant_line, grant_key) = line("I-20").first::<(Uuid, Uuid)>(conn).await?;
    let (activities_line, _) = line("G-02").first::<(Uuid, Uuid)>(conn).await?;
    let (promotion_line, _) = line("G-03").first::<(Uuid, Uuid)>(conn).await?;
    let plan_id = stable_id("plan", "Plan Estratégico 2024–2027");
    let action = |code: &'static str| {
        plan_nodes::table
            .filter(plan_nodes::plan_id.eq(plan_id))
            .filter(plan_nodes::code.eq(code))
            .select(plan_nodes::id)
    };
    let now = Utc::now();
    let today = crate::domain::calendar::date_of(now);

    let council = stable_id("funder", "Ayuntamiento de Madrid");
    for (id, name, kind, website) in [
        (
            ministry,
            "Ministerio de Industria y Turismo",
            FunderKind::Ministry,
            "https://www.mintur.gob.es",
        ),
        (
            council,
            "Ayuntamiento de Madrid",
            FunderKind::CityCouncil,
            "https://www.madrid.es",
        ),
    ] {
        repo::insert_funder(
            conn,
            &FunderRow {
                id: FunderId(id),
                name: name.into(),
                kind,
                tax_id: None,
                website: Some(website.into()),
                version: 1,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
    }

    let eligible: Vec<BudgetCategoryId> = budget_categories::table
        .filter(budget_categories::code.eq_any([
            "activities_events",
            "communication",
            "travel",
            "professional_services",
        ]))
        .select(budget_categories::id)
        .load(conn)
        .await?;
    let call_2025 = stable_id("call", "AEI 2025");
    let call_2027 = stable_id("call", "AEI 2027");
    for (id, title, bdns, opens, closes, year) in [
        (
            call_2025,
            "Ayudas de apoyo a Agrupaciones Empresariales Innovadoras, convocatoria 2025",
            "800125",
            madrid(2025, 3, 3, 9),
            madrid(2025, 4, 3, 14),
            2025,
        ),
        (
            call_2027,
            "Ayudas de apoyo a Agrupaciones Empresariales Innovadoras, convocatoria 2027",
            "800127",
            // Open whenever the demo is loaded: from three weeks before to three weeks after.
            at_madrid(today - Days::new(21), 9),
            at_madrid(today + Days::new(21), 14),
            2027,
        ),
    ] {
        repo::insert_call(
            conn,
            &CallRow {
                id: CallId(id),
                funder_id: FunderId(ministry),
                title: title.into(),
                programme: Some(
                    "Programa de apoyo a las Agrupaciones Empresariales Innovadoras".into(),
                ),
                bdns_code: Some(bdns.into()),
                journal_reference: Some(format!(
                    "Extracto de la convocatoria {year} (BOE, datos de demostración)"
                )),
                journal_url: None,
                opens_at: opens,
                closes_at: closes,
                max_grant_cents: Some(Cents(15_000_000)),
                cofinancing_rate_bp: 8000,
                execution_starts_on: Some(day(year, 1, 1)),
                execution_ends_on: Some(day(year, 12, 31)),
                justification_due_on: Some(day(year + 1, 3, 31)),
                version: 1,
                created_at: now,
                updated_at: now,
                simplified_justification: false,
                indirect_cost_rate_bp: None,
                total_budget_cents: None,
                regulatory_basis: None,
                regulatory_basis_url: None,
                instruments: Vec::new(),
            },
        )
        .await?;
        repo::set_call_categories(conn, CallId(id), &eligible).await?;
    }

    let agreement = stable_id("agreement", "Convenio Ayuntamiento 2023/2024");
    repo::insert_agreement(
        conn,
        &AgreementRow {
            id: AgreementId(agreement),
            funder_id: FunderId(council),
            title: "Convenio de colaboración para el impulso del sector audiovisual 2023/2024, prorrogado a 2025".into(),
            reference: Some("CONV-AYTO-2023-2024".into()),
            starts_on: day(2023, 1, 1),
            ends_on: day(2025, 12, 31),
            total_cents: Cents(102_000_000),
            obligations: Some(
                "Ejecutar el plan anual de actividades del clúster; memoria técnica y económica \
                 de cada anualidad; difusión del apoyo municipal en todas las acciones."
                    .into(),
            ),
            justification_due_on: Some(day(2026, 3, 31)),
            version: 1,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    let instalments: Vec<InstalmentRow> = [2023, 2024, 2025]
        .into_iter()
        .map(|year| InstalmentRow {
            id: stable_id("instalment", &format!("Convenio Ayuntamiento {year}")),
            agreement_id: AgreementId(agreement),
            fiscal_year: year,
            amount_cents: Cents(34_000_000),
            justification_due_on: Some(day(year + 1, 3, 31)),
            budget_line_id: (year == 2025).then_some(BudgetLineId(agreement_line)),
        })
        .collect();
    repo::set_instalments(conn, AgreementId(agreement), &instalments).await?;

    let producer = stable_id("member", "Producciones La Gavia, S.L.");
    let studio = stable_id("member", "Estudios Manzanares Audiovisual, S.A.");
    let vfx = stable_id("member", "Píxel Castellana VFX, S.L.");
    // (key, call, title, lead, participants, eligible, requested, status, submitted, decided, granted)
    type Demo = (
        &'static str,
        Uuid,
        &'static str,
        Option<Uuid>,
        Vec<Uuid>,
        i64,
        i64,
        ApplicationStatus,
        Vec<(ApplicationStatus, DateTime<Utc>, &'static str)>,
    );
    let apps: Vec<Demo> = vec![
        (
            "AEI 2025 plan de actividades",
            call_2025,
            "Plan de actividades del clúster audiovisual de Madrid 2025",
            None,
            vec![],
            15_000_000,
            12_000_000,
            ApplicationStatus::Accepted,
            vec![
                (
                    ApplicationStatus::Submitted,
                    madrid(2025, 3, 20, 12),
                    "Presentada en sede electrónica",
                ),
                (
                    ApplicationStatus::UnderReview,
                    madrid(2025, 4, 10, 10),
                    "Admitida a trámite",
                ),
                (
                    ApplicationStatus::Granted,
                    madrid(2025, 7, 15, 10),
                    "Resolución de concesión",
                ),
                (
                    ApplicationStatus::Accepted,
                    madrid(2025, 7, 22, 10),
                    "Aceptación de la ayuda",
                ),
            ],
        ),
        (
            "AEI 2025 observatorio",
            call_2025,
            "Observatorio de datos del sector audiovisual madrileño",
            Some(producer),
            vec![studio],
            5_000_000,
            4_000_000,
            ApplicationStatus::Rejected,
            vec![
                (
                    ApplicationStatus::Submitted,
                    madrid(2025, 3, 28, 12),
                    "Presentada",
                ),
                (
                    ApplicationStatus::UnderReview,
                    madrid(2025, 4, 10, 10),
                    "Admitida a trámite",
                ),
                (
                    ApplicationStatus::Rejected,
                    madrid(2025, 7, 15, 10),
                    "Puntuación inferior al umbral de la convocatoria",
                ),
            ],
        ),
        (
            "AEI 2027 producción virtual",
            call_2027,
            "Plató de producción virtual compartido para pymes del clúster",
            Some(studio),
            vec![vfx, producer],
            10_000_000,
            8_000_000,
            ApplicationStatus::Submitted,
            vec![(
                ApplicationStatus::Submitted,
                at_madrid(today - Days::new(6), 12),
                "Presentada",
            )],
        ),
        (
            "AEI 2027 internacionalización",
            call_2027,
            "Internacionalización de la animación madrileña en mercados europeos",
            None,
            vec![],
            6_000_000,
            4_800_000,
            ApplicationStatus::Draft,
            vec![],
        ),
    ];
    for (key, call, title, lead, participants, eligible, requested, status, moves) in apps {
        let first = <[_]>::first(&moves).map(|(_, at, _)| *at);
        let last = <[_]>::last(&moves).map(|(_, at, _)| *at);
        let id = ApplicationId(stable_id("application", key));
        let granted = status.holds_grant().then_some(Cents(requested));
        let decided = moves
            .iter()
            .find(|(s, ..)| matches!(s, ApplicationStatus::Granted | ApplicationStatus::Rejected))
            .map(|(_, at, _)| at.date_naive());
        repo::insert_application(
            conn,
            &ApplicationRow {
                id,
                call_id: CallId(call),
                title: title.into(),
                summary: Some(format!("{title}. Datos de demostración.")),
                lead_member_id: lead.map(MemberId),
                status,
                eligible_cost_cents: Cents(eligible),
                requested_cents: Cents(requested),
                own_funding_cents: Cents(eligible - requested),
                other_aid_cents: Cents::ZERO,
                granted_cents: granted,
                submitted_at: first,
                decided_on: decided,
                justification_due_on: granted.map(|_| day(2026, 3, 31)),
                version: 1,
                created_by: None,
                created_at: first.unwrap_or(now),
                updated_at: last.unwrap_or(now),
            },
        )
        .await?;
        let participants: Vec<MemberId> = participants.into_iter().map(MemberId).collect();
        repo::set_participants(conn, id, &participants).await?;
        let mut from = ApplicationStatus::Draft;
        for (i, (to, at, comment)) in moves.iter().enumerate() {
            repo::insert_transition(
                conn,
                &TransitionRow {
                    id: stable_id("transition", &format!("{key} {i}")),
                    application_id: id,
                    from_status: from,
                    to_status: *to,
                    comment: Some((*comment).into()),
                    granted_cents: (*to == ApplicationStatus::Granted).then_some(Cents(requested)),
                    actor_id: seed_actor(),
                    actor_kind: "system".into(),
                    actor_role: "staff".into(),
                    request_id: None,
                    created_at: *at,
                },
            )
            .await?;
            from = *to;
        }
    }

    // The accepted AEI 2025 grant: 120,000 € for actions E1.2.1.2 (45,000 € of its planned
    // 75,000 €) and E1.3.1.2 (75,000 € of 90,000 €), paying activity line G-02 (96,000 €: its
    // cost of 120,000 € at 80 %) and promotion line G-03 (24,000 €: 30,000 € at 80 %), of an
    // eligible cost of 150,000 €, and expected on income
    // line I-20, which the approved budget plans at exactly that amount. Its justification
    // account lists the 2025 invoices of G-02 and G-03, all paid.
    let grant = ApplicationId(stable_id("application", "AEI 2025 plan de actividades"));
    let mut served = Vec::new();
    for (code, cents) in [("E1.2.1.2", 4_500_000), ("E1.3.1.2", 7_500_000)] {
        served.push(ApplicationActionRow {
            application_id: grant,
            action_id: action(code).first::<NodeId>(conn).await?,
            amount_cents: Cents(cents),
        });
    }
    repo::set_application_actions(conn, grant, &served).await?;
    repo::set_application_lines(
        conn,
        grant,
        &[
            ApplicationLineRow {
                application_id: grant,
                line_id: BudgetLineId(activities_line),
                amount_cents: Cents(9_600_000),
            },
            ApplicationLineRow {
                application_id: grant,
                line_id: BudgetLineId(promotion_line),
                amount_cents: Cents(2_400_000),
            },
            ApplicationLineRow {
                application_id: grant,
                line_id: BudgetLineId(grant_line),
                amount_cents: Cents(12_000_000),
            },
        ],
    )
    .await?;
    repo::insert_income(
        conn,
        &IncomeRow {
            application_id: grant,
            fiscal_year: 2025,
            amount_cents: Cents(12_000_000),
            line_key: Some(grant_key),
            budget_id: Some(budget.id),
            pending: false,
            created_at: madrid(2025, 7, 22, 10),
        },
    )
    .await?;
    let pdf = b"%PDF-1.4\n% Resolucion de concesion AEI 2025 (documento de demostracion)\n%%EOF\n";
    let doc = DocumentId(stable_id("document", "AEI 2025 resolución"));
    repo::insert_document(
        conn,
        &DocumentRow {
            id: doc,
            application_id: grant,
            filename: "Resolución de concesión AEI 2025.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: i64::try_from(pdf.len()).unwrap_or_default(),
            sha256: documents::sha256_hex(pdf),
            storage: "database".into(),
            description: Some("Resolución definitiva de concesión (demostración)".into()),
            uploaded_by: seed_actor(),
            created_at: madrid(2025, 7, 16, 9),
        },
    )
    .await?;
    repo::insert_blob(conn, doc, pdf).await?;
    Ok(true)
}
