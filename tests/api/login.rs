//! `login`: the identifiers it accepts, the one failure message, and the
//! shape of the AuthPayload.

use serde_json::{json, Value};

use crate::helpers::{data, error_code, error_message, spawn_app, BAD_LOGIN_MESSAGE, PASSWORD};

const LOGIN: &str = "mutation Login($input: LoginInput!) {
  login(input: $input) {
    accessToken refreshToken tokenType expiresIn
    user { id username email lastLogin }
  }
}";

#[tokio::test]
async fn a_user_can_log_in_with_their_username() {
    // Arrange
    let app = spawn_app().await;
    let id = app.register("chris", "chris@example.com", PASSWORD).await;

    // Act
    let body = app
        .graphql(
            LOGIN,
            json!({ "input": { "username": "chris", "password": PASSWORD } }),
        )
        .await;

    // Assert
    let payload = &data(&body)["login"];
    assert_eq!(payload["user"]["id"], id.as_str());
    assert_eq!(payload["user"]["username"], "chris");
    let token = payload["accessToken"].as_str().unwrap();
    app.assert_token_works(token, &id).await;
}

#[tokio::test]
async fn a_user_can_log_in_with_their_email_in_the_username_field() {
    // Arrange
    let app = spawn_app().await;
    let id = app.register("chris", "chris@example.com", PASSWORD).await;

    // Act
    let body = app
        .graphql(
            LOGIN,
            json!({ "input": { "username": "chris@example.com", "password": PASSWORD } }),
        )
        .await;

    // Assert
    assert_eq!(data(&body)["login"]["user"]["id"], id.as_str());
}

#[tokio::test]
async fn a_user_can_log_in_with_the_email_field() {
    // Arrange
    let app = spawn_app().await;
    let id = app.register("chris", "chris@example.com", PASSWORD).await;

    // Act
    let body = app
        .graphql(
            LOGIN,
            json!({ "input": { "email": "chris@example.com", "password": PASSWORD } }),
        )
        .await;

    // Assert
    assert_eq!(data(&body)["login"]["user"]["id"], id.as_str());
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_error() {
    // Arrange
    let app = spawn_app().await;
    app.register("chris", "chris@example.com", PASSWORD).await;

    // Act
    let wrong_password = app.try_login("chris", "not-the-right-one-77").await;
    let unknown_user = app.try_login("nobody", PASSWORD).await;

    // Assert
    for body in [&wrong_password, &unknown_user] {
        assert_eq!(error_code(body), Some("UNAUTHENTICATED"), "{body}");
        assert_eq!(error_message(body), Some(BAD_LOGIN_MESSAGE), "{body}");
        assert!(body["data"].is_null(), "{body}");
    }
}

#[tokio::test]
async fn an_inactive_user_cannot_log_in() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let id = app.register_user("chris").await;
    let updated = app
        .update_user(&admin.access, &id, json!({ "isActive": false }))
        .await;
    assert_eq!(data(&updated)["updateUser"]["isActive"], false);

    // Act
    let body = app.try_login("chris", PASSWORD).await;

    // Assert: indistinguishable from a wrong password.
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    assert_eq!(error_message(&body), Some(BAD_LOGIN_MESSAGE), "{body}");
}

#[tokio::test]
async fn the_auth_payload_has_the_documented_shape() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("chris").await;

    // Act
    let (status, text) = app
        .post_graphql_raw(
            None,
            LOGIN,
            json!({ "input": { "username": "chris", "password": PASSWORD } }),
        )
        .await;

    // Assert
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&text).expect("JSON body");
    let payload = &data(&body)["login"];
    assert_eq!(payload["tokenType"], "Bearer");
    assert_eq!(payload["expiresIn"], 900);
    let access = payload["accessToken"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3, "a JWT: {access}");
    assert!(access.split('.').all(|part| !part.is_empty()), "{access}");
    let refresh = payload["refreshToken"].as_str().unwrap();
    assert!(refresh.len() >= 43, "at least 256 random bits: {refresh}");
    assert_ne!(refresh, access);
    assert!(!text.contains(PASSWORD), "the password leaked: {text}");
    assert!(
        !text.to_lowercase().contains("argon2"),
        "a hash leaked: {text}"
    );
}

#[tokio::test]
async fn logging_in_records_the_last_login() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("chris").await;

    // Act
    let (token, _) = app.login("chris", PASSWORD).await;

    // Assert
    let me = app.me(&token).await;
    let last_login = data(&me)["me"]["lastLogin"]
        .as_str()
        .unwrap_or_else(|| panic!("lastLogin is set after a login: {me}"));
    chrono::DateTime::parse_from_rfc3339(last_login).expect("lastLogin is RFC 3339");
}
