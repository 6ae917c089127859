//! Request and response bodies of the strategic plan.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::{
    ActionStatus, IndicatorRow, MeasurementRow, NodeKind, NodeRow, PlanRow, PlanStatus, TargetRow,
};
use crate::http::{csv::CsvRow, patch::nullable};

/// What the levels of a plan are called (e.g. "Eje", "Área", "Objetivo", "Acción").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    /// Level 1.
    #[schema(example = "Eje", min_length = 1, max_length = 50)]
    pub axis: String,
    /// Level 2.
    #[schema(example = "Área", min_length = 1, max_length = 50)]
    pub area: String,
    /// Level 3 (unused in three-level plans).
    #[schema(example = "Objetivo", min_length = 1, max_length = 50)]
    pub objective: String,
    /// The leaf level.
    #[schema(example = "Acción", min_length = 1, max_length = 50)]
    pub action: String,
}

impl Default for Labels {
    fn default() -> Self {
        Self {
            axis: "axis".into(),
            area: "area".into(),
            objective: "objective".into(),
            action: "action".into(),
        }
    }
}

/// A version of a strategic plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Plan {
    /// Id.
    pub id: Uuid,
    /// Title.
    #[schema(example = "Plan Estratégico 2024–2027")]
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// First year.
    #[schema(example = 2024)]
    pub start_year: i32,
    /// Last year.
    #[schema(example = 2027)]
    pub end_year: i32,
    /// `draft` (editable), `approved` (frozen), `superseded` or `closed`.
    pub status: PlanStatus,
    /// 1 for the first version, +1 for each revision.
    pub version_number: i32,
    /// The version this one revises.
    pub revises_id: Option<Uuid>,
    /// Levels: 4 (axis → area → objective → action) or 3 (axis → area → action).
    pub depth: i16,
    /// What the levels are called.
    pub labels: Labels,
    /// When the assembly approved it.
    pub approved_on: Option<NaiveDate>,
    /// The approval's reference (e.g. the assembly resolution).
    pub approval_reference: Option<String>,
    /// Who recorded the approval.
    pub approved_by: Option<Uuid>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<PlanRow> for Plan {
    fn from(r: PlanRow) -> Self {
        Self {
            id: r.id,
            title: r.title,
            description: r.description,
            start_year: r.start_year,
            end_year: r.end_year,
            status: r.status,
            version_number: r.version_number,
            revises_id: r.revises_id,
            depth: r.depth,
            labels: Labels {
                axis: r.label_axis,
                area: r.label_area,
                objective: r.label_objective,
                action: r.label_action,
            },
            approved_on: r.approved_on,
            approval_reference: r.approval_reference,
            approved_by: r.approved_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for PlanRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "title",
            "start_year",
            "end_year",
            "status",
            "version_number",
            "revises_id",
            "approved_on",
            "approval_reference",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.title.clone(),
            self.start_year.to_string(),
            self.end_year.to_string(),
            self.status.to_string(),
            self.version_number.to_string(),
            self.revises_id.map(|i| i.to_string()).unwrap_or_default(),
            self.approved_on.map(|d| d.to_string()).unwrap_or_default(),
            self.approval_reference.clone().unwrap_or_default(),
        ]
    }
}

/// A new plan (a draft; staff and admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    /// Title (1–300 characters).
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "Plan Estratégico 2028–2031"
    )]
    pub title: String,
    /// Description.
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// First year (1900–2200).
    #[schema(minimum = 1900, maximum = 2200, example = 2028)]
    pub start_year: i32,
    /// Last year (at most 19 years after the first).
    #[schema(minimum = 1900, maximum = 2219, example = 2031)]
    pub end_year: i32,
    /// 4 (default) or 3 levels.
    #[schema(minimum = 3, maximum = 4)]
    pub depth: Option<i16>,
    /// What the levels are called (default axis/area/objective/action).
    pub labels: Option<Labels>,
}

/// Changes to a draft plan. Needs `If-Match`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPatch {
    /// Title.
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    /// Description; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 10000)]
    pub description: Option<Option<String>>,
    /// First year.
    #[schema(minimum = 1900, maximum = 2200)]
    pub start_year: Option<i32>,
    /// Last year.
    #[schema(minimum = 1900, maximum = 2219)]
    pub end_year: Option<i32>,
    /// Level names.
    pub labels: Option<Labels>,
}

/// Filters of the plan list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// Status.
    pub status: Option<PlanStatus>,
    /// Page size (1–100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    #[param(max_length = 1000)]
    pub cursor: Option<String>,
}

/// The approval of a plan version (admins, until assemblies exist).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApproval {
    /// The approval's reference (e.g. "Acta de la Asamblea General de 12/03/2024, acuerdo 4").
    #[schema(min_length = 1, max_length = 500)]
    pub reference: String,
    /// The day of the approval (default today).
    pub approved_on: Option<NaiveDate>,
}

/// What an action carries besides its place in the tree.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ActionDetails {
    /// The staff user responsible.
    pub responsible_id: Option<Uuid>,
    /// Member organisations taking part.
    pub participant_ids: Vec<Uuid>,
    /// Start.
    pub start_date: Option<NaiveDate>,
    /// End.
    pub end_date: Option<NaiveDate>,
    /// Status.
    pub status: ActionStatus,
    /// Progress, 0–100.
    pub progress: i16,
    /// Planned budget, euro cents.
    pub planned_budget_cents: Option<i64>,
    /// Open and past its end date.
    pub overdue: bool,
}

/// A node of a plan: an axis, area, objective or action. `action` is present on actions
/// only.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Node {
    /// Id.
    pub id: Uuid,
    /// The plan.
    pub plan_id: Uuid,
    /// Level.
    pub kind: NodeKind,
    /// The parent node (none for axes).
    pub parent_id: Option<Uuid>,
    /// The axis it belongs to.
    pub axis_id: Uuid,
    /// Code, unique in the plan.
    #[schema(example = "E1.2.1.3")]
    pub code: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Order among its siblings.
    pub position: i32,
    /// Weight in the progress roll-up (0 leaves it out).
    pub weight: i32,
    /// Action fields (actions only).
    pub action: Option<ActionDetails>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Node {
    /// The node with its participants (actions), as of `today`.
    pub fn new(r: NodeRow, participant_ids: Vec<Uuid>, today: NaiveDate) -> Self {
        let overdue = r.is_overdue(today);
        let action = r.action_status.map(|status| ActionDetails {
            responsible_id: r.responsible_id,
            participant_ids,
            start_date: r.start_date,
            end_date: r.end_date,
            status,
            progress: r.progress.unwrap_or(0),
            planned_budget_cents: r.planned_budget_cents,
            overdue,
        });
        Self {
            id: r.id,
            plan_id: r.plan_id,
            kind: r.kind,
            parent_id: r.parent_id,
            axis_id: r.axis_id,
            code: r.code,
            title: r.title,
            description: r.description,
            position: r.position,
            weight: r.weight,
            action,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for Node {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "plan_id",
            "kind",
            "code",
            "title",
            "position",
            "weight",
            "status",
            "progress",
            "start_date",
            "end_date",
            "planned_budget_cents",
            "responsible_id",
            "participant_ids",
            "overdue",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let a = self.action.as_ref();
        let opt = |v: Option<String>| v.unwrap_or_default();
        vec![
            self.id.to_string(),
            self.plan_id.to_string(),
            self.kind.to_string(),
            self.code.clone(),
            self.title.clone(),
            self.position.to_string(),
            self.weight.to_string(),
            opt(a.map(|a| a.status.to_string())),
            opt(a.map(|a| a.progress.to_string())),
            opt(a.and_then(|a| a.start_date).map(|d| d.to_string())),
            opt(a.and_then(|a| a.end_date).map(|d| d.to_string())),
            opt(a
                .and_then(|a| a.planned_budget_cents)
                .map(|c| c.to_string())),
            opt(a.and_then(|a| a.responsible_id).map(|u| u.to_string())),
            opt(a.map(|a| {
                a.participant_ids
                    .iter()
                    .map(Uuid::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            })),
            opt(a.map(|a| a.overdue.to_string())),
        ]
    }
}

/// Action fields of a new or changed action.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// The responsible staff user; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub responsible_id: Option<Option<Uuid>>,
    /// Member organisations taking part (replaces the list).
    #[schema(max_items = 500)]
    pub participant_ids: Option<Vec<Uuid>>,
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
    pub planned_budget_cents: Option<Option<i64>>,
}

/// A new node. `action` is only for actions (and optional there).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNode {
    /// Code, unique in the plan (`E1.2`): 1–30 letters, digits, `.`, `_`, `-`.
    #[schema(min_length = 1, max_length = 30, example = "E1.2")]
    pub code: String,
    /// Title (1–300 characters).
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// Description.
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// Order among siblings (default: after the last).
    pub position: Option<i32>,
    /// Weight in the roll-up, 0–10000 (default 1).
    #[schema(minimum = 0, maximum = 10000)]
    pub weight: Option<i32>,
    /// Action fields.
    pub action: Option<ActionInput>,
}

/// Changes to a node. Needs `If-Match`. On an approved plan only an action's `status`,
/// `progress`, `responsible_id` and `participant_ids` change (execution); the rest is
/// frozen.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodePatch {
    /// Code.
    #[schema(min_length = 1, max_length = 30)]
    pub code: Option<String>,
    /// Title.
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    /// Description; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 10000)]
    pub description: Option<Option<String>>,
    /// Position.
    pub position: Option<i32>,
    /// Weight, 0–10000.
    #[schema(minimum = 0, maximum = 10000)]
    pub weight: Option<i32>,
    /// Action fields (actions only).
    pub action: Option<ActionInput>,
}

/// Filters of the action list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// Plan.
    pub plan_id: Option<Uuid>,
    /// Axis.
    pub axis_id: Option<Uuid>,
    /// Status.
    pub status: Option<ActionStatus>,
    /// Responsible staff user.
    pub responsible_id: Option<Uuid>,
    /// A participating member organisation.
    pub member_id: Option<Uuid>,
    /// Only open actions past their end date (`true`) or the others (`false`).
    pub overdue: Option<bool>,
    /// Page size (1–100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    #[param(max_length = 1000)]
    pub cursor: Option<String>,
}

/// The target of an indicator for one year of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Year, within the plan.
    #[schema(example = 2025)]
    pub year: i32,
    /// Target value.
    #[schema(example = 40.0)]
    pub value: f64,
}

impl From<TargetRow> for Target {
    fn from(t: TargetRow) -> Self {
        Self {
            year: t.year,
            value: t.value,
        }
    }
}

/// An indicator (KPI) of an objective or an action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Indicator {
    /// Id.
    pub id: Uuid,
    /// The plan.
    pub plan_id: Uuid,
    /// The objective or action it measures.
    pub node_id: Uuid,
    /// Name.
    #[schema(example = "Empresas socias con actividad internacional")]
    pub name: String,
    /// Unit.
    #[schema(example = "empresas")]
    pub unit: String,
    /// Whether higher values are better (false: lower is better).
    pub higher_is_better: bool,
    /// Value at the start.
    pub baseline: f64,
    /// Targets per year.
    pub targets: Vec<Target>,
    /// Order on its node.
    pub position: i32,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Indicator {
    /// The indicator with its targets.
    pub fn new(r: IndicatorRow, targets: Vec<Target>) -> Self {
        Self {
            id: r.id,
            plan_id: r.plan_id,
            node_id: r.node_id,
            name: r.name,
            unit: r.unit,
            higher_is_better: r.higher_is_better,
            baseline: r.baseline,
            targets,
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for Indicator {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "plan_id",
            "node_id",
            "name",
            "unit",
            "higher_is_better",
            "baseline",
            "targets",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.plan_id.to_string(),
            self.node_id.to_string(),
            self.name.clone(),
            self.unit.clone(),
            self.higher_is_better.to_string(),
            self.baseline.to_string(),
            self.targets
                .iter()
                .map(|t| format!("{}:{}", t.year, t.value))
                .collect::<Vec<_>>()
                .join(" "),
        ]
    }
}

/// A new indicator (draft plans).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIndicator {
    /// The objective or action it measures.
    pub node_id: Uuid,
    /// Name (unique on its node).
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    /// Unit.
    #[schema(min_length = 1, max_length = 50, example = "%")]
    pub unit: String,
    /// Whether higher values are better (default true).
    pub higher_is_better: Option<bool>,
    /// Value at the start.
    pub baseline: f64,
    /// Targets per year of the plan.
    #[schema(max_items = 50)]
    pub targets: Option<Vec<Target>>,
    /// Order on its node.
    pub position: Option<i32>,
}

/// Changes to an indicator (draft plans). Needs `If-Match`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorPatch {
    /// Name.
    #[schema(min_length = 1, max_length = 300)]
    pub name: Option<String>,
    /// Unit.
    #[schema(min_length = 1, max_length = 50)]
    pub unit: Option<String>,
    /// Direction.
    pub higher_is_better: Option<bool>,
    /// Baseline.
    pub baseline: Option<f64>,
    /// Targets (replace the list).
    #[schema(max_items = 50)]
    pub targets: Option<Vec<Target>>,
    /// Order.
    pub position: Option<i32>,
}

/// Filters of the indicator list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// Plan.
    pub plan_id: Option<Uuid>,
    /// Objective or action.
    pub node_id: Option<Uuid>,
    /// Page size (1–100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    #[param(max_length = 1000)]
    pub cursor: Option<String>,
}

/// A measurement of an indicator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Measurement {
    /// Id.
    pub id: Uuid,
    /// The indicator.
    pub indicator_id: Uuid,
    /// Date of the value.
    pub measured_on: NaiveDate,
    /// Value.
    pub value: f64,
    /// Where it comes from.
    pub source: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// Who recorded it.
    pub recorded_by: Option<Uuid>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

impl From<MeasurementRow> for Measurement {
    fn from(m: MeasurementRow) -> Self {
        Self {
            id: m.id,
            indicator_id: m.indicator_id,
            measured_on: m.measured_on,
            value: m.value,
            source: m.source,
            note: m.note,
            recorded_by: m.recorded_by,
            created_at: m.created_at,
        }
    }
}

impl CsvRow for MeasurementRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "indicator_id",
            "measured_on",
            "value",
            "source",
            "note",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.indicator_id.to_string(),
            self.measured_on.to_string(),
            self.value.to_string(),
            self.source.clone().unwrap_or_default(),
            self.note.clone().unwrap_or_default(),
        ]
    }
}

/// A new measurement (any plan: measuring is execution, not content).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeasurement {
    /// Date of the value.
    pub measured_on: NaiveDate,
    /// Value.
    pub value: f64,
    /// Where it comes from.
    #[schema(max_length = 300)]
    pub source: Option<String>,
    /// Note.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Attainment of an indicator in one year of the plan.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct YearAttainment {
    /// Year.
    pub year: i32,
    /// Target for the year.
    pub target: Option<f64>,
    /// The latest measurement dated in the year.
    pub value: Option<f64>,
    /// Percent of the way from the baseline to the target (100 = reached; negative =
    /// the wrong way); null without target or value.
    pub attainment_pct: Option<f64>,
}

/// An indicator with its attainment per year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorProgress {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Direction.
    pub higher_is_better: bool,
    /// Baseline.
    pub baseline: f64,
    /// Per year of the plan.
    pub years: Vec<YearAttainment>,
}

/// Actions by status.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq, Eq)]
pub struct StatusCounts {
    /// Not started.
    pub not_started: i64,
    /// In progress.
    pub in_progress: i64,
    /// Completed.
    pub completed: i64,
    /// Delayed.
    pub delayed: i64,
    /// Cancelled.
    pub cancelled: i64,
}

impl From<[i64; 5]> for StatusCounts {
    fn from(c: [i64; 5]) -> Self {
        Self {
            not_started: c[0],
            in_progress: c[1],
            completed: c[2],
            delayed: c[3],
            cancelled: c[4],
        }
    }
}

/// A node of the progress report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressNode {
    /// Id.
    pub id: Uuid,
    /// Level.
    pub kind: NodeKind,
    /// Code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Weight.
    pub weight: i32,
    /// Weighted progress 0–100; null when nothing below counts.
    pub progress: Option<f64>,
    /// Actions at or below the node, by status.
    pub actions: StatusCounts,
    /// Open actions past their end date, at or below the node.
    pub overdue_actions: i64,
    /// The node's indicators with their attainment.
    pub indicators: Vec<IndicatorProgress>,
    /// Children.
    #[schema(no_recursion)]
    pub children: Vec<ProgressNode>,
}

/// The progress of a plan, rolled up from its actions by weight.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Progress {
    /// The plan.
    pub plan: Plan,
    /// As of this day (overdue actions).
    pub as_of: NaiveDate,
    /// Weighted progress of the whole plan.
    pub progress: Option<f64>,
    /// All actions by status.
    pub actions: StatusCounts,
    /// All overdue actions.
    pub overdue_actions: i64,
    /// The axes.
    pub axes: Vec<ProgressNode>,
}

/// A node of the plan tree, with its indicators and children.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TreeNode {
    /// The node.
    #[serde(flatten)]
    pub node: Node,
    /// Its indicators.
    pub indicators: Vec<Indicator>,
    /// Children, by position and code.
    #[schema(no_recursion)]
    pub children: Vec<TreeNode>,
}

/// A whole plan, nested.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tree {
    /// The plan.
    pub plan: Plan,
    /// The axes.
    pub axes: Vec<TreeNode>,
}

/// A node added or removed between two versions.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct NodeRef {
    /// Code.
    pub code: String,
    /// Level.
    pub kind: NodeKind,
    /// Title.
    pub title: String,
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

/// A node present in both versions with different content.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NodeChange {
    /// Code.
    pub code: String,
    /// Level.
    pub kind: NodeKind,
    /// What differs.
    pub changes: Vec<FieldChange>,
}

/// The differences between two plan versions, nodes matched by code: what this version
/// (`plan_id`) adds, removes and changes against the other (`against`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanDiff {
    /// This version.
    pub plan_id: Uuid,
    /// The version compared against.
    pub against: Uuid,
    /// Nodes only in this version.
    pub added: Vec<NodeRef>,
    /// Nodes only in the other version.
    pub removed: Vec<NodeRef>,
    /// Nodes in both, changed.
    pub changed: Vec<NodeChange>,
}

/// `against` of the diff.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The other version.
    pub against: Uuid,
}
