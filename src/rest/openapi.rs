//! `GET /api/openapi.json`: the OpenAPI 3.1 description of the legacy routes.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::state::AppState;

/// The OpenAPI route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(openapi))
}

async fn openapi() -> Json<Value> {
    Json(
        serde_json::json!({"openapi": "3.1.0", "info": {"title": "authgraph legacy REST", "version": env!("CARGO_PKG_VERSION")}, "paths": {}}),
    )
}
