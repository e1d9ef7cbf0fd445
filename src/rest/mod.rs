//! Legacy REST compatibility: the five Django REST Framework APIs of `shared/seeds/`, each in
//! its own module of thin adapters over the service layer, switchable by
//! `AUTHGRAPH_LEGACY_APIS`. Paths shared by several APIs are served once, by `shared`.

pub mod body;
pub mod conjugator;
pub mod cookie;
pub mod cookies;
pub mod djoser;
pub mod error;
pub mod openapi;
pub mod shared;
pub mod simplejwt;
pub mod users_service;

use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::json;

use crate::config::Settings;
use crate::service::accounts::{Credentials, LoginName, Registration};
use crate::service::types::NameInput;
use crate::service::FieldErrors;
use crate::state::AppState;
use body::LegacyBody;
use error::RestError;

/// The legacy API names accepted by `AUTHGRAPH_LEGACY_APIS`.
pub const API_NAMES: [&str; 5] = [
    "djoser",
    "simplejwt",
    "conjugator",
    "cookie",
    "users_service",
];

fn enabled(settings: &Settings, name: &str) -> bool {
    settings
        .legacy_apis
        .iter()
        .any(|api| api.trim().eq_ignore_ascii_case(name))
}

/// The legacy routes enabled in `settings`.
pub fn routes(settings: &Settings) -> Router<AppState> {
    let mut router = Router::new();
    let on = |name| enabled(settings, name);
    if on("djoser") {
        router = router.merge(djoser::routes());
    }
    if on("simplejwt") {
        router = router.merge(simplejwt::routes());
    }
    if on("conjugator") {
        router = router.merge(conjugator::routes());
    }
    if on("cookie") {
        router = router.merge(cookie::routes());
    }
    if on("users_service") {
        router = router.merge(users_service::routes(settings));
    }
    if on("simplejwt") || on("conjugator") || on("cookie") {
        router = router.merge(shared::register_routes());
    }
    if on("simplejwt") || on("conjugator") {
        router = router.merge(shared::login_routes());
    }
    if on("simplejwt") || on("cookie") {
        router = router.merge(shared::logout_routes());
    }
    router.merge(openapi::routes())
}

/// Mounts `methods` at `path` with and without the trailing slash; other methods get DRF's 405.
pub(crate) fn route(
    router: Router<AppState>,
    path: &str,
    methods: MethodRouter<AppState>,
) -> Router<AppState> {
    let methods = methods.fallback(method_not_allowed);
    let bare = path.trim_end_matches('/');
    router
        .route(&format!("{bare}/"), methods.clone())
        .route(bare, methods)
}

async fn method_not_allowed(method: Method) -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({ "detail": format!("Method \"{method}\" not allowed.") })),
    )
        .into_response()
}

/// DRF's answer for unknown paths.
pub async fn not_found() -> Response {
    RestError::not_found().into_response()
}

/// `scheme://host` of the request, for absolute URLs in responses.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|proto| *proto == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// `{"field": [...]}` 400 when the adapter itself found problems.
pub(crate) fn check(errors: FieldErrors) -> Result<(), RestError> {
    errors.into_result().map_err(RestError::from)
}

/// Login credentials from `username` and/or `email` plus `password`.
pub(crate) fn credentials(
    body: &LegacyBody,
    errors: &mut FieldErrors,
    email_field: bool,
) -> Option<Credentials> {
    let username = body.string("username", errors);
    let email = body.string("email", errors);
    let password = body.required("password", errors);
    let name = match (email, username) {
        (Some(email), _) if !email.trim().is_empty() => Some(LoginName::Email(email)),
        (_, Some(username)) if !username.trim().is_empty() => {
            Some(LoginName::UsernameOrEmail(username))
        }
        _ => {
            errors.add(
                if email_field { "email" } else { "username" },
                body::REQUIRED,
            );
            None
        }
    };
    Some(Credentials {
        name: Some(name?),
        password: SecretString::from(password?),
    })
}

/// A registration from the union of the legacy registration fields.
pub(crate) fn registration(body: &LegacyBody, errors: &mut FieldErrors) -> Option<Registration> {
    let password = body.required("password", errors);
    let mut group_ids = body.ids("groups", errors);
    group_ids.extend(body.ids("group_ids", errors));
    let registration = Registration {
        username: body.string("username", errors),
        email: body.string("email", errors),
        password: SecretString::from(password?),
        names: NameInput {
            first_name: body.string("first_name", errors),
            last_name: body.string("last_name", errors),
            full_name: body.string("full_name", errors),
        },
        codename: body.string("codename", errors),
        group_ids,
        profile_pic: body.files.get("profile_pic").cloned(),
    };
    Some(registration)
}
