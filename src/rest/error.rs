//! ServiceError -> DRF-style status and body, mapped in this one place for every legacy route.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::service::principal::NOT_PROVIDED;
use crate::service::ServiceError;

/// A legacy route's failure.
#[derive(Debug)]
pub enum RestError {
    /// A service error, answered the DRF way.
    Service(ServiceError),
    /// A status with a ready body (request-shape problems found by the adapter).
    Body(StatusCode, Value),
}

impl From<ServiceError> for RestError {
    fn from(error: ServiceError) -> Self {
        Self::Service(error)
    }
}

impl RestError {
    /// 400 with a `detail` message.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::Body(StatusCode::BAD_REQUEST, json!({ "detail": detail.into() }))
    }

    /// 404 with DRF's body.
    pub fn not_found() -> Self {
        Self::Body(StatusCode::NOT_FOUND, json!({ "detail": "Not found." }))
    }
}

/// Result alias of REST handlers.
pub type RestResult<T> = Result<T, RestError>;

fn detail(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "detail": message }))).into_response()
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let error = match self {
            Self::Body(status, body) => return (status, Json(body)).into_response(),
            Self::Service(error) => error,
        };
        match &error {
            ServiceError::Unauthenticated(message) => {
                let body = if *message == NOT_PROVIDED {
                    json!({ "detail": message })
                } else {
                    json!({ "detail": message, "code": "token_not_valid" })
                };
                let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"api\""),
                );
                response
            }
            ServiceError::InvalidCredentials => (
                StatusCode::BAD_REQUEST,
                Json(json!({ "non_field_errors": [error.to_string()] })),
            )
                .into_response(),
            ServiceError::Forbidden => detail(StatusCode::FORBIDDEN, &error.to_string()),
            ServiceError::InvalidInput(fields) => {
                (StatusCode::BAD_REQUEST, Json(json!(fields))).into_response()
            }
            ServiceError::NotFound(_) => detail(StatusCode::NOT_FOUND, "Not found."),
            ServiceError::RateLimited { retry_after_secs } => {
                let mut response = detail(
                    StatusCode::TOO_MANY_REQUESTS,
                    &format!(
                        "Request was throttled. Expected available in {retry_after_secs} seconds."
                    ),
                );
                if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            ServiceError::Unavailable(source) => {
                tracing::error!(error = %source, "request failed: dependency unavailable");
                detail(StatusCode::SERVICE_UNAVAILABLE, &error.to_string())
            }
            ServiceError::Internal(source) => {
                tracing::error!(error = %source, "request failed: internal error");
                detail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "A server error occurred.",
                )
            }
        }
    }
}
