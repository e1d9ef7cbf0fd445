//! Sessions for users: `mySessions` lists the caller's devices,
//! `revokeSession` ends one of them, `logout(allSessions: true)` ends them all.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::helpers::{data, error_code, spawn_app, TestApp};
use crate::ops_support::{login_from_device, REFRESH};

const MY_SESSIONS: &str =
    "{ mySessions { id kind current userAgent clientIp createdAt lastUsedAt expiresAt } }";
const REVOKE: &str = "mutation Revoke($id: ID!) { revokeSession(id: $id) }";

const LAPTOP: &str = "ops-test-laptop/1.0";
const PHONE: &str = "ops-test-phone/2.0";

async fn my_sessions(app: &TestApp, token: &str) -> Vec<Value> {
    let body = app
        .graphql_with_token(token, MY_SESSIONS, Value::Null)
        .await;
    data(&body)["mySessions"]
        .as_array()
        .unwrap_or_else(|| panic!("mySessions is not a list: {body}"))
        .clone()
}

/// The session in `sessions` that is not the caller's.
#[track_caller]
fn other_session(sessions: &[Value]) -> &Value {
    let others: Vec<&Value> = sessions.iter().filter(|s| s["current"] == false).collect();
    assert_eq!(others.len(), 1, "expected one other session: {sessions:?}");
    others[0]
}

async fn refresh(app: &TestApp, refresh_token: &str) -> Value {
    app.graphql(REFRESH, json!({ "token": refresh_token }))
        .await
}

#[track_caller]
fn timestamp(session: &Value, field: &str) -> DateTime<Utc> {
    session[field]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .unwrap_or_else(|| panic!("{field} is not an RFC 3339 time: {session}"))
        .with_timezone(&Utc)
}

#[tokio::test]
async fn my_sessions_lists_each_device_and_marks_the_callers_own() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("traveller").await;
    let (laptop, _) = login_from_device(&app, "traveller", LAPTOP).await;
    login_from_device(&app, "traveller", PHONE).await;

    // Act
    let sessions = my_sessions(&app, &laptop).await;

    // Assert
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(
        current.len(),
        1,
        "exactly one current session: {sessions:?}"
    );
    assert_eq!(current[0]["userAgent"], LAPTOP, "{sessions:?}");
    assert_eq!(other_session(&sessions)["userAgent"], PHONE, "{sessions:?}");
    for session in &sessions {
        assert_eq!(session["kind"], "jwt", "{session}");
        assert_eq!(session["clientIp"], "127.0.0.1", "{session}");
        let created = timestamp(session, "createdAt");
        assert!(timestamp(session, "lastUsedAt") >= created, "{session}");
        assert!(timestamp(session, "expiresAt") > created, "{session}");
    }
    assert_ne!(sessions[0]["id"], sessions[1]["id"]);
}

#[tokio::test]
async fn revoking_another_session_refuses_its_access_and_refresh_tokens_at_once() {
    // Arrange
    let app = spawn_app().await;
    let id = app.register_user("careful").await;
    let (laptop, _) = login_from_device(&app, "careful", LAPTOP).await;
    let (phone, phone_refresh) = login_from_device(&app, "careful", PHONE).await;
    let sessions = my_sessions(&app, &laptop).await;
    let phone_session = other_session(&sessions)["id"].as_str().unwrap().to_owned();

    // Act
    let revoked = app
        .graphql_with_token(&laptop, REVOKE, json!({ "id": phone_session }))
        .await;

    // Assert
    assert_eq!(data(&revoked)["revokeSession"], true, "{revoked}");
    app.assert_token_refused(&phone).await;
    let refreshed = refresh(&app, &phone_refresh).await;
    assert_eq!(
        error_code(&refreshed),
        Some("UNAUTHENTICATED"),
        "{refreshed}"
    );
    app.assert_token_works(&laptop, &id).await;
    let remaining = my_sessions(&app, &laptop).await;
    assert_eq!(remaining.len(), 1, "{remaining:?}");
    assert_eq!(remaining[0]["current"], true, "{remaining:?}");
}

#[tokio::test]
async fn revoking_an_unknown_session_id_is_not_found() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("curious").await;

    // Act
    let body = app
        .graphql_with_token(
            &user.access,
            REVOKE,
            json!({ "id": uuid::Uuid::new_v4().to_string() }),
        )
        .await;

    // Assert
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    app.assert_token_works(&user.access, &user.id).await;
}

#[tokio::test]
async fn revoking_another_users_session_is_not_found_and_leaves_it_alive() {
    // Arrange
    let app = spawn_app().await;
    let mallory = app.signed_in_user("mallory").await;
    let alice = app.signed_in_user("alice").await;
    let alice_session = my_sessions(&app, &alice.access).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Act
    let body = app
        .graphql_with_token(&mallory.access, REVOKE, json!({ "id": alice_session }))
        .await;

    // Assert
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    app.assert_token_works(&alice.access, &alice.id).await;
    let refreshed = refresh(&app, &alice.refresh).await;
    assert!(
        data(&refreshed)["refresh"]["accessToken"].is_string(),
        "{refreshed}"
    );
}

#[tokio::test]
async fn logging_out_of_all_sessions_leaves_only_the_next_login() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("leaving").await;
    let (laptop, laptop_refresh) = login_from_device(&app, "leaving", LAPTOP).await;
    let (phone, _) = login_from_device(&app, "leaving", PHONE).await;

    // Act
    let logout = app
        .graphql_with_token(
            &laptop,
            "mutation { logout(allSessions: true) }",
            Value::Null,
        )
        .await;
    let (fresh, _) = login_from_device(&app, "leaving", PHONE).await;

    // Assert
    assert_eq!(data(&logout)["logout"], true, "{logout}");
    app.assert_token_refused(&laptop).await;
    app.assert_token_refused(&phone).await;
    let refreshed = refresh(&app, &laptop_refresh).await;
    assert_eq!(
        error_code(&refreshed),
        Some("UNAUTHENTICATED"),
        "{refreshed}"
    );
    let sessions = my_sessions(&app, &fresh).await;
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["current"], true, "{sessions:?}");
}
