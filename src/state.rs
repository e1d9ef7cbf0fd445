//! `AppState`: what every handler can reach.

use std::sync::Arc;

use crate::config::Settings;
use crate::graphql::AuthSchema;
use crate::metrics::Metrics;
use crate::service::Services;

/// Shared state of the HTTP app. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The service layer.
    pub services: Services,
    /// The GraphQL schema, with `services` in its data.
    pub schema: AuthSchema,
    /// Settings the server started with.
    pub settings: Arc<Settings>,
    /// Process-wide counters.
    pub metrics: Arc<Metrics>,
}
