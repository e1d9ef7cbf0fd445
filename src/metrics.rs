//! Prometheus metrics of one server instance: a registry per instance (not a process-wide
//! global), so several instances in one process, as in the tests, keep separate figures.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Labels of HTTP request counts.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// Matched route pattern (`/users/{id}/`), or `unmatched`.
    pub route: String,
    /// HTTP method.
    pub method: String,
    /// Response status code.
    pub status: u16,
}

/// Labels of request latencies.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// Matched route pattern.
    pub route: String,
    /// HTTP method.
    pub method: String,
}

/// Labels of GraphQL operations.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    /// Root field of the operation (`login`, `me`, …): bounded by the schema, unlike
    /// client-chosen operation names.
    pub field: String,
    /// `ok` or the first error code.
    pub outcome: String,
}

/// Labels of login attempts.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LoginLabels {
    /// `success` or `failure`.
    pub outcome: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.5 ms to ~16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// Every metric of one instance.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// HTTP requests by route, method and status.
    pub requests: Family<RequestLabels, Counter>,
    /// HTTP request latency by route and method.
    pub latency: HistogramFamily<RouteLabels>,
    /// GraphQL operations by root field and outcome.
    pub graphql_operations: Family<OperationLabels, Counter>,
    /// Login attempts by outcome.
    pub logins: Family<LoginLabels, Counter>,
    /// SQL statements executed.
    pub db_statements: Counter<u64, AtomicU64>,
    /// SQL statements that failed.
    pub db_statement_errors: Counter<u64, AtomicU64>,
    /// Password-hash jobs queued or running (set at scrape time).
    pub hash_pending: Gauge<i64, std::sync::atomic::AtomicI64>,
    /// Database connections open (set at scrape time).
    pub db_connections: Gauge<i64, std::sync::atomic::AtomicI64>,
    /// Database connections idle (set at scrape time).
    pub db_connections_idle: Gauge<i64, std::sync::atomic::AtomicI64>,
    /// Configured pool maximum.
    pub db_connections_max: Gauge<i64, std::sync::atomic::AtomicI64>,
}

impl Metrics {
    /// A registry with every metric registered.
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("authgraph");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status",
            requests.clone(),
        );
        let latency: HistogramFamily<RouteLabels> = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        let graphql_operations = Family::<OperationLabels, Counter>::default();
        registry.register(
            "graphql_operations",
            "GraphQL operations by root field and outcome",
            graphql_operations.clone(),
        );
        let logins = Family::<LoginLabels, Counter>::default();
        registry.register("logins", "Login attempts by outcome", logins.clone());
        let db_statements = Counter::<u64, AtomicU64>::default();
        registry.register(
            "db_statements",
            "SQL statements executed",
            db_statements.clone(),
        );
        let db_statement_errors = Counter::<u64, AtomicU64>::default();
        registry.register(
            "db_statement_errors",
            "SQL statements that failed",
            db_statement_errors.clone(),
        );
        let hash_pending = Gauge::default();
        registry.register(
            "password_hash_pending",
            "Password hash jobs queued or running",
            hash_pending.clone(),
        );
        let db_connections = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Database connections open",
            db_connections.clone(),
        );
        let db_connections_idle = Gauge::default();
        registry.register(
            "db_pool_idle_connections",
            "Database connections idle",
            db_connections_idle.clone(),
        );
        let db_connections_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "Database pool size limit",
            db_connections_max.clone(),
        );
        Arc::new(Self {
            registry,
            requests,
            latency,
            graphql_operations,
            logins,
            db_statements,
            db_statement_errors,
            hash_pending,
            db_connections,
            db_connections_idle,
            db_connections_max,
        })
    }

    /// Counts one login attempt.
    pub fn login(&self, success: bool) {
        let outcome = if success { "success" } else { "failure" };
        self.logins.get_or_create(&LoginLabels { outcome }).inc();
    }

    /// SQL statements executed so far.
    pub fn statements(&self) -> u64 {
        self.db_statements.get()
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            tracing::error!("could not encode metrics");
        }
        out
    }
}
