//! Cross-cutting HTTP machinery shared by every module: request ids, access logs,
//! problem+json for every error (including actix's own), and the 404/405 fallback.

pub mod csv;
pub mod etag;
pub mod extract;
pub mod fallback;
pub mod guard;
pub mod idempotency;
pub mod metrics;
pub mod pagination;
pub mod patch;
pub mod rate_limit;
pub mod request_id;
pub mod telemetry;

pub use request_id::RequestId;
