//! The register's list: filters, search, sort, and what the public register may ask.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    model::{MemberKind, MemberSize, MemberSort, MemberStatus},
    repo,
    view::{Member, Viewed, Viewer},
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    domain::MemberCategoryId,
    error::ApiError,
    http::{
        listing::{self, List},
        pagination::Page,
    },
};

/// Filters, search and paging of the member list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// Spanish full-text search over names and description, accent-insensitive
    /// ("produccion" finds "Producción"); also matches parts of names.
    #[param(max_length = 200, pattern = "^[^\\x00-\\x1F\\x7F]*$")]
    pub q: Option<String>,
    /// Status.
    pub status: Option<MemberStatus>,
    /// Category id.
    pub category_id: Option<MemberCategoryId>,
    /// Segment code.
    #[param(max_length = 50, pattern = "^[^\\x00-\\x1F\\x7F]*$")]
    pub segment: Option<String>,
    /// Kind.
    pub kind: Option<MemberKind>,
    /// Size.
    pub size: Option<MemberSize>,
    /// Municipality (exact, case- and accent-insensitive).
    #[param(max_length = 100, pattern = "^[^\\x00-\\x1F\\x7F]*$")]
    pub municipality: Option<String>,
    /// Only members in good standing (`true`) or not (`false`).
    pub in_good_standing: Option<bool>,
    /// Joined on or after.
    pub joined_from: Option<NaiveDate>,
    /// Joined on or before.
    pub joined_to: Option<NaiveDate>,
    /// Include archived members (staff, admins and auditors only).
    pub include_archived: Option<bool>,
    /// `legal_name` (default), `-legal_name`, `joined_on`, `-joined_on`.
    #[param(inline)]
    pub sort: Option<MemberSort>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A search of the register, checked against the caller's view.
#[derive(Debug, Clone)]
pub struct Search {
    /// Who is looking.
    pub viewer: Viewer,
    /// The filters (the public register's forced in).
    pub filter: repo::Filter,
    /// The order.
    pub sort: MemberSort,
}

/// Checks a list query against the caller: 403 for filters the public register does not
/// offer, 400 for control characters or overlong text.
pub fn search(caller: &Caller, q: MemberQuery) -> Result<Search, ApiError> {
    caller.require(Action::read(Resource::Members))?;
    let viewer = Viewer::of(caller);
    let confidential_filters = q.status.is_some()
        || q.category_id.is_some()
        || q.size.is_some()
        || q.in_good_standing.is_some()
        || q.joined_from.is_some()
        || q.joined_to.is_some()
        || q.include_archived.unwrap_or(false)
        // Sorting by joining date would reveal it (row order and cursor contents).
        || q.sort.is_some_and(MemberSort::by_joining_date);
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
    let text = match q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > 200 => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "`q` is at most 200 characters.",
            ));
        }
        other => other.map(str::to_owned),
    };
    let everything = viewer.sees_everything();
    let filter = repo::Filter {
        q: text,
        status: if everything {
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
        names_only: !everything,
        also_id: if everything { None } else { viewer.member_id },
    };
    Ok(Search {
        viewer,
        filter,
        sort: q.sort.unwrap_or_default(),
    })
}

fn key_by_name(v: &Viewed) -> repo::After {
    repo::key_of(MemberSort::Name, &v.member.row)
}

fn key_by_joined(v: &Viewed) -> repo::After {
    repo::key_of(MemberSort::Joined, &v.member.row)
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
    let query = query.into_inner();
    let (limit, cursor) = (query.limit, query.cursor.clone());
    let Search {
        viewer,
        filter,
        sort,
    } = search(&caller, query)?;
    let list = List {
        resource: "members",
        sort: sort.as_str(),
        filename: "members.csv",
    };
    let key_of = if sort.by_joining_date() {
        key_by_joined
    } else {
        key_by_name
    };
    listing::from_db(
        &req,
        &state,
        list,
        limit,
        cursor.as_deref(),
        async move |conn, after, n| {
            let rows = repo::list(conn, &filter, sort, after, n).await?;
            Ok(rows
                .into_iter()
                .map(|member| {
                    let view = viewer.view_of(member.row.id);
                    Viewed { member, view }
                })
                .collect())
        },
        key_of,
        Viewed::into_dto,
    )
    .await
}
