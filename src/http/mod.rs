//! HTTP plumbing shared by every route: credentials, health, metrics.

pub mod credentials;
pub mod csrf;
pub mod health;
pub mod metrics;
pub mod security;
