//! `/metrics` (Prometheus text format) and the middleware that counts and times requests.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::metrics::{RequestLabels, RouteLabels};
use crate::state::AppState;

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let m = &state.metrics;
    m.hash_pending
        .set(i64::try_from(state.services.hasher.pending()).unwrap_or(i64::MAX));
    let (size, idle) = crate::db::pool_usage(&state.services.db);
    m.db_connections.set(i64::from(size));
    m.db_connections_idle
        .set(i64::try_from(idle).unwrap_or(i64::MAX));
    m.db_connections_max
        .set(i64::from(state.settings.db_max_connections));
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.render(),
    )
}

/// Middleware: counts requests by matched route, method and status, and times them.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state
        .metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
            method: method.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status,
        })
        .inc();
    response
}
