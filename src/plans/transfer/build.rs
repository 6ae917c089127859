//! Building the rows of a new draft plan from a document: every field checked, every
//! problem listed with its JSON path, and the members and staff users it names looked up in
//! one query each.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;

use super::{
    IndicatorDocument, MAX_INDICATORS, MAX_MEASUREMENTS, MAX_NODES, NodeDocument, PlanDocument,
};
use crate::{
    domain::{IndicatorId, PlanId, text},
    error::{ApiError, FieldErrors},
    plans::{
        indicators::{MAX_TARGETS, check_targets},
        model::{
            IndicatorRow, MeasurementRow, NodeKind, NodeRow, ParticipantRow, PlanRow, PlanStatus,
            TargetRow, check_code, check_value,
        },
        nodes::{
            actions::{ActionFields, People, check_action},
            check_weight,
        },
        versions::{check_labels, check_period},
    },
};

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

struct Builder<'a> {
    plan: &'a PlanRow,
    now: DateTime<Utc>,
    problems: FieldErrors,
    people: People,
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
        parent: Option<&NodeRow>,
    ) {
        let p = |field: &str| format!("{path}.{field}");
        let mut row = NodeRow::new(self.plan.id, kind, parent, self.now);
        let id = row.id;
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
        row.code = code.unwrap_or_default();
        row.title = title.unwrap_or_default();
        row.description = description.flatten();
        row.position = doc
            .position
            .unwrap_or_else(|| i32::try_from(index).unwrap_or(0));
        row.weight = weight;
        if kind == NodeKind::Action {
            let a = doc.action.clone().unwrap_or_default();
            let fields = ActionFields::new(
                a.start_date,
                a.end_date,
                a.status,
                a.progress,
                a.planned_budget_cents,
            );
            check_action(&mut self.problems, &p("action."), self.plan, &fields);
            fields.apply(&mut row);
            row.responsible_id = a.responsible_id;
            let named = self.people.add(
                &mut self.problems,
                &p("action."),
                a.responsible_id,
                &a.participant_ids,
            );
            for m in named {
                self.rows.participants.push(ParticipantRow {
                    action_id: id,
                    member_id: m,
                });
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
        if doc.indicators.len() > MAX_INDICATORS {
            let message = format!("at most {MAX_INDICATORS} indicators");
            self.problems.add(&p("indicators"), "too_many", message);
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
                    Some(&row),
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
        let id = IndicatorId::new();
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
        for (field, count, max) in [
            ("targets", doc.targets.len(), MAX_TARGETS),
            ("measurements", doc.measurements.len(), MAX_MEASUREMENTS),
        ] {
            if count > max {
                let message = format!("at most {max} {field}");
                self.problems
                    .add(&format!("{ip}{field}"), "too_many", message);
            }
        }
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
                id: uuid::Uuid::now_v7(),
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
pub fn header(problems: &mut FieldErrors, doc: &PlanDocument, plan_id: PlanId) -> PlanRow {
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
        approved_by_resolution_id: None,
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
    plan_id: PlanId,
    check_references: bool,
) -> Result<Rows, ApiError> {
    let mut problems = FieldErrors::default();
    let plan = header(&mut problems, doc, plan_id);
    let now = plan.created_at;
    let mut b = Builder {
        plan: &plan,
        now,
        problems,
        people: People::default(),
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
        people,
        rows,
        ..
    } = b;
    // A revision copies references as they are (a member archived or a user deactivated
    // since the approval stays in the history); an import must name live ones.
    if !check_references {
        return finish(problems, rows);
    }
    people.check(conn, &mut problems).await?;
    finish(problems, rows)
}

fn finish(problems: FieldErrors, rows: Rows) -> Result<Rows, ApiError> {
    problems.finish_as("invalid_plan_document", |n| {
        format!("The plan document has {n} problem(s); nothing was created.")
    })?;
    Ok(rows)
}
