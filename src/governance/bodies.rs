//! Bodies: the General Assembly (its members are the member organisations) and boards or
//! committees (their members hold seats), each with its rules as data. Rules left out take
//! the law's defaults (LO 1/2002): notice of 15 days, one third of the roll at first call,
//! any number at second call 30 minutes later, proxies allowed, one member one vote,
//! simple majority more yes than no, qualified yes above half of those present and
//! represented.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    model::{BodyChanges, BodyKind, BodyRow, MajorityBase, Matter, RulesVersionRow, Weighting},
    repo, rule_versions, scope,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::{BodyId, text},
    error::{ApiError, FieldErrors},
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
        patch::nullable,
    },
};

/// A fraction `num / den`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Share {
    /// Numerator, `0 ≤ num ≤ den`.
    #[schema(example = 1)]
    pub num: i32,
    /// Denominator, 1–1000.
    #[schema(example = 3)]
    pub den: i32,
}

/// A majority: yes must be strictly above `num/den` of `base`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MajorityRule {
    /// Numerator, `0 ≤ num ≤ den`.
    #[schema(example = 1)]
    pub num: i32,
    /// Denominator, 1–1000.
    #[schema(example = 2)]
    pub den: i32,
    /// What the share is of: `votes_cast` (yes and no: the simple majority),
    /// `present_and_represented` (abstentions count against) or `whole_roll`.
    pub base: MajorityBase,
}

/// A body's rules (from its statutes).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BodyRules {
    /// Days of notice between convening and the first call.
    pub notice_days: i32,
    /// Share of the roll (members present or represented, rounded up) needed at first
    /// call; `null`: any number.
    pub quorum_first: Option<Share>,
    /// The same at second call; `null`: any number.
    pub quorum_second: Option<Share>,
    /// Minutes between the first and the second call.
    pub minutes_between_calls: i32,
    /// Whether members may be represented by another attendee.
    pub proxies_allowed: bool,
    /// How many proxies one attendee may hold; `null`: no cap.
    pub max_proxies_per_holder: Option<i32>,
    /// How votes are weighted.
    pub weighting: Weighting,
    /// The majority of ordinary resolutions.
    pub simple_majority: MajorityRule,
    /// The majority of resolutions that need a qualified one.
    pub qualified_majority: MajorityRule,
    /// The share of the roll whose request convenes an extraordinary meeting (1/10 by
    /// default), rounded up.
    pub members_request_share: Share,
    /// The matters only an extraordinary meeting may resolve (by default `statutes` and
    /// `dissolution`): an item on them is refused at an ordinary one.
    pub extraordinary_matters: Vec<Matter>,
    /// The matters that need the qualified majority (by default the law's: `statutes`,
    /// `dissolution`, `asset_disposal`, `board_remuneration`): an item on them is never put
    /// to the simple one.
    pub qualified_matters: Vec<Matter>,
}

/// A governing body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Body {
    /// Id.
    pub id: BodyId,
    /// `assembly` (one per cluster), `board` or `committee`.
    pub kind: BodyKind,
    /// Name.
    #[schema(example = "Asamblea General")]
    pub name: String,
    /// The statutes the rules come from (article, version, date).
    pub statutes_reference: Option<String>,
    /// Its rules.
    pub rules: BodyRules,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn share(num: Option<i32>, den: Option<i32>) -> Option<Share> {
    Some(Share {
        num: num?,
        den: den?,
    })
}

/// The rules' columns, the same on a body (its current rules) and on each version.
macro_rules! rules_of {
    ($r:expr) => {
        BodyRules {
            notice_days: $r.notice_days,
            quorum_first: share($r.quorum_first_num, $r.quorum_first_den),
            quorum_second: share($r.quorum_second_num, $r.quorum_second_den),
            minutes_between_calls: $r.minutes_between_calls,
            proxies_allowed: $r.proxies_allowed,
            max_proxies_per_holder: $r.max_proxies_per_holder,
            weighting: $r.weighting,
            simple_majority: MajorityRule {
                num: $r.simple_num,
                den: $r.simple_den,
                base: $r.simple_base,
            },
            qualified_majority: MajorityRule {
                num: $r.qualified_num,
                den: $r.qualified_den,
                base: $r.qualified_base,
            },
            members_request_share: Share {
                num: $r.request_share_num,
                den: $r.request_share_den,
            },
            extraordinary_matters: $r.extraordinary(),
            qualified_matters: $r.qualified(),
        }
    };
}

impl From<BodyRow> for Body {
    fn from(r: BodyRow) -> Self {
        Self {
            rules: rules_of!(r),
            id: r.id,
            kind: r.kind,
            name: r.name,
            statutes_reference: r.statutes_reference,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The rules of a version, as a body states its own.
pub(super) fn rules_of_version(r: &RulesVersionRow) -> BodyRules {
    rules_of!(r)
}

impl CsvRow for BodyRow {
    fn header() -> &'static [&'static str] {
        &["id", "kind", "name", "notice_days", "weighting"]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.kind.to_string(),
            self.name.clone(),
            self.notice_days.to_string(),
            self.weighting.to_string(),
        ]
    }
}

/// Rules to set; each one left out keeps its value (the law's default on creation).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesInput {
    /// Days of notice, 0–365.
    pub notice_days: Option<i32>,
    /// Quorum at first call; `null`: any number.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Share>, nullable)]
    pub quorum_first: Option<Option<Share>>,
    /// Quorum at second call; `null`: any number.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Share>, nullable)]
    pub quorum_second: Option<Option<Share>>,
    /// Minutes between calls, 0–10080.
    pub minutes_between_calls: Option<i32>,
    /// Whether proxies are allowed.
    pub proxies_allowed: Option<bool>,
    /// Proxies one attendee may hold, 0–1000; `null`: no cap.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>, nullable)]
    pub max_proxies_per_holder: Option<Option<i32>>,
    /// Vote weighting.
    pub weighting: Option<Weighting>,
    /// The simple majority.
    pub simple_majority: Option<MajorityRule>,
    /// The qualified majority.
    pub qualified_majority: Option<MajorityRule>,
    /// The share of the roll whose request convenes an extraordinary meeting.
    pub members_request_share: Option<Share>,
    /// The matters only an extraordinary meeting may resolve (each once; at most 5).
    #[schema(max_items = 5)]
    pub extraordinary_matters: Option<Vec<Matter>>,
    /// The matters that need the qualified majority (each once; at most 5).
    #[schema(max_items = 5)]
    pub qualified_matters: Option<Vec<Matter>>,
}

/// A new body (staff, admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBody {
    /// `assembly` (one only), `board` or `committee`.
    pub kind: BodyKind,
    /// Name (unique), 1–300 characters.
    #[schema(min_length = 1, max_length = 300, example = "Junta Directiva")]
    pub name: String,
    /// The statutes the rules come from.
    #[schema(max_length = 500, example = "Estatutos de 2023, arts. 12–18")]
    pub statutes_reference: Option<String>,
    /// Rules; the law's defaults where left out.
    #[serde(default)]
    pub rules: RulesInput,
    /// The day the statutes took effect (version 1 of the rules); default today.
    #[schema(example = "2023-06-15")]
    pub rules_effective_from: Option<NaiveDate>,
}

/// Changes to a body. Needs `If-Match`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BodyPatch {
    /// Name.
    #[schema(min_length = 1, max_length = 300)]
    pub name: Option<String>,
    /// Statutes reference; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 500)]
    pub statutes_reference: Option<Option<String>>,
    /// Rules to change. A change of the rules or of the statutes reference writes a new
    /// version of the rules; meetings convened before keep theirs.
    pub rules: Option<RulesInput>,
    /// The day the new version takes effect (not before the previous version's: 422
    /// `effective_before_previous`); default today. Read only when the change writes a
    /// version.
    #[schema(example = "2026-01-01")]
    pub rules_effective_from: Option<NaiveDate>,
}

fn check_share(errors: &mut FieldErrors, field: &str, num: i32, den: i32) {
    if !(1..=1000).contains(&den) || !(0..=den).contains(&num) {
        errors.add(field, "invalid", "needs 1 ≤ den ≤ 1000 and 0 ≤ num ≤ den");
    }
}

fn check_range(errors: &mut FieldErrors, field: &str, v: Option<i32>, max: i32) {
    if v.is_some_and(|v| !(0..=max).contains(&v)) {
        errors.add(field, "out_of_range", format!("must be 0–{max}"));
    }
}

/// The changes the rules ask for, after checking them (422 lists every field).
fn rule_changes(errors: &mut FieldErrors, r: RulesInput) -> BodyChanges {
    check_range(errors, "rules.notice_days", r.notice_days, 365);
    check_range(
        errors,
        "rules.minutes_between_calls",
        r.minutes_between_calls,
        10080,
    );
    check_range(
        errors,
        "rules.max_proxies_per_holder",
        r.max_proxies_per_holder.flatten(),
        1000,
    );
    for (field, q) in [
        ("rules.quorum_first", r.quorum_first.flatten()),
        ("rules.quorum_second", r.quorum_second.flatten()),
    ] {
        if let Some(q) = q {
            check_share(errors, field, q.num, q.den);
        }
    }
    if let Some(q) = r.members_request_share {
        check_share(errors, "rules.members_request_share", q.num, q.den);
    }
    let mut matter_list = |field: &str, list: Option<Vec<Matter>>| {
        list.map(|list| {
            let unique: std::collections::BTreeSet<String> =
                list.iter().map(ToString::to_string).collect();
            if unique.len() != list.len() || list.len() > 5 {
                errors.add(field, "invalid", "each matter once, at most 5");
            }
            unique.into_iter().collect::<Vec<_>>()
        })
    };
    let matters = matter_list("rules.extraordinary_matters", r.extraordinary_matters);
    let qualified_matters = matter_list("rules.qualified_matters", r.qualified_matters);
    for (field, m) in [
        ("rules.simple_majority", r.simple_majority),
        ("rules.qualified_majority", r.qualified_majority),
    ] {
        if let Some(m) = m {
            check_share(errors, field, m.num, m.den);
        }
    }
    BodyChanges {
        notice_days: r.notice_days,
        quorum_first_num: r.quorum_first.map(|q| q.map(|q| q.num)),
        quorum_first_den: r.quorum_first.map(|q| q.map(|q| q.den)),
        quorum_second_num: r.quorum_second.map(|q| q.map(|q| q.num)),
        quorum_second_den: r.quorum_second.map(|q| q.map(|q| q.den)),
        minutes_between_calls: r.minutes_between_calls,
        proxies_allowed: r.proxies_allowed,
        max_proxies_per_holder: r.max_proxies_per_holder,
        weighting: r.weighting,
        simple_num: r.simple_majority.map(|m| m.num),
        simple_den: r.simple_majority.map(|m| m.den),
        simple_base: r.simple_majority.map(|m| m.base),
        qualified_num: r.qualified_majority.map(|m| m.num),
        qualified_den: r.qualified_majority.map(|m| m.den),
        qualified_base: r.qualified_majority.map(|m| m.base),
        request_share_num: r.members_request_share.map(|q| q.num),
        request_share_den: r.members_request_share.map(|q| q.den),
        extraordinary_matters: matters,
        qualified_matters,
        ..BodyChanges::default()
    }
}

fn body_unique(e: diesel::result::Error) -> ApiError {
    use diesel::result::{DatabaseErrorKind as K, Error as E};
    if let E::DatabaseError(K::UniqueViolation, info) = &e
        && info.constraint_name() == Some("bodies_one_assembly")
    {
        return ApiError::conflict(
            "assembly_exists",
            "The cluster has a General Assembly already.",
        );
    }
    crate::error::on_unique(
        e,
        "bodies_name_key",
        "name_taken",
        "Another body has this name.",
    )
}

/// Bodies, by name. Representatives see the Assembly and the bodies where their
/// organisation holds a seat.
#[utoipa::path(tag = "governance", params(PageQuery),
    responses((status = 200, description = "A page of bodies (or CSV).",
        content((Page<Body> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/bodies")]
pub async fn list_bodies(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let member = scope::narrowed_to(&caller)?;
    let list = List {
        resource: "bodies",
        sort: "name",
        filename: "bodies.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::list_bodies(conn, member, after, n).await?),
        |b: &BodyRow| (b.name.clone(), b.id),
        Body::from,
    )
    .await
}

/// Adds a body (staff, admins); rules left out take the law's defaults.
#[utoipa::path(tag = "governance", request_body = NewBody, responses(
    (status = 201, description = "Created.", body = Body),
    (status = 409, description = "`name_taken`, `assembly_exists`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/bodies")]
pub async fn create_body(
    caller: Caller,
    body: Json<NewBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let row = create(&mut conn, &caller, body.into_inner()).await?;
    Ok(etag::created(
        format!("/api/v1/bodies/{}", row.id),
        row.version,
        &Body::from(row),
    ))
}

/// One body.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Body id")), responses(
    (status = 200, description = "The body.", body = Body),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/bodies/{id}")]
pub async fn get_body(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<BodyId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let row = visible(&mut conn, &caller, id.into_inner()).await?;
    Ok(etag::respond(&req, row.version, &Body::from(row)))
}

/// Changes a body and its rules (staff, admins). Needs `If-Match`. A change of the rules
/// or of the statutes reference writes a new version of the rules (see
/// `rule-versions`); meetings convened before keep their roll and the version they were
/// convened under, for their quorum, proxies and majorities.
#[utoipa::path(tag = "governance", params(("id" = Uuid, Path, description = "Body id"),
    ("If-Match" = String, Header, description = "ETag from a GET")),
    request_body = BodyPatch, responses(
    (status = 200, description = "Changed.", body = Body),
    (status = 409, description = "`name_taken`.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid rules; `effective_before_previous`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/bodies/{id}")]
pub async fn update_body(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<BodyId>,
    body: Json<BodyPatch>,
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
    Ok(etag::updated(row.version, &Body::from(row)))
}

/// A body the caller sees (404 otherwise).
pub async fn visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BodyId,
) -> Result<BodyRow, ApiError> {
    let row = repo::find_body(conn, id, false).await?;
    scope::check_body(conn, caller, &row).await?;
    Ok(row)
}

/// Adds a body (staff, admins): 403, 409 `name_taken`, `assembly_exists`, 422.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewBody,
) -> Result<BodyRow, ApiError> {
    caller.require(Action::write(Resource::Governance))?;
    let mut errors = FieldErrors::default();
    let name = errors.check("name", text::name(&input.name, 300));
    let statutes = errors.check(
        "statutes_reference",
        text::optional(input.statutes_reference.as_deref(), 500),
    );
    let c = rule_changes(&mut errors, input.rules);
    let effective_from = rule_versions::effective_from(&mut errors, input.rules_effective_from);
    let (name, statutes_reference) = errors.finish_with(name.zip(statutes))?;
    let now = Utc::now();
    let row = BodyRow {
        id: BodyId::new(),
        kind: input.kind,
        name,
        statutes_reference,
        notice_days: c.notice_days.unwrap_or(15),
        quorum_first_num: c.quorum_first_num.unwrap_or(Some(1)),
        quorum_first_den: c.quorum_first_den.unwrap_or(Some(3)),
        quorum_second_num: c.quorum_second_num.unwrap_or(None),
        quorum_second_den: c.quorum_second_den.unwrap_or(None),
        minutes_between_calls: c.minutes_between_calls.unwrap_or(30),
        proxies_allowed: c.proxies_allowed.unwrap_or(true),
        max_proxies_per_holder: c.max_proxies_per_holder.unwrap_or(None),
        weighting: c.weighting.unwrap_or(Weighting::OneMemberOneVote),
        simple_num: c.simple_num.unwrap_or(1),
        simple_den: c.simple_den.unwrap_or(2),
        simple_base: c.simple_base.unwrap_or(MajorityBase::VotesCast),
        qualified_num: c.qualified_num.unwrap_or(1),
        qualified_den: c.qualified_den.unwrap_or(2),
        qualified_base: c
            .qualified_base
            .unwrap_or(MajorityBase::PresentAndRepresented),
        version: 1,
        created_at: now,
        updated_at: now,
        request_share_num: c.request_share_num.unwrap_or(1),
        request_share_den: c.request_share_den.unwrap_or(10),
        extraordinary_matters: c.extraordinary_matters.unwrap_or_else(|| {
            [Matter::Statutes, Matter::Dissolution]
                .map(|m| m.to_string())
                .to_vec()
        }),
        qualified_matters: c.qualified_matters.unwrap_or_else(|| {
            [
                Matter::Statutes,
                Matter::Dissolution,
                Matter::AssetDisposal,
                Matter::BoardRemuneration,
            ]
            .map(|m| m.to_string())
            .to_vec()
        }),
    };
    conn.transaction(async |conn| {
        let row = repo::insert_body(conn, &row).await.map_err(body_unique)?;
        let version = RulesVersionRow::of(&row, 1, effective_from, caller.user_id(), now);
        repo::insert_rules_version(conn, &version).await?;
        let after = Body::from(row.clone());
        audit::created(conn, caller, "body", row.id.into(), &after).await?;
        Ok(row)
    })
    .await
}

/// Changes a body (staff, admins): 403, 404, 412, 428, 409 `name_taken`, 422.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BodyId,
    precondition: Precondition,
    patch: BodyPatch,
) -> Result<BodyRow, ApiError> {
    caller.require(Action::write(Resource::Governance))?;
    let mut errors = FieldErrors::default();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| errors.check("name", text::name(n, 300)));
    let statutes = patch.statutes_reference.map(|s| {
        errors
            .check("statutes_reference", text::optional(s.as_deref(), 500))
            .flatten()
    });
    let mut changes = rule_changes(&mut errors, patch.rules.unwrap_or_default());
    let effective_from = rule_versions::effective_from(&mut errors, patch.rules_effective_from);
    errors.finish()?;
    changes.name = name;
    changes.statutes_reference = statutes;
    conn.transaction(async |conn| {
        // Staff see every body: no visibility to decide before the lock.
        let current = repo::find_body(conn, id, true).await?;
        precondition.check(current.version, IfMatch::Required)?;
        let row = repo::update_body(conn, id, &changes)
            .await
            .map_err(body_unique)?;
        rule_versions::new_rules_version(conn, caller, &row, effective_from).await?;
        let (before, after) = (Body::from(current), Body::from(row.clone()));
        audit::updated(conn, caller, "body", id.into(), &before, &after).await?;
        Ok(row)
    })
    .await
}
