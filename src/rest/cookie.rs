//! Cookie-style API (seeds/003): `/api/token/` sets HttpOnly access and refresh cookies,
//! `/api/token/refresh/` re-issues them, `/api/change-password/`, and the hyperlinked
//! `/users/…` and `/groups/…` resources. Register and logout are shared paths.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use entity::{group, user};
use secrecy::SecretString;
use serde_json::{json, Value};

use super::body::LegacyBody;
use super::error::{RestError, RestResult};
use super::shared::{email, group_ids, visible_users};
use super::{base_url, check, cookies, credentials, route};
use crate::http::credentials::RequestCredentials;
use crate::service::accounts::{self, AdminChanges, ProfileChanges};
use crate::service::types::NameInput;
use crate::service::{groups, sessions, users, FieldErrors, ServiceError};
use crate::state::AppState;

const NO_SUCH_USER: &str = "No User matches the given query.";

/// The cookie-API routes (besides the shared ones).
pub fn routes() -> Router<AppState> {
    let router = route(Router::new(), "/api/token/", post(post_token));
    let router = route(router, "/api/token/refresh/", post(post_token_refresh));
    let router = route(router, "/api/change-password/", post(post_change_password));
    let router = route(router, "/users/", get(get_users));
    let router = route(
        router,
        "/users/{id}/",
        get(get_user)
            .patch(patch_user)
            .put(patch_user)
            .delete(delete_user),
    );
    let router = route(router, "/groups/", get(get_groups));
    route(router, "/groups/{id}/", get(get_group))
}

fn no_such_user(error: ServiceError) -> RestError {
    match error {
        ServiceError::NotFound(_) => {
            RestError::Body(StatusCode::NOT_FOUND, json!({ "detail": NO_SUCH_USER }))
        }
        other => other.into(),
    }
}

fn parse_path_id(raw: &str) -> Result<i64, RestError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| RestError::Body(StatusCode::NOT_FOUND, json!({ "detail": NO_SUCH_USER })))
}

fn hyperlinked(base: &str, user: &user::Model, groups: &[group::Model]) -> Value {
    json!({
        "url": format!("{base}/users/{}/", user.id),
        "id": user.id,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": email(user),
        "is_active": user.is_active,
        "groups": groups.iter().map(|g| format!("{base}/groups/{}/", g.id)).collect::<Vec<_>>(),
    })
}

fn group_json(base: &str, group: &group::Model) -> Value {
    json!({ "url": format!("{base}/groups/{}/", group.id), "id": group.id, "name": group.name })
}

async fn hyperlinked_users(
    state: &AppState,
    base: &str,
    list: &[user::Model],
) -> RestResult<Vec<Value>> {
    let ids: Vec<i64> = list.iter().map(|u| u.id).collect();
    let mut by_user: HashMap<i64, Vec<group::Model>> =
        users::groups_for_users(&state.services.db, &ids).await?;
    Ok(list
        .iter()
        .map(|u| hyperlinked(base, u, &by_user.remove(&u.id).unwrap_or_default()))
        .collect())
}

async fn post_token(
    State(state): State<AppState>,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<Response> {
    let mut errors = FieldErrors::new();
    let credentials = credentials(&body, &mut errors, false);
    check(errors)?;
    let credentials = credentials.ok_or_else(|| RestError::bad_request("Invalid credentials."))?;
    match accounts::login(&state.services, credentials, &caller.client, false).await {
        Ok((user, tokens)) => {
            let groups = group_ids(&state.services, &user).await?;
            let headers = cookies::set(
                &tokens,
                state.settings.refresh_token_ttl_secs,
                state.settings.cookie_secure,
            );
            let body = json!({
                "success": true,
                "user": {
                    "username": user.username,
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "email": email(&user),
                    "is_active": user.is_active,
                    "groups": groups,
                }
            });
            Ok((headers, Json(body)).into_response())
        }
        Err(ServiceError::InvalidCredentials) => {
            Ok((StatusCode::UNAUTHORIZED, Json(json!({ "success": false }))).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn post_token_refresh(
    State(state): State<AppState>,
    caller: RequestCredentials,
) -> RestResult<Response> {
    let secure = state.settings.cookie_secure;
    let Some(token) = caller.refresh_cookie else {
        return Ok((
            StatusCode::UNAUTHORIZED,
            Json(json!({ "refreshed": false })),
        )
            .into_response());
    };
    match sessions::refresh(&state.services, &token, &caller.client).await {
        Ok((_, tokens)) => {
            let headers = cookies::set(&tokens, state.settings.refresh_token_ttl_secs, secure);
            Ok((headers, Json(json!({ "refreshed": true }))).into_response())
        }
        Err(ServiceError::Unauthenticated(_)) => Ok((
            StatusCode::UNAUTHORIZED,
            cookies::clear(secure),
            Json(json!({ "refreshed": false })),
        )
            .into_response()),
        Err(other) => Err(other.into()),
    }
}

async fn post_change_password(
    State(state): State<AppState>,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<Json<Value>> {
    caller.auth.require()?;
    let mut errors = FieldErrors::new();
    let old = body.required("old_password", &mut errors);
    let new = body.required("new_password", &mut errors);
    check(errors)?;
    let (Some(old), Some(new)) = (old, new) else {
        return Err(RestError::bad_request("Both passwords are required."));
    };
    accounts::change_password(
        &state.services,
        &caller.auth,
        SecretString::from(old),
        SecretString::from(new),
        &caller.client,
    )
    .await?;
    Ok(Json(json!({ "message": "Password updated successfully" })))
}

async fn get_users(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: RequestCredentials,
) -> RestResult<Json<Value>> {
    let list = visible_users(&state.services, &caller.auth).await?;
    let base = base_url(&headers);
    Ok(Json(Value::Array(
        hyperlinked_users(&state, &base, &list).await?,
    )))
}

async fn get_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: RequestCredentials,
    Path(id): Path<String>,
) -> RestResult<Json<Value>> {
    caller.auth.require()?;
    let id = parse_path_id(&id)?;
    let user = users::get_user(&state.services, &caller.auth, id)
        .await?
        .ok_or(ServiceError::NotFound("User"))
        .map_err(no_such_user)?;
    let base = base_url(&headers);
    let mut list = hyperlinked_users(&state, &base, std::slice::from_ref(&user)).await?;
    Ok(Json(list.pop().unwrap_or(Value::Null)))
}

async fn patch_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: RequestCredentials,
    Path(id): Path<String>,
    body: LegacyBody,
) -> RestResult<Json<Value>> {
    caller.auth.require()?;
    let id = parse_path_id(&id)?;
    let mut errors = FieldErrors::new();
    let changes = AdminChanges {
        profile: ProfileChanges {
            email: body.patch("email", &mut errors),
            names: NameInput {
                first_name: body.string("first_name", &mut errors),
                last_name: body.string("last_name", &mut errors),
                full_name: None,
            },
            ..Default::default()
        },
        is_active: body.boolean("is_active", &mut errors),
        ..Default::default()
    };
    check(errors)?;
    let user = accounts::update_user_as_caller(&state.services, &caller.auth, id, changes)
        .await
        .map_err(no_such_user)?;
    let base = base_url(&headers);
    let mut list = hyperlinked_users(&state, &base, std::slice::from_ref(&user)).await?;
    Ok(Json(list.pop().unwrap_or(Value::Null)))
}

async fn delete_user(
    State(state): State<AppState>,
    caller: RequestCredentials,
    Path(id): Path<String>,
) -> RestResult<StatusCode> {
    caller.auth.require()?;
    let id = parse_path_id(&id)?;
    accounts::delete_user_as_caller(&state.services, &caller.auth, id)
        .await
        .map_err(no_such_user)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_groups(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: RequestCredentials,
) -> RestResult<Json<Value>> {
    let list = groups::list_groups(&state.services, &caller.auth).await?;
    let base = base_url(&headers);
    Ok(Json(list.iter().map(|g| group_json(&base, g)).collect()))
}

async fn get_group(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: RequestCredentials,
    Path(id): Path<String>,
) -> RestResult<Json<Value>> {
    caller.auth.require()?;
    let id = id.parse::<i64>().map_err(|_| RestError::not_found())?;
    let group = groups::get_group(&state.services, &caller.auth, id)
        .await?
        .ok_or_else(RestError::not_found)?;
    Ok(Json(group_json(&base_url(&headers), &group)))
}
