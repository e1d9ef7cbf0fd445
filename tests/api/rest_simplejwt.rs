//! simplejwt (shared/seeds/001): `/api/register/`, `/api/login/`,
//! `/api/refresh/`, `/api/logout/`, `/api/me/` with `Authorization: Bearer`.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    assert_keys, int_id, is_jwt, is_legacy_token, spawn_app, ApiLogin, TestApp, NEW_PASSWORD,
    PASSWORD, REQUIRED,
};

const REGISTER_KEYS: [&str; 7] = [
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "is_active",
    "groups",
];

/// The documented registration (email and password only); returns the answer.
async fn register(app: &TestApp) -> Value {
    app.rest_register(json!({ "password": PASSWORD, "email": "user@example.com" }))
        .await
}

/// Registers the documented user and logs in; returns (id, tokens).
async fn signed_in(app: &TestApp) -> (i64, ApiLogin) {
    let user = register(app).await;
    let login = app.api_login("user@example.com", PASSWORD).await;
    (int_id(&user["id"]), login)
}

async fn refresh(app: &TestApp, refresh_token: &str) -> crate::helpers::RestResponse {
    app.rest(Method::POST, "/api/refresh/")
        .json(json!({ "refresh_token": refresh_token }))
        .send()
        .await
}

#[tokio::test]
async fn register_answers_201_with_the_union_of_the_documented_fields() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = register(&app).await;

    // Assert
    assert_keys(&body, &REGISTER_KEYS);
    assert!(int_id(&body["id"]) > 0);
    assert_eq!(body["email"], "user@example.com");
    assert!(body["username"].is_string(), "{body}");
    assert_eq!(body["is_active"], true);
    assert_eq!(body["groups"], json!([]));
}

#[tokio::test]
async fn register_without_a_password_is_a_400_naming_the_field() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::POST, "/api/register/")
        .json(json!({ "email": "user@example.com" }))
        .send()
        .await;

    // Assert
    response.assert_body(StatusCode::BAD_REQUEST, json!({ "password": [REQUIRED] }));
}

#[tokio::test]
async fn login_returns_an_access_jwt_an_opaque_refresh_token_and_a_legacy_token() {
    // Arrange
    let app = spawn_app().await;
    register(&app).await;

    // Act
    let response = app
        .rest(Method::POST, "/api/login/")
        .json(json!({ "email": "user@example.com", "password": PASSWORD }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::OK);
    assert_keys(&body, &["access_token", "refresh_token", "token"]);
    assert!(is_jwt(body["access_token"].as_str().unwrap()), "{body}");
    let refresh = body["refresh_token"].as_str().unwrap();
    assert!(!refresh.is_empty() && !is_jwt(refresh), "{body}");
    assert!(is_legacy_token(body["token"].as_str().unwrap()), "{body}");
}

#[tokio::test]
async fn login_with_bad_credentials_is_a_400_with_non_field_errors() {
    // Arrange
    let app = spawn_app().await;
    register(&app).await;

    // Act
    let response = app
        .rest(Method::POST, "/api/login/")
        .json(json!({ "email": "user@example.com", "password": NEW_PASSWORD }))
        .send()
        .await;

    // Assert
    response.assert_body(
        StatusCode::BAD_REQUEST,
        json!({ "non_field_errors": ["Unable to login with provided credentials."] }),
    );
}

#[tokio::test]
async fn me_answers_id_username_and_email_with_a_bearer_token() {
    // Arrange
    let app = spawn_app().await;
    let (id, login) = signed_in(&app).await;

    // Act
    let response = app
        .rest(Method::GET, "/api/me/")
        .bearer(&login.access_token)
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::OK);
    assert_keys(&body, &["id", "username", "email"]);
    assert_eq!(body["id"], id);
    assert_eq!(body["email"], "user@example.com");
}

#[tokio::test]
async fn me_accepts_the_jwt_scheme_and_the_legacy_token_too() {
    // Arrange
    let app = spawn_app().await;
    let (id, login) = signed_in(&app).await;

    // Act
    let jwt = app
        .rest(Method::GET, "/api/me/")
        .jwt(&login.access_token)
        .send()
        .await;
    let legacy = app
        .rest(Method::GET, "/api/me/")
        .token(&login.token)
        .send()
        .await;

    // Assert
    assert_eq!(jwt.assert_json(StatusCode::OK)["id"], id);
    assert_eq!(legacy.assert_json(StatusCode::OK)["id"], id);
}

#[tokio::test]
async fn me_without_credentials_is_a_401() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app.rest(Method::GET, "/api/me/").send().await;

    // Assert
    response.assert_not_provided();
}

#[tokio::test]
async fn put_me_renames_the_user_and_allows_inner_spaces() {
    // Arrange
    let app = spawn_app().await;
    let (id, login) = signed_in(&app).await;

    // Act
    let response = app
        .rest(Method::PUT, "/api/me/")
        .bearer(&login.access_token)
        .json(json!({ "username": "John Smith" }))
        .send()
        .await;

    // Assert
    let expected = json!({ "id": id, "username": "John Smith", "email": "user@example.com" });
    response.assert_body(StatusCode::OK, expected.clone());
    app.rest(Method::GET, "/api/me/")
        .bearer(&login.access_token)
        .send()
        .await
        .assert_body(StatusCode::OK, expected);
    // The new name logs in.
    app.api_login_with(json!({ "username": "John Smith", "password": PASSWORD }))
        .await;
}

#[tokio::test]
async fn patch_me_changes_the_email() {
    // Arrange
    let app = spawn_app().await;
    let (id, login) = signed_in(&app).await;

    // Act
    let response = app
        .rest(Method::PATCH, "/api/me/")
        .bearer(&login.access_token)
        .json(json!({ "email": "john@example.com" }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::OK);
    assert_keys(&body, &["id", "username", "email"]);
    assert_eq!(body["id"], id);
    assert_eq!(body["email"], "john@example.com");
}

#[tokio::test]
async fn put_me_with_a_taken_username_is_a_400() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("peter").await;
    let (_, login) = signed_in(&app).await;

    // Act
    let response = app
        .rest(Method::PUT, "/api/me/")
        .bearer(&login.access_token)
        .json(json!({ "username": "peter" }))
        .send()
        .await;

    // Assert
    response.assert_body(
        StatusCode::BAD_REQUEST,
        json!({ "username": ["A user with that username already exists."] }),
    );
}

#[tokio::test]
async fn refresh_rotates_and_the_old_refresh_token_is_refused() {
    // Arrange
    let app = spawn_app().await;
    let (id, login) = signed_in(&app).await;

    // Act
    let response = refresh(&app, &login.refresh_token).await;

    // Assert
    let body = response.assert_json(StatusCode::OK);
    assert_keys(&body, &["access_token", "refresh_token"]);
    let access = body["access_token"].as_str().unwrap();
    let new_refresh = body["refresh_token"].as_str().unwrap();
    assert!(is_jwt(access), "{body}");
    assert_ne!(new_refresh, login.refresh_token);
    let me = app
        .rest(Method::GET, "/api/me/")
        .bearer(access)
        .send()
        .await
        .assert_json(StatusCode::OK);
    assert_eq!(me["id"], id);
    refresh(&app, &login.refresh_token)
        .await
        .assert_token_not_valid();
}

#[tokio::test]
async fn the_rotated_refresh_token_refreshes_again() {
    // Arrange
    let app = spawn_app().await;
    let (_, login) = signed_in(&app).await;
    let first = refresh(&app, &login.refresh_token)
        .await
        .assert_json(StatusCode::OK);

    // Act
    let second = refresh(&app, first["refresh_token"].as_str().unwrap()).await;

    // Assert
    let second = second.assert_json(StatusCode::OK);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
}

#[tokio::test]
async fn refresh_with_an_unknown_token_is_a_401_and_without_one_a_400() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let unknown = refresh(&app, "d952527b-caef-452c-8c93-1100214f82e5").await;
    let missing = app
        .rest(Method::POST, "/api/refresh/")
        .json(json!({}))
        .send()
        .await;

    // Assert
    unknown.assert_body(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": "Token is invalid or expired", "code": "token_not_valid" }),
    );
    missing.assert_body(
        StatusCode::BAD_REQUEST,
        json!({ "refresh_token": [REQUIRED] }),
    );
}

#[tokio::test]
async fn logout_with_the_refresh_token_ends_the_whole_session() {
    // Arrange
    let app = spawn_app().await;
    let (_, login) = signed_in(&app).await;

    // Act
    let response = app
        .rest(Method::POST, "/api/logout/")
        .json(json!({ "refresh_token": login.refresh_token }))
        .send()
        .await;

    // Assert
    response.assert_body(StatusCode::OK, json!({ "success": "User logged out." }));
    refresh(&app, &login.refresh_token)
        .await
        .assert_token_not_valid();
    app.rest(Method::GET, "/api/me/")
        .bearer(&login.access_token)
        .send()
        .await
        .assert_token_not_valid();
    app.rest(Method::GET, "/api/me/")
        .token(&login.token)
        .send()
        .await
        .assert_token_not_valid();
}

#[tokio::test]
async fn logout_ends_only_the_given_session() {
    // Arrange
    let app = spawn_app().await;
    let (id, first) = signed_in(&app).await;
    let second = app.api_login("user@example.com", PASSWORD).await;

    // Act
    app.rest(Method::POST, "/api/logout/")
        .json(json!({ "refresh_token": first.refresh_token }))
        .send()
        .await
        .assert_status(StatusCode::OK);

    // Assert
    let me = app
        .rest(Method::GET, "/api/me/")
        .bearer(&second.access_token)
        .send()
        .await
        .assert_json(StatusCode::OK);
    assert_eq!(me["id"], id);
    refresh(&app, &second.refresh_token)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn logout_authenticated_by_header_without_a_body_ends_the_session() {
    // Arrange
    let app = spawn_app().await;
    let (_, login) = signed_in(&app).await;

    // Act
    let response = app
        .rest(Method::POST, "/api/logout/")
        .bearer(&login.access_token)
        .send()
        .await;

    // Assert
    response.assert_body(StatusCode::OK, json!({ "success": "User logged out." }));
    app.rest(Method::GET, "/api/me/")
        .bearer(&login.access_token)
        .send()
        .await
        .assert_token_not_valid();
    refresh(&app, &login.refresh_token)
        .await
        .assert_token_not_valid();
}

#[tokio::test]
async fn logout_with_neither_credentials_nor_a_refresh_token_is_a_401() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app.rest(Method::POST, "/api/logout/").send().await;

    // Assert
    response.assert_not_provided();
}

#[tokio::test]
async fn logout_with_an_unknown_refresh_token_is_a_401() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::POST, "/api/logout/")
        .json(json!({ "refresh_token": "eb0464c2-ed6e-4346-a709-042c33946154" }))
        .send()
        .await;

    // Assert
    response.assert_token_not_valid();
}
