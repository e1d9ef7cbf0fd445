//! The one error vocabulary of the service layer. GraphQL (`graphql::error`) and the REST
//! adapters map these variants once each to their wire forms.

use std::collections::BTreeMap;

use serde::Serialize;

/// Messages per input field, keyed by the canonical (snake_case) field name.
///
/// GraphQL renders the keys in camelCase as `extensions.fields`; REST answers the map as
/// its DRF-style 400 body. Whole-request errors use [`FieldErrors::NON_FIELD`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    /// DRF's key for errors that concern the whole request.
    pub const NON_FIELD: &'static str = "non_field_errors";

    /// An empty set of errors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one message for `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// Adds several messages for `field`.
    pub fn extend(&mut self, field: &str, messages: impl IntoIterator<Item = String>) {
        for message in messages {
            self.add(field, message);
        }
    }

    /// A set holding one message for one field.
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    /// True when no message was added.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The messages by field.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<String>)> {
        self.0.iter()
    }

    /// The messages of one field.
    pub fn get(&self, field: &str) -> Option<&Vec<String>> {
        self.0.get(field)
    }

    /// `Ok(())` when empty, otherwise the errors as [`ServiceError::InvalidInput`].
    pub fn into_result(self) -> Result<(), ServiceError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::InvalidInput(self))
        }
    }
}

/// Why a service operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No credentials, or credentials that are not (or no longer) valid. HTTP 401.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Username/password pair refused (unknown user, wrong password or inactive account,
    /// deliberately indistinguishable). GraphQL: UNAUTHENTICATED; REST: 400 non_field_errors.
    #[error("Unable to log in with provided credentials.")]
    InvalidCredentials,
    /// Signed in, but not allowed to do this. HTTP 403.
    #[error("You do not have permission to perform this action.")]
    Forbidden,
    /// The input broke one or more rules. HTTP 400.
    #[error("The input is not valid.")]
    InvalidInput(FieldErrors),
    /// The named object does not exist (or is not visible to the caller). HTTP 404.
    #[error("{0} not found.")]
    NotFound(&'static str),
    /// Too many attempts; retry after the given number of seconds. HTTP 429.
    #[error("Too many requests. Try again in {retry_after_secs} seconds.")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// A dependency (database, hashing pool) cannot take the request now. HTTP 503.
    #[error("The service is temporarily unavailable. Try again shortly.")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A bug or an unexpected failure; logged in full, answered opaquely. HTTP 500.
    #[error("Internal server error.")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ServiceError {
    /// The contract's error code (`extensions.code` in GraphQL).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) | Self::InvalidCredentials => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::InvalidInput(_) => "BAD_USER_INPUT",
            Self::NotFound(_) => "NOT_FOUND",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// Shorthand for a one-field input error.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::InvalidInput(FieldErrors::single(field, message))
    }

    /// Wraps an unexpected error.
    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(error))
    }
}

impl From<sea_orm::DbErr> for ServiceError {
    fn from(error: sea_orm::DbErr) -> Self {
        // Pool exhausted or database unreachable: a transient condition, not a bug.
        if crate::db::is_connectivity(&error) {
            Self::Unavailable(Box::new(error))
        } else {
            Self::Internal(Box::new(error))
        }
    }
}

/// Maps a unique-constraint violation to the field error of the first `(needle, field,
/// message)` whose needle occurs in the database's message; any other error passes through.
/// Both SQLite (`UNIQUE constraint failed: users.email_key`) and PostgreSQL (`... constraint
/// "idx-users-email_key"`) name the column, so the needle is the column name.
pub fn on_unique_violation(error: sea_orm::DbErr, rules: &[(&str, &str, &str)]) -> ServiceError {
    if let Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) = error.sql_err() {
        for (needle, field, text) in rules {
            if message.contains(needle) {
                return ServiceError::field(field, *text);
            }
        }
    }
    error.into()
}

/// Result alias of the service layer.
pub type ServiceResult<T> = Result<T, ServiceError>;
