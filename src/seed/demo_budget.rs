//! The demo budget 2025, approved, consistent with the demo register and plan: fee income
//! computed from the members' categories, the city council's agreement, the Ministry's AEI
//! grant; expense lines shared among plan actions; a year of execution, with one
//! correction by a reversing entry. Stable ids: seeding again changes nothing.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::stable_id;
use crate::{
    budgets::{
        model::{BudgetRow, BudgetStatus, EntryKind, EntryRow, LineKind, LineRow, ShareRow},
        repo,
    },
    domain::{
        BudgetCategoryId, BudgetId, BudgetLineId, Cents, EntryId, MemberCategoryId, NodeId, PlanId,
    },
    members::model::MemberStatus,
    schema::{member_categories, members},
};

const YEAR: i32 = 2025;

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, m, d).unwrap_or(NaiveDate::MIN)
}

/// (line code, date, kind, cents, description, document, counterparty)
type Entry = (
    &'static str,
    NaiveDate,
    EntryKind,
    i64,
    String,
    Option<String>,
    &'static str,
);

struct Line {
    code: &'static str,
    kind: LineKind,
    category: &'static str,
    description: String,
    planned: i64,
    source_category: Option<Uuid>,
    source_text: Option<&'static str>,
    actions: Vec<(&'static str, i32)>,
}

/// Loads the approved demo budget 2025 (the demo register and plan must be there). Returns
/// whether it was added.
pub async fn seed(conn: &mut AsyncPgConnection) -> anyhow::Result<bool> {
    let id = BudgetId(stable_id("budget", "Presupuesto 2025"));
    // Already there, or the cluster has its own approved 2025 budget: leave it alone.
    if repo::find_budget(conn, id, false).await.is_ok()
        || repo::approved_of_year(conn, YEAR).await?.is_some()
    {
        return Ok(false);
    }
    let plan_id = stable_id("plan", "Plan Estratégico 2024–2027");
    let categories: std::collections::HashMap<String, BudgetCategoryId> =
        repo::categories(conn, None, i64::MAX)
            .await?
            .into_iter()
            .map(|c| (c.code, c.id))
            .collect();
    let cat = |code: &str| -> anyhow::Result<BudgetCategoryId> {
        categories
            .get(code)
            .copied()
            .ok_or_else(|| anyhow::anyhow!("budget category {code} missing"))
    };
    // Fee income: each paying category's fee times its active members.
    let fees: Vec<(Uuid, String, i64, i64)> = member_categories::table
        .inner_join(members::table)
        .filter(members::status.eq(MemberStatus::Active))
        .filter(members::archived_at.is_null())
        .filter(member_categories::annual_fee_cents.gt(0))
        .group_by((
            member_categories::id,
            member_categories::name,
            member_categories::annual_fee_cents,
        ))
        .select((
            member_categories::id,
            member_categories::name,
            member_categories::annual_fee_cents,
            diesel::dsl::count_star(),
        ))
        .load(conn)
        .await?;
    let nodes: std::collections::HashMap<String, Uuid> =
        crate::plans::repo::plan_nodes(conn, crate::domain::PlanId(plan_id))
            .await?
            .into_iter()
            .map(|n| (n.code, n.id.uuid()))
            .collect();
    let mut lines: Vec<Line> = Vec::new();
    for (i, (cat_id, name, fee, count)) in fees.iter().enumerate() {
        lines.push(Line {
            code: ["I-01", "I-02", "I-03", "I-04"]
                .get(i)
                .copied()
                .unwrap_or("I-09"),
            kind: LineKind::Income,
            category: "membership_fees",
            description: format!("Cuotas {name}: {count} × {} €", fee / 100),
            planned: fee * count,
            source_category: Some(*cat_id),
            source_text: None,
            actions: Vec::new(),
        });
    }
    let seven: Vec<(&'static str, i32)> = vec![
        ("E1.1.1.1", 1428),
        ("E2.1.1.1", 1428),
        ("E3.1.1.1", 1428),
        ("E4.1.1.1", 1428),
        ("E5.1.1.1", 1428),
        ("E6.1.1.1", 1428),
        ("E7.1.1.1", 1432),
    ];
    lines.extend([
        Line {
            code: "I-10",
            kind: LineKind::Income,
            category: "institutional_agreement",
            description: "Convenio con el Ayuntamiento de Madrid, anualidad 2025".into(),
            planned: 34_000_000,
            source_category: None,
            source_text: Some(
                "Ayuntamiento de Madrid: convenio de colaboración 2023/2024, prorrogado",
            ),
            actions: Vec::new(),
        },
        Line {
            code: "I-20",
            kind: LineKind::Income,
            category: "public_subsidies",
            description: "Ayuda a Agrupaciones Empresariales Innovadoras (AEI) 2025".into(),
            planned: 12_000_000,
            source_category: None,
            source_text: Some("Ministerio de Industria y Turismo: convocatoria AEI 2025"),
            actions: Vec::new(),
        },
        Line {
            code: "I-30",
            kind: LineKind::Income,
            category: "services",
            description: "Servicios a socios: formación y misiones comerciales".into(),
            planned: 1_500_000,
            source_category: None,
            source_text: Some("Inscripciones de socios y no socios"),
            actions: Vec::new(),
        },
        Line {
            code: "G-01",
            kind: LineKind::Expense,
            category: "staff",
            description: "Equipo técnico del clúster (gerencia y dos técnicos)".into(),
            planned: 21_000_000,
            source_category: None,
            source_text: None,
            actions: Vec::new(),
        },
        Line {
            code: "G-02",
            kind: LineKind::Expense,
            category: "activities_events",
            description: "Actividades y eventos del plan: una acción por eje".into(),
            planned: 15_000_000,
            source_category: None,
            source_text: None,
            actions: seven,
        },
        Line {
            code: "G-03",
            kind: LineKind::Expense,
            category: "communication",
            description: "Promoción de Madrid como plató: web, vídeos y presencia en mercados"
                .into(),
            planned: 4_000_000,
            source_category: None,
            source_text: None,
            actions: vec![("E4.1.1.1", 5000), ("E4.1.1.2", 5000)],
        },
        Line {
            code: "G-04",
            kind: LineKind::Expense,
            category: "travel",
            description: "Misiones comerciales y asistencia a festivales".into(),
            planned: 2_500_000,
            source_category: None,
            source_text: None,
            actions: vec![("E1.1.1.1", 10_000)],
        },
        Line {
            code: "G-05",
            kind: LineKind::Expense,
            category: "professional_services",
            description: "Consultoría de innovación y huella de carbono".into(),
            planned: 6_000_000,
            source_category: None,
            source_text: None,
            actions: vec![("E3.1.1.1", 6000), ("E5.1.1.1", 4000)],
        },
        Line {
            code: "G-06",
            kind: LineKind::Expense,
            category: "overheads",
            description: "Oficina, suministros, seguros y gestoría".into(),
            planned: 3_500_000,
            source_category: None,
            source_text: None,
            actions: Vec::new(),
        },
    ]);
    let now = Utc::now();
    let budget = BudgetRow {
        id,
        fiscal_year: YEAR,
        plan_id: Some(PlanId(plan_id)),
        title: "Presupuesto 2025".into(),
        description: Some(
            "Presupuesto ordinario del ejercicio 2025, aprobado por la Asamblea General.".into(),
        ),
        status: BudgetStatus::Draft,
        version_number: 1,
        revises_id: None,
        approved_on: None,
        approval_reference: None,
        approved_by: None,
        approved_by_resolution_id: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    repo::insert_budget(conn, &budget).await?;
    let mut rows = Vec::new();
    let mut shares = Vec::new();
    let mut by_code = std::collections::HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        let line_id = BudgetLineId(stable_id("budget-line", &format!("2025:{}", l.code)));
        by_code.insert(l.code, (line_id, l.kind));
        rows.push(LineRow {
            id: line_id,
            budget_id: id,
            line_key: line_id.uuid(),
            code: l.code.into(),
            kind: l.kind,
            category_id: cat(l.category)?,
            description: l.description.clone(),
            planned_cents: Cents(l.planned),
            source_member_category_id: l.source_category.map(MemberCategoryId),
            source_text: l.source_text.map(str::to_owned),
            position: i32::try_from(i * 10).unwrap_or(0),
            version: 1,
            created_at: now,
            updated_at: now,
        });
        for (code, bp) in &l.actions {
            let action_id = nodes
                .get(*code)
                .copied()
                .ok_or_else(|| anyhow::anyhow!("plan action {code} missing"))?;
            shares.push(ShareRow {
                line_id,
                action_id: NodeId(action_id),
                share_bp: *bp,
            });
        }
    }
    repo::insert_lines(conn, &rows, &shares).await?;
    repo::approve_budget(
        conn,
        id,
        NaiveDate::from_ymd_opt(2024, 12, 12).unwrap_or(NaiveDate::MIN),
        "Asamblea General extraordinaria de 12 de diciembre de 2024, acuerdo 2",
        None,
    )
    .await?;

    // A year of execution.
    let mut entries: Vec<Entry> = Vec::new();
    for m in 1..=12 {
        entries.push((
            "G-01",
            date(m, 28),
            EntryKind::Actual,
            1_750_000,
            format!("Nóminas y seguros sociales {m:02}/2025"),
            Some(format!("NOM-2025-{m:02}")),
            "Personal del clúster",
        ));
        entries.push((
            "G-06",
            date(m, 5),
            EntryKind::Actual,
            270_000,
            format!("Alquiler y suministros {m:02}/2025"),
            Some(format!("ALQ-2025-{m:02}")),
            "Inmobiliaria Matadero, S.L.",
        ));
    }
    for (i, (_, name, fee, count)) in fees.iter().enumerate() {
        let code = ["I-01", "I-02", "I-03", "I-04"]
            .get(i)
            .copied()
            .unwrap_or("I-09");
        // Nearly everyone paid; two members still owe theirs.
        let paid = if *count > 2 {
            fee * (count - 1)
        } else {
            fee * count
        };
        entries.push((
            code,
            date(3, 31),
            EntryKind::Actual,
            paid,
            format!("Cobro de cuotas 2025 ({name})"),
            None,
            "Socios del clúster",
        ));
    }
    entries.extend([
        (
            "I-10",
            date(2, 15),
            EntryKind::Commitment,
            34_000_000,
            "Resolución del convenio, anualidad 2025".into(),
            Some("AM-CONV-2025".into()),
            "Ayuntamiento de Madrid",
        ),
        (
            "I-10",
            date(6, 30),
            EntryKind::Actual,
            17_000_000,
            "Primer pago del convenio (50 %)".into(),
            Some("AM-PAGO-1".into()),
            "Ayuntamiento de Madrid",
        ),
        (
            "I-10",
            date(12, 15),
            EntryKind::Actual,
            17_000_000,
            "Segundo pago del convenio (50 %)".into(),
            Some("AM-PAGO-2".into()),
            "Ayuntamiento de Madrid",
        ),
        (
            "I-20",
            date(7, 10),
            EntryKind::Commitment,
            11_250_000,
            "Resolución de concesión de la ayuda AEI".into(),
            Some("MINTUR-AEI-2025-0142".into()),
            "Ministerio de Industria y Turismo",
        ),
        (
            "I-20",
            date(9, 1),
            EntryKind::Actual,
            5_625_000,
            "Anticipo de la ayuda AEI (50 %)".into(),
            Some("MINTUR-ANT-0142".into()),
            "Ministerio de Industria y Turismo",
        ),
        (
            "I-30",
            date(10, 20),
            EntryKind::Actual,
            1_180_000,
            "Inscripciones del curso de producción virtual".into(),
            None,
            "Alumnos del curso",
        ),
        (
            "G-02",
            date(2, 10),
            EntryKind::Commitment,
            4_800_000,
            "Contrato de producción del Foro de Coproducción".into(),
            Some("CT-2025-004".into()),
            "Eventos Castellana, S.L.",
        ),
        (
            "G-02",
            date(4, 22),
            EntryKind::Actual,
            4_800_000,
            "Foro de Coproducción de Madrid".into(),
            Some("FAC-2025-0311".into()),
            "Eventos Castellana, S.L.",
        ),
        (
            "G-02",
            date(9, 18),
            EntryKind::Actual,
            3_950_000,
            "Jornadas de talento y empleo audiovisual".into(),
            Some("FAC-2025-0877".into()),
            "Escuela de Cine de Madrid",
        ),
        (
            "G-02",
            date(11, 6),
            EntryKind::Actual,
            4_420_000,
            "Encuentro de innovación y producción virtual".into(),
            Some("FAC-2025-1021".into()),
            "Platós Virtuales del Sur, S.L.",
        ),
        (
            "G-03",
            date(5, 12),
            EntryKind::Actual,
            1_890_000,
            "Vídeo promocional de localizaciones de Madrid".into(),
            Some("FAC-2025-0402".into()),
            "Estudio Lavapiés Films, S.L.",
        ),
        (
            "G-03",
            date(10, 2),
            EntryKind::Actual,
            1_450_000,
            "Stand en el mercado MIPCOM".into(),
            Some("FAC-2025-0933".into()),
            "Reed MIDEM",
        ),
        (
            "G-04",
            date(2, 20),
            EntryKind::Actual,
            690_000,
            "Misión comercial a la Berlinale".into(),
            Some("VIA-2025-02".into()),
            "Viajes Gran Vía, S.A.",
        ),
        (
            "G-04",
            date(5, 15),
            EntryKind::Actual,
            1_120_000,
            "Misión comercial a Cannes (Marché du Film)".into(),
            Some("VIA-2025-05".into()),
            "Viajes Gran Vía, S.A.",
        ),
        (
            "G-05",
            date(6, 3),
            EntryKind::Commitment,
            6_000_000,
            "Encargo de consultoría de innovación y sostenibilidad".into(),
            Some("CT-2025-011".into()),
            "Consultora Retiro, S.L.",
        ),
        (
            "G-05",
            date(12, 10),
            EntryKind::Actual,
            5_400_000,
            "Informe de huella de carbono y hoja de ruta".into(),
            Some("FAC-2025-1180".into()),
            "Consultora Retiro, S.L.",
        ),
    ]);
    for (n, (code, when, kind, amount, description, doc, counterparty)) in
        entries.into_iter().enumerate()
    {
        let (line_id, _) = by_code
            .get(code)
            .copied()
            .ok_or_else(|| anyhow::anyhow!("line {code} missing"))?;
        let row = EntryRow {
            id: EntryId(stable_id("budget-entry", &format!("2025:{n}"))),
            fiscal_year: YEAR,
            line_key: line_id.uuid(),
            line_id,
            entry_date: when,
            kind,
            amount_cents: Cents(amount),
            description,
            document_ref: doc,
            counterparty: Some(counterparty.into()),
            reverses_id: None,
            recorded_by: None,
            request_id: None,
            created_at: now,
            counterparty_tax_id: creditor_tax_id(counterparty).map(Into::into),
            issued_on: None,
            // Invoices are paid within 30 days (the December one in January).
            paid_on: (kind == EntryKind::Actual).then(|| when + chrono::Days::new(25)),
        };
        repo::insert_entry(conn, &row).await?;
    }
    // The Cannes invoice (VIA-2025-05) was recorded twice; the second record is reversed,
    // not deleted.
    {
        let (line_id, _) = by_code
            .get("G-04")
            .copied()
            .ok_or_else(|| anyhow::anyhow!("line G-04 missing"))?;
        let twice = repo::insert_entry(
            conn,
            &EntryRow {
                id: EntryId(stable_id("budget-entry", "2025:duplicate")),
                fiscal_year: YEAR,
                line_key: line_id.uuid(),
                line_id,
                entry_date: date(5, 16),
                kind: EntryKind::Actual,
                amount_cents: Cents(1_120_000),
                description: "Misión comercial a Cannes (Marché du Film)".into(),
                document_ref: Some("VIA-2025-05".into()),
                counterparty: Some("Viajes Gran Vía, S.A.".into()),
                reverses_id: None,
                recorded_by: None,
                request_id: None,
                created_at: now,
                counterparty_tax_id: creditor_tax_id("Viajes Gran Vía, S.A.").map(Into::into),
                issued_on: None,
                paid_on: None,
            },
        )
        .await?;
        repo::insert_entry(
            conn,
            &EntryRow {
                id: EntryId(stable_id("budget-entry", "2025:reversal")),
                fiscal_year: YEAR,
                line_key: line_id.uuid(),
                line_id,
                entry_date: date(5, 20),
                kind: EntryKind::Actual,
                amount_cents: Cents(-1_120_000),
                description: "Anulación: factura VIA-2025-05 registrada dos veces".into(),
                document_ref: Some("VIA-2025-05".into()),
                counterparty: Some("Viajes Gran Vía, S.A.".into()),
                reverses_id: Some(twice.id),
                recorded_by: None,
                request_id: None,
                created_at: now,
                counterparty_tax_id: creditor_tax_id("Viajes Gran Vía, S.A.").map(Into::into),
                issued_on: None,
                paid_on: None,
            },
        )
        .await?;
    }
    Ok(true)
}

/// The demo creditors' tax ids (valid check digits, invented numbers; a French VAT number
/// for the Cannes market's organiser).
fn creditor_tax_id(name: &str) -> Option<&'static str> {
    Some(match name {
        "Eventos Castellana, S.L." => "B86123452",
        "Escuela de Cine de Madrid" => "Q2876543F",
        "Platós Virtuales del Sur, S.L." => "B87987657",
        "Estudio Lavapiés Films, S.L." => "B86543212",
        "Reed MIDEM" => "FR40303265045",
        "Viajes Gran Vía, S.A." => "A78543212",
        "Consultora Retiro, S.L." => "B87112231",
        _ => return None,
    })
}
