//! A whole plan as one JSON document: what `GET /plans/{id}/export` writes and
//! `POST /plans/import` reads, and what revisions and the demo seed are built from. A
//! document is checked as a whole: every problem is listed with its JSON path, and nothing
//! is written unless there are none.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    dto::{Labels, Target},
    model::{
        ActionStatus, IndicatorRow, MeasurementRow, NodeKind, NodeRow, ParticipantRow, PlanRow,
        PlanStatus, TargetRow, check_code, check_value,
    },
    repo,
};
use crate::{
    domain::text,
    error::{ApiError, FieldErrors},
};

/// Most nodes in one plan.
pub const MAX_NODES: usize = 5000;

fn default_depth() -> i16 {
    4
}

/// A whole plan: its header and its axes, each with its children down to the actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDocument {
    /// Title.
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// First year.
    #[schema(minimum = 1900, maximum = 2200)]
    pub start_year: i32,
    /// Last year.
    #[schema(minimum = 1900, maximum = 2219)]
    pub end_year: i32,
    /// Levels: 4 (default) or 3.
    #[serde(default = "default_depth")]
    #[schema(minimum = 3, maximum = 4)]
    pub depth: i16,
    /// Level names.
    #[serde(default)]
    pub labels: Labels,
    /// The axes.
    #[serde(default)]
    pub axes: Vec<NodeDocument>,
}

/// A node and everything below it. The level follows from the depth in the tree; the
/// leaves are actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeDocument {
    /// Code, unique in the plan.
    #[schema(min_length = 1, max_length = 30)]
    pub code: String,
    /// Title.
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// Description.
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// Order among siblings (default: the order in the document).
    #[serde(default)]
    pub position: Option<i32>,
    /// Weight in the roll-up (default 1).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000)]
    pub weight: Option<i32>,
    /// Action fields (leaves only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionDocument>,
    /// Indicators (objectives and actions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<IndicatorDocument>,
    /// Children.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    pub children: Vec<NodeDocument>,
}

/// The action fields of a leaf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionDocument {
    /// Responsible staff user.
    #[serde(default)]
    pub responsible_id: Option<Uuid>,
    /// Member organisations taking part.
    #[serde(default)]
    pub participant_ids: Vec<Uuid>,
    /// Start.
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    /// End.
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    /// Status (default `not_started`).
    #[serde(default)]
    pub status: Option<ActionStatus>,
    /// Progress 0–100 (default 0, or 100 when completed).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub progress: Option<i16>,
    /// Planned budget in euro cents.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub planned_budget_cents: Option<i64>,
}

/// An indicator with its targets and measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDocument {
    /// Name (unique on its node).
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    /// Unit.
    #[schema(min_length = 1, max_length = 50)]
    pub unit: String,
    /// Whether higher is better (default true).
    #[serde(default = "yes")]
    pub higher_is_better: bool,
    /// Baseline.
    pub baseline: f64,
    /// Targets per year.
    #[serde(default)]
    pub targets: Vec<Target>,
    /// Measurements.
    #[serde(default)]
    pub measurements: Vec<MeasurementDocument>,
}

fn yes() -> bool {
    true
}

/// A measurement in a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasurementDocument {
    /// Date.
    pub measured_on: NaiveDate,
    /// Value.
    pub value: f64,
    /// Source.
    #[serde(default)]
    #[schema(max_length = 300)]
    pub source: Option<String>,
    /// Note.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// The rows a document becomes.
#[derive(Debug, Clone)]
pub struct Rows {
    /// The plan (a draft).
    pub plan: PlanRow,
    /// Nodes, parents before children.
    pub nodes: Vec<NodeRow>,
    /// Participations.
    pub participants: Vec<ParticipantRow>,
    /// Indicators.
    pub indicators: Vec<IndicatorRow>,
    /// Targets.
    pub targets: Vec<TargetRow>,
    /// Measurements.
    pub measurements: Vec<MeasurementRow>,
}

/// What a document refers to outside itself, with where.
#[derive(Debug, Default)]
struct References {
    members: Vec<(String, Uuid)>,
    staff: Vec<(String, Uuid)>,
}

/// Checks plan header fields (shared by creation, patches and documents).
pub fn check_period(problems: &mut FieldErrors, prefix: &str, start: i32, end: i32) {
    if !(1900..=2200).contains(&start) {
        problems.add(
            &format!("{prefix}start_year"),
            "out_of_range",
            "must be between 1900 and 2200",
        );
    }
    if end < start || end - start >= 20 {
        problems.add(
            &format!("{prefix}end_year"),
            "out_of_range",
            "must be the start year or later, less than 20 years after it",
        );
    }
}

/// Checks level names.
pub fn check_labels(problems: &mut FieldErrors, prefix: &str, labels: &Labels) -> Labels {
    let mut one = |field: &str, v: &str| {
        problems
            .check(&format!("{prefix}labels.{field}"), text::name(v, 50))
            .unwrap_or_default()
    };
    Labels {
        axis: one("axis", &labels.axis),
        area: one("area", &labels.area),
        objective: one("objective", &labels.objective),
        action: one("action", &labels.action),
    }
}

/// Checks a weight (0–10000).
pub fn check_weight(problems: &mut FieldErrors, path: &str, weight: i32) {
    if !(0..=10_000).contains(&weight) {
        problems.add(path, "out_of_range", "must be between 0 and 10000");
    }
}

/// Checks action fields against the plan's period: dates in the plan's years, end on or
/// after start, progress 0–100 (100 when completed), budget ≥ 0.
#[expect(
    clippy::too_many_arguments,
    reason = "each argument is one field of an action"
)]
pub fn check_action(
    problems: &mut FieldErrors,
    prefix: &str,
    plan: &PlanRow,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    status: ActionStatus,
    progress: i16,
    budget: Option<i64>,
) {
    for (field, date) in [("start_date", start), ("end_date", end)] {
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
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        problems.add(
            &format!("{prefix}end_date"),
            "out_of_range",
            "must be on or after start_date",
        );
    }
    if !(0..=100).contains(&progress) {
        problems.add(
            &format!("{prefix}progress"),
            "out_of_range",
            "must be between 0 and 100",
        );
    } else if status == ActionStatus::Completed && progress != 100 {
        problems.add(
            &format!("{prefix}progress"),
            "inconsistent",
            "a completed action has progress 100",
        );
    }
    if budget.is_some_and(|b| b < 0) {
        problems.add(
            &format!("{prefix}planned_budget_cents"),
            "out_of_range",
            "must be 0 or more",
        );
    }
}

/// Checks targets: years within the plan, each once, finite values.
pub fn check_targets(problems: &mut FieldErrors, prefix: &str, plan: &PlanRow, targets: &[Target]) {
    let mut seen = HashSet::new();
    for (i, t) in targets.iter().enumerate() {
        let path = format!("{prefix}targets[{i}]");
        if !(plan.start_year..=plan.end_year).contains(&t.year) {
            problems.add(
                &format!("{path}.year"),
                "out_of_range",
                format!(
                    "must be a year of the plan ({}–{})",
                    plan.start_year, plan.end_year
                ),
            );
        } else if !seen.insert(t.year) {
            problems.add(&format!("{path}.year"), "duplicate", "one target per year");
        }
        problems.check(&format!("{path}.value"), check_value(t.value));
    }
}

struct Builder<'a> {
    plan: &'a PlanRow,
    now: DateTime<Utc>,
    problems: FieldErrors,
    refs: References,
    codes: HashMap<String, String>,
    rows: Rows,
}

impl Builder<'_> {
    fn node(
        &mut self,
        path: &str,
        doc: &NodeDocument,
        index: usize,
        kind: NodeKind,
        parent: Option<(&NodeRow, NodeKind)>,
    ) {
        let p = |field: &str| format!("{path}.{field}");
        let id = Uuid::now_v7();
        let code = self.problems.check(&p("code"), check_code(&doc.code));
        if let Some(code) = &code
            && let Some(first) = self.codes.insert(code.clone(), p("code"))
        {
            self.problems.add(
                &p("code"),
                "duplicate",
                format!("`{code}` is already the code of {first}"),
            );
        }
        let title = self
            .problems
            .check(&p("title"), text::name(&doc.title, 300));
        let description = self.problems.check(
            &p("description"),
            text::optional(doc.description.as_deref(), 10_000),
        );
        let weight = doc.weight.unwrap_or(1);
        check_weight(&mut self.problems, &p("weight"), weight);
        let child_kind = kind.child(self.plan.depth);
        let mut row = NodeRow {
            id,
            plan_id: self.plan.id,
            kind,
            parent_id: parent.map(|(n, _)| n.id),
            parent_kind: parent.map(|(_, k)| k),
            axis_id: parent.map_or(id, |(n, _)| n.axis_id),
            code: code.unwrap_or_default(),
            title: title.unwrap_or_default(),
            description: description.flatten(),
            position: doc
                .position
                .unwrap_or_else(|| i32::try_from(index).unwrap_or(0)),
            weight,
            responsible_id: None,
            start_date: None,
            end_date: None,
            action_status: None,
            progress: None,
            planned_budget_cents: None,
            version: 1,
            created_at: self.now,
            updated_at: self.now,
        };
        if kind == NodeKind::Action {
            let a = doc.action.clone().unwrap_or(ActionDocument {
                responsible_id: None,
                participant_ids: Vec::new(),
                start_date: None,
                end_date: None,
                status: None,
                progress: None,
                planned_budget_cents: None,
            });
            let status = a.status.unwrap_or(ActionStatus::NotStarted);
            let progress = a.progress.unwrap_or(if status == ActionStatus::Completed {
                100
            } else {
                0
            });
            check_action(
                &mut self.problems,
                &p("action."),
                self.plan,
                a.start_date,
                a.end_date,
                status,
                progress,
                a.planned_budget_cents,
            );
            row.responsible_id = a.responsible_id;
            row.start_date = a.start_date;
            row.end_date = a.end_date;
            row.action_status = Some(status);
            row.progress = Some(progress);
            row.planned_budget_cents = a.planned_budget_cents;
            if let Some(r) = a.responsible_id {
                self.refs.staff.push((p("action.responsible_id"), r));
            }
            let mut seen = HashSet::new();
            for (i, m) in a.participant_ids.iter().enumerate() {
                let mp = format!("{path}.action.participant_ids[{i}]");
                if seen.insert(*m) {
                    self.refs.members.push((mp, *m));
                    self.rows.participants.push(ParticipantRow {
                        action_id: id,
                        member_id: *m,
                    });
                } else {
                    self.problems.add(&mp, "duplicate", "listed twice");
                }
            }
            if !doc.children.is_empty() {
                self.problems.add(
                    &p("children"),
                    "not_allowed",
                    "actions are the leaves of the plan",
                );
            }
        } else if doc.action.is_some() {
            self.problems.add(
                &p("action"),
                "not_allowed",
                format!("only actions have action fields; this is an {kind}"),
            );
        }
        if !kind.has_indicators() && !doc.indicators.is_empty() {
            self.problems.add(
                &p("indicators"),
                "not_allowed",
                "indicators belong to objectives and actions",
            );
        }
        let mut names = HashSet::new();
        for (i, ind) in doc.indicators.iter().enumerate() {
            let ip = format!("{path}.indicators[{i}].");
            self.indicator(&ip, ind, i, &row, &mut names);
        }
        self.rows.nodes.push(row.clone());
        if self.rows.nodes.len() > MAX_NODES {
            return;
        }
        if let Some(child_kind) = child_kind {
            for (i, child) in doc.children.iter().enumerate() {
                self.node(
                    &format!("{path}.children[{i}]"),
                    child,
                    i,
                    child_kind,
                    Some((&row, kind)),
                );
            }
        }
    }

    fn indicator(
        &mut self,
        ip: &str,
        doc: &IndicatorDocument,
        index: usize,
        node: &NodeRow,
        names: &mut HashSet<String>,
    ) {
        let id = Uuid::now_v7();
        let name = self
            .problems
            .check(&format!("{ip}name"), text::name(&doc.name, 300));
        if let Some(n) = &name
            && !names.insert(n.clone())
        {
            self.problems.add(
                &format!("{ip}name"),
                "duplicate",
                "another indicator of this node has this name",
            );
        }
        let unit = self
            .problems
            .check(&format!("{ip}unit"), text::name(&doc.unit, 50));
        self.problems
            .check(&format!("{ip}baseline"), check_value(doc.baseline));
        check_targets(&mut self.problems, ip, self.plan, &doc.targets);
        for (j, m) in doc.measurements.iter().enumerate() {
            let mp = format!("{ip}measurements[{j}].");
            self.problems
                .check(&format!("{mp}value"), check_value(m.value));
            let source = self.problems.check(
                &format!("{mp}source"),
                text::optional_line(m.source.as_deref(), 300),
            );
            let note = self.problems.check(
                &format!("{mp}note"),
                text::optional(m.note.as_deref(), 2000),
            );
            self.rows.measurements.push(MeasurementRow {
                id: Uuid::now_v7(),
                indicator_id: id,
                measured_on: m.measured_on,
                value: m.value,
                source: source.flatten(),
                note: note.flatten(),
                recorded_by: None,
                created_at: self.now,
            });
        }
        for t in &doc.targets {
            self.rows.targets.push(TargetRow {
                indicator_id: id,
                year: t.year,
                value: t.value,
            });
        }
        self.rows.indicators.push(IndicatorRow {
            id,
            plan_id: self.plan.id,
            node_id: node.id,
            node_kind: node.kind,
            name: name.unwrap_or_default(),
            unit: unit.unwrap_or_default(),
            higher_is_better: doc.higher_is_better,
            baseline: doc.baseline,
            position: i32::try_from(index).unwrap_or(0),
            version: 1,
            created_at: self.now,
            updated_at: self.now,
        });
    }
}

/// The plan row of a document's header (a draft), with its problems recorded.
pub fn header(problems: &mut FieldErrors, doc: &PlanDocument, plan_id: Uuid) -> PlanRow {
    let now = Utc::now();
    let title = problems.check("title", text::name(&doc.title, 300));
    let description = problems.check(
        "description",
        text::optional(doc.description.as_deref(), 10_000),
    );
    check_period(problems, "", doc.start_year, doc.end_year);
    if !(3..=4).contains(&doc.depth) {
        problems.add("depth", "out_of_range", "must be 3 or 4");
    }
    let labels = check_labels(problems, "", &doc.labels);
    PlanRow {
        id: plan_id,
        title: title.unwrap_or_default(),
        description: description.flatten(),
        start_year: doc.start_year,
        end_year: doc.end_year,
        status: PlanStatus::Draft,
        version_number: 1,
        revises_id: None,
        depth: doc.depth,
        label_axis: labels.axis,
        label_area: labels.area,
        label_objective: labels.objective,
        label_action: labels.action,
        approved_on: None,
        approval_reference: None,
        approved_by: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// Turns a document into the rows of a new draft plan with id `plan_id`, or lists every
/// problem. With `check_references`, members and staff users named in it must exist.
pub async fn build(
    conn: &mut AsyncPgConnection,
    doc: &PlanDocument,
    plan_id: Uuid,
    check_references: bool,
) -> Result<Rows, ApiError> {
    let mut problems = FieldErrors::default();
    let plan = header(&mut problems, doc, plan_id);
    let now = plan.created_at;
    let mut b = Builder {
        plan: &plan,
        now,
        problems,
        refs: References::default(),
        codes: HashMap::new(),
        rows: Rows {
            plan: plan.clone(),
            nodes: Vec::new(),
            participants: Vec::new(),
            indicators: Vec::new(),
            targets: Vec::new(),
            measurements: Vec::new(),
        },
    };
    for (i, axis) in doc.axes.iter().enumerate() {
        b.node(&format!("axes[{i}]"), axis, i, NodeKind::Axis, None);
    }
    if b.rows.nodes.len() > MAX_NODES {
        b.problems.add(
            "axes",
            "too_many",
            format!("a plan has at most {MAX_NODES} nodes"),
        );
    }
    let Builder {
        mut problems,
        refs,
        rows,
        ..
    } = b;
    // A revision copies references as they are (a member archived or a user deactivated
    // since the approval stays in the history); an import must name live ones.
    if !check_references {
        return finish(problems, rows);
    }
    let member_ids: Vec<Uuid> = refs.members.iter().map(|(_, id)| *id).collect();
    let known = repo::existing_members(conn, &member_ids).await?;
    for (path, id) in &refs.members {
        if !known.contains(id) {
            problems.add(path, "unknown", "no such member in the register");
        }
    }
    let staff_ids: Vec<Uuid> = refs.staff.iter().map(|(_, id)| *id).collect();
    let staff = repo::active_staff(conn, &staff_ids).await?;
    for (path, id) in &refs.staff {
        if !staff.contains(id) {
            problems.add(path, "unknown", "not an active staff or admin user");
        }
    }
    finish(problems, rows)
}

fn finish(problems: FieldErrors, rows: Rows) -> Result<Rows, ApiError> {
    problems.finish_as("invalid_plan_document", |n| {
        format!("The plan document has {n} problem(s); nothing was created.")
    })?;
    Ok(rows)
}

/// The nodes by parent (`None`: the axes), each list by position and code: the order of
/// the tree, the progress report and the document.
pub fn children_of(nodes: &[NodeRow]) -> HashMap<Option<Uuid>, Vec<&NodeRow>> {
    let mut children: HashMap<Option<Uuid>, Vec<&NodeRow>> = HashMap::new();
    for n in nodes {
        children.entry(n.parent_id).or_default().push(n);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| (a.position, &a.code).cmp(&(b.position, &b.code)));
    }
    children
}

/// The targets of each indicator, as the API shows them.
pub fn targets_by(targets: &[TargetRow]) -> HashMap<Uuid, Vec<Target>> {
    let mut by: HashMap<Uuid, Vec<Target>> = HashMap::new();
    for t in targets {
        by.entry(t.indicator_id).or_default().push(Target::from(*t));
    }
    by
}

/// A plan's rows, indexed for writing the document.
struct Index<'a> {
    children: &'a HashMap<Option<Uuid>, Vec<&'a NodeRow>>,
    by_action: &'a HashMap<Uuid, Vec<Uuid>>,
    ind_by_node: &'a HashMap<Uuid, Vec<&'a IndicatorRow>>,
    targets_by: &'a HashMap<Uuid, Vec<Target>>,
    measures_by: &'a HashMap<Uuid, Vec<&'a MeasurementRow>>,
}

/// Writes a plan document back from the rows of a plan.
pub fn export(
    plan: &PlanRow,
    nodes: &[NodeRow],
    participants: &[ParticipantRow],
    indicators: &[IndicatorRow],
    targets: &[TargetRow],
    measurements: &[MeasurementRow],
) -> PlanDocument {
    let children = children_of(nodes);
    let mut by_action: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for p in participants {
        by_action.entry(p.action_id).or_default().push(p.member_id);
    }
    let mut ind_by_node: HashMap<Uuid, Vec<&IndicatorRow>> = HashMap::new();
    for i in indicators {
        ind_by_node.entry(i.node_id).or_default().push(i);
    }
    let targets_by = targets_by(targets);
    let mut measures_by: HashMap<Uuid, Vec<&MeasurementRow>> = HashMap::new();
    for m in measurements {
        measures_by.entry(m.indicator_id).or_default().push(m);
    }
    fn node_doc(n: &NodeRow, ctx: &Index<'_>) -> NodeDocument {
        let Index {
            children,
            by_action,
            ind_by_node,
            targets_by,
            measures_by,
        } = ctx;
        let action = n.action_status.map(|status| {
            let mut participant_ids = by_action.get(&n.id).cloned().unwrap_or_default();
            participant_ids.sort();
            ActionDocument {
                responsible_id: n.responsible_id,
                participant_ids,
                start_date: n.start_date,
                end_date: n.end_date,
                status: Some(status),
                progress: n.progress,
                planned_budget_cents: n.planned_budget_cents,
            }
        });
        let mut inds: Vec<&IndicatorRow> = ind_by_node.get(&n.id).cloned().unwrap_or_default();
        inds.sort_by(|a, b| (a.position, &a.name).cmp(&(b.position, &b.name)));
        let indicators = inds
            .into_iter()
            .map(|i| {
                let mut targets = targets_by.get(&i.id).cloned().unwrap_or_default();
                targets.sort_by_key(|t| t.year);
                let mut ms = measures_by.get(&i.id).cloned().unwrap_or_default();
                ms.sort_by(|a, b| {
                    (a.measured_on, a.created_at, a.id).cmp(&(b.measured_on, b.created_at, b.id))
                });
                IndicatorDocument {
                    name: i.name.clone(),
                    unit: i.unit.clone(),
                    higher_is_better: i.higher_is_better,
                    baseline: i.baseline,
                    targets,
                    measurements: ms
                        .into_iter()
                        .map(|m| MeasurementDocument {
                            measured_on: m.measured_on,
                            value: m.value,
                            source: m.source.clone(),
                            note: m.note.clone(),
                        })
                        .collect(),
                }
            })
            .collect();
        NodeDocument {
            code: n.code.clone(),
            title: n.title.clone(),
            description: n.description.clone(),
            position: Some(n.position),
            weight: Some(n.weight),
            action,
            indicators,
            children: children
                .get(&Some(n.id))
                .map(|c| c.iter().map(|c| node_doc(c, ctx)).collect())
                .unwrap_or_default(),
        }
    }
    let ctx = Index {
        children: &children,
        by_action: &by_action,
        ind_by_node: &ind_by_node,
        targets_by: &targets_by,
        measures_by: &measures_by,
    };
    PlanDocument {
        title: plan.title.clone(),
        description: plan.description.clone(),
        start_year: plan.start_year,
        end_year: plan.end_year,
        depth: plan.depth,
        labels: Labels {
            axis: plan.label_axis.clone(),
            area: plan.label_area.clone(),
            objective: plan.label_objective.clone(),
            action: plan.label_action.clone(),
        },
        axes: children
            .get(&None)
            .map(|c| c.iter().map(|n| node_doc(n, &ctx)).collect())
            .unwrap_or_default(),
    }
}
