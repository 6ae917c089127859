//! HTTP handlers of the member register.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use super::{
    dto::{
        Contact, ContactPatch, Count, Due, DuePatch, DuesIssuance, DuesIssued, Member, MemberPatch,
        MemberQuery, MemberStats, NewContact, NewMember, NewStatusChange, StatusChange,
    },
    model::{
        ContactChanges, ContactRow, DueStatus, MemberChanges, MemberKind, MemberRow, MemberSize,
        MemberStatus, StatusChangeRow, check_country, check_phone, check_postcode, check_website,
    },
    repo,
    view::{View, Viewed, Viewer, to_dto},
};
use crate::http::json::Json;
use crate::{
    AppState,
    audit::{self, Change},
    auth::{Action, Caller, Resource, caller::Bearer, policy},
    domain::calendar::today,
    domain::{Email, TaxId, text},
    error::{ApiError, FieldErrors, on_unique},
    http::{
        etag::{self, IfMatch, Precondition},
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
};

const RESOURCE: &str = "member";
const TAX_ID_TAKEN: &str = "Another member of the register has this tax id.";

/// Staff and admins only (creating, archiving, status, dues).
fn require_staff(caller: &Caller) -> Result<(), ApiError> {
    if policy::runs_register(caller.role) {
        Ok(())
    } else {
        Err(ApiError::forbidden("Only the cluster's staff can do this."))
    }
}

/// The member as the caller may see it; 404 when they may not see it at all.
async fn visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<Viewed, ApiError> {
    shown(caller, repo::find(conn, id).await?)
}

/// A member read from the register, as the caller may see it; 404 when they may not.
fn shown(caller: &Caller, member: repo::MemberFull) -> Result<Viewed, ApiError> {
    let viewer = Viewer::of(caller);
    if !viewer.may_see(&member) {
        return Err(ApiError::not_found("The resource does not exist."));
    }
    let view = viewer.view_of(member.0.id);
    Ok(Viewed { member, view })
}

/// The member in full, or 404 (contacts, dues and history are not public).
async fn full(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<MemberRow, ApiError> {
    let v = visible(conn, caller, id).await?;
    if v.view != View::Full {
        return Err(ApiError::not_found("The resource does not exist."));
    }
    Ok(v.member.0)
}

/// Validates the fields a patch (or a creation) sets.
fn parse_changes(errors: &mut FieldErrors, p: &MemberPatch) -> MemberChanges {
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
    let non_negative = |errors: &mut FieldErrors, field: &str, v: Option<Option<i64>>| {
        if v.flatten().is_some_and(|n| n < 0) {
            errors.add(field, "out_of_range", "must be 0 or more");
        }
        v
    };
    MemberChanges {
        legal_name: p
            .legal_name
            .as_deref()
            .and_then(|n| errors.check("legal_name", text::name(n, 300))),
        trade_name: opt_line(errors, "trade_name", &p.trade_name, 300),
        tax_id: p.tax_id.as_deref().and_then(|t| {
            errors
                .check("tax_id", TaxId::parse(t))
                .map(|t| t.as_str().to_owned())
        }),
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
        employees: non_negative(errors, "employees", p.employees.map(|v| v.map(i64::from)))
            .map(|v| v.and_then(|n| i32::try_from(n).ok())),
        annual_turnover_cents: non_negative(
            errors,
            "annual_turnover_cents",
            p.annual_turnover_cents,
        ),
        description: p
            .description
            .as_ref()
            .and_then(|d| errors.check("description", text::optional(d.as_deref(), 10_000))),
        joined_on: p.joined_on,
    }
}

fn check_segments(errors: &mut FieldErrors, ids: Option<&Vec<Uuid>>) -> Option<Vec<Uuid>> {
    let ids = ids?;
    if ids.len() > 50 {
        errors.add("segment_ids", "too_many", "at most 50 segments");
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    Some(unique)
}

/// Maps missing categories and segments to field errors.
fn reference_error(err: diesel::result::Error) -> ApiError {
    use diesel::result::{DatabaseErrorKind as K, Error as E};
    match &err {
        E::DatabaseError(K::ForeignKeyViolation, info) => {
            let field = match info.constraint_name() {
                Some(c) if c.contains("category") => "category_id",
                _ => "segment_ids",
            };
            ApiError::unprocessable(
                "validation_failed",
                format!("Some values are not valid: {field}."),
            )
            .with_errors(vec![crate::error::FieldError::new(
                field,
                "unknown",
                "no such reference data",
            )])
        }
        _ => on_unique(
            err,
            "members_tax_id_key",
            "member_tax_id_taken",
            TAX_ID_TAKEN,
        ),
    }
}

/// The number a member's ETag is made of: its version, and its good standing, which
/// changes with dues and the calendar without the member row changing.
fn tag_version(m: &repo::MemberFull) -> i64 {
    m.0.version * 2 + i64::from(m.3)
}

fn member_key(v: &Viewed, sort: super::dto::MemberSort) -> repo::After {
    repo::key_of(sort, &v.member.0)
}

fn key_by_name(v: &Viewed) -> repo::After {
    member_key(v, super::dto::MemberSort::Name)
}

fn key_by_joined(v: &Viewed) -> repo::After {
    member_key(v, super::dto::MemberSort::Joined)
}

/// The register: filters, accent-insensitive Spanish search, sort by name (Spanish
/// collation) or joining date. Representatives and partners see the public register
/// (active members; their own organisation in full) and may filter by `q`, `segment`,
/// `kind` and `municipality`. `Accept: text/csv` exports every match.
#[utoipa::path(tag = "members", params(MemberQuery), responses(
    (status = 200, description = "A page of members (or CSV).",
        content((Page<Member> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/members")]
pub async fn list_members(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<MemberQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Members))?;
    let q = query.into_inner();
    let viewer = Viewer::of(&caller);
    let confidential_filters = q.status.is_some()
        || q.category_id.is_some()
        || q.size.is_some()
        || q.in_good_standing.is_some()
        || q.joined_from.is_some()
        || q.joined_to.is_some()
        || q.include_archived.unwrap_or(false)
        // Sorting by joining date would reveal it (row order and cursor contents).
        || matches!(
            q.sort,
            Some(super::dto::MemberSort::Joined | super::dto::MemberSort::JoinedDesc)
        );
    if !viewer.sees_everything() && confidential_filters {
        return Err(ApiError::forbidden(
            "The public register can be filtered by q, segment, kind and municipality, and sorted by name, only.",
        ));
    }
    let has_control = |v: &Option<String>| {
        v.as_deref()
            .is_some_and(|s| s.chars().any(|c| c < ' ' || c == '\x7f'))
    };
    if has_control(&q.q) || has_control(&q.segment) || has_control(&q.municipality) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "Search and filter text must not contain control characters.",
        ));
    }
    if q.segment.as_deref().is_some_and(|s| s.len() > 50)
        || q.municipality
            .as_deref()
            .is_some_and(|m| m.chars().count() > 100)
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            "`segment` is at most 50 and `municipality` 100 characters.",
        ));
    }
    let search = match q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > 200 => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "`q` is at most 200 characters.",
            ));
        }
        other => other.map(str::to_owned),
    };
    let filter = repo::Filter {
        q: search,
        status: if viewer.sees_everything() {
            q.status
        } else {
            Some(MemberStatus::Active)
        },
        category_id: q.category_id,
        segment: q.segment,
        kind: q.kind,
        size: q.size,
        municipality: q.municipality,
        in_good_standing: q.in_good_standing,
        joined_from: q.joined_from,
        joined_to: q.joined_to,
        include_archived: q.include_archived.unwrap_or(false),
        // Public viewers search names only: descriptions are not in their view.
        names_only: !viewer.sees_everything(),
        also_id: if viewer.sees_everything() {
            None
        } else {
            caller.member_id
        },
    };
    let sort = q.sort.unwrap_or_default();
    let db = state.clone();
    let fetch = move |after, n| {
        let (db, filter) = (db.clone(), filter.clone());
        async move {
            let mut conn = db.conn().await?;
            let rows = repo::list(&mut conn, &filter, sort, after, n).await?;
            Ok(rows
                .into_iter()
                .map(|member| {
                    let view = viewer.view_of(member.0.id);
                    Viewed { member, view }
                })
                .collect())
        }
    };
    let key_of = match sort {
        super::dto::MemberSort::Name | super::dto::MemberSort::NameDesc => key_by_name,
        _ => key_by_joined,
    };
    let list = List {
        resource: "members",
        sort: sort.as_str(),
        filename: "members.csv",
    };
    listing::respond(
        &req,
        &state,
        list,
        q.limit,
        q.cursor.as_deref(),
        fetch,
        key_of,
        Viewed::into_dto,
    )
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
    caller.require(Action::write(Resource::Members))?;
    require_staff(&caller)?;
    let n = body.into_inner();
    let patch = MemberPatch {
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
    };
    let mut errors = FieldErrors::default();
    let c = parse_changes(&mut errors, &patch);
    let segments = check_segments(&mut errors, patch.segment_ids.as_ref()).unwrap_or_default();
    let status = n.status.unwrap_or(MemberStatus::Applicant);
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
        id: Uuid::now_v7(),
        legal_name,
        trade_name: c.trade_name.flatten(),
        tax_id,
        kind: n.kind,
        size: n.size,
        category_id: n.category_id,
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
    let mut conn = state.conn().await?;
    let member = conn
        .transaction::<_, ApiError, _>(async |conn| {
            repo::insert(conn, &row).await.map_err(reference_error)?;
            repo::set_segments(conn, row.id, &segments)
                .await
                .map_err(reference_error)?;
            let member = repo::find(conn, row.id).await?;
            let after = to_dto(member.clone(), View::Full);
            audit::created(conn, &caller, RESOURCE, row.id, &after).await?;
            Ok(member)
        })
        .await?;
    let version = tag_version(&member);
    Ok(etag::created(
        format!("/api/v1/members/{}", row.id),
        version,
        &to_dto(member, View::Full),
    ))
}

/// One member, in the caller's view.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id")), responses(
    (status = 200, description = "The member.", body = Member),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/members/{id:[0-9a-fA-F-]+}")]
pub async fn get_member(
    req: HttpRequest,
    bearer: Bearer,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    // A user's token is checked in the statement that reads the member (one statement, one
    // round trip); the member is looked at only once the caller is admitted and allowed.
    let (caller, member) = match bearer.user() {
        Some((user_id, jti)) => {
            let row = repo::find_with_user_principal(&mut conn, user_id, jti, id).await?;
            let (principal, member) = row.map_or((None, None), |(p, m)| (Some(p), m));
            (bearer.admit_user(principal)?, Some(member))
        }
        None => (bearer.check(&mut conn).await?, None),
    };
    caller.require(Action::read(Resource::Members))?;
    let member = match member {
        Some(member) => member.ok_or(diesel::result::Error::NotFound)?,
        None => repo::find(&mut conn, id).await?,
    };
    let v = shown(&caller, member)?;
    let version = tag_version(&v.member);
    Ok(etag::respond(&req, version, &v.into_dto()))
}

/// Changes a member. Staff and admins change anything but the status; a representative
/// changes their own organisation except its tax id, category and joining date.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id"),
    ("If-Match" = Option<String>, Header, description = "ETag from a GET; 412 when stale")),
    request_body = MemberPatch, responses(
    (status = 200, description = "The changed member.", body = Member),
    (status = 409, description = "`member_tax_id_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/members/{id:[0-9a-fA-F-]+}")]
pub async fn update_member(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<MemberPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    let id = id.into_inner();
    let patch = body.into_inner();
    let viewer = Viewer::of(&caller);
    if !policy::runs_register(caller.role) {
        if viewer.view_of(id) != View::Full {
            return Err(ApiError::not_found("The resource does not exist."));
        }
        if patch.tax_id.is_some() || patch.category_id.is_some() || patch.joined_on.is_some() {
            return Err(ApiError::forbidden(
                "Representatives cannot change the tax id, category or joining date.",
            ));
        }
    }
    let precondition = Precondition::from_request(&req);
    let mut errors = FieldErrors::default();
    let changes = parse_changes(&mut errors, &patch);
    let segments = check_segments(&mut errors, patch.segment_ids.as_ref());
    errors.finish()?;
    let mut conn = state.conn().await?;
    let member = conn
        .transaction::<_, ApiError, _>(async |conn| {
            // Lock first, so that "before" (for the ETag and the audit log) is the state
            // this change really replaces.
            let current = repo::lock(conn, id).await?;
            let before = repo::find(conn, id).await?;
            if current.archived_at.is_some() {
                return Err(ApiError::conflict(
                    "member_archived",
                    "An archived member cannot change.",
                ));
            }
            precondition.check(current.version * 2 + i64::from(before.3), IfMatch::Optional)?;
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
            audit::updated(conn, &caller, RESOURCE, id, &b, &a).await?;
            Ok(after)
        })
        .await?;
    let version = tag_version(&member);
    Ok(etag::updated(version, &to_dto(member, View::Full)))
}

/// Archives a member (staff and admins): it leaves the register's lists and its tax id may
/// be used again; the record and its history stay.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id")), responses(
    (status = 204, description = "Archived."),
    (status = 404, description = "No such (unarchived) member.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/members/{id:[0-9a-fA-F-]+}")]
pub async fn archive_member(
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    require_staff(&caller)?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let current = repo::lock(conn, id).await?;
        if current.archived_at.is_some() {
            return Err(ApiError::not_found(
                "No such member, or it is already archived.",
            ));
        }
        let before = to_dto(repo::find(conn, id).await?, View::Full);
        repo::archive(conn, id).await?;
        let after = to_dto(repo::find(conn, id).await?, View::Full);
        audit::record(
            conn,
            &caller,
            Change {
                action: "archived",
                resource_type: RESOURCE,
                resource_id: id,
                before: Some(&before),
                after: Some(&after),
            },
        )
        .await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A member's status history, oldest first.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id"), PageQuery), responses(
    (status = 200, description = "The history.", body = Page<StatusChange>)))]
#[get("/api/v1/members/{id:[0-9a-fA-F-]+}/status-changes")]
pub async fn list_status_changes(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Members))?;
    let id = id.into_inner();
    {
        let mut conn = state.conn().await?;
        full(&mut conn, &caller, id).await?;
    }
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::status_changes(&mut conn, id, after, n).await?)
        }
    };
    let list = List {
        resource: "member_status_changes",
        sort: "created_at",
        filename: "status-changes.csv",
    };
    let key_of = |r: &StatusChangeRow| r.id;
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        StatusChange::from,
    )
    .await
}

/// Moves a member along its lifecycle (staff and admins): `applicant → active →
/// suspended ↔ active`, and from `active` or `suspended` to `withdrawn` or `expelled`.
/// Illegal moves are a 409 and change nothing.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id")),
    request_body = NewStatusChange, responses(
    (status = 201, description = "Recorded.", body = StatusChange),
    (status = 409, description = "`illegal_status_transition` or `member_archived`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/members/{id:[0-9a-fA-F-]+}/status-changes")]
pub async fn create_status_change(
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<NewStatusChange>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    require_staff(&caller)?;
    let id = id.into_inner();
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    let reason = errors.check(
        "reason",
        text::optional(Some(&input.reason), 2000)
            .and_then(|r| r.ok_or_else(|| "must not be empty".to_owned())),
    );
    let reason = errors.finish_with(reason)?;
    let effective_on = input.effective_on.unwrap_or_else(today);
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            super::change_status(conn, &caller, id, input.to, reason, effective_on).await
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/members/{id}/status-changes")))
        .json(StatusChange::from(row)))
}

/// A member's contacts (staff, admins, auditors and its own representatives; never partners).
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id"), PageQuery), responses(
    (status = 200, description = "The contacts (or CSV).",
        content((Page<Contact> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/members/{id:[0-9a-fA-F-]+}/contacts")]
pub async fn list_contacts(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Members))?;
    let id = id.into_inner();
    {
        let mut conn = state.conn().await?;
        full(&mut conn, &caller, id).await?;
    }
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::contacts(&mut conn, id, after, n).await?)
        }
    };
    let list = List {
        resource: "member_contacts",
        sort: "created_at",
        filename: "contacts.csv",
    };
    let key_of = |r: &ContactRow| r.id;
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        Contact::from,
    )
    .await
}

fn contact_fields(
    errors: &mut FieldErrors,
    name: Option<&str>,
    email: &Option<Option<String>>,
    phone: &Option<Option<String>>,
    position: &Option<Option<String>>,
) -> ContactChanges {
    ContactChanges {
        name: name.and_then(|n| errors.check("name", text::name(n, 200))),
        email: email.as_ref().and_then(|e| {
            match e.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => errors
                    .check("email", Email::parse(s))
                    .map(|e| Some(e.as_str().to_owned())),
                None => Some(None),
            }
        }),
        phone: phone.as_ref().and_then(|p| {
            match p.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => errors.check("phone", check_phone(s)).map(Some),
                None => Some(None),
            }
        }),
        position: position
            .as_ref()
            .and_then(|p| errors.check("position", text::optional_line(p.as_deref(), 200))),
        is_primary: None,
        consent_communications: None,
    }
}

/// Adds a contact. A member's first contact becomes its primary contact; `is_primary: true`
/// moves the primary role to the new one.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id")),
    request_body = NewContact, responses(
    (status = 201, description = "Created.", body = Contact)))]
#[post("/api/v1/members/{id:[0-9a-fA-F-]+}/contacts")]
pub async fn create_contact(
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<NewContact>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    let member_id = id.into_inner();
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    let c = contact_fields(
        &mut errors,
        Some(&input.name),
        &Some(input.email),
        &Some(input.phone),
        &Some(input.position),
    );
    let name = errors.finish_with(c.name.clone())?;
    let mut conn = state.conn().await?;
    let contact = conn
        .transaction::<_, ApiError, _>(async |conn| {
            full(conn, &caller, member_id).await?;
            repo::lock(conn, member_id).await?;
            let has_primary = repo::has_primary(conn, member_id).await?;
            let primary = input.is_primary.unwrap_or(false) || !has_primary;
            if primary && has_primary {
                repo::clear_primary(conn, member_id).await?;
            }
            let now = Utc::now();
            let row = ContactRow {
                id: Uuid::now_v7(),
                member_id,
                name,
                email: c.email.flatten(),
                phone: c.phone.flatten(),
                position: c.position.flatten(),
                is_primary: primary,
                consent_communications: input.consent_communications.unwrap_or(false),
                version: 1,
                created_at: now,
                updated_at: now,
            };
            let row = repo::insert_contact(conn, &row).await?;
            let after = Contact::from(row.clone());
            audit::created(conn, &caller, "member_contact", row.id, &after).await?;
            Ok(row)
        })
        .await?;
    Ok(etag::created(
        format!("/api/v1/members/{member_id}/contacts/{}", contact.id),
        contact.version,
        &Contact::from(contact),
    ))
}

/// Changes a contact. A member always keeps exactly one primary contact: make another one
/// primary instead of un-marking this one.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id"),
    ("contact_id" = Uuid, Path, description = "Contact id")),
    request_body = ContactPatch, responses(
    (status = 200, description = "Changed.", body = Contact),
    (status = 409, description = "`primary_contact_required`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/members/{id:[0-9a-fA-F-]+}/contacts/{contact_id}")]
pub async fn update_contact(
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<ContactPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    let (member_id, contact_id) = path.into_inner();
    let p = body.into_inner();
    let mut errors = FieldErrors::default();
    let mut changes = contact_fields(
        &mut errors,
        p.name.as_deref(),
        &p.email,
        &p.phone,
        &p.position,
    );
    errors.finish()?;
    changes.consent_communications = p.consent_communications;
    let mut conn = state.conn().await?;
    let contact = conn
        .transaction::<_, ApiError, _>(async |conn| {
            full(conn, &caller, member_id).await?;
            let current = repo::lock_contact(conn, member_id, contact_id).await?;
            match p.is_primary {
                Some(false) if current.is_primary => {
                    return Err(ApiError::conflict(
                        "primary_contact_required",
                        "A member keeps one primary contact: make another contact primary instead.",
                    ));
                }
                Some(true) if !current.is_primary => {
                    repo::clear_primary(conn, member_id).await?;
                    changes.is_primary = Some(true);
                }
                _ => {}
            }
            let updated = repo::update_contact(conn, contact_id, &changes).await?;
            let (b, a) = (Contact::from(current), Contact::from(updated.clone()));
            audit::updated(conn, &caller, "member_contact", contact_id, &b, &a).await?;
            Ok(updated)
        })
        .await?;
    Ok(etag::updated(contact.version, &Contact::from(contact)))
}

/// Deletes a contact; when it was the primary one, the oldest remaining contact becomes primary.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id"),
    ("contact_id" = Uuid, Path, description = "Contact id")), responses(
    (status = 204, description = "Deleted.")))]
#[delete("/api/v1/members/{id:[0-9a-fA-F-]+}/contacts/{contact_id}")]
pub async fn delete_contact(
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    let (member_id, contact_id) = path.into_inner();
    let mut conn = state.conn().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        full(conn, &caller, member_id).await?;
        repo::lock(conn, member_id).await?;
        let current = Contact::from(repo::lock_contact(conn, member_id, contact_id).await?);
        repo::delete_contact(conn, member_id, contact_id).await?;
        audit::deleted(conn, &caller, "member_contact", contact_id, &current).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A member's dues by year (staff, admins, auditors, its own representatives).
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id"), PageQuery), responses(
    (status = 200, description = "The dues.", body = Page<Due>)))]
#[get("/api/v1/members/{id:[0-9a-fA-F-]+}/dues")]
pub async fn list_dues(
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Members))?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    full(&mut conn, &caller, id).await?;
    let limit = crate::http::pagination::limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| state.cursors.decode::<i32>("member_dues", "year", c))
        .transpose()?;
    let rows = repo::dues(&mut conn, id, after, limit + 1).await?;
    let today = today();
    Ok(HttpResponse::Ok().json(crate::http::pagination::page(
        &state.cursors,
        "member_dues",
        "year",
        rows,
        limit,
        |r| r.year,
        |r| Due::from_row(r, today),
    )))
}

/// Settles a member's due of a year (staff and admins): `paid` (with its date), `waived`,
/// or back to `pending`.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id"),
    ("year" = i32, Path, description = "Year")), request_body = DuePatch, responses(
    (status = 200, description = "Settled.", body = Due),
    (status = 404, description = "No due for that year.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/members/{id:[0-9a-fA-F-]+}/dues/{year}")]
pub async fn update_due(
    caller: Caller,
    path: web::Path<(Uuid, i32)>,
    body: Json<DuePatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    require_staff(&caller)?;
    let (member_id, year) = path.into_inner();
    let input = body.into_inner();
    let paid_on = match input.status {
        DueStatus::Paid => Some(input.paid_on.unwrap_or_else(today)),
        DueStatus::Pending | DueStatus::Waived if input.paid_on.is_none() => None,
        DueStatus::Overdue => {
            return Err(ApiError::unprocessable(
                "validation_failed",
                "`overdue` is derived, not set.",
            )
            .with_errors(vec![crate::error::FieldError::new(
                "status",
                "not_allowed",
                "paid, waived or pending",
            )]));
        }
        _ => {
            return Err(ApiError::unprocessable(
                "validation_failed",
                "`paid_on` goes with `paid` only.",
            )
            .with_errors(vec![crate::error::FieldError::new(
                "paid_on",
                "not_allowed",
                "only with status paid",
            )]));
        }
    };
    let mut conn = state.conn().await?;
    let today = today();
    let due = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::lock_due(conn, member_id, year).await?;
            if paid_on.is_some_and(|p| p < current.issued_on) {
                return Err(ApiError::unprocessable(
                    "validation_failed",
                    "Paid before it was issued.",
                )
                .with_errors(vec![crate::error::FieldError::new(
                    "paid_on",
                    "out_of_range",
                    "on or after issued_on",
                )]));
            }
            let updated = repo::set_due(conn, current.id, input.status, paid_on).await?;
            let (b, a) = (
                Due::from_row(current, today),
                Due::from_row(updated.clone(), today),
            );
            audit::updated(conn, &caller, "member_due", updated.id, &b, &a).await?;
            Ok(updated)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Due::from_row(due, today)))
}

/// Issues a year's dues to every active member at once (staff and admins), at each
/// member's category fee. Members that already have the year's due keep it.
#[utoipa::path(tag = "members", request_body = DuesIssuance, responses(
    (status = 201, description = "Issued.", body = DuesIssued)))]
#[post("/api/v1/dues-issuances")]
pub async fn issue_dues(
    caller: Caller,
    body: Json<DuesIssuance>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    require_staff(&caller)?;
    let input = body.into_inner();
    let issued_on = input.issued_on.unwrap_or_else(today);
    let mut errors = FieldErrors::default();
    if !(1900..=2999).contains(&input.year) {
        errors.add("year", "out_of_range", "between 1900 and 2999");
    }
    if input.due_on < issued_on {
        errors.add("due_on", "out_of_range", "on or after issued_on");
    }
    errors.finish()?;
    let mut conn = state.conn().await?;
    let result = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let (issued, already, amount) =
                repo::issue_dues(conn, input.year, issued_on, input.due_on).await?;
            let result = DuesIssued {
                year: input.year,
                issued,
                already_issued: already,
                amount_cents: amount,
            };
            audit::record(
                conn,
                &caller,
                Change {
                    action: "dues_issued",
                    resource_type: "dues_issuance",
                    resource_id: Uuid::now_v7(),
                    before: None,
                    after: Some(&result),
                },
            )
            .await?;
            Ok(result)
        })
        .await?;
    Ok(HttpResponse::Created().json(result))
}

/// Figures of the register: members by status, category, segment, kind and size; SMEs;
/// knowledge providers; members in good standing; members joined per year.
#[utoipa::path(tag = "members", responses((status = 200, description = "The figures.", body = MemberStats)))]
#[get("/api/v1/members/stats")]
pub async fn member_stats(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Members))?;
    let mut conn = state.conn().await?;
    let rows = repo::stats(&mut conn).await?;
    let pick = |dim: &str| -> Vec<Count> {
        rows.iter()
            .filter(|(d, _)| d == dim)
            .map(|(_, r)| Count {
                key: r.key.clone(),
                name: r.name.clone(),
                count: r.count,
            })
            .collect()
    };
    let by_status = pick("status");
    let by_kind = pick("kind");
    let by_size = pick("size");
    let total = by_status.iter().map(|c| c.count).sum();
    let count_of = |v: &[Count], keys: &[&str]| {
        v.iter()
            .filter(|c| keys.contains(&c.key.as_str()))
            .map(|c| c.count)
            .sum::<i64>()
    };
    // The SME and knowledge-provider rules live on the enums; the keys come from them.
    let sme: Vec<&str> = MemberSize::ALL
        .iter()
        .filter(|s| s.is_sme())
        .map(|s| s.as_str())
        .collect();
    let all_sizes: Vec<&str> = MemberSize::ALL.iter().map(|s| s.as_str()).collect();
    let knowledge: Vec<&str> = MemberKind::ALL
        .iter()
        .filter(|k| k.is_knowledge_provider())
        .map(|k| k.as_str())
        .collect();
    let sme_count = count_of(&by_size, &sme);
    let known = count_of(&by_size, &all_sizes);
    let stats = MemberStats {
        total,
        sme_count,
        sme_share_bp: (known > 0).then(|| sme_count * 10_000 / known),
        knowledge_providers: count_of(&by_kind, &knowledge),
        in_good_standing: pick("good").first().map_or(0, |c| c.count),
        by_status,
        by_category: pick("category"),
        by_segment: pick("segment"),
        by_kind,
        by_size,
        joined_per_year: pick("joined"),
    };
    Ok(HttpResponse::Ok().json(stats))
}
