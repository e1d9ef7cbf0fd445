//! simplejwt-style API (seeds/001): `/api/refresh/` rotates the opaque refresh token,
//! `/api/me/` reads and updates the signed-in user. Register, login and logout are shared
//! paths (`shared`).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use entity::user;
use serde_json::{json, Value};

use super::body::LegacyBody;
use super::error::{RestError, RestResult};
use super::shared::email;
use super::{check, route};
use crate::http::credentials::RequestCredentials;
use crate::service::accounts::{self, ProfileChanges};
use crate::service::{sessions, FieldErrors};
use crate::state::AppState;

/// The simplejwt routes (besides the shared ones).
pub fn routes() -> Router<AppState> {
    let router = route(Router::new(), "/api/refresh/", post(post_refresh));
    route(router, "/api/me/", get(get_me).put(put_me).patch(put_me))
}

fn user_json(user: &user::Model) -> Value {
    json!({ "id": user.id, "username": user.username, "email": email(user) })
}

async fn post_refresh(
    State(state): State<AppState>,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<Json<Value>> {
    let mut errors = FieldErrors::new();
    let token = body.required("refresh_token", &mut errors);
    check(errors)?;
    let token = token.ok_or_else(|| RestError::bad_request("refresh_token is required."))?;
    let (_, tokens) = sessions::refresh(&state.services, &token, &caller.client).await?;
    Ok(Json(json!({
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
    })))
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
        ..Default::default()
    };
    check(errors)?;
    let user = accounts::update_me(&state.services, &caller.auth, changes).await?;
    Ok(Json(user_json(&user)))
}
