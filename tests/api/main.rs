//! Black-box tests: the real application over real HTTP on a real PostgreSQL.
//! One binary; each test gets its own database cloned from a migrated template.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod auth;
mod backup;
mod bdns;
mod bounds;
mod budgets;
mod contract;
mod errors;
mod european_profile;
mod faults;
mod funding;
mod governance;
mod health;
mod helpers;
mod idempotency;
mod members;
mod openapi;
mod plans;
mod printing;
mod process;
mod replicas;
mod reports;
mod roles;
mod seed;
mod sign_out;
mod signin_limits;
mod support;
mod transparency;
mod users;
mod webhooks;
