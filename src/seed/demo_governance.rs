//! The demo's governing bodies and the assemblies behind its approvals: the General
//! Assembly and the Board (a university holds the secretary's seat), each with version 1 of
//! its rules (the 2023 statutes), the ordinary Assembly of 12 March 2024 that approved the
//! Strategic Plan 2024–2027 (its third resolution) and admitted the four members of the
//! register who joined in 2024 (their status history points to the resolutions), with its
//! minutes approved at its close and a certificate of the plan's approval issued after, and
//! the extraordinary one of 12 December 2024 that approved the 2025 budget (its second),
//! each with its roll, attendance with proxies, quorum at first call and tallies. The plan
//! and the budget then point to the resolution that approved them.
//!
//! Historical records written in bulk, like the rest of the seed: the approvals themselves
//! were loaded with the plan and the budget, so these resolutions record them rather than
//! enact them again.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::stable_id;
use crate::{
    domain::{
        AgendaItemId, BodyId, BudgetId, CertificateId, DissentId, MeetingId, MemberId, PlanId,
        ResolutionId, RollEntryId, RulesVersionId, SeatId, StatusChangeId, calendar,
    },
    governance::{
        certificates::Certified,
        minutes,
        model::{
            AgendaItemRow, Attendance, BodyKind, BodyRow, ConvenedBy, DissentKind, DissentRow,
            Effect, ItemKind, MajorityBase, MajorityKind, Matter, MeetingKind, MeetingRow,
            MeetingStatus, MinutesRow, MinutesStatus, Position, ResolutionRow, RollEntryRow,
            RulesVersionRow, SeatRow, Weighting,
        },
        repo,
        rules::{self, Majority, Tally},
    },
    http::etag::tag,
    members::model::{MemberStatus, StatusChangeRow},
};

fn body(id: BodyId, kind: BodyKind, name: &str, now: DateTime<Utc>) -> BodyRow {
    BodyRow {
        id,
        kind,
        name: name.to_owned(),
        statutes_reference: Some("Estatutos de la agrupación (2023), arts. 10–22".to_owned()),
        notice_days: 15,
        quorum_first_num: Some(1),
        quorum_first_den: Some(3),
        quorum_second_num: None,
        quorum_second_den: None,
        minutes_between_calls: 30,
        proxies_allowed: true,
        max_proxies_per_holder: Some(2),
        weighting: Weighting::OneMemberOneVote,
        simple_num: 1,
        simple_den: 2,
        simple_base: MajorityBase::VotesCast,
        qualified_num: 1,
        qualified_den: 2,
        qualified_base: MajorityBase::PresentAndRepresented,
        version: 1,
        created_at: now,
        updated_at: now,
        request_share_num: 1,
        request_share_den: 10,
        extraordinary_matters: vec!["statutes".to_owned(), "dissolution".to_owned()],
        qualified_matters: [
            Matter::Statutes,
            Matter::Dissolution,
            Matter::AssetDisposal,
            Matter::BoardRemuneration,
        ]
        .map(|m| m.to_string())
        .to_vec(),
    }
}

/// Inserts a body with version 1 of its rules (the statutes of 2023, in force since they
/// were registered on 15 June 2023).
async fn insert_body(
    conn: &mut AsyncPgConnection,
    row: &BodyRow,
) -> anyhow::Result<(BodyRow, RulesVersionRow)> {
    let body = repo::insert_body(conn, row).await?;
    let effective = NaiveDate::from_ymd_opt(2023, 6, 15).unwrap_or(NaiveDate::MIN);
    let mut version = RulesVersionRow::of(&body, 1, effective, None, body.created_at);
    version.id = RulesVersionId(stable_id("rules", &body.id.to_string()));
    let version = repo::insert_rules_version(conn, &version).await?;
    Ok((body, version))
}

/// One agenda item of a held meeting: title, effect and target (with its ETag today).
type Item = (&'static str, Effect, Option<(Uuid, i64)>);

/// Writes a meeting held at first call: the roll (the entitled members), two thirds present,
/// two proxies, the agenda and, for each item with an effect, an adopted resolution.
/// Returns the resolutions by item position.
async fn held(
    conn: &mut AsyncPgConnection,
    body: &BodyRow,
    rules: &RulesVersionRow,
    kind: MeetingKind,
    at: DateTime<Utc>,
    items: &[Item],
) -> anyhow::Result<Vec<Option<ResolutionId>>> {
    let id = MeetingId(stable_id("meeting", &at.to_rfc3339()));
    // The members an item admits were applicants that day: not on the roll.
    let admitted: Vec<MemberId> = items
        .iter()
        .filter(|(_, e, _)| *e == Effect::AdmitMember)
        .filter_map(|(_, _, t)| t.map(|t| MemberId(t.0)))
        .collect();
    let voters: Vec<_> = crate::members::repo::entitled_voters(conn)
        .await?
        .into_iter()
        .filter(|(m, _, _)| !admitted.contains(m))
        .collect();
    let present = voters.len() * 2 / 3;
    let holder = RollEntryId(stable_id("roll", &format!("{id}:0")));
    let roll: Vec<RollEntryRow> = voters
        .into_iter()
        .enumerate()
        .map(|(i, (member_id, name, _))| {
            let (attendance, proxy) = match i {
                i if i < present => (Attendance::Present, None),
                i if i < present + 2 => (Attendance::Represented, Some(holder)),
                _ => (Attendance::Absent, None),
            };
            RollEntryRow {
                id: RollEntryId(stable_id("roll", &format!("{id}:{i}"))),
                meeting_id: id,
                member_id,
                member_name: name,
                person_name: None,
                weight: 1,
                attendance,
                proxy_holder_id: proxy,
                proxy_document: proxy.map(|_| "Delegación de voto por escrito".to_owned()),
                version: 1,
                created_at: at,
                updated_at: at,
            }
        })
        .collect();
    let seats: Vec<_> = roll
        .iter()
        .map(|r| rules::Seat {
            id: r.id,
            weight: i64::from(r.weight),
            attendance: r.attendance,
            proxy_holder: r.proxy_holder_id,
        })
        .collect();
    let presence = rules::presence(&seats);
    let count = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
    let convened = at - chrono::Duration::days(20);
    let meeting = MeetingRow {
        id,
        body_id: body.id,
        kind,
        convened_by: ConvenedBy::Board,
        reason: Some("Acuerdo de la Junta Directiva".to_owned()),
        first_call_at: at,
        second_call_at: Some(at + chrono::Duration::minutes(30)),
        place: Some("Sede de la agrupación, Madrid".to_owned()),
        online_url: None,
        status: MeetingStatus::ConstitutedFirst,
        convened_at: convened,
        convened_by_user: None,
        roll_count: count(presence.roll_count),
        present_count: Some(count(presence.present_count)),
        represented_count: Some(count(presence.represented_count)),
        required_count: Some(count(rules::required(
            presence.roll_count,
            rules.quorum_first(),
        ))),
        constituted_at: Some(at),
        version: 1,
        created_at: convened,
        updated_at: at,
        rules_version_id: rules.id,
    };
    let agenda: Vec<AgendaItemRow> = items
        .iter()
        .enumerate()
        .map(|(i, (title, effect, target))| {
            // Without its plan or budget (a cluster that loaded its own), nothing to record.
            let effect = if target.is_some() {
                *effect
            } else {
                Effect::None
            };
            (i, title, effect, target)
        })
        .map(|(i, title, effect, target)| AgendaItemRow {
            id: AgendaItemId(stable_id("item", &format!("{id}:{i}"))),
            meeting_id: id,
            position: i32::try_from(i + 1).unwrap_or(i32::MAX),
            title: (*title).to_owned(),
            kind: if effect == Effect::None {
                ItemKind::Informative
            } else {
                ItemKind::Resolution
            },
            effect,
            majority: MajorityKind::Simple,
            target_id: target.map(|t| t.0),
            tabled_etag: target.map(|t| tag(t.1)),
            created_at: convened,
            matter: Matter::General,
            fiscal_year: None,
        })
        .collect();
    repo::insert_meeting(conn, &meeting, &agenda, &roll).await?;
    let mut out = Vec::new();
    for item in &agenda {
        if item.kind == ItemKind::Informative {
            out.push(None);
            continue;
        }
        let pw = presence.present_weight;
        let tally = if pw >= 3 {
            Tally {
                yes: pw - 2,
                no: 1,
                abstain: 1,
            }
        } else {
            Tally {
                yes: pw,
                no: 0,
                abstain: 0,
            }
        };
        let majority = Majority::SIMPLE;
        let adopted = majority.adopts(&tally, presence.present_weight, presence.roll_weight);
        let row = ResolutionRow {
            id: ResolutionId(stable_id("resolution", &item.id.to_string())),
            item_id: item.id,
            adopted,
            yes_weight: tally.yes,
            no_weight: tally.no,
            abstain_weight: tally.abstain,
            present_weight: presence.present_weight,
            roll_weight: presence.roll_weight,
            majority: MajorityKind::Simple,
            majority_rule: majority.describe(),
            named: false,
            adopted_at: adopted.then_some(at),
            recorded_by: None,
            created_at: at,
        };
        out.push(adopted.then_some(repo::insert_resolution(conn, &row, &[]).await?.id));
    }
    Ok(out)
}

fn madrid(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    // Spain in March and December: UTC+1.
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h - 1, 0, 0))
        .map_or_else(Utc::now, |t| Utc.from_utc_datetime(&t))
}

/// Loads the bodies and the two assemblies (the demo register, plan and budget must be
/// there). Returns whether they were added.
pub async fn seed(conn: &mut AsyncPgConnection) -> anyhow::Result<bool> {
    let assembly_id = BodyId(stable_id("body", "Asamblea General"));
    if repo::find_body(conn, assembly_id, false).await.is_ok() {
        return Ok(false);
    }
    let now = Utc::now();
    let (assembly, rules) = insert_body(
        conn,
        &body(assembly_id, BodyKind::Assembly, "Asamblea General", now),
    )
    .await?;
    let board_id = BodyId(stable_id("body", "Junta Directiva"));
    insert_body(
        conn,
        &body(board_id, BodyKind::Board, "Junta Directiva", now),
    )
    .await?;
    let seats = [
        (
            "Producciones La Gavia, S.L.",
            "Lucía Ortega Núñez",
            Position::President,
        ),
        (
            "Estudios Manzanares Audiovisual, S.A.",
            "Íñigo Saldaña Peña",
            Position::VicePresident,
        ),
        (
            "Universidad Politécnica del Audiovisual",
            "Dra. Begoña Muñoz Ayala",
            Position::Secretary,
        ),
        (
            "Píxel Castellana VFX, S.L.",
            "Andrés Cañete Rubio",
            Position::Treasurer,
        ),
    ];
    let mut officers = Vec::new();
    for (legal, person, position) in seats {
        let member_id = MemberId(stable_id("member", legal));
        if crate::members::repo::existing(conn, &[member_id])
            .await?
            .is_empty()
        {
            continue;
        }
        let row = SeatRow {
            id: SeatId(stable_id("seat", legal)),
            body_id: board_id,
            member_id,
            person_name: person.to_owned(),
            position,
            starts_on: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or(NaiveDate::MIN),
            ends_on: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        officers.push(repo::insert_seat(conn, &row).await?);
    }
    let plan_id = PlanId(stable_id("plan", "Plan Estratégico 2024–2027"));
    let plan = crate::plans::repo::find_plan(conn, plan_id, false)
        .await
        .ok();
    let mut items: Vec<Item> = vec![
        ("Lectura y aprobación del acta anterior", Effect::None, None),
        ("Informe de la presidencia", Effect::None, None),
        (
            "Aprobación del Plan Estratégico 2024–2027",
            Effect::ApprovePlan,
            plan.as_ref().map(|p| (p.id.uuid(), p.version)),
        ),
    ];
    // The members of the register who joined in 2024, admitted by this Assembly.
    let mut admissions = Vec::new();
    for (legal, title) in ADMISSIONS {
        let member = MemberId(stable_id("member", legal));
        if let Ok(m) = crate::members::repo::find(conn, member).await {
            items.push((
                title,
                Effect::AdmitMember,
                Some((m.row.id.uuid(), m.tag_version())),
            ));
            admissions.push((items.len() - 1, m.row.id));
        }
    }
    let ordinary = madrid(2024, 3, 12, 17);
    let resolutions = held(
        conn,
        &assembly,
        &rules,
        MeetingKind::Ordinary,
        ordinary,
        &items,
    )
    .await?;
    if let (Some(p), Some(Some(r))) = (&plan, resolutions.get(2)) {
        crate::plans::repo::set_approving_resolution(conn, p.id, *r).await?;
    }
    for (at, member) in admissions {
        if let Some(Some(r)) = resolutions.get(at) {
            admitted(conn, member, *r, ordinary).await?;
        }
    }
    let ordinary_meeting = MeetingId(stable_id("meeting", &ordinary.to_rfc3339()));
    approved_minutes(conn, ordinary_meeting, ordinary).await?;
    if let (Some(_), Some(Some(r))) = (&plan, resolutions.get(2)) {
        // Certified after the minutes were approved: not pending.
        certify(
            conn,
            &assembly,
            *r,
            &officers,
            CertifiedOn {
                on: madrid(2024, 3, 20, 10),
                minutes_approved_on: Some(calendar::date_of(ordinary)),
                purpose: "su presentación ante la Comunidad de Madrid con el Plan Estratégico",
            },
        )
        .await?;
    }
    let budget_id = BudgetId(stable_id("budget", "Presupuesto 2025"));
    let budget = crate::budgets::repo::find_budget(conn, budget_id, false)
        .await
        .ok();
    let items: [Item; 2] = [
        (
            "Informe de ejecución del presupuesto de 2024",
            Effect::None,
            None,
        ),
        (
            "Aprobación del presupuesto de 2025",
            Effect::ApproveBudget,
            budget.as_ref().map(|b| (b.id.uuid(), b.version)),
        ),
    ];
    let extraordinary = madrid(2024, 12, 12, 17);
    let resolutions = held(
        conn,
        &assembly,
        &rules,
        MeetingKind::Extraordinary,
        extraordinary,
        &items,
    )
    .await?;
    if let (Some(b), Some(Some(r))) = (&budget, resolutions.get(1)) {
        crate::budgets::repo::set_approving_resolution(conn, b.id, *r).await?;
        records(conn, &assembly, extraordinary, *r, &officers).await?;
    }
    Ok(true)
}

/// The budget resolution's voto particular (a member present that voted against, written
/// the next day) and its certificate, issued the next day by the university's secretary
/// with the president's approval, before the minutes were approved.
async fn records(
    conn: &mut AsyncPgConnection,
    body: &BodyRow,
    at: DateTime<Utc>,
    resolution: ResolutionId,
    officers: &[SeatRow],
) -> anyhow::Result<()> {
    let next_day = at + chrono::Duration::days(1);
    let meeting = repo::find_meeting(
        conn,
        MeetingId(stable_id("meeting", &at.to_rfc3339())),
        false,
    )
    .await?;
    let resolution = repo::find_resolution(conn, resolution).await?;
    let roll = repo::roll(conn, meeting.id).await?;
    if let Some(entry) = roll.iter().rev().find(|r| r.attendance.attends()) {
        let dissent = DissentRow {
            id: DissentId(stable_id("dissent", &resolution.id.to_string())),
            resolution_id: resolution.id,
            roll_entry_id: entry.id,
            kind: DissentKind::Written,
            text: "Voto particular: votamos en contra porque el presupuesto de 2025 reduce la \
                   partida de formación en un 30 % sin alternativa para las pymes asociadas."
                .to_owned(),
            submitted_by: None,
            created_at: next_day,
        };
        repo::insert_dissents(conn, &[dissent]).await?;
    }
    certify(
        conn,
        body,
        resolution.id,
        officers,
        CertifiedOn {
            on: next_day,
            minutes_approved_on: None,
            purpose: "su presentación ante la Agencia Estatal de Investigación",
        },
    )
    .await
}

/// When and why a certificate was issued, and whether the minutes were approved by then.
struct CertifiedOn {
    on: DateTime<Utc>,
    minutes_approved_on: Option<NaiveDate>,
    purpose: &'static str,
}

/// A certificate of `resolution` issued by the secretary with the president's approval.
async fn certify(
    conn: &mut AsyncPgConnection,
    body: &BodyRow,
    resolution: ResolutionId,
    officers: &[SeatRow],
    issued: CertifiedOn,
) -> anyhow::Result<()> {
    let resolution = repo::find_resolution(conn, resolution).await?;
    let item = repo::find_item_by_id(conn, resolution.item_id).await?;
    let meeting = repo::find_meeting(conn, item.meeting_id, false).await?;
    let officer = |p: Position| officers.iter().find(|s| s.position == p);
    if let (Some(secretary), Some(president)) =
        (officer(Position::Secretary), officer(Position::President))
    {
        let mut row = Certified {
            body,
            meeting: &meeting,
            item: &item,
            resolution: &resolution,
            secretary,
            president,
            minutes_approved_on: issued.minutes_approved_on,
            purpose: Some(issued.purpose),
            on: calendar::date_of(issued.on),
        }
        .row(None)
        .map_err(|e| anyhow::anyhow!("certificate: {}", e.code()))?;
        row.id = CertificateId(stable_id("certificate", &resolution.id.to_string()));
        row.created_at = issued.on;
        repo::insert_certificate(conn, &row).await?;
    }
    Ok(())
}

/// The members of the register who joined in 2024, admitted by the ordinary Assembly of
/// 12 March 2024 (their applications, informed by the Board).
const ADMISSIONS: [(&str, &str); 4] = [
    (
        "Jóvenes Creadores Audiovisuales",
        "Admisión de Jóvenes Creadores Audiovisuales",
    ),
    (
        "Fotografía de Rodaje Vallehermoso, S.L.",
        "Admisión de Fotografía de Rodaje Vallehermoso, S.L.",
    ),
    (
        "Transmedia Pozuelo, S.L.",
        "Admisión de Transmedia Pozuelo, S.L.",
    ),
    (
        "Academia de Efectos Especiales de Madrid, S.L.",
        "Admisión de Academia de Efectos Especiales de Madrid, S.L.",
    ),
];

/// The member's status history records its admission by `resolution`.
async fn admitted(
    conn: &mut AsyncPgConnection,
    member: MemberId,
    resolution: ResolutionId,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let row = StatusChangeRow {
        id: StatusChangeId(stable_id("status-change", &resolution.to_string())),
        member_id: member,
        from_status: MemberStatus::Applicant,
        to_status: MemberStatus::Active,
        reason: "Admitida por acuerdo de la Asamblea General de 12 de marzo de 2024".to_owned(),
        effective_on: calendar::date_of(at),
        actor_id: None,
        request_id: None,
        created_at: at,
        resolution_id: Some(resolution),
    };
    crate::members::repo::insert_status_change(conn, &row).await?;
    Ok(())
}

/// The meeting's minutes, read and approved at its close: generated from its data and
/// frozen with their SHA-256, as the application approves them.
async fn approved_minutes(
    conn: &mut AsyncPgConnection,
    meeting: MeetingId,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let summary = "La presidenta presentó el informe de actividades de 2023. La secretaria \
                   expuso el Plan Estratégico 2024–2027; se debatió el peso de la formación \
                   y de la internacionalización. Se leyeron las solicitudes de admisión, \
                   informadas favorablemente por la Junta Directiva. El acta se leyó y \
                   aprobó al término de la sesión.";
    let content = minutes::generate(conn, meeting, summary)
        .await
        .map_err(|e| anyhow::anyhow!("minutes: {}", e.code()))?;
    let text = serde_json::to_string(&content)?;
    let closed = at + chrono::Duration::hours(2);
    let row = MinutesRow {
        meeting_id: meeting,
        status: MinutesStatus::Approved,
        debate_summary: summary.to_owned(),
        content_sha256: Some(minutes::sha256_hex(&text)),
        content: Some(text),
        approved_at: Some(closed),
        approved_by: None,
        version: 1,
        created_at: closed,
        updated_at: closed,
    };
    repo::insert_minutes(conn, &row).await?;
    Ok(())
}
