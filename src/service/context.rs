//! `Services`: what every operation needs (database, hasher, keys, rules), built once.

use std::path::PathBuf;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::auth::password::PasswordHasher;
use crate::auth::policy::PasswordPolicy;
use crate::auth::tokens::JwtKeys;

/// Shared handles and settings of the service layer. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Services {
    /// Database pool.
    pub db: DatabaseConnection,
    /// argon2id pool.
    pub hasher: PasswordHasher,
    /// Access-token keys.
    pub jwt: JwtKeys,
    /// Rules for new passwords.
    pub policy: PasswordPolicy,
    /// How long a session lives after its last refresh.
    pub refresh_ttl: Duration,
    /// Whether every signed-in user may list all users.
    pub open_user_directory: bool,
    /// Where profile pictures are stored.
    pub media_dir: PathBuf,
    /// Metrics of this instance (login outcomes).
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Per-IP rate limits of this instance.
    pub rate_limits: std::sync::Arc<super::limits::RateLimits>,
    /// Back-off after failed logins.
    pub lockout: super::limits::LockoutSettings,
    /// Limits on uploaded pictures.
    pub image_limits: crate::media::ImageLimits,
}

/// Where a request came from, recorded on the sessions it creates.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// Client IP address.
    pub ip: Option<String>,
    /// `User-Agent` header.
    pub user_agent: Option<String>,
}
