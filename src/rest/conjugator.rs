//! Conjugator API (seeds/002): `/api/user/` reads and updates the signed-in user,
//! `/api/admin/users` lists users for admins. Register and login are shared paths; its
//! `token` is a DRF token used as `Authorization: Token <key>`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use entity::user;
use serde_json::{json, Value};

use super::body::LegacyBody;
use super::error::RestResult;
use super::shared::{email, visible_users};
use super::{check, route};
use crate::http::credentials::RequestCredentials;
use crate::service::accounts::{self, ProfileChanges};
use crate::service::types::NameInput;
use crate::service::FieldErrors;
use crate::state::AppState;

/// The conjugator routes (besides the shared ones).
pub fn routes() -> Router<AppState> {
    let router = route(
        Router::new(),
        "/api/user/",
        get(get_user).put(put_user).patch(put_user),
    );
    route(router, "/api/admin/users", get(get_admin_users))
}

fn user_json(user: &user::Model) -> Value {
    json!({
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": email(user),
    })
}

async fn get_user(caller: RequestCredentials) -> RestResult<Json<Value>> {
    Ok(Json(user_json(&caller.auth.require()?.user)))
}

async fn put_user(
    State(state): State<AppState>,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<Json<Value>> {
    caller.auth.require()?;
    let mut errors = FieldErrors::new();
    let changes = ProfileChanges {
        email: body.patch("email", &mut errors),
        names: NameInput {
            first_name: body.string("first_name", &mut errors),
            last_name: body.string("last_name", &mut errors),
            full_name: None,
        },
        ..Default::default()
    };
    check(errors)?;
    let user = accounts::update_me(&state.services, &caller.auth, changes).await?;
    Ok(Json(user_json(&user)))
}

async fn get_admin_users(
    State(state): State<AppState>,
    caller: RequestCredentials,
) -> RestResult<Json<Value>> {
    caller.auth.require_admin()?;
    let users = visible_users(&state.services, &caller.auth).await?;
    Ok(Json(users.iter().map(user_json).collect()))
}
