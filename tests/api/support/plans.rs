//! The strategic plan: plans, their nodes (axes, areas, objectives, actions), indicators.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Created, Page, TestApp, TestUser, expect_json, with_query};

/// A plan (one version of it).
#[derive(Debug, Deserialize)]
pub struct Plan {
    pub id: Uuid,
    pub status: String,
    pub version_number: i64,
    pub revises_id: Option<Uuid>,
    pub depth: i64,
    pub labels: PlanLabels,
    pub approved_on: Option<String>,
    pub approved_by: Option<Uuid>,
}

/// What a plan calls its levels.
#[derive(Debug, Deserialize)]
pub struct PlanLabels {
    pub axis: String,
}

/// A node of a plan: an axis, area, objective or action.
#[derive(Debug, Deserialize)]
pub struct PlanNode {
    pub id: Uuid,
    pub code: String,
    pub action: Option<ActionDetails>,
}

/// What only actions have.
#[derive(Debug, Deserialize)]
pub struct ActionDetails {
    pub status: String,
    pub progress: i64,
    pub participant_ids: Vec<Uuid>,
}

/// An indicator of an objective or action.
#[derive(Debug, Deserialize)]
pub struct Indicator {
    pub id: Uuid,
    /// As JSON: tests compare its shape.
    pub targets: Value,
}

/// A plan's tree: its axes and, under each, its areas, objectives and actions.
#[derive(Debug, Deserialize)]
pub struct PlanTree {
    pub axes: Vec<TreeNode>,
}

/// A node of a plan's tree and its children.
#[derive(Debug, Deserialize)]
pub struct TreeNode {
    pub id: Uuid,
    pub code: String,
    pub action: Option<ActionDetails>,
    pub indicators: Vec<NamedIndicator>,
    pub children: Vec<TreeNode>,
}

/// An indicator in a plan's tree.
#[derive(Debug, Deserialize)]
pub struct NamedIndicator {
    pub id: Uuid,
    pub name: String,
}

/// A plan's progress, rolled up from its actions.
#[derive(Debug, Deserialize)]
pub struct PlanProgress {
    /// None while no action counts.
    pub progress: Option<f64>,
    /// Actions by status, as JSON: tests compare its shape.
    pub actions: Value,
    pub overdue_actions: i64,
    pub axes: Vec<NodeProgress>,
}

/// The progress of a node and its children.
#[derive(Debug, Deserialize)]
pub struct NodeProgress {
    /// None while no action under it counts.
    pub progress: Option<f64>,
    pub overdue_actions: i64,
    pub indicators: Vec<IndicatorProgress>,
    pub children: Vec<NodeProgress>,
}

/// An indicator's attainment by year.
#[derive(Debug, Deserialize)]
pub struct IndicatorProgress {
    pub id: Uuid,
    /// Each year's target, value and attainment, as JSON: tests compare their shape.
    pub years: Vec<Value>,
}

/// The levels of a plan's nodes, each at its own path.
#[derive(Debug, Clone, Copy)]
pub enum Level {
    Axis,
    Area,
    Objective,
    Action,
}

impl Level {
    fn segment(self) -> &'static str {
        match self {
            Level::Axis => "axes",
            Level::Area => "areas",
            Level::Objective => "objectives",
            Level::Action => "actions",
        }
    }
}

/// A plan's ids by code, and its indicators' by name.
pub type NodeIds = HashMap<String, Uuid>;

/// The path of a plan.
pub fn plan_path(id: Uuid) -> String {
    format!("/api/v1/plans/{id}")
}

/// The path of a plan's axes.
pub fn axes_path(plan: Uuid) -> String {
    format!("{}/axes", plan_path(plan))
}

/// The path of a node at its level.
pub fn node_path(level: Level, id: Uuid) -> String {
    format!("/api/v1/{}/{id}", level.segment())
}

/// The path of an indicator.
pub fn indicator_path(id: Uuid) -> String {
    format!("/api/v1/indicators/{id}")
}

/// A small four-level plan document: 2 axes, 3 areas, 3 objectives, 5 actions, 2
/// indicators (both directions). Codes carry `prefix`.
pub fn plan_doc(prefix: &str) -> Value {
    let action = |code: &str, status: &str, progress: i64, weight: i64| {
        json!({"code": format!("{prefix}{code}"), "title": format!("Acción {code}"), "weight": weight,
            "action": {"status": status, "progress": progress, "start_date": "2024-02-01", "end_date": "2025-06-30",
                "planned_budget_cents": 1_000_000}})
    };
    json!({
        "title": "Plan Estratégico de prueba 2024–2027",
        "description": "Plan con ñ, tildes y 🎬.",
        "start_year": 2024, "end_year": 2027,
        "labels": {"axis": "Eje", "area": "Área", "objective": "Objetivo", "action": "Acción"},
        "axes": [
            {"code": format!("{prefix}E1"), "title": "Internacionalización", "weight": 3, "children": [
                {"code": format!("{prefix}E1.1"), "title": "Mercados", "children": [
                    {"code": format!("{prefix}E1.1.1"), "title": "Más exportación",
                     "indicators": [{"name": "Empresas exportadoras", "unit": "empresas", "higher_is_better": true,
                        "baseline": 10.0, "targets": [{"year": 2024, "value": 20.0}, {"year": 2025, "value": 30.0}],
                        "measurements": [{"measured_on": "2024-12-31", "value": 15.0, "source": "Memoria 2024"}]}],
                     "children": [action("E1.1.1.1", "completed", 100, 1), action("E1.1.1.2", "in_progress", 40, 3)]}
                ]},
                {"code": format!("{prefix}E1.2"), "title": "Festivales", "children": [
                    {"code": format!("{prefix}E1.2.1"), "title": "Presencia en festivales",
                     "children": [action("E1.2.1.1", "not_started", 0, 1)]}
                ]}
            ]},
            {"code": format!("{prefix}E2"), "title": "Sostenibilidad", "weight": 1, "children": [
                {"code": format!("{prefix}E2.1"), "title": "Rodaje sostenible", "children": [
                    {"code": format!("{prefix}E2.1.1"), "title": "Menos emisiones",
                     "indicators": [{"name": "Huella de carbono", "unit": "t CO2e", "higher_is_better": false,
                        "baseline": 100.0, "targets": [{"year": 2025, "value": 60.0}],
                        "measurements": [{"measured_on": "2025-12-31", "value": 90.0}]}],
                     "children": [action("E2.1.1.1", "delayed", 50, 1), action("E2.1.1.2", "cancelled", 10, 1)]}
                ]}
            ]}
        ]
    })
}

/// Kept for the tests written against the untyped helpers.
impl TestApp {
    /// Imports a plan document (as `token`) and returns the created plan.
    pub async fn import_plan(&self, token: &str, doc: &Value) -> Value {
        let res = self.post_json(token, "/api/v1/plans/import", doc).await;
        assert_eq!(res.status(), 201, "import plan");
        res.json().await.unwrap()
    }

    /// Approves a plan (as an admin) and returns it.
    pub async fn approve_plan(&self, admin: &TestUser, plan_id: &str) -> Value {
        let res = self
            .try_approve_plan(
                &admin.token,
                plan_id.parse().unwrap(),
                Some("*"),
                &json!({"reference": "Acta de la Asamblea General, acuerdo 4"}),
            )
            .await;
        assert_eq!(res.status(), 200, "approve plan");
        res.json().await.unwrap()
    }

    /// The ids of a plan's nodes by code, and of its indicators by name.
    pub async fn plan_ids(&self, token: &str, plan_id: &str) -> HashMap<String, String> {
        self.node_ids(token, plan_id.parse().unwrap())
            .await
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect()
    }
}

/// Plans.
impl TestApp {
    /// Imports a plan document.
    pub async fn import_plan_doc(&self, token: &str, doc: &Value) -> Plan {
        expect_json(self.try_import_plan(token, doc).await, 201).await
    }

    /// Imports a plan document (raw).
    pub async fn try_import_plan(&self, token: &str, doc: &Value) -> reqwest::Response {
        self.post_json(token, "/api/v1/plans/import", doc).await
    }

    /// Imports `doc` and approves it: the plan and its ids by code.
    pub async fn new_approved_plan(&self, admin: &TestUser, doc: &Value) -> (Uuid, NodeIds) {
        let plan = self.import_plan_doc(&admin.token, doc).await.id;
        self.approve_plan(admin, &plan.to_string()).await;
        (plan, self.node_ids(&admin.token, plan).await)
    }

    /// Creates an empty plan.
    pub async fn create_plan(&self, token: &str, body: &Value) -> Plan {
        let res = self.post_json(token, "/api/v1/plans", body).await;
        expect_json(res, 201).await
    }

    /// A plan.
    pub async fn get_plan(&self, token: &str, id: Uuid) -> Plan {
        self.get_ok(token, &plan_path(id)).await
    }

    /// A plan (raw).
    pub async fn try_get_plan(&self, token: &str, id: Uuid) -> reqwest::Response {
        self.get_as(token, &plan_path(id)).await
    }

    /// The plans the caller sees.
    pub async fn list_plans(&self, token: &str, query: &str) -> Vec<Plan> {
        let path = with_query("/api/v1/plans", query);
        self.get_ok::<Page<_>>(token, &path).await.items
    }

    /// Changes a plan (raw).
    pub async fn try_update_plan(
        &self,
        token: &str,
        id: Uuid,
        if_match: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        self.send_as("PATCH", token, &plan_path(id), if_match, Some(body))
            .await
    }

    /// Approves a plan (raw).
    pub async fn try_approve_plan(
        &self,
        token: &str,
        id: Uuid,
        if_match: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let path = format!("{}/approval", plan_path(id));
        self.send_as("POST", token, &path, if_match, Some(body))
            .await
    }

    /// Starts a revision of an approved plan: the new draft version.
    pub async fn revise_plan(&self, token: &str, id: Uuid) -> Plan {
        expect_json(self.try_revise_plan(token, id).await, 201).await
    }

    /// Starts a revision of a plan (raw).
    pub async fn try_revise_plan(&self, token: &str, id: Uuid) -> reqwest::Response {
        let path = format!("{}/revisions", plan_path(id));
        self.post_json(token, &path, &json!({})).await
    }

    /// A plan's tree.
    pub async fn plan_tree(&self, token: &str, id: Uuid) -> PlanTree {
        self.get_ok(token, &format!("{}/tree", plan_path(id))).await
    }

    /// A plan's tree (raw).
    pub async fn try_plan_tree(&self, token: &str, id: Uuid) -> reqwest::Response {
        self.get_as(token, &format!("{}/tree", plan_path(id))).await
    }

    /// A plan's tree as CSV.
    pub async fn plan_tree_csv(&self, token: &str, id: Uuid) -> String {
        self.get_csv(token, &format!("{}/tree", plan_path(id)))
            .await
    }

    /// A plan's progress.
    pub async fn plan_progress(&self, token: &str, id: Uuid) -> PlanProgress {
        self.get_ok(token, &format!("{}/progress", plan_path(id)))
            .await
    }

    /// A plan's progress as CSV.
    pub async fn plan_progress_csv(&self, token: &str, id: Uuid) -> String {
        self.get_csv(token, &format!("{}/progress", plan_path(id)))
            .await
    }

    /// A plan as a document to import.
    pub async fn export_plan(&self, token: &str, id: Uuid) -> Value {
        self.get_ok(token, &format!("{}/export", plan_path(id)))
            .await
    }

    /// What changed from `against` to `id`, as JSON.
    pub async fn plan_diff(&self, token: &str, id: Uuid, against: Uuid) -> Value {
        let path = format!("{}/diff?against={against}", plan_path(id));
        self.get_ok(token, &path).await
    }

    /// The ids of a plan's nodes by code, and of its indicators by name.
    pub async fn node_ids(&self, token: &str, plan: Uuid) -> NodeIds {
        fn walk(n: &TreeNode, out: &mut NodeIds) {
            out.insert(n.code.clone(), n.id);
            for i in &n.indicators {
                out.insert(i.name.clone(), i.id);
            }
            for c in &n.children {
                walk(c, out);
            }
        }
        let tree: PlanTree = self
            .get_as(token, &format!("{}/tree", plan_path(plan)))
            .await
            .json()
            .await
            .unwrap();
        let mut out = HashMap::new();
        for a in &tree.axes {
            walk(a, &mut out);
        }
        out
    }
}

/// Nodes.
impl TestApp {
    /// Adds an axis to a plan.
    pub async fn add_axis(&self, token: &str, plan: Uuid, body: &Value) -> PlanNode {
        expect_json(self.try_add_axis(token, plan, body).await, 201).await
    }

    /// Adds an axis to a plan (raw).
    pub async fn try_add_axis(&self, token: &str, plan: Uuid, body: &Value) -> reqwest::Response {
        self.post_json(token, &axes_path(plan), body).await
    }

    /// Adds a child to a node: an area to an axis, an objective to an area, an action to an
    /// objective (or to an area, in three-level plans).
    pub async fn add_child(
        &self,
        token: &str,
        parent: (Level, Uuid),
        child: Level,
        body: &Value,
    ) -> PlanNode {
        expect_json(self.try_add_child(token, parent, child, body).await, 201).await
    }

    /// Adds a child to a node (raw).
    pub async fn try_add_child(
        &self,
        token: &str,
        (level, id): (Level, Uuid),
        child: Level,
        body: &Value,
    ) -> reqwest::Response {
        let path = format!("{}/{}", node_path(level, id), child.segment());
        self.post_json(token, &path, body).await
    }

    /// A node at its level (raw).
    pub async fn try_get_node(&self, token: &str, level: Level, id: Uuid) -> reqwest::Response {
        self.get_as(token, &node_path(level, id)).await
    }

    /// Changes a node at its level (raw).
    pub async fn try_update_node(
        &self,
        token: &str,
        (level, id): (Level, Uuid),
        if_match: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        self.send_as("PATCH", token, &node_path(level, id), if_match, Some(body))
            .await
    }

    /// Deletes a node at its level, naming any version (raw).
    pub async fn try_delete_node(
        &self,
        token: &str,
        (level, id): (Level, Uuid),
    ) -> reqwest::Response {
        self.send_as("DELETE", token, &node_path(level, id), Some("*"), None)
            .await
    }

    /// The actions the caller sees (raw).
    pub async fn try_list_actions(&self, token: &str, query: &str) -> reqwest::Response {
        self.get_as(token, &with_query("/api/v1/actions", query))
            .await
    }

    /// The actions the caller sees; `query` is the query string.
    pub async fn list_actions(&self, token: &str, query: &str) -> Page<PlanNode> {
        self.get_ok(token, &with_query("/api/v1/actions", query))
            .await
    }
}

/// Indicators.
impl TestApp {
    /// Creates an indicator.
    pub async fn create_indicator(&self, token: &str, body: &Value) -> Indicator {
        expect_json(self.try_create_indicator(token, body).await, 201).await
    }

    /// Creates an indicator (raw).
    pub async fn try_create_indicator(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post_json(token, "/api/v1/indicators", body).await
    }

    /// The indicators of a node.
    pub async fn node_indicators(&self, token: &str, node: Uuid) -> Vec<Created> {
        let path = format!("/api/v1/indicators?node_id={node}");
        self.get_ok::<Page<_>>(token, &path).await.items
    }

    /// Records a measurement of an indicator (raw).
    pub async fn try_measure(
        &self,
        token: &str,
        indicator: Uuid,
        body: &Value,
    ) -> reqwest::Response {
        let path = format!("{}/measurements", indicator_path(indicator));
        self.post_json(token, &path, body).await
    }
}
