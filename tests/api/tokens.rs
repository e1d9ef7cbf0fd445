//! Sessions and their tokens: refresh rotation, reuse detection, logout and
//! revocation across sessions.

use serde_json::{json, Value};

use crate::helpers::{data, error_code, spawn_app, TestApp, PASSWORD};

const REFRESH: &str = "mutation Refresh($token: String) {
  refresh(refreshToken: $token) { accessToken refreshToken tokenType expiresIn user { id } }
}";

const LOGOUT: &str = "mutation Logout($token: String, $all: Boolean) {
  logout(refreshToken: $token, allSessions: $all)
}";

async fn refresh(app: &TestApp, refresh_token: &str) -> Value {
    app.graphql(REFRESH, json!({ "token": refresh_token }))
        .await
}

/// Refreshes and returns the new (access, refresh) pair; panics on failure.
async fn rotate(app: &TestApp, refresh_token: &str) -> (String, String) {
    let body = refresh(app, refresh_token).await;
    let payload = &data(&body)["refresh"];
    (
        payload["accessToken"]
            .as_str()
            .expect("accessToken")
            .to_owned(),
        payload["refreshToken"]
            .as_str()
            .expect("refreshToken")
            .to_owned(),
    )
}

fn assert_unauthenticated(body: &Value) {
    assert_eq!(error_code(body), Some("UNAUTHENTICATED"), "{body}");
}

#[tokio::test]
async fn refresh_returns_a_new_token_pair() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("stan").await;

    // Act
    let body = refresh(&app, &user.refresh).await;

    // Assert
    let payload = &data(&body)["refresh"];
    assert_eq!(payload["tokenType"], "Bearer");
    assert_eq!(payload["expiresIn"], 900);
    assert_eq!(payload["user"]["id"], user.id.as_str());
    let access = payload["accessToken"].as_str().unwrap();
    let new_refresh = payload["refreshToken"].as_str().unwrap();
    assert_ne!(new_refresh, user.refresh);
    assert!(new_refresh.len() >= 43, "{new_refresh}");
    app.assert_token_works(access, &user.id).await;
}

#[tokio::test]
async fn a_refresh_token_cannot_be_used_twice() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("stan").await;
    rotate(&app, &user.refresh).await;

    // Act
    let body = refresh(&app, &user.refresh).await;

    // Assert
    assert_unauthenticated(&body);
    assert!(body["data"].is_null(), "{body}");
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_session() {
    // Arrange: A -> B, then A is presented again (as a thief would).
    let app = spawn_app().await;
    let user = app.signed_in_user("stan").await;
    let (access_b, refresh_b) = rotate(&app, &user.refresh).await;
    app.assert_token_works(&access_b, &user.id).await;

    // Act
    let reuse = refresh(&app, &user.refresh).await;

    // Assert
    assert_unauthenticated(&reuse);
    assert_unauthenticated(&refresh(&app, &refresh_b).await);
    app.assert_token_refused(&access_b).await;
    app.assert_token_refused(&user.access).await;
}

#[tokio::test]
async fn reuse_in_one_session_leaves_other_sessions_alone() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("stan").await;
    let (other_access, other_refresh) = app.login("stan", PASSWORD).await;
    rotate(&app, &user.refresh).await;

    // Act
    assert_unauthenticated(&refresh(&app, &user.refresh).await);

    // Assert
    app.assert_token_works(&other_access, &user.id).await;
    rotate(&app, &other_refresh).await;
}

#[tokio::test]
async fn refresh_with_an_unknown_token_is_unauthenticated() {
    // Arrange
    let app = spawn_app().await;
    app.signed_in_user("stan").await;

    // Act
    let body = refresh(&app, "bm90LWEtcmVhbC1yZWZyZXNoLXRva2VuLWF0LWFsbC0xMjM0NTY3").await;

    // Assert
    assert_unauthenticated(&body);
}

#[tokio::test]
async fn refresh_without_a_token_or_cookie_is_unauthenticated() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = app.graphql(REFRESH, json!({ "token": null })).await;

    // Assert
    assert_unauthenticated(&body);
}

#[tokio::test]
async fn an_access_token_is_not_a_refresh_token() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("stan").await;

    // Act
    let body = refresh(&app, &user.access).await;

    // Assert
    assert_unauthenticated(&body);
}

#[tokio::test]
async fn logout_revokes_the_access_token_at_once() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("stan").await;

    // Act
    let body = app
        .graphql_with_token(&user.access, LOGOUT, Value::Null)
        .await;

    // Assert
    assert_eq!(data(&body)["logout"], true);
    app.assert_token_refused(&user.access).await;
    assert_unauthenticated(&refresh(&app, &user.refresh).await);
}

#[tokio::test]
async fn logout_ends_only_the_callers_session() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("stan").await;
    let (other_access, _) = app.login("stan", PASSWORD).await;

    // Act
    let body = app
        .graphql_with_token(&user.access, LOGOUT, Value::Null)
        .await;

    // Assert
    assert_eq!(data(&body)["logout"], true);
    app.assert_token_refused(&user.access).await;
    app.assert_token_works(&other_access, &user.id).await;
}

#[tokio::test]
async fn logout_with_a_refresh_token_makes_it_unusable() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("stan").await;

    // Act: no Authorization header, only the refresh token.
    let body = app.graphql(LOGOUT, json!({ "token": user.refresh })).await;

    // Assert
    assert_eq!(data(&body)["logout"], true);
    assert_unauthenticated(&refresh(&app, &user.refresh).await);
}

#[tokio::test]
async fn logout_of_all_sessions_ends_every_session_of_the_user() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("stan").await;
    let (second_access, second_refresh) = app.login("stan", PASSWORD).await;
    let bystander = app.signed_in_user("francine").await;

    // Act
    let body = app
        .graphql_with_token(&user.access, LOGOUT, json!({ "all": true }))
        .await;

    // Assert
    assert_eq!(data(&body)["logout"], true);
    app.assert_token_refused(&user.access).await;
    app.assert_token_refused(&second_access).await;
    assert_unauthenticated(&refresh(&app, &second_refresh).await);
    app.assert_token_works(&bystander.access, &bystander.id)
        .await;
    // Signing in again starts a fresh session.
    let (fresh, _) = app.login("stan", PASSWORD).await;
    app.assert_token_works(&fresh, &user.id).await;
}

#[tokio::test]
async fn anonymous_logout_without_a_refresh_token_is_unauthenticated() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = app.graphql(LOGOUT, Value::Null).await;

    // Assert
    assert_unauthenticated(&body);
}
