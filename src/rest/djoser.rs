//! djoser (seeds/000): `/auth/users/…` and `/auth/token/login|logout/` with DRF tokens
//! (`Authorization: Token <key>`), valid until logout or password change.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use entity::user;
use secrecy::SecretString;
use serde_json::{json, Value};

use super::body::LegacyBody;
use super::error::{RestError, RestResult};
use super::shared::{email, visible_users};
use super::{check, credentials, registration, route};
use crate::http::credentials::RequestCredentials;
use crate::service::accounts::{self, ProfileChanges};
use crate::service::types::NameInput;
use crate::service::{sessions, FieldErrors};
use crate::state::AppState;

/// The djoser routes.
pub fn routes() -> Router<AppState> {
    let router = route(
        Router::new(),
        "/auth/users/",
        post(post_users).get(get_users),
    );
    let router = route(
        router,
        "/auth/users/me/",
        get(get_me)
            .post(get_me)
            .put(put_me)
            .patch(put_me)
            .delete(delete_me),
    );
    let router = route(router, "/auth/token/login/", post(post_token_login));
    route(router, "/auth/token/logout/", post(post_token_logout))
}

fn user_json(user: &user::Model) -> Value {
    json!({
        "first_name": user.first_name,
        "last_name": user.last_name,
        "codename": user.codename,
        "id": user.id,
        "email": email(user),
    })
}

async fn post_users(
    State(state): State<AppState>,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<Response> {
    let mut errors = FieldErrors::new();
    let registration = registration(&body, &mut errors);
    check(errors)?;
    let registration =
        registration.ok_or_else(|| RestError::bad_request("Invalid registration."))?;
    let user = accounts::register(&state.services, registration, &caller.client).await?;
    Ok((StatusCode::CREATED, Json(user_json(&user))).into_response())
}

async fn get_users(
    State(state): State<AppState>,
    caller: RequestCredentials,
) -> RestResult<Json<Value>> {
    let users = visible_users(&state.services, &caller.auth).await?;
    Ok(Json(users.iter().map(user_json).collect()))
}

async fn get_me(caller: RequestCredentials) -> RestResult<Json<Value>> {
    Ok(Json(user_json(&caller.auth.require()?.user)))
}

async fn put_me(
    State(state): State<AppState>,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<Json<Value>> {
    caller.auth.require()?;
    let mut errors = FieldErrors::new();
    let changes = ProfileChanges {
        username: body.string("username", &mut errors),
        email: body.patch("email", &mut errors),
        names: NameInput {
            first_name: body.string("first_name", &mut errors),
            last_name: body.string("last_name", &mut errors),
            full_name: None,
        },
        codename: body.patch("codename", &mut errors),
        ..Default::default()
    };
    check(errors)?;
    let user = accounts::update_me(&state.services, &caller.auth, changes).await?;
    Ok(Json(user_json(&user)))
}

async fn delete_me(
    State(state): State<AppState>,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<StatusCode> {
    caller.auth.require()?;
    let mut errors = FieldErrors::new();
    let password = body.required("current_password", &mut errors);
    check(errors)?;
    let password =
        password.ok_or_else(|| RestError::bad_request("current_password is required."))?;
    accounts::delete_me(&state.services, &caller.auth, SecretString::from(password)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn post_token_login(
    State(state): State<AppState>,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<Json<Value>> {
    let mut errors = FieldErrors::new();
    let credentials = credentials(&body, &mut errors, false);
    check(errors)?;
    let credentials = credentials.ok_or_else(|| RestError::bad_request("Invalid credentials."))?;
    let (_, token) = accounts::login_legacy(&state.services, credentials, &caller.client).await?;
    Ok(Json(json!({ "auth_token": token })))
}

async fn post_token_logout(
    State(state): State<AppState>,
    caller: RequestCredentials,
) -> RestResult<StatusCode> {
    caller.auth.require()?;
    sessions::logout(&state.services, &caller.auth, None, false).await?;
    Ok(StatusCode::NO_CONTENT)
}
