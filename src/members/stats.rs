//! Figures of the register, for the cluster's reports and the AEI register (SMEs,
//! knowledge providers, members in good standing).

use actix_web::{HttpResponse, get, web};
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    model::{MemberKind, MemberSize},
    repo,
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    error::ApiError,
};

/// One count of a breakdown.
#[derive(Debug, Serialize, ToSchema)]
pub struct Count {
    /// What is counted (a status, a kind, a category name, a segment code, a year …).
    pub key: String,
    /// Display name, where the key is an id or a code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How many members.
    pub count: i64,
}

/// Figures of the register (archived members excluded).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberStats {
    /// Members in the register.
    pub total: i64,
    /// By status (sums to `total`).
    pub by_status: Vec<Count>,
    /// By category (sums to `total`).
    pub by_category: Vec<Count>,
    /// By segment code (a member may be in several, or none).
    pub by_segment: Vec<Count>,
    /// By kind (sums to `total`).
    pub by_kind: Vec<Count>,
    /// By size, `unknown` included (sums to `total`).
    pub by_size: Vec<Count>,
    /// SMEs (micro, small, medium).
    pub sme_count: i64,
    /// SMEs among members of known size, in basis points (10000 = all).
    pub sme_share_bp: Option<i64>,
    /// Universities and technology centres.
    pub knowledge_providers: i64,
    /// Members in good standing.
    pub in_good_standing: i64,
    /// Members by year of joining (`unknown` for no date).
    pub joined_per_year: Vec<Count>,
}

/// Figures of the register: members by status, category, segment, kind and size; SMEs;
/// knowledge providers; members in good standing; members joined per year.
#[utoipa::path(tag = "members", responses((status = 200, description = "The figures.", body = MemberStats)))]
#[get("/api/v1/members/stats")]
pub async fn member_stats(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    Ok(HttpResponse::Ok().json(stats(&mut conn, &caller).await?))
}

/// The register's figures (everyone who reads the register): 403.
pub async fn stats(conn: &mut AsyncPgConnection, caller: &Caller) -> Result<MemberStats, ApiError> {
    caller.require(Action::read(Resource::Members))?;
    let rows = repo::stats(conn).await?;
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
    Ok(MemberStats {
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
    })
}
