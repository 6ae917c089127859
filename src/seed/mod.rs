//! Demo and scale data: `agrupa seed demo` (an audiovisual cluster in Madrid, in Spanish;
//! idempotent) and `agrupa seed synthetic --members N` (fast bulk data for benchmarks).

pub mod demo;
pub mod demo_budget;
pub mod demo_cluster;
pub mod demo_funding;
pub mod demo_governance;
pub mod demo_plan;
pub mod plan_data;
pub mod synthetic;

use uuid::Uuid;

/// A stable id for a piece of demo data, so that seeding twice changes nothing.
pub fn stable_id(kind: &str, key: &str) -> Uuid {
    const NAMESPACE: Uuid = Uuid::from_u128(0x6167_7275_7061_2d64_656d_6f2d_7365_6564);
    Uuid::new_v5(&NAMESPACE, format!("{kind}:{key}").as_bytes())
}
