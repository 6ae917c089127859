//! A member's contact persons (personal data: staff, admins, auditors and the member's own
//! representatives only). A member with contacts keeps exactly one primary contact.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    model::{ContactChanges, ContactRow, check_phone},
    repo,
    view::{Viewer, require_full, require_full_read},
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::{ContactId, Email, MemberId, text},
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

/// The audit log's name for contacts.
const RESOURCE: &str = "member_contact";

/// A contact person (personal data: never shown to partners).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    /// Id.
    pub id: ContactId,
    /// Member.
    pub member_id: MemberId,
    /// Name.
    #[schema(example = "Begoña Iñíguez")]
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Position.
    pub position: Option<String>,
    /// The primary contact (exactly one per member with contacts).
    pub is_primary: bool,
    /// Consents to the cluster's communications.
    pub consent_communications: bool,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<ContactRow> for Contact {
    fn from(r: ContactRow) -> Self {
        Self {
            id: r.id,
            member_id: r.member_id,
            name: r.name,
            email: r.email.map(String::from),
            phone: r.phone,
            position: r.position,
            is_primary: r.is_primary,
            consent_communications: r.consent_communications,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for ContactRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "member_id",
            "name",
            "email",
            "phone",
            "position",
            "is_primary",
            "consent_communications",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.member_id.to_string(),
            self.name.clone(),
            self.email
                .as_ref()
                .map(Email::to_string)
                .unwrap_or_default(),
            self.phone.clone().unwrap_or_default(),
            self.position.clone().unwrap_or_default(),
            self.is_primary.to_string(),
            self.consent_communications.to_string(),
        ]
    }
}

/// A new contact. The first contact of a member becomes its primary contact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    /// Name.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// E-mail.
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// Phone (6–20 digits, spaces, `()-`, a leading `+`).
    #[schema(max_length = 20)]
    pub phone: Option<String>,
    /// Position.
    #[schema(max_length = 200)]
    pub position: Option<String>,
    /// Make it the primary contact (the previous primary stops being so).
    pub is_primary: Option<bool>,
    /// Consent to communications (default false).
    pub consent_communications: Option<bool>,
}

/// Changes to a contact. To change the primary contact, set `is_primary: true` on the new one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    /// Name.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// E-mail.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 254)]
    pub email: Option<Option<String>>,
    /// Phone (6–20 digits, spaces, `()-`, a leading `+`).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 20)]
    pub phone: Option<Option<String>>,
    /// Position.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 200)]
    pub position: Option<Option<String>>,
    /// `true` makes it the primary contact.
    pub is_primary: Option<bool>,
    /// Consent.
    pub consent_communications: Option<bool>,
}

impl From<NewContact> for ContactPatch {
    fn from(c: NewContact) -> Self {
        Self {
            name: Some(c.name),
            email: Some(c.email),
            phone: Some(c.phone),
            position: Some(c.position),
            is_primary: c.is_primary,
            consent_communications: c.consent_communications,
        }
    }
}

/// A value set (`Some`), as trimmed text or, when blank or `null`, cleared (`Some(None)`).
fn blank_clears(v: &Option<Option<String>>) -> Option<Option<&str>> {
    v.as_ref()
        .map(|v| v.as_deref().map(str::trim).filter(|s| !s.is_empty()))
}

/// Validates the fields a patch (or a creation) sets (blank optional values clear).
fn check_patch(errors: &mut FieldErrors, p: &ContactPatch) -> ContactChanges {
    ContactChanges {
        name: p
            .name
            .as_deref()
            .and_then(|n| errors.check("name", text::name(n, 200))),
        email: blank_clears(&p.email).and_then(|e| match e {
            Some(s) => errors.check("email", Email::parse(s)).map(Some),
            None => Some(None),
        }),
        phone: blank_clears(&p.phone).and_then(|v| match v {
            Some(s) => errors.check("phone", check_phone(s)).map(Some),
            None => Some(None),
        }),
        position: p
            .position
            .as_ref()
            .and_then(|v| errors.check("position", text::optional_line(v.as_deref(), 200))),
        is_primary: None,
        consent_communications: p.consent_communications,
    }
}

/// Adds a contact (staff, admins, the member's own representatives): 404, 422. A member's
/// first contact becomes primary; `is_primary: true` moves the primary role to the new one.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    member_id: MemberId,
    input: NewContact,
) -> Result<ContactRow, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    Viewer::of(caller).full_or_404(member_id)?;
    let wants_primary = input.is_primary.unwrap_or(false);
    let mut errors = FieldErrors::default();
    let c = check_patch(&mut errors, &ContactPatch::from(input));
    let name = errors.finish_with(c.name.clone())?;
    conn.transaction(async |conn| {
        require_full(conn, caller, member_id).await?;
        repo::lock(conn, member_id).await?;
        let has_primary = repo::has_primary(conn, member_id).await?;
        let primary = wants_primary || !has_primary;
        if primary && has_primary {
            repo::clear_primary(conn, member_id).await?;
        }
        let now = Utc::now();
        let row = ContactRow {
            id: ContactId::new(),
            member_id,
            name,
            email: c.email.flatten(),
            phone: c.phone.flatten(),
            position: c.position.flatten(),
            is_primary: primary,
            consent_communications: c.consent_communications.unwrap_or(false),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let row = repo::insert_contact(conn, &row).await?;
        let after = Contact::from(row.clone());
        audit::created(conn, caller, RESOURCE, row.id.uuid(), &after).await?;
        Ok(row)
    })
    .await
}

/// Changes a contact: 404 (not the caller's to see: before anything else), 422, 412, 409
/// `primary_contact_required`.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    member_id: MemberId,
    contact_id: ContactId,
    precondition: Precondition,
    patch: ContactPatch,
) -> Result<ContactRow, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    Viewer::of(caller).full_or_404(member_id)?;
    let mut errors = FieldErrors::default();
    let mut changes = check_patch(&mut errors, &patch);
    errors.finish()?;
    conn.transaction(async |conn| {
        require_full(conn, caller, member_id).await?;
        let current = repo::lock_contact(conn, member_id, contact_id).await?;
        precondition.check(current.version, IfMatch::Optional)?;
        match patch.is_primary {
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
        audit::updated(conn, caller, RESOURCE, contact_id.uuid(), &b, &a).await?;
        Ok(updated)
    })
    .await
}

/// Deletes a contact: 404 (not the caller's to see: before anything else), 412. When it
/// was the primary one, the oldest remaining contact becomes primary.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    member_id: MemberId,
    contact_id: ContactId,
    precondition: Precondition,
) -> Result<(), ApiError> {
    caller.require(Action::write(Resource::Members))?;
    Viewer::of(caller).full_or_404(member_id)?;
    conn.transaction(async |conn| {
        require_full(conn, caller, member_id).await?;
        repo::lock(conn, member_id).await?;
        let current = repo::lock_contact(conn, member_id, contact_id).await?;
        precondition.check(current.version, IfMatch::Optional)?;
        repo::delete_contact(conn, member_id, contact_id).await?;
        let before = Contact::from(current);
        audit::deleted(conn, caller, RESOURCE, contact_id.uuid(), &before).await
    })
    .await
}

/// A member's contacts (staff, admins, auditors and its own representatives; never partners).
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id"), PageQuery), responses(
    (status = 200, description = "The contacts (or CSV).",
        content((Page<Contact> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/members/{id}/contacts")]
pub async fn list_contacts(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<MemberId>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    require_full_read(&mut *state.conn().await?, &caller, id).await?;
    let list = List {
        resource: "member_contacts",
        sort: "created_at",
        filename: "contacts.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::contacts(conn, id, after, n).await?),
        |r: &ContactRow| r.id,
        Contact::from,
    )
    .await
}

/// Adds a contact. A member's first contact becomes its primary contact; `is_primary: true`
/// moves the primary role to the new one.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id")),
    request_body = NewContact, responses(
    (status = 201, description = "Created.", body = Contact)))]
#[post("/api/v1/members/{id}/contacts")]
pub async fn create_contact(
    caller: Caller,
    id: web::Path<MemberId>,
    body: Json<NewContact>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let member_id = id.into_inner();
    let mut conn = state.conn().await?;
    let contact = create(&mut conn, &caller, member_id, body.into_inner()).await?;
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
#[patch("/api/v1/members/{id}/contacts/{contact_id}")]
pub async fn update_contact(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<(MemberId, ContactId)>,
    body: Json<ContactPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (member_id, contact_id) = path.into_inner();
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let contact = update(
        &mut conn,
        &caller,
        member_id,
        contact_id,
        precondition,
        body.into_inner(),
    )
    .await?;
    Ok(etag::updated(contact.version, &Contact::from(contact)))
}

/// Deletes a contact; when it was the primary one, the oldest remaining contact becomes primary.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id"),
    ("contact_id" = Uuid, Path, description = "Contact id")), responses(
    (status = 204, description = "Deleted.")))]
#[delete("/api/v1/members/{id}/contacts/{contact_id}")]
pub async fn delete_contact(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<(MemberId, ContactId)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (member_id, contact_id) = path.into_inner();
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    delete(&mut conn, &caller, member_id, contact_id, precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}
