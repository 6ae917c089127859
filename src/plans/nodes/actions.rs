//! Actions, the leaves of a plan where work and progress happen: their fields and rules
//! (dates within the plan's years, progress, planned cost, the people they name), and the
//! list of actions across plans.

use std::collections::HashSet;

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Node, with_participants};
use crate::{
    AppState,
    auth::{Action, Caller, Resource, Role, policy},
    domain::{Cents, MemberId, NodeId, PlanId, UserId, calendar::today},
    error::{ApiError, FieldErrors},
    http::{
        listing::{self, List},
        pagination::Page,
        patch::nullable,
    },
    plans::{
        model::{ActionStatus, NodeRow, PlanRow},
        repo::{self, ActionFilter},
    },
};

/// What an action carries besides its place in the tree.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ActionDetails {
    /// The staff user responsible.
    pub responsible_id: Option<UserId>,
    /// Member organisations taking part.
    pub participant_ids: Vec<MemberId>,
    /// Start.
    pub start_date: Option<NaiveDate>,
    /// End.
    pub end_date: Option<NaiveDate>,
    /// Status.
    pub status: ActionStatus,
    /// Progress, 0–100.
    pub progress: i16,
    /// Planned budget, euro cents.
    pub planned_budget_cents: Option<Cents>,
    /// Open and past its end date.
    pub overdue: bool,
}

/// Action fields of a new or changed action.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// The responsible staff user; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub responsible_id: Option<Option<UserId>>,
    /// Member organisations taking part (replaces the list).
    #[schema(max_items = 500)]
    pub participant_ids: Option<Vec<MemberId>>,
    /// Start, within the plan's years; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub start_date: Option<Option<NaiveDate>>,
    /// End, on or after the start; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub end_date: Option<Option<NaiveDate>>,
    /// Status (default `not_started`; `completed` sets progress to 100).
    pub status: Option<ActionStatus>,
    /// Progress 0–100 (default 0).
    #[schema(minimum = 0, maximum = 100)]
    pub progress: Option<i16>,
    /// Planned budget in euro cents (≥ 0); `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, nullable, minimum = 0)]
    pub planned_budget_cents: Option<Option<Cents>>,
}

/// Filters of the action list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// Plan.
    pub plan_id: Option<PlanId>,
    /// Axis.
    pub axis_id: Option<NodeId>,
    /// Status.
    pub status: Option<ActionStatus>,
    /// Responsible staff user.
    pub responsible_id: Option<UserId>,
    /// A participating member organisation.
    pub member_id: Option<MemberId>,
    /// Only open actions past their end date (`true`) or the others (`false`).
    pub overdue: Option<bool>,
    /// Page size (1–100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    #[param(max_length = 1000)]
    pub cursor: Option<String>,
}

/// Actions across plans, by code, with filters (or CSV). A member representative sees the
/// actions their organisation takes part in; partners see the actions of approved plans.
#[utoipa::path(tag = "plans", params(ActionQuery),
    responses((status = 200, description = "A page of actions (or CSV).",
        content((Page<Node> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/actions")]
pub async fn list_actions(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<ActionQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let filter = filter_for(&caller, &q)?;
    let list = List {
        resource: "actions",
        sort: "code",
        filename: "actions.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        q.limit,
        q.cursor.as_deref(),
        async move |conn, after, n| {
            let rows = repo::list_actions(conn, &filter, after, n).await?;
            with_participants(conn, rows).await
        },
        |n: &Node| (n.code.clone(), n.id),
        std::convert::identity,
    )
    .await
}

/// The filter of the action list, narrowed to what the caller may see: members see the
/// actions of their organisation, members and partners those of approved plans.
pub fn filter_for(caller: &Caller, q: &ActionQuery) -> Result<ActionFilter, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let mut filter = ActionFilter {
        plan_id: q.plan_id,
        axis_id: q.axis_id,
        status: q.status,
        responsible_id: q.responsible_id,
        member_id: q.member_id,
        overdue: q.overdue,
        today: Some(today()),
        public: !policy::reads_drafts(caller.role),
    };
    if caller.role == Role::Member {
        match (caller.member_id.map(MemberId), q.member_id) {
            (Some(own), None) => filter.member_id = Some(own),
            (Some(own), Some(asked)) if own == asked => {}
            // Another organisation's actions, or no organisation: nothing.
            _ => filter.member_id = Some(MemberId::default()),
        }
    }
    Ok(filter)
}

/// An action's fields as its rules see them: a new action's, a document's, or a change
/// merged with the action as it is.
#[derive(Debug, Clone, Copy)]
pub struct ActionFields {
    /// Start.
    pub start: Option<NaiveDate>,
    /// End.
    pub end: Option<NaiveDate>,
    /// Status.
    pub status: ActionStatus,
    /// Progress, 0–100.
    pub progress: i16,
    /// Planned cost.
    pub budget: Option<Cents>,
}

impl ActionFields {
    /// The fields of a new action, with the defaults: `not_started`, and progress 0 (100
    /// when completed).
    pub fn new(
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
        status: Option<ActionStatus>,
        progress: Option<i16>,
        budget: Option<Cents>,
    ) -> Self {
        let status = status.unwrap_or(ActionStatus::NotStarted);
        let progress = progress.unwrap_or(if status == ActionStatus::Completed {
            100
        } else {
            0
        });
        Self {
            start,
            end,
            status,
            progress,
            budget,
        }
    }

    /// Writes the fields into a node's row.
    pub fn apply(&self, row: &mut NodeRow) {
        row.start_date = self.start;
        row.end_date = self.end;
        row.action_status = Some(self.status);
        row.progress = Some(self.progress);
        row.planned_budget_cents = self.budget;
    }
}

/// Checks action fields against the plan's period: dates in the plan's years, end on or
/// after start, progress 0–100 (100 when completed), budget ≥ 0.
pub fn check_action(problems: &mut FieldErrors, prefix: &str, plan: &PlanRow, a: &ActionFields) {
    for (field, date) in [("start_date", a.start), ("end_date", a.end)] {
        if let Some(d) = date
            && !plan.covers(d)
        {
            problems.add(
                &format!("{prefix}{field}"),
                "out_of_range",
                format!(
                    "must fall within the plan's years ({}–{})",
                    plan.start_year, plan.end_year
                ),
            );
        }
    }
    if let (Some(s), Some(e)) = (a.start, a.end)
        && e < s
    {
        problems.add(
            &format!("{prefix}end_date"),
            "out_of_range",
            "must be on or after start_date",
        );
    }
    check_progress(problems, prefix, Some(a.progress));
    if (0..=100).contains(&a.progress) && a.status == ActionStatus::Completed && a.progress != 100 {
        problems.add(
            &format!("{prefix}progress"),
            "inconsistent",
            "a completed action has progress 100",
        );
    }
    check_budget(problems, prefix, a.budget);
}

/// Checks a progress (0–100), when there is one.
pub fn check_progress(problems: &mut FieldErrors, prefix: &str, progress: Option<i16>) {
    if progress.is_some_and(|p| !(0..=100).contains(&p)) {
        problems.add(
            &format!("{prefix}progress"),
            "out_of_range",
            "must be between 0 and 100",
        );
    }
}

/// Checks a planned cost (0 to 10^15 cents), when there is one.
pub fn check_budget(problems: &mut FieldErrors, prefix: &str, budget: Option<Cents>) {
    if budget.is_some_and(|b| !b.in_range(Cents::ZERO)) {
        problems.add(
            &format!("{prefix}planned_budget_cents"),
            "out_of_range",
            Cents::range_message(Cents::ZERO),
        );
    }
}

/// Someone an action names, and the JSON path of the field that names them.
#[derive(Debug)]
pub struct Named<T> {
    /// The field (`action.participant_ids[2]`).
    pub path: String,
    /// Who.
    pub id: T,
}

/// Most participants of one action (as the OpenAPI document says).
pub const MAX_PARTICIPANTS: usize = 500;

/// The people actions name: responsible staff users and participating members.
#[derive(Debug, Default)]
pub struct People {
    staff: Vec<Named<UserId>>,
    members: Vec<Named<MemberId>>,
}

impl People {
    /// Adds the people of one action, its fields under `prefix` (`action.`): a participant
    /// listed twice is a problem. Returns the participants, each once, in order.
    pub fn add(
        &mut self,
        problems: &mut FieldErrors,
        prefix: &str,
        responsible: Option<UserId>,
        participants: &[MemberId],
    ) -> Vec<MemberId> {
        if let Some(id) = responsible {
            let path = format!("{prefix}responsible_id");
            self.staff.push(Named { path, id });
        }
        if participants.len() > MAX_PARTICIPANTS {
            let message = format!("at most {MAX_PARTICIPANTS} participants");
            problems.add(&format!("{prefix}participant_ids"), "too_many", message);
            return Vec::new();
        }
        let mut seen = HashSet::new();
        let mut once = Vec::new();
        for (i, &id) in participants.iter().enumerate() {
            let path = format!("{prefix}participant_ids[{i}]");
            if seen.insert(id) {
                self.members.push(Named { path, id });
                once.push(id);
            } else {
                problems.add(&path, "duplicate", "listed twice");
            }
        }
        once
    }

    /// Records a problem for each responsible who is not an active staff or admin user and
    /// each participant who is not a member of the register (one query each).
    pub async fn check(
        &self,
        conn: &mut AsyncPgConnection,
        problems: &mut FieldErrors,
    ) -> Result<(), ApiError> {
        let ids: Vec<UserId> = self.staff.iter().map(|n| n.id).collect();
        let staff = crate::users::repo::active_staff(conn, &ids).await?;
        for n in self.staff.iter().filter(|n| !staff.contains(&n.id)) {
            problems.add(&n.path, "unknown", "not an active staff or admin user");
        }
        let ids: Vec<MemberId> = self.members.iter().map(|n| n.id).collect();
        let known = crate::members::repo::existing(conn, &ids).await?;
        for n in self.members.iter().filter(|n| !known.contains(&n.id)) {
            problems.add(&n.path, "unknown", "no such member in the register");
        }
        Ok(())
    }
}

/// 422 unless the people an action's input names exist: the responsible is an active staff
/// user, the participants are members of the register, each listed once.
pub async fn check_people(
    conn: &mut AsyncPgConnection,
    input: &ActionInput,
) -> Result<(), ApiError> {
    let mut problems = FieldErrors::default();
    let mut people = People::default();
    let participants = input.participant_ids.as_deref().unwrap_or_default();
    people.add(
        &mut problems,
        "action.",
        input.responsible_id.flatten(),
        participants,
    );
    people.check(conn, &mut problems).await?;
    problems.finish()
}
