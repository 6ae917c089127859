//! Measurements of an indicator: facts recorded all year. Measuring is execution, not
//! content: it works on draft and approved plans (not on superseded or closed ones).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::visible_indicator;
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::{IndicatorId, text},
    error::{ApiError, FieldErrors},
    http::{
        csv::CsvRow,
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
    plans::{
        followed,
        model::{MeasurementRow, check_value},
        repo, see_plan,
    },
};

/// A measurement of an indicator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Measurement {
    /// Id.
    pub id: Uuid,
    /// The indicator.
    pub indicator_id: IndicatorId,
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

/// Measurements of an indicator, by date (or CSV).
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Indicator id"), PageQuery),
    responses(
    (status = 200, description = "A page of measurements (or CSV).",
        content((Page<Measurement> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/indicators/{id}/measurements")]
pub async fn list_measurements(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<IndicatorId>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    {
        let mut conn = state.conn().await?;
        may_list(&mut conn, &caller, id).await?;
    }
    let list = List {
        resource: "measurements",
        sort: "measured_on",
        filename: "measurements.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::list_measurements(conn, id, after, n).await?),
        |m: &MeasurementRow| (m.measured_on, m.id),
        Measurement::from,
    )
    .await
}

/// Records a measurement (staff, admins). Measuring is execution: it works on approved
/// plans too (not on superseded or closed ones).
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Indicator id")),
    request_body = NewMeasurement, responses(
    (status = 201, description = "Recorded.", body = Measurement),
    (status = 409, description = "`plan_frozen`: the plan is superseded or closed.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/indicators/{id}/measurements")]
pub async fn create_measurement(
    caller: Caller,
    id: web::Path<IndicatorId>,
    body: Json<NewMeasurement>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = record(&mut conn, &caller, id, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/indicators/{id}/measurements"),
        ))
        .json(Measurement::from(row)))
}

/// 404 unless the caller may see the indicator (and so its measurements).
pub async fn may_list(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: IndicatorId,
) -> Result<(), ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    visible_indicator(conn, caller, id).await.map(drop)
}

/// Records a measurement of indicator `id` (staff, admins): 422 for bad values (before
/// anything is read), 404, 409 `plan_frozen` on a superseded or closed plan.
pub async fn record(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: IndicatorId,
    input: NewMeasurement,
) -> Result<MeasurementRow, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let mut problems = FieldErrors::default();
    problems.check("value", check_value(input.value));
    let source = problems.check("source", text::optional_line(input.source.as_deref(), 300));
    let note = problems.check("note", text::optional(input.note.as_deref(), 2000));
    problems.finish()?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let ind = repo::find_indicator(conn, id, false).await?;
        see_plan(conn, caller, ind.plan_id).await?;
        // Held until the measurement commits: the plan cannot be superseded under it.
        let plan = repo::share_plan(conn, ind.plan_id).await?;
        followed(&plan, "record measurements")?;
        let row = MeasurementRow {
            id: Uuid::now_v7(),
            indicator_id: ind.id,
            measured_on: input.measured_on,
            value: input.value,
            source: source.flatten(),
            note: note.flatten(),
            recorded_by: Some(caller.id()),
            created_at: Utc::now(),
        };
        let row = repo::insert_measurement(conn, &row).await?;
        let after = Measurement::from(row.clone());
        audit::created(conn, caller, "indicator_measurement", row.id, &after).await?;
        Ok(row)
    })
    .await
}
