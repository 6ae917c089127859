//! Plan versions: list, create, read, change and delete a plan (its header: title, years,
//! level names). Approval and revisions are in [`approval`].

pub mod approval;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    frozen, in_use, lock_plan,
    model::{PlanChanges, PlanRow, PlanStatus},
    repo,
    transfer::{self, PlanDocument},
    visible_plan,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource, policy},
    domain::{PlanId, ResolutionId, UserId, text},
    error::{ApiError, FieldErrors},
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::Page,
        patch::nullable,
    },
};

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

impl Labels {
    /// The level names stored on a plan.
    pub fn of(plan: &PlanRow) -> Self {
        Self {
            axis: plan.label_axis.clone(),
            area: plan.label_area.clone(),
            objective: plan.label_objective.clone(),
            action: plan.label_action.clone(),
        }
    }
}

/// A version of a strategic plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Plan {
    /// Id.
    pub id: PlanId,
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
    pub revises_id: Option<PlanId>,
    /// Levels: 4 (axis → area → objective → action) or 3 (axis → area → action).
    pub depth: i16,
    /// What the levels are called.
    pub labels: Labels,
    /// When the assembly approved it.
    pub approved_on: Option<NaiveDate>,
    /// The approval's reference (e.g. the assembly resolution).
    pub approval_reference: Option<String>,
    /// Who recorded the approval.
    pub approved_by: Option<UserId>,
    /// The General Assembly resolution that approved it (`null`: an approval recorded by an
    /// admin where the statutes give it to the board, or not approved).
    pub approved_by_resolution_id: Option<ResolutionId>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<PlanRow> for Plan {
    fn from(r: PlanRow) -> Self {
        Self {
            labels: Labels::of(&r),
            id: r.id,
            title: r.title,
            description: r.description,
            start_year: r.start_year,
            end_year: r.end_year,
            status: r.status,
            version_number: r.version_number,
            revises_id: r.revises_id,
            depth: r.depth,
            approved_on: r.approved_on,
            approval_reference: r.approval_reference,
            approved_by: r.approved_by,
            approved_by_resolution_id: r.approved_by_resolution_id,
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

/// Where a plan is read.
pub fn location(id: PlanId) -> String {
    format!("/api/v1/plans/{id}")
}

// ---------------------------------------------------------------------------------------
// Handlers

/// Plan versions, newest first. Members and partners see approved, superseded and closed
/// versions; staff, admins and auditors see drafts too.
#[utoipa::path(tag = "plans", params(PlanQuery),
    responses((status = 200, description = "A page of plans (or CSV).",
        content((Page<Plan> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/plans")]
pub async fn list_plans(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PlanQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let status = query.status;
    let public = !policy::reads_drafts(caller.role);
    let list = List {
        resource: "plans",
        sort: "-created_at",
        filename: "plans.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::list_plans(conn, status, public, after, n).await?),
        |r: &PlanRow| (r.created_at, r.id),
        Plan::from,
    )
    .await
}

/// Creates a draft plan (staff, admins). Fill it node by node, or import a whole document
/// with `POST /api/v1/plans/import`.
#[utoipa::path(tag = "plans", request_body = NewPlan, responses(
    (status = 201, description = "Created.", body = Plan)))]
#[post("/api/v1/plans")]
pub async fn create_plan(
    caller: Caller,
    body: Json<NewPlan>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let plan = create(&mut conn, &caller, body.into_inner()).await?;
    Ok(etag::created(
        location(plan.id),
        plan.version,
        &Plan::from(plan),
    ))
}

/// One plan version.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id")), responses(
    (status = 200, description = "The plan.", body = Plan),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/plans/{id}")]
pub async fn get_plan(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<PlanId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let plan = get(&mut conn, &caller, id.into_inner()).await?;
    Ok(etag::respond(&req, plan.version, &Plan::from(plan)))
}

/// Changes a draft plan (staff, admins). Needs `If-Match`; an approved plan is frozen (409).
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id"),
    ("If-Match" = String, Header, description = "ETag from a GET")),
    request_body = PlanPatch, responses(
    (status = 200, description = "Changed.", body = Plan),
    (status = 409, description = "`plan_frozen`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/plans/{id}")]
pub async fn update_plan(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<PlanId>,
    body: Json<PlanPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let row = update(
        &mut conn,
        &caller,
        id.into_inner(),
        precondition,
        body.into_inner(),
    )
    .await?;
    Ok(etag::updated(row.version, &Plan::from(row)))
}

/// Deletes a draft plan with its content (staff, admins). Needs `If-Match`. Approved
/// versions are never deleted (409).
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id"),
    ("If-Match" = String, Header, description = "ETag from a GET")), responses(
    (status = 204, description = "Deleted."),
    (status = 409, description = "`plan_frozen`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/plans/{id}")]
pub async fn delete_plan(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<PlanId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    delete(&mut conn, &caller, id.into_inner(), precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------------------------------
// Services

/// Creates a draft plan (staff, admins): 422 with every problem of its header.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewPlan,
) -> Result<PlanRow, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let doc = PlanDocument {
        title: input.title,
        description: input.description,
        start_year: input.start_year,
        end_year: input.end_year,
        depth: input.depth.unwrap_or(4),
        labels: input.labels.unwrap_or_default(),
        axes: Vec::new(),
    };
    let mut problems = FieldErrors::default();
    let row = transfer::header(&mut problems, &doc, PlanId::new());
    problems.finish()?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let plan = repo::insert_plan(conn, &row).await?;
        let after = Plan::from(plan.clone());
        audit::created(conn, caller, "plan", plan.id.uuid(), &after).await?;
        Ok(plan)
    })
    .await
}

/// One plan version, if the caller may see it (drafts: staff, admins, auditors), else 404.
pub async fn get(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PlanId,
) -> Result<PlanRow, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    visible_plan(conn, caller, id).await
}

/// Changes a draft plan (staff, admins): 422 for bad values (before anything is read),
/// 404, 428/412, 409 `plan_frozen`, and 422 when its new years leave out an action's dates
/// or an indicator's targets.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PlanId,
    precondition: Precondition,
    patch: PlanPatch,
) -> Result<PlanRow, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    // What can be checked without the plan first, so a bad body is a 422 whatever the tag.
    let mut problems = FieldErrors::default();
    let title = patch
        .title
        .as_deref()
        .and_then(|t| problems.check("title", text::name(t, 300)));
    let description = match &patch.description {
        Some(d) => problems.check("description", text::optional(d.as_deref(), 10_000)),
        None => None,
    };
    for (field, year) in [
        ("start_year", patch.start_year),
        ("end_year", patch.end_year),
    ] {
        if year.is_some_and(|y| !(1900..=2219).contains(&y)) {
            problems.add(field, "out_of_range", "must be between 1900 and 2219");
        }
    }
    let labels = patch
        .labels
        .as_ref()
        .map(|l| check_labels(&mut problems, "", l));
    problems.finish()?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let current = lock_plan(conn, caller, id).await?;
        precondition.check(current.version, IfMatch::Required)?;
        frozen(&current)?;
        let (start, end) = (
            patch.start_year.unwrap_or(current.start_year),
            patch.end_year.unwrap_or(current.end_year),
        );
        check_years(conn, &current, start, end).await?;
        let changes = PlanChanges {
            title,
            description,
            start_year: patch.start_year,
            end_year: patch.end_year,
            label_axis: labels.as_ref().map(|l| l.axis.clone()),
            label_area: labels.as_ref().map(|l| l.area.clone()),
            label_objective: labels.as_ref().map(|l| l.objective.clone()),
            label_action: labels.map(|l| l.action),
        };
        let updated = repo::update_plan(conn, id, &changes).await?;
        let (before, after) = (Plan::from(current), Plan::from(updated.clone()));
        audit::updated(conn, caller, "plan", id.uuid(), &before, &after).await?;
        Ok(updated)
    })
    .await
}

/// 422 unless `start..=end` are valid years for the plan and hold everything in it: its
/// actions' dates and its indicators' targets.
async fn check_years(
    conn: &mut AsyncPgConnection,
    plan: &PlanRow,
    start: i32,
    end: i32,
) -> Result<(), ApiError> {
    let mut problems = FieldErrors::default();
    check_period(&mut problems, "", start, end);
    if (start, end) != (plan.start_year, plan.end_year) {
        // Nothing the plan holds may fall outside its new years.
        let years = start..=end;
        for n in repo::plan_nodes(conn, plan.id).await? {
            for d in [n.start_date, n.end_date].into_iter().flatten() {
                if !years.contains(&d.year()) {
                    problems.add(
                        "end_year",
                        "outside",
                        format!("action {} has a date ({d}) outside {start}–{end}", n.code),
                    );
                }
            }
        }
        let years_with_targets = repo::target_years(conn, plan.id).await?;
        if years_with_targets.iter().any(|y| !years.contains(y)) {
            problems.add(
                "end_year",
                "outside",
                format!("indicator targets fall outside {start}–{end}"),
            );
        }
    }
    problems.finish()
}

/// Deletes a draft plan with its content (staff, admins): 404, 428/412, 409 `plan_frozen`,
/// 409 `plan_in_use` while budgets or a revision refer to it.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PlanId,
    precondition: Precondition,
) -> Result<(), ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let current = lock_plan(conn, caller, id).await?;
        precondition.check(current.version, IfMatch::Required)?;
        frozen(&current)?;
        repo::delete_plan(conn, id).await.map_err(|e| {
            in_use(
                e,
                "plan_in_use",
                "Budgets (or a revision) refer to this plan; change them first.",
            )
        })?;
        audit::deleted(conn, caller, "plan", id.uuid(), &Plan::from(current)).await
    })
    .await
}
