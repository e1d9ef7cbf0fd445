//! Prometheus metrics at `/metrics` (text exposition format).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::state::AppState;

/// Counters shared by the whole process.
#[derive(Debug, Default)]
pub struct Metrics {
    /// SQL statements executed (counted by sea-orm's metric callback).
    pub db_statements: AtomicU64,
    /// SQL statements that failed.
    pub db_statement_errors: AtomicU64,
}

impl Metrics {
    /// A fresh set of counters.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let m = &state.metrics;
    let mut out = String::with_capacity(1024);
    let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    };
    metric(
        "authgraph_db_statements_total",
        "counter",
        "SQL statements executed.",
        m.db_statements.load(Ordering::Relaxed),
    );
    metric(
        "authgraph_db_statement_errors_total",
        "counter",
        "SQL statements that failed.",
        m.db_statement_errors.load(Ordering::Relaxed),
    );
    metric(
        "authgraph_password_hash_pending",
        "gauge",
        "Password hash jobs queued or running.",
        state.services.hasher.pending() as u64,
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
}
