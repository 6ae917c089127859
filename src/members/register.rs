//! The register's members themselves: adding, reading, changing and archiving one (the
//! list and its search are in [`super::search`]).

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{
    model::{
        MemberCard, MemberChanges, MemberKind, MemberRow, MemberSize, MemberStatus, check_country,
        check_postcode, check_website,
    },
    repo, require_staff,
    view::{Member, View, Viewed, Viewer, to_dto},
};
use crate::{
    AppState,
    audit::{self, Change},
    auth::{Action, Caller, Resource, caller::Bearer, policy},
    domain::{Cents, MemberCategoryId, MemberId, SegmentId, TaxId, calendar::today, text},
    error::{ApiError, FieldErrors, not_found, on_unique},
    http::{
        etag::{self, IfMatch, Precondition},
        json::Json,
        patch::nullable,
    },
};

/// The audit log's name for members.
pub(super) const RESOURCE: &str = "member";
const TAX_ID_TAKEN: &str = "Another member of the register has this tax id.";

/// A new member (staff and admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// Legal name (1–300 characters).
    #[schema(min_length = 1, max_length = 300)]
    pub legal_name: String,
    /// Trade name.
    #[schema(max_length = 300)]
    pub trade_name: Option<String>,
    /// NIF, NIE or CIF (validated with its control character).
    #[schema(example = "B12345674", max_length = 20)]
    pub tax_id: String,
    /// Kind.
    pub kind: MemberKind,
    /// Size.
    pub size: Option<MemberSize>,
    /// Category.
    pub category_id: MemberCategoryId,
    /// Segments (ids).
    #[serde(default)]
    #[schema(max_items = 50)]
    pub segment_ids: Vec<SegmentId>,
    /// `applicant` (default) or `active` (for members admitted before agrupa).
    pub status: Option<MemberStatus>,
    /// Street address.
    #[schema(max_length = 300)]
    pub address: Option<String>,
    /// Postcode.
    #[schema(example = "28004", max_length = 10)]
    pub postcode: Option<String>,
    /// Municipality.
    #[schema(max_length = 100, example = "Madrid")]
    pub municipality: Option<String>,
    /// Province.
    #[schema(max_length = 100, example = "Madrid")]
    pub province: Option<String>,
    /// Country (ISO 3166-1 alpha-2, default `ES`).
    #[schema(example = "ES", max_length = 2)]
    pub country: Option<String>,
    /// Website.
    #[schema(example = "https://nandu.es", max_length = 300)]
    pub website: Option<String>,
    /// Employees.
    #[schema(minimum = 0)]
    pub employees: Option<i32>,
    /// Yearly turnover in cents.
    #[schema(minimum = 0)]
    pub annual_turnover_cents: Option<Cents>,
    /// Description.
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// Joined on (defaults to the day it becomes active).
    pub joined_on: Option<NaiveDate>,
}

/// Changes to a member; absent fields stay, `null` clears. Representatives may change their
/// own organisation except `tax_id`, `category_id` and `joined_on`. Status changes go through
/// `POST /api/v1/members/{id}/status-changes`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    /// Legal name.
    #[schema(min_length = 1, max_length = 300)]
    pub legal_name: Option<String>,
    /// Trade name.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 300)]
    pub trade_name: Option<Option<String>>,
    /// Tax id (NIF, NIE or CIF).
    #[schema(max_length = 20)]
    pub tax_id: Option<String>,
    /// Kind.
    pub kind: Option<MemberKind>,
    /// Size.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<MemberSize>, nullable)]
    pub size: Option<Option<MemberSize>>,
    /// Category.
    pub category_id: Option<MemberCategoryId>,
    /// Segments (replace the current ones).
    #[schema(max_items = 50)]
    pub segment_ids: Option<Vec<SegmentId>>,
    /// Address.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 300)]
    pub address: Option<Option<String>>,
    /// Postcode.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 10)]
    pub postcode: Option<Option<String>>,
    /// Municipality.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub municipality: Option<Option<String>>,
    /// Province.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub province: Option<Option<String>>,
    /// Country (ISO 3166-1 alpha-2).
    #[schema(max_length = 2)]
    pub country: Option<String>,
    /// Website.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 300)]
    pub website: Option<Option<String>>,
    /// Employees.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>, nullable, minimum = 0)]
    pub employees: Option<Option<i32>>,
    /// Turnover in cents.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, nullable, minimum = 0)]
    pub annual_turnover_cents: Option<Option<Cents>>,
    /// Description.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 10000)]
    pub description: Option<Option<String>>,
    /// Joined on.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub joined_on: Option<Option<NaiveDate>>,
}

impl From<NewMember> for MemberPatch {
    fn from(n: NewMember) -> Self {
        Self {
            legal_name: Some(n.legal_name),
            trade_name: Some(n.trade_name),
            tax_id: Some(n.tax_id),
            kind: Some(n.kind),
            size: Some(n.size),
            category_id: Some(n.category_id),
            segment_ids: Some(n.segment_ids),
            address: Some(n.address),
            postcode: Some(n.postcode),
            municipality: Some(n.municipality),
            province: Some(n.province),
            country: n.country,
            website: Some(n.website),
            employees: Some(n.employees),
            annual_turnover_cents: Some(n.annual_turnover_cents),
            description: Some(n.description),
            joined_on: Some(n.joined_on),
        }
    }
}

/// A patch's values, checked: the changes to the row and the segments to set.
struct Checked {
    changes: MemberChanges,
    segments: Option<Vec<SegmentId>>,
}

/// Validates the fields a patch (or a creation) sets.
fn check_patch(errors: &mut FieldErrors, p: &MemberPatch) -> Checked {
    let opt_line =
        |errors: &mut FieldErrors, field: &str, v: &Option<Option<String>>, max: usize| {
            v.as_ref()
                .and_then(|v| errors.check(field, text::optional_line(v.as_deref(), max)))
        };
    let checked = |errors: &mut FieldErrors,
                   field: &str,
                   v: &Option<Option<String>>,
                   f: fn(&str) -> Result<String, String>| {
        v.as_ref().and_then(
            |v| match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => errors.check(field, f(s)).map(Some),
                None => Some(None),
            },
        )
    };
    let changes = MemberChanges {
        legal_name: p
            .legal_name
            .as_deref()
            .and_then(|n| errors.check("legal_name", text::name(n, 300))),
        trade_name: opt_line(errors, "trade_name", &p.trade_name, 300),
        tax_id: p
            .tax_id
            .as_deref()
            .and_then(|t| errors.check("tax_id", TaxId::parse(t))),
        kind: p.kind,
        size: p.size,
        category_id: p.category_id,
        address: opt_line(errors, "address", &p.address, 300),
        postcode: checked(errors, "postcode", &p.postcode, check_postcode),
        municipality: opt_line(errors, "municipality", &p.municipality, 100),
        province: opt_line(errors, "province", &p.province, 100),
        country: p
            .country
            .as_deref()
            .and_then(|c| errors.check("country", check_country(c))),
        website: checked(errors, "website", &p.website, check_website),
        employees: {
            if p.employees.flatten().is_some_and(|n| n < 0) {
                errors.add("employees", "out_of_range", "must be 0 or more");
            }
            p.employees
        },
        annual_turnover_cents: {
            if p.annual_turnover_cents
                .flatten()
                .is_some_and(|t| !t.in_range(Cents::ZERO))
            {
                let message = Cents::range_message(Cents::ZERO);
                errors.add("annual_turnover_cents", "out_of_range", message);
            }
            p.annual_turnover_cents
        },
        description: p
            .description
            .as_ref()
            .and_then(|d| errors.check("description", text::optional(d.as_deref(), 10_000))),
        joined_on: p.joined_on,
    };
    let segments = p.segment_ids.as_ref().map(|ids| {
        if ids.len() > 50 {
            errors.add("segment_ids", "too_many", "at most 50 segments");
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        unique
    });
    Checked { changes, segments }
}

/// Maps missing categories and segments to field errors, and the tax id's uniqueness to 409.
fn reference_error(err: diesel::result::Error) -> ApiError {
    use diesel::result::{DatabaseErrorKind as K, Error as E};
    match &err {
        E::DatabaseError(K::ForeignKeyViolation, info) => {
            let field = match info.constraint_name() {
                Some(c) if c.contains("category") => "category_id",
                _ => "segment_ids",
            };
            FieldErrors::one(field, "unknown", "no such reference data")
        }
        _ => on_unique(
            err,
            "members_tax_id_key",
            "member_tax_id_taken",
            TAX_ID_TAKEN,
        ),
    }
}

/// Adds a member (staff and admins): 403, 422 (every field), 409 `member_tax_id_taken`.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewMember,
) -> Result<MemberCard, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    require_staff(caller)?;
    let status = input.status.unwrap_or(MemberStatus::Applicant);
    let (kind, size, category_id) = (input.kind, input.size, input.category_id);
    let patch = MemberPatch::from(input);
    let mut errors = FieldErrors::default();
    let Checked {
        changes: c,
        segments,
    } = check_patch(&mut errors, &patch);
    if !matches!(status, MemberStatus::Applicant | MemberStatus::Active) {
        errors.add(
            "status",
            "not_allowed",
            "a new member is `applicant` or `active`",
        );
    }
    let (legal_name, tax_id) = errors.finish_with(c.legal_name.clone().zip(c.tax_id.clone()))?;
    let now = Utc::now();
    let row = MemberRow {
        id: MemberId::new(),
        legal_name,
        trade_name: c.trade_name.flatten(),
        tax_id,
        kind,
        size,
        category_id,
        status,
        address: c.address.flatten(),
        postcode: c.postcode.flatten(),
        municipality: c.municipality.flatten(),
        province: c.province.flatten(),
        country: c.country.unwrap_or_else(|| "ES".into()),
        website: c.website.flatten(),
        employees: c.employees.flatten(),
        annual_turnover_cents: c.annual_turnover_cents.flatten(),
        description: c.description.flatten(),
        joined_on: c
            .joined_on
            .flatten()
            .or((status == MemberStatus::Active).then(today)),
        archived_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    conn.transaction(async |conn| {
        repo::insert(conn, &row).await.map_err(reference_error)?;
        repo::set_segments(conn, row.id, &segments.unwrap_or_default())
            .await
            .map_err(reference_error)?;
        let member = repo::find(conn, row.id).await?;
        let after = to_dto(member.clone(), View::Full);
        audit::created(conn, caller, RESOURCE, row.id.uuid(), &after).await?;
        Ok(member)
    })
    .await
}

/// One member, as the caller may see it, for a bearer token: a user's token is checked in
/// the statement that reads the member (one statement, one round trip; see
/// docs/BENCHMARKS.md); the member is looked at only once the caller is admitted and
/// allowed. 401, 403, 404.
pub async fn get(
    conn: &mut AsyncPgConnection,
    bearer: Bearer,
    id: MemberId,
) -> Result<Viewed, ApiError> {
    let (caller, member) = match bearer.user() {
        Some((user_id, jti)) => {
            let row = repo::find_with_user_principal(conn, user_id.into(), jti, id).await?;
            let (principal, member) = row.map_or((None, None), |(p, m)| (Some(p), m));
            (bearer.admit_user(principal)?, Some(member))
        }
        None => (bearer.check(conn).await?, None),
    };
    caller.require(Action::read(Resource::Members))?;
    let member = match member {
        Some(member) => member.ok_or_else(not_found)?,
        None => repo::find(conn, id).await?,
    };
    Viewer::of(&caller).show(member)
}

/// Changes a member. Staff and admins change anything but the status; a representative
/// changes their own organisation except its tax id, category and joining date. 404 (not
/// theirs to change: before anything else), 403, 422, 409 `member_archived` or
/// `member_tax_id_taken`, 412.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: MemberId,
    precondition: Precondition,
    patch: MemberPatch,
) -> Result<MemberCard, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    if !policy::runs_register(caller.role) {
        Viewer::of(caller).full_or_404(id)?;
        if patch.tax_id.is_some() || patch.category_id.is_some() || patch.joined_on.is_some() {
            return Err(ApiError::forbidden(
                "Representatives cannot change the tax id, category or joining date.",
            ));
        }
    }
    let mut errors = FieldErrors::default();
    let Checked { changes, segments } = check_patch(&mut errors, &patch);
    errors.finish()?;
    conn.transaction(async |conn| {
        // Lock first, so that "before" (for the ETag and the audit log) is the state this
        // change really replaces.
        let current = repo::lock(conn, id).await?;
        let before = repo::find(conn, id).await?;
        if current.archived_at.is_some() {
            return Err(ApiError::conflict(
                "member_archived",
                "An archived member cannot change.",
            ));
        }
        precondition.check(before.tag_version(), IfMatch::Optional)?;
        repo::update(conn, id, &changes)
            .await
            .map_err(reference_error)?;
        if let Some(segments) = &segments {
            repo::set_segments(conn, id, segments)
                .await
                .map_err(reference_error)?;
        }
        let after = repo::find(conn, id).await?;
        let (b, a) = (
            to_dto(before, View::Full),
            to_dto(after.clone(), View::Full),
        );
        audit::updated(conn, caller, RESOURCE, id.uuid(), &b, &a).await?;
        Ok(after)
    })
    .await
}

/// Archives a member (staff and admins): 403, 404 when absent, 409 `member_archived` when
/// already archived (the record stays readable, so it is not "absent").
pub async fn archive(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: MemberId,
) -> Result<(), ApiError> {
    caller.require(Action::write(Resource::Members))?;
    require_staff(caller)?;
    conn.transaction(async |conn| {
        let current = repo::lock(conn, id).await?;
        if current.archived_at.is_some() {
            return Err(ApiError::conflict(
                "member_archived",
                "The member is already archived.",
            ));
        }
        let before = to_dto(repo::find(conn, id).await?, View::Full);
        repo::archive(conn, id).await?;
        let after = to_dto(repo::find(conn, id).await?, View::Full);
        audit::record(
            conn,
            caller,
            Change {
                action: "archived",
                resource_type: RESOURCE,
                resource_id: id.uuid(),
                before: Some(&before),
                after: Some(&after),
            },
        )
        .await
    })
    .await
}

/// Adds a member to the register (staff and admins), as `applicant` or, for members
/// admitted before agrupa, `active`.
#[utoipa::path(tag = "members", request_body = NewMember, responses(
    (status = 201, description = "Created.", body = Member),
    (status = 409, description = "`member_tax_id_taken`.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "`validation_failed` (each field named; the tax id's control character is checked).", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/members")]
pub async fn create_member(
    caller: Caller,
    body: Json<NewMember>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let member = create(&mut conn, &caller, body.into_inner()).await?;
    Ok(etag::created(
        format!("/api/v1/members/{}", member.row.id),
        member.tag_version(),
        &to_dto(member, View::Full),
    ))
}

/// One member, in the caller's view.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id")), responses(
    (status = 200, description = "The member.", body = Member),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/members/{id}")]
pub async fn get_member(
    req: HttpRequest,
    bearer: Bearer,
    id: web::Path<MemberId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let v = get(&mut conn, bearer, id.into_inner()).await?;
    let version = v.member.tag_version();
    Ok(etag::respond(&req, version, &v.into_dto()))
}

/// Changes a member. Staff and admins change anything but the status; a representative
/// changes their own organisation except its tax id, category and joining date.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id"),
    ("If-Match" = Option<String>, Header, description = "ETag from a GET; 412 when stale")),
    request_body = MemberPatch, responses(
    (status = 200, description = "The changed member.", body = Member),
    (status = 409, description = "`member_tax_id_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/members/{id}")]
pub async fn update_member(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<MemberId>,
    body: Json<MemberPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let member = update(
        &mut conn,
        &caller,
        id.into_inner(),
        precondition,
        body.into_inner(),
    )
    .await?;
    Ok(etag::updated(
        member.tag_version(),
        &to_dto(member, View::Full),
    ))
}

/// Archives a member (staff and admins): it leaves the register's lists and its tax id may
/// be used again; the record and its history stay.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id")), responses(
    (status = 204, description = "Archived."),
    (status = 409, description = "`member_archived`: already archived.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/members/{id}")]
pub async fn archive_member(
    caller: Caller,
    id: web::Path<MemberId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    archive(&mut conn, &caller, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
