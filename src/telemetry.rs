//! Logging setup: human-readable lines by default, one JSON object per line with
//! `AGRUPA_LOG_FORMAT=json`. Never log passwords, tokens or personal data.

use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

/// Installs the global subscriber (a second call does nothing, which tests rely on).
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let result = match format {
        LogFormat::Pretty => fmt().with_env_filter(filter).with_target(true).try_init(),
        LogFormat::Json => fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .try_init(),
    };
    // Already installed (tests build several applications in one process).
    drop(result);
}
