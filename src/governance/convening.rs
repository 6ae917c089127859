//! Convening a meeting: the notice period, the agenda with what each item tables (the
//! current version of a plan, a budget or a member), the matters reserved to extraordinary
//! meetings, the members' request that convenes one, and the roll frozen that day.
//!
//! Convening **freezes the roll**: for the General Assembly, the members entitled to vote
//! that day (active, in good standing, of a category that counts as full membership, with
//! the category's voting weight when the body weighs by category); for a board or
//! committee, its seats held that day. Paying overdue dues later adds no one.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Duration, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    meetings::{Meeting, MeetingDetail, detail},
    model::{
        AgendaItemRow, BodyKind, BodyRow, ConvenedBy, Effect, ItemKind, MajorityKind, Matter,
        MeetingKind, MeetingRequestRow, MeetingRow, MeetingStatus, RollEntryRow, RulesVersionRow,
        Weighting,
    },
    repo,
    rules::Fraction,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::{
        AgendaItemId, BodyId, BudgetId, MeetingId, MemberId, PlanId, RollEntryId, calendar, text,
    },
    error::{ApiError, FieldErrors},
    events,
    http::{
        etag::{self, tag},
        json::Json,
    },
};
/// An item of a new meeting's agenda.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// Title, 1–500 characters.
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "Aprobación del presupuesto de 2025"
    )]
    pub title: String,
    /// `informative` or `resolution`.
    pub kind: ItemKind,
    /// What adopting it does (default `none`); anything else needs `target_id`.
    pub effect: Option<Effect>,
    /// The body's majority it needs (default: the one the body's rules give its
    /// `matter`, `qualified` for the matters they list as needing it, else `simple`); a
    /// simple majority for such a matter is refused (`majority_below_rule`).
    pub majority: Option<MajorityKind>,
    /// What it is about (default `general`); a matter the body's rules reserve to
    /// extraordinary meetings is refused at an ordinary one.
    pub matter: Option<Matter>,
    /// The plan, budget or member the effect acts on; its current version is tabled.
    pub target_id: Option<Uuid>,
    /// With `approve_accounts` (and only then): the year whose accounts it approves,
    /// 2000–2100.
    #[schema(minimum = 2000, maximum = 2100, example = 2025)]
    pub fiscal_year: Option<i32>,
}

/// Convening a meeting (staff, admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeeting {
    /// The body.
    pub body_id: BodyId,
    /// Ordinary or extraordinary.
    pub kind: MeetingKind,
    /// Who convened it.
    pub convened_by: ConvenedBy,
    /// Why, up to 2000 characters.
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
    /// First call: at least the body's notice days from now.
    pub first_call_at: DateTime<Utc>,
    /// Second call (default: the first plus the body's minutes between calls).
    pub second_call_at: Option<DateTime<Utc>>,
    /// Place.
    #[schema(max_length = 500)]
    pub place: Option<String>,
    /// Online link.
    #[schema(max_length = 500)]
    pub online_url: Option<String>,
    /// The agenda, in order (at most 100 items).
    #[serde(default)]
    #[schema(max_items = 100)]
    pub agenda: Vec<NewItem>,
    /// With `convened_by` `members_request`: the members who asked, all on the roll
    /// frozen now, at least the body's share of it (10% by default); at most 10000.
    #[schema(max_items = 10000)]
    pub requested_by: Option<Vec<MemberId>>,
}

/// Convenes a meeting (staff, admins): checks the notice period, tables the current
/// version of what each item acts on, and freezes the roll.
#[utoipa::path(tag = "governance", request_body = NewMeeting, responses(
    (status = 201, description = "Convened.", body = MeetingDetail),
    (status = 422, description = "`notice_too_short` (names the earliest valid first call), an unknown target.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/meetings")]
pub async fn create_meeting(
    caller: Caller,
    body: Json<NewMeeting>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let row = convene(&mut conn, &caller, body.into_inner()).await?;
    let version = row.version;
    let detail = detail(&mut conn, row).await?;
    Ok(etag::created(
        format!("/api/v1/meetings/{}", detail.meeting.id),
        version,
        &detail,
    ))
}

/// The agenda's items checked (422 lists every problem), without ids of their meeting yet.
fn check_agenda(errors: &mut FieldErrors, agenda: &[NewItem]) -> Vec<(String, NewItemChecked)> {
    if agenda.len() > 100 {
        errors.add("agenda", "too_many", "at most 100 items");
    }
    let mut out = Vec::new();
    for (i, item) in agenda.iter().enumerate() {
        let field = |f: &str| format!("agenda[{i}].{f}");
        let title = errors.check(&field("title"), text::name(&item.title, 500));
        let effect = item.effect.unwrap_or(Effect::None);
        if effect != Effect::None && item.kind != ItemKind::Resolution {
            errors.add(
                &field("effect"),
                "needs_resolution",
                "only an item for a resolution has an effect",
            );
        }
        let accounts = effect == Effect::ApproveAccounts;
        match (accounts, item.fiscal_year) {
            (true, None) => errors.add(
                &field("fiscal_year"),
                "required",
                "approving accounts names their year",
            ),
            (false, Some(_)) => errors.add(
                &field("fiscal_year"),
                "unexpected",
                "only an item approving accounts names a year",
            ),
            (true, Some(y)) if !(2000..=2100).contains(&y) => {
                errors.add(&field("fiscal_year"), "out_of_range", "must be 2000–2100");
            }
            _ => {}
        }
        match (effect, item.target_id) {
            (Effect::None | Effect::ApproveAccounts, Some(_)) => errors.add(
                &field("target_id"),
                "unexpected",
                "an item without effect, or approving accounts, has no target",
            ),
            (e, None) if e != Effect::None && e != Effect::ApproveAccounts => errors.add(
                &field("target_id"),
                "required",
                "the effect needs the plan, budget or member it acts on",
            ),
            _ => {}
        }
        if let Some(title) = title {
            out.push((
                title,
                NewItemChecked {
                    kind: item.kind,
                    effect,
                    majority: item.majority,
                    matter: item.matter.unwrap_or(Matter::General),
                    target_id: item.target_id,
                    fiscal_year: item.fiscal_year,
                },
            ));
        }
    }
    out
}

/// An agenda item whose fields passed the checks.
struct NewItemChecked {
    kind: ItemKind,
    effect: Effect,
    majority: Option<MajorityKind>,
    matter: Matter,
    target_id: Option<Uuid>,
    fiscal_year: Option<i32>,
}

/// The ETag of what an item tables, as its owner's GET answers it (422 when it does not
/// exist).
async fn tabled_etag(
    conn: &mut AsyncPgConnection,
    field: &str,
    effect: Effect,
    target: Uuid,
) -> Result<Option<String>, ApiError> {
    use diesel::OptionalExtension;
    let version = match effect {
        Effect::None | Effect::ApproveAccounts => return Ok(None),
        Effect::ApprovePlan => crate::plans::repo::find_plan(conn, PlanId(target), false)
            .await
            .optional()?
            .map(|p| p.version),
        Effect::ApproveBudget => crate::budgets::repo::find_budget(conn, BudgetId(target), false)
            .await
            .optional()?
            .map(|b| b.version),
        Effect::AdmitMember | Effect::ExpelMember => {
            crate::members::repo::find(conn, MemberId(target))
                .await
                .optional()?
                .map(|m| m.tag_version())
        }
    };
    match version {
        Some(v) => Ok(Some(tag(v))),
        None => Err(FieldErrors::one(
            field,
            "unknown",
            format!("no such {}", effect.target_noun()),
        )),
    }
}

impl Effect {
    /// What the effect acts on, in words.
    pub fn target_noun(self) -> &'static str {
        match self {
            Effect::None => "target",
            Effect::ApproveAccounts => "accounts",
            Effect::ApprovePlan => "plan",
            Effect::ApproveBudget => "budget",
            Effect::AdmitMember | Effect::ExpelMember => "member",
        }
    }
}

/// The roll a convening freezes: the Assembly's entitled members, or the body's seats
/// held today.
async fn frozen_roll(
    conn: &mut AsyncPgConnection,
    body: &BodyRow,
    rules: &RulesVersionRow,
    meeting: MeetingId,
    now: DateTime<Utc>,
) -> Result<Vec<RollEntryRow>, ApiError> {
    let entry = |member_id, member_name, person_name, weight: i32| RollEntryRow {
        id: RollEntryId::new(),
        meeting_id: meeting,
        member_id,
        member_name,
        person_name,
        weight: match rules.weighting {
            Weighting::OneMemberOneVote => 1,
            Weighting::ByCategory => weight,
        },
        attendance: super::model::Attendance::Absent,
        proxy_holder_id: None,
        proxy_document: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    if body.kind == BodyKind::Assembly {
        let voters = crate::members::repo::entitled_voters(conn).await?;
        return Ok(voters
            .into_iter()
            .map(|(id, name, weight)| entry(id, name, None, weight))
            .collect());
    }
    let seats = repo::seats_on(conn, body.id, calendar::date_of(now)).await?;
    let ids: Vec<MemberId> = seats.iter().map(|s| s.member_id).collect();
    let names = crate::members::repo::names_and_weights(conn, &ids).await?;
    let mut seen = std::collections::HashSet::new();
    Ok(seats
        .into_iter()
        .filter(|s| seen.insert(s.member_id))
        .filter_map(|s| {
            let (name, weight) = names.get(&s.member_id)?.clone();
            Some(entry(s.member_id, name, Some(s.person_name), weight))
        })
        .collect())
}

/// The request's shape: members listed exactly when the members asked, for an
/// extraordinary meeting, each once.
fn check_request(errors: &mut FieldErrors, input: &NewMeeting) {
    let asked = input.convened_by == ConvenedBy::MembersRequest;
    match &input.requested_by {
        None if asked => errors.add(
            "requested_by",
            "required",
            "a meeting convened at the members' request lists the members who asked",
        ),
        Some(_) if !asked => errors.add(
            "requested_by",
            "unexpected",
            "only a meeting convened at the members' request lists requesters",
        ),
        Some(list) => {
            if list.is_empty() || list.len() > 10_000 {
                errors.add("requested_by", "length", "1–10000 members");
            }
            let unique: std::collections::HashSet<_> = list.iter().collect();
            if unique.len() != list.len() {
                errors.add("requested_by", "duplicate", "each member once");
            }
        }
        None => {}
    }
    if asked && input.kind != MeetingKind::Extraordinary {
        errors.add(
            "kind",
            "must_be_extraordinary",
            "the members' request convenes an extraordinary meeting",
        );
    }
}

/// The requesters of a meeting convened at the members' request: all on the roll frozen
/// now, at least the body's share of it (422 `request_too_small` says how many).
fn requesters(
    body: &BodyRow,
    rules: &RulesVersionRow,
    roll: &[RollEntryRow],
    meeting: MeetingId,
    asked: Option<&[MemberId]>,
) -> Result<Vec<MeetingRequestRow>, ApiError> {
    let Some(asked) = asked else {
        return Ok(Vec::new());
    };
    let mut errors = FieldErrors::default();
    let mut rows = Vec::with_capacity(asked.len());
    for (i, m) in asked.iter().enumerate() {
        match roll.iter().find(|r| r.member_id == *m) {
            Some(r) => rows.push(MeetingRequestRow {
                meeting_id: meeting,
                member_id: r.member_id,
                member_name: r.member_name.clone(),
            }),
            None => errors.add(
                &format!("requested_by[{i}]"),
                "not_on_roll",
                "not entitled to vote in this body today",
            ),
        }
    }
    errors.finish()?;
    let share: Fraction = rules.request_share();
    let needed = share
        .ceil_of(i64::try_from(roll.len()).unwrap_or(i64::MAX))
        .max(1);
    let got = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    if got < needed {
        return Err(FieldErrors::one(
            "requested_by",
            "request_too_small",
            format!(
                "{} convenes at the request of {}/{} of its roll: {needed} of {} members \
                 needed, {got} asked",
                body.name,
                share.num,
                share.den,
                roll.len()
            ),
        ));
    }
    Ok(rows)
}

/// Convenes a meeting (staff, admins): 403, 422 (fields, `notice_too_short` naming the
/// earliest valid first call, unknown body or target). Tables each item's target at its
/// current version and freezes the roll, in one transaction.
pub async fn convene(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewMeeting,
) -> Result<MeetingRow, ApiError> {
    caller.require(Action::write(Resource::Governance))?;
    let mut errors = FieldErrors::default();
    let reason = errors.check("reason", text::optional(input.reason.as_deref(), 2000));
    let place = errors.check("place", text::optional(input.place.as_deref(), 500));
    let online = errors.check(
        "online_url",
        text::optional(input.online_url.as_deref(), 500),
    );
    if input
        .second_call_at
        .is_some_and(|s| s <= input.first_call_at)
    {
        errors.add(
            "second_call_at",
            "before_first_call",
            "must be after the first call",
        );
    }
    let agenda = check_agenda(&mut errors, &input.agenda);
    check_request(&mut errors, &input);
    let (reason, (place, online_url)) = errors.finish_with(reason.zip(place.zip(online)))?;
    conn.transaction(async |conn| {
        use diesel::OptionalExtension;
        let Some(body) = repo::find_body(conn, input.body_id, true)
            .await
            .optional()?
        else {
            return Err(FieldErrors::one("body_id", "unknown", "no such body"));
        };
        // The body's current rules: the version this meeting is convened under, for good.
        let rules = repo::latest_rules(conn, body.id).await?;
        let now = Utc::now();
        let earliest = now + Duration::days(i64::from(rules.notice_days));
        if input.first_call_at < earliest {
            return Err(FieldErrors::one(
                "first_call_at",
                "notice_too_short",
                format!(
                    "{} needs {} days of notice: the earliest valid first call is {}",
                    body.name,
                    rules.notice_days,
                    earliest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            ));
        }
        let mut errors = FieldErrors::default();
        let reserved = rules.extraordinary();
        for (i, (_, item)) in agenda.iter().enumerate() {
            let needed = rules.required_majority(item.matter);
            if needed == MajorityKind::Qualified && item.majority == Some(MajorityKind::Simple) {
                errors.add(
                    &format!("agenda[{i}].majority"),
                    "majority_below_rule",
                    format!(
                        "{}: a resolution on {} needs the qualified majority (rules version {})",
                        body.name, item.matter, rules.number
                    ),
                );
            }
            if input.kind == MeetingKind::Ordinary && reserved.contains(&item.matter) {
                errors.add(
                    &format!("agenda[{i}].matter"),
                    "needs_extraordinary_meeting",
                    format!(
                        "{}: only an extraordinary meeting resolves on {}",
                        body.name, item.matter
                    ),
                );
            }
        }
        errors.finish()?;
        let id = MeetingId::new();
        let mut items = Vec::with_capacity(agenda.len());
        for (i, (title, item)) in agenda.into_iter().enumerate() {
            let field = format!("agenda[{i}].target_id");
            let tabled = match item.target_id {
                Some(t) => tabled_etag(conn, &field, item.effect, t).await?,
                None => None,
            };
            items.push(AgendaItemRow {
                id: AgendaItemId::new(),
                meeting_id: id,
                position: i32::try_from(i + 1).unwrap_or(i32::MAX),
                title,
                kind: item.kind,
                effect: item.effect,
                majority: item
                    .majority
                    .unwrap_or_else(|| rules.required_majority(item.matter)),
                target_id: item.target_id,
                tabled_etag: tabled,
                created_at: now,
                matter: item.matter,
                fiscal_year: item.fiscal_year,
            });
        }
        let roll = frozen_roll(conn, &body, &rules, id, now).await?;
        let meeting = MeetingRow {
            id,
            body_id: body.id,
            kind: input.kind,
            convened_by: input.convened_by,
            reason,
            first_call_at: input.first_call_at,
            second_call_at: Some(input.second_call_at.unwrap_or_else(|| {
                input.first_call_at + Duration::minutes(i64::from(rules.minutes_between_calls))
            })),
            place,
            online_url,
            status: MeetingStatus::Convened,
            convened_at: now,
            convened_by_user: caller.user_id(),
            roll_count: i32::try_from(roll.len()).unwrap_or(i32::MAX),
            present_count: None,
            represented_count: None,
            required_count: None,
            constituted_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
            rules_version_id: rules.id,
        };
        let requests = requesters(&body, &rules, &roll, id, input.requested_by.as_deref())?;
        let row = repo::insert_meeting(conn, &meeting, &items, &roll).await?;
        repo::insert_requests(conn, &requests).await?;
        audit::created(
            conn,
            caller,
            "meeting",
            row.id.into(),
            &Meeting::from(row.clone()),
        )
        .await?;
        events::record(conn, events::kinds::meeting_convened(&row)).await?;
        Ok(row)
    })
    .await
}
