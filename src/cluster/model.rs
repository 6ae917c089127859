//! The stored cluster record.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use crate::{domain::Cents, schema::cluster_profile};

/// The one row of `cluster_profile` (its `id` is always 1).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = cluster_profile, check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_null = true)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `cluster` and the DTO `Cluster`"
)]
pub struct ClusterRow {
    pub id: i16,
    pub legal_name: String,
    pub short_name: Option<String>,
    pub tax_id: String,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub country_code: String,
    pub website: Option<String>,
    pub sector_description: Option<String>,
    pub cnae_codes: Vec<String>,
    pub aei_register_number: Option<String>,
    pub aei_registered_on: Option<NaiveDate>,
    pub aei_expires_on: Option<NaiveDate>,
    pub sector_turnover_cents: Option<Cents>,
    pub sector_companies: Option<i32>,
    pub sector_source: Option<String>,
    pub sector_year: Option<i32>,
    pub management_fte_hundredths: Option<i32>,
    pub services: Vec<String>,
    pub founded_on: Option<NaiveDate>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The singleton's key.
pub const ID: i16 = 1;
