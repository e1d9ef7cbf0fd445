//! The paths several legacy APIs share (LEGACY-REST.md): one route each, accepting the union
//! of the documented request fields and answering the union of the documented responses.
//! `/api/register/` (simplejwt, conjugator, cookie), `/api/login/` (simplejwt, conjugator),
//! `/api/logout/` (simplejwt, cookie).

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use entity::user;
use serde_json::{json, Value};

use super::body::LegacyBody;
use super::error::{RestError, RestResult};
use super::{check, cookies, credentials, registration, route};
use crate::http::credentials::RequestCredentials;
use crate::service::{accounts, sessions, users, Auth, FieldErrors, ServiceError, Services};
use crate::state::AppState;

/// Conjugator's wording of the bad-credentials message on `/api/login/`.
const CONJUGATOR_BAD_LOGIN: &str = "Unable to login with provided credentials.";

/// `POST /api/register/`.
pub fn register_routes() -> Router<AppState> {
    route(Router::new(), "/api/register/", post(post_register))
}

/// `POST /api/login/`.
pub fn login_routes() -> Router<AppState> {
    route(Router::new(), "/api/login/", post(post_login))
}

/// `POST /api/logout/`.
pub fn logout_routes() -> Router<AppState> {
    route(Router::new(), "/api/logout/", post(post_logout))
}

/// Ids of the groups `user` belongs to.
pub(crate) async fn group_ids(services: &Services, user: &user::Model) -> RestResult<Vec<i64>> {
    let mut groups = users::groups_for_users(&services.db, &[user.id]).await?;
    Ok(groups
        .remove(&user.id)
        .unwrap_or_default()
        .into_iter()
        .map(|g| g.id)
        .collect())
}

/// Every user the caller may see, in id order (legacy lists are unpaginated; this walks the
/// keyset pages).
pub(crate) async fn visible_users(
    services: &Services,
    auth: &Auth,
) -> RestResult<Vec<user::Model>> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let request = users::PageRequest {
            first: Some(users::MAX_PAGE_SIZE as i64),
            after: after.take(),
            search: None,
        };
        let page = users::list_users(services, auth, &request).await?;
        after = page.users.last().map(users::cursor_for);
        all.extend(page.users);
        if !page.has_next_page {
            return Ok(all);
        }
    }
}

/// Registration errors use the legacy field name `groups` for group ids.
pub(crate) fn legacy_group_field(error: ServiceError) -> ServiceError {
    match error {
        ServiceError::InvalidInput(fields) => {
            let mut renamed = FieldErrors::new();
            for (field, messages) in fields.iter() {
                let field = if field == "group_ids" {
                    "groups"
                } else {
                    field.as_str()
                };
                renamed.extend(field, messages.iter().cloned());
            }
            ServiceError::InvalidInput(renamed)
        }
        other => other,
    }
}

async fn post_register(
    State(state): State<AppState>,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<Response> {
    let mut errors = FieldErrors::new();
    let registration = registration(&body, &mut errors);
    check(errors)?;
    let Some(registration) = registration else {
        return Err(RestError::bad_request("Invalid registration."));
    };
    let user = accounts::register(&state.services, registration, &caller.client)
        .await
        .map_err(legacy_group_field)?;
    let groups = group_ids(&state.services, &user).await?;
    let body = json!({
        "id": user.id,
        "username": user.username,
        "email": user.email.clone().unwrap_or_default(),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        "groups": groups,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn post_login(
    State(state): State<AppState>,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<Response> {
    let mut errors = FieldErrors::new();
    let credentials = credentials(&body, &mut errors, true);
    check(errors)?;
    let Some(credentials) = credentials else {
        return Err(RestError::bad_request("Invalid credentials."));
    };
    match accounts::login(&state.services, credentials, &caller.client, true).await {
        Ok((_, tokens)) => Ok(Json(json!({
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "token": tokens.legacy_token,
        }))
        .into_response()),
        Err(ServiceError::InvalidCredentials) => Err(RestError::Body(
            StatusCode::BAD_REQUEST,
            json!({ "non_field_errors": [CONJUGATOR_BAD_LOGIN] }),
        )),
        Err(other) => Err(other.into()),
    }
}

async fn post_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<Response> {
    let services = &state.services;
    let mut errors = FieldErrors::new();
    let refresh_token = body.string("refresh_token", &mut errors);
    check(errors)?;
    if let Some(token) = refresh_token {
        // simplejwt: the body names the session to end.
        sessions::logout(services, &caller.auth, Some(&token), false).await?;
        return Ok(Json(json!({ "success": "User logged out." })).into_response());
    }
    let cookie_mode = !headers.contains_key(header::AUTHORIZATION)
        && (caller.via_cookie || caller.refresh_cookie.is_some());
    if cookie_mode {
        // cookie API: end whatever session the cookies name, and always drop the cookies.
        let result = sessions::logout(
            services,
            &caller.auth,
            caller.refresh_cookie.as_deref(),
            false,
        )
        .await;
        match result {
            Ok(()) | Err(ServiceError::Unauthenticated(_)) => {}
            Err(other) => return Err(other.into()),
        }
        let cleared = cookies::clear(state.settings.cookie_secure);
        return Ok((cleared, Json(json!({ "success": true }))).into_response());
    }
    sessions::logout(services, &caller.auth, None, false).await?;
    Ok(Json(json!({ "success": "User logged out." })).into_response())
}

/// The JSON `Value` of an optional email as Django stores it (blank, never null).
pub(crate) fn email(user: &user::Model) -> Value {
    Value::String(user.email.clone().unwrap_or_default())
}
