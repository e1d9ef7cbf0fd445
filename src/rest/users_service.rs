//! Users-service API (seeds/004): `/api/user/login|register|me|update|refresh/` with
//! `Authorization: JWT <access>`, multipart registration and update carrying `profile_pic`,
//! and the pictures themselves at `/api/user/media/<name>`.

use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use entity::user;
use secrecy::SecretString;
use serde_json::{json, Value};

use super::body::LegacyBody;
use super::error::{RestError, RestResult};
use super::shared::email;
use super::{base_url, check, credentials, registration, route};
use crate::config::Settings;
use crate::graphql::types::MEDIA_PATH;
use crate::http::credentials::RequestCredentials;
use crate::media;
use crate::service::accounts::{self, ProfileChanges};
use crate::service::types::{join_full_name, NameInput, Patch};
use crate::service::{sessions, FieldErrors};
use crate::state::AppState;

const NOT_A_FILE: &str = "The submitted data was not a file. Check the encoding type on the form.";

/// The users-service routes.
pub fn routes(settings: &Settings) -> Router<AppState> {
    // Uploads carry a picture: allow its size plus room for the other fields.
    let upload_limit = DefaultBodyLimit::max(settings.media_max_bytes.saturating_add(64 * 1024));
    let router = route(Router::new(), "/api/user/login/", post(post_login));
    let router = route(
        router,
        "/api/user/register/",
        post(post_register).layer(upload_limit),
    );
    let router = route(router, "/api/user/me/", get(get_me));
    let router = route(
        router,
        "/api/user/update/",
        axum::routing::put(put_update)
            .patch(put_update)
            .layer(upload_limit),
    );
    let router = route(router, "/api/user/refresh/", post(post_refresh));
    router.route("/api/user/media/{name}", get(get_media))
}

async fn get_media(
    State(state): State<AppState>,
    name: Result<Path<String>, PathRejection>,
) -> Response {
    match name {
        Ok(Path(name)) => media::serve_file(&state.settings.media_dir, &name).await,
        Err(_) => media::not_found(),
    }
}

fn user_json(base: &str, user: &user::Model) -> Value {
    json!({
        "id": user.id.to_string(),
        "full_name": join_full_name(&user.first_name, &user.last_name),
        "email": email(user),
        "profile_pic": user.profile_pic.as_ref().map(|name| format!("{base}{MEDIA_PATH}{name}")),
    })
}

async fn post_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<Json<Value>> {
    let mut errors = FieldErrors::new();
    let credentials = credentials(&body, &mut errors, true);
    check(errors)?;
    let credentials = credentials.ok_or_else(|| RestError::bad_request("Invalid credentials."))?;
    let (user, tokens) =
        accounts::login(&state.services, credentials, &caller.client, false).await?;
    Ok(Json(json!({
        "tokens": { "refresh": tokens.refresh_token, "access": tokens.access_token },
        "data": user_json(&base_url(&headers), &user),
    })))
}

fn reject_non_file(body: &LegacyBody, errors: &mut FieldErrors) {
    if let Some(value) = body.fields.get("profile_pic") {
        let blank = value.is_null() || value.as_str().is_some_and(|s| s.is_empty() || s == "null");
        if !blank {
            errors.add("profile_pic", NOT_A_FILE);
        }
    }
}

async fn post_register(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<Response> {
    let mut errors = FieldErrors::new();
    reject_non_file(&body, &mut errors);
    let registration = registration(&body, &mut errors);
    check(errors)?;
    let registration =
        registration.ok_or_else(|| RestError::bad_request("Invalid registration."))?;
    let user = accounts::register(&state.services, registration, &caller.client).await?;
    Ok((
        StatusCode::CREATED,
        Json(user_json(&base_url(&headers), &user)),
    )
        .into_response())
}

async fn get_me(headers: HeaderMap, caller: RequestCredentials) -> RestResult<Json<Value>> {
    Ok(Json(user_json(
        &base_url(&headers),
        &caller.auth.require()?.user,
    )))
}

async fn put_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<Json<Value>> {
    caller.auth.require()?;
    let mut errors = FieldErrors::new();
    reject_non_file(&body, &mut errors);
    let profile_pic = match body.files.get("profile_pic") {
        Some(bytes) => Patch::Set(bytes.clone()),
        None if body.fields.contains_key("profile_pic") => Patch::Clear,
        None => Patch::Keep,
    };
    let changes = ProfileChanges {
        email: body.patch("email", &mut errors),
        names: NameInput {
            full_name: body.string("full_name", &mut errors),
            ..Default::default()
        },
        profile_pic,
        password: body
            .string("password", &mut errors)
            .filter(|p| !p.is_empty())
            .map(SecretString::from),
        ..Default::default()
    };
    check(errors)?;
    let user = accounts::update_me(&state.services, &caller.auth, changes).await?;
    Ok(Json(user_json(&base_url(&headers), &user)))
}

async fn post_refresh(
    State(state): State<AppState>,
    caller: RequestCredentials,
    body: LegacyBody,
) -> RestResult<Json<Value>> {
    let mut errors = FieldErrors::new();
    let token = body.required("refresh", &mut errors);
    check(errors)?;
    let token = token.ok_or_else(|| RestError::bad_request("refresh is required."))?;
    let (_, tokens) = sessions::refresh(&state.services, &token, &caller.client).await?;
    Ok(Json(
        json!({ "access": tokens.access_token, "refresh": tokens.refresh_token }),
    ))
}
