//! Plan rows, the enums of the plan, and its rules: the levels of the hierarchy, what an
//! approved plan freezes, codes and values, and what differs between two versions of a
//! thing. Pure functions, unit-tested here (the roll-up and attainment rules live with the
//! progress report, in [`super::progress`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    domain::{Cents, IndicatorId, MemberId, NodeId, PlanId, ResolutionId, UserId},
    schema::{
        action_participants, indicator_measurements, indicator_targets, indicators, plan_nodes,
        plans,
    },
};

crate::text_enum!(
    /// Where a plan version stands.
    PlanStatus {
        /// Being written; the only status in which its content changes.
        Draft => "draft",
        /// Approved by the General Assembly: frozen.
        Approved => "approved",
        /// Replaced by an approved revision; still readable.
        Superseded => "superseded",
        /// Its period is over.
        Closed => "closed",
    }
);

crate::text_enum!(
    /// The level of a node in the plan.
    NodeKind {
        /// Axis (eje): the top level.
        Axis => "axis",
        /// Area of an axis.
        Area => "area",
        /// Objective of an area (absent in three-level plans).
        Objective => "objective",
        /// Action: the leaf, where work and progress happen.
        Action => "action",
    }
);

impl NodeKind {
    /// The kind of this node's children in a plan of `depth` levels; `None` for leaves.
    pub fn child(self, depth: i16) -> Option<NodeKind> {
        match self {
            NodeKind::Axis => Some(NodeKind::Area),
            NodeKind::Area if depth == 3 => Some(NodeKind::Action),
            NodeKind::Area => Some(NodeKind::Objective),
            NodeKind::Objective => Some(NodeKind::Action),
            NodeKind::Action => None,
        }
    }

    /// Whether indicators may hang on this node.
    pub fn has_indicators(self) -> bool {
        matches!(self, NodeKind::Objective | NodeKind::Action)
    }

    /// The plural used in paths (`axes`).
    pub fn plural(self) -> &'static str {
        match self {
            NodeKind::Axis => "axes",
            NodeKind::Area => "areas",
            NodeKind::Objective => "objectives",
            NodeKind::Action => "actions",
        }
    }

    /// Order from the top (0) to the leaves (3).
    pub fn rank(self) -> u8 {
        match self {
            NodeKind::Axis => 0,
            NodeKind::Area => 1,
            NodeKind::Objective => 2,
            NodeKind::Action => 3,
        }
    }
}

crate::text_enum!(
    /// Where an action stands.
    ActionStatus {
        /// Not started yet.
        NotStarted => "not_started",
        /// Under way.
        InProgress => "in_progress",
        /// Done (progress 100).
        Completed => "completed",
        /// Late against its plan.
        Delayed => "delayed",
        /// Dropped; left out of the progress roll-up.
        Cancelled => "cancelled",
    }
);

impl ActionStatus {
    /// Whether the action is still open (can be overdue).
    pub fn is_open(self) -> bool {
        !matches!(self, ActionStatus::Completed | ActionStatus::Cancelled)
    }
}

/// A plan version.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = plans, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct PlanRow {
    pub id: PlanId,
    pub title: String,
    pub description: Option<String>,
    pub start_year: i32,
    pub end_year: i32,
    pub status: PlanStatus,
    pub version_number: i32,
    pub revises_id: Option<PlanId>,
    pub depth: i16,
    pub label_axis: String,
    pub label_area: String,
    pub label_objective: String,
    pub label_action: String,
    pub approved_on: Option<NaiveDate>,
    pub approval_reference: Option<String>,
    pub approved_by: Option<UserId>,
    pub approved_by_resolution_id: Option<ResolutionId>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PlanRow {
    /// 409 unless the plan is a draft: what the assembly approved is frozen.
    pub fn check_editable(&self) -> Result<(), String> {
        match self.status {
            PlanStatus::Draft => Ok(()),
            status => Err(format!(
                "The plan is {status} and frozen: what the assembly approved is never edited. \
                 Create a revision (POST /api/v1/plans/{}/revisions) and change that.",
                self.id
            )),
        }
    }

    /// Whether `date` falls in the plan's years.
    pub fn covers(&self, date: NaiveDate) -> bool {
        (self.start_year..=self.end_year).contains(&date.year())
    }
}

/// Changes to a draft plan.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = plans)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct PlanChanges {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub start_year: Option<i32>,
    pub end_year: Option<i32>,
    pub label_axis: Option<String>,
    pub label_area: Option<String>,
    pub label_objective: Option<String>,
    pub label_action: Option<String>,
}

/// A node of a plan: axis, area, objective or action (action fields only on actions).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = plan_nodes, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct NodeRow {
    pub id: NodeId,
    pub plan_id: PlanId,
    pub kind: NodeKind,
    pub parent_id: Option<NodeId>,
    pub parent_kind: Option<NodeKind>,
    pub axis_id: NodeId,
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub position: i32,
    pub weight: i32,
    pub responsible_id: Option<UserId>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub action_status: Option<ActionStatus>,
    pub progress: Option<i16>,
    pub planned_budget_cents: Option<Cents>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl NodeRow {
    /// A new node of `kind` in plan `plan_id` under `parent` (none for an axis, which is
    /// its own axis): version 1, weight 1, no content and no action fields yet.
    pub fn new(
        plan_id: PlanId,
        kind: NodeKind,
        parent: Option<&NodeRow>,
        now: DateTime<Utc>,
    ) -> Self {
        let id = NodeId::new();
        Self {
            id,
            plan_id,
            kind,
            parent_id: parent.map(|n| n.id),
            parent_kind: parent.map(|n| n.kind),
            axis_id: parent.map_or(id, |n| n.axis_id),
            code: String::new(),
            title: String::new(),
            description: None,
            position: 0,
            weight: 1,
            responsible_id: None,
            start_date: None,
            end_date: None,
            action_status: None,
            progress: None,
            planned_budget_cents: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    /// Whether an open action's end date has passed.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.action_status.is_some_and(ActionStatus::is_open)
            && self.end_date.is_some_and(|end| end < today)
    }
}

/// Changes to a node. Content fields need a draft plan; `responsible_id`, `action_status`
/// and `progress` are execution and change on approved plans too.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = plan_nodes)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct NodeChanges {
    pub code: Option<String>,
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub position: Option<i32>,
    pub weight: Option<i32>,
    pub start_date: Option<Option<NaiveDate>>,
    pub end_date: Option<Option<NaiveDate>>,
    pub planned_budget_cents: Option<Option<Cents>>,
    pub responsible_id: Option<Option<UserId>>,
    pub action_status: Option<ActionStatus>,
    pub progress: Option<i16>,
}

impl NodeChanges {
    /// Whether the change touches the plan's content (not only its execution).
    pub fn changes_content(&self) -> bool {
        self.code.is_some()
            || self.title.is_some()
            || self.description.is_some()
            || self.position.is_some()
            || self.weight.is_some()
            || self.start_date.is_some()
            || self.end_date.is_some()
            || self.planned_budget_cents.is_some()
    }
}

/// A member organisation taking part in an action.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = action_participants, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct ParticipantRow {
    pub action_id: NodeId,
    pub member_id: MemberId,
}

/// An indicator of an objective or an action.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = indicators, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct IndicatorRow {
    pub id: IndicatorId,
    pub plan_id: PlanId,
    pub node_id: NodeId,
    pub node_kind: NodeKind,
    pub name: String,
    pub unit: String,
    pub higher_is_better: bool,
    pub baseline: f64,
    pub position: i32,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Changes to an indicator (draft plans only).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = indicators)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct IndicatorChanges {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub higher_is_better: Option<bool>,
    pub baseline: Option<f64>,
    pub position: Option<i32>,
}

/// The target of an indicator for one year.
#[derive(Debug, Clone, Copy, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = indicator_targets, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct TargetRow {
    pub indicator_id: IndicatorId,
    pub year: i32,
    pub value: f64,
}

/// One measurement of an indicator.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = indicator_measurements, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct MeasurementRow {
    pub id: Uuid,
    pub indicator_id: IndicatorId,
    pub measured_on: NaiveDate,
    pub value: f64,
    pub source: Option<String>,
    pub note: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Checks a node code: 1–30 characters, letters, digits, `.`, `_`, `-`, starting with a
/// letter or digit (`E1`, `E1.2`, `E1.2.1.3`).
pub fn check_code(raw: &str) -> Result<String, String> {
    let code = raw.trim();
    let mut chars = code.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !first_ok
        || code.len() > 30
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(
            "1–30 letters, digits, `.`, `_` or `-`, starting with a letter or digit (e.g. E1.2)"
                .into(),
        );
    }
    Ok(code.to_owned())
}

/// Checks a finite indicator value within ±10^15.
pub fn check_value(v: f64) -> Result<f64, String> {
    if v.is_finite() && v.abs() <= 1e15 {
        Ok(v)
    } else {
        Err("must be a finite number between -1e15 and 1e15".into())
    }
}

/// One field that differs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldChange {
    /// Field.
    pub field: String,
    /// In the other version (`against`).
    pub before: serde_json::Value,
    /// In this version.
    pub after: serde_json::Value,
}

/// The comparable content of a thing across versions (a plan node, a budget line): its
/// fields by name, as JSON values.
pub type Comparable = BTreeMap<&'static str, serde_json::Value>;

/// The fields whose values differ between two versions of a thing, by field name.
pub fn field_diff(before: &Comparable, after: &Comparable) -> Vec<FieldChange> {
    let mut keys: Vec<&&str> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let b = before.get(*k).cloned().unwrap_or(serde_json::Value::Null);
            let a = after.get(*k).cloned().unwrap_or(serde_json::Value::Null);
            (a != b).then(|| FieldChange {
                field: (*k).to_owned(),
                before: b,
                after: a,
            })
        })
        .collect()
}

/// A node for unit tests: `action` is (status, progress, end date) for actions.
#[cfg(test)]
pub fn test_node(
    id: u128,
    parent: Option<u128>,
    kind: NodeKind,
    weight: i32,
    action: Option<(ActionStatus, i16, Option<NaiveDate>)>,
) -> NodeRow {
    let now = Utc::now();
    NodeRow {
        id: NodeId(Uuid::from_u128(id)),
        plan_id: PlanId::default(),
        kind,
        parent_id: parent.map(|p| NodeId(Uuid::from_u128(p))),
        parent_kind: None,
        axis_id: NodeId::default(),
        code: format!("N{id}"),
        title: "t".into(),
        description: None,
        position: 0,
        weight,
        responsible_id: None,
        start_date: None,
        end_date: action.and_then(|a| a.2),
        action_status: action.map(|a| a.0),
        progress: action.map(|a| a.1),
        planned_budget_cents: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// How much of a plan's indicators a whole-plan read brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicators {
    /// None (the diff).
    Without,
    /// The indicators and their targets (the tree).
    WithTargets,
    /// The indicators, targets and measurements (the progress report, the export).
    WithMeasurements,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_checked() {
        assert_eq!(check_code(" E1.2.1 ").unwrap(), "E1.2.1");
        for bad in ["", ".E1", "E 1", "É1", &"E".repeat(31)] {
            assert!(check_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn children_follow_the_depth() {
        assert_eq!(NodeKind::Area.child(4), Some(NodeKind::Objective));
        assert_eq!(NodeKind::Area.child(3), Some(NodeKind::Action));
        assert_eq!(NodeKind::Action.child(4), None);
    }

    #[test]
    fn diff_lists_changed_fields() {
        let a = Comparable::from([("title", serde_json::json!("uno"))]);
        let b = Comparable::from([("title", serde_json::json!("otro"))]);
        let diff = field_diff(&a, &b);
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].field, "title");
    }
}
