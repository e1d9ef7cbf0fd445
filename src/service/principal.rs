//! Who is calling: the outcome of checking a request's credentials.

use entity::user;

use super::error::{ServiceError, ServiceResult};

/// Message for requests without credentials (DRF's wording).
pub const NOT_PROVIDED: &str = "Authentication credentials were not provided.";
/// Message for credentials that are malformed, forged, expired or revoked.
pub const INVALID_TOKEN: &str = "Given token not valid for any token type";

/// Message for refresh tokens that are unknown, spent, revoked or expired.
pub const INVALID_REFRESH: &str = "Token is invalid or expired";

/// A signed-in user and the session their credentials belong to.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user, as loaded when the credentials were checked.
    pub user: user::Model,
    /// The live session the credentials belong to.
    pub session_id: String,
}

impl Principal {
    /// The user's id.
    pub fn id(&self) -> i64 {
        self.user.id
    }

    /// Whether the user is an administrator.
    pub fn is_admin(&self) -> bool {
        self.user.is_admin
    }
}

/// The authentication state of a request.
// One value per request, moved rather than copied around: boxing the principal would only
// add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Default)]
pub enum Auth {
    /// No credentials were presented.
    #[default]
    Anonymous,
    /// Valid credentials of a live session.
    User(Principal),
    /// Credentials were presented but refused.
    Invalid,
}

impl Auth {
    /// The principal, or `Unauthenticated`.
    pub fn require(&self) -> ServiceResult<&Principal> {
        match self {
            Self::User(principal) => Ok(principal),
            Self::Anonymous => Err(ServiceError::Unauthenticated(NOT_PROVIDED)),
            Self::Invalid => Err(ServiceError::Unauthenticated(INVALID_TOKEN)),
        }
    }

    /// The principal if it is an admin; `Forbidden` for other users.
    pub fn require_admin(&self) -> ServiceResult<&Principal> {
        let principal = self.require()?;
        if principal.is_admin() {
            Ok(principal)
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    /// The principal, if any.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Self::User(principal) => Some(principal),
            _ => None,
        }
    }
}
