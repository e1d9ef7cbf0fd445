//! djoser (shared/seeds/000): `/auth/users/…`, `/auth/token/login|logout/`,
//! tokens sent as `Authorization: Token <key>`.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    assert_keys, int_id, is_legacy_token, spawn_app, TestApp, NEW_PASSWORD, NOT_PROVIDED, PASSWORD,
    REQUIRED,
};

const USER_KEYS: [&str; 5] = ["first_name", "last_name", "codename", "email", "id"];

/// The documented registration, with a strong password; returns the answer.
async fn register_lebron(app: &TestApp) -> Value {
    app.rest(Method::POST, "/auth/users/")
        .json(json!({
            "email": "email@example.com",
            "password": PASSWORD,
            "first_name": "Lebron",
            "last_name": "James",
            "codename": "king"
        }))
        .send()
        .await
        .assert_json(StatusCode::CREATED)
}

/// Registers Lebron and logs him in; returns (id, auth token).
async fn signed_in_lebron(app: &TestApp) -> (i64, String) {
    let user = register_lebron(app).await;
    let token = app.djoser_login("email@example.com", PASSWORD).await;
    (int_id(&user["id"]), token)
}

#[tokio::test]
async fn djoser_register_answers_201_with_exactly_the_documented_fields() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = register_lebron(&app).await;

    // Assert
    assert_keys(&body, &USER_KEYS);
    assert_eq!(body["first_name"], "Lebron");
    assert_eq!(body["last_name"], "James");
    assert_eq!(body["codename"], "king");
    assert_eq!(body["email"], "email@example.com");
    assert!(int_id(&body["id"]) > 0);
}

#[tokio::test]
async fn djoser_register_with_a_username_and_no_email_works() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::POST, "/auth/users/")
        .json(json!({ "username": "lebron", "password": PASSWORD }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::CREATED);
    assert_keys(&body, &USER_KEYS);
    let token = app
        .rest(Method::POST, "/auth/token/login/")
        .json(json!({ "username": "lebron", "password": PASSWORD }))
        .send()
        .await
        .assert_json(StatusCode::OK);
    assert!(is_legacy_token(token["auth_token"].as_str().unwrap()));
}

#[tokio::test]
async fn djoser_register_without_a_password_is_a_400_naming_the_field() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::POST, "/auth/users/")
        .json(json!({ "email": "email@example.com" }))
        .send()
        .await;

    // Assert
    response.assert_body(StatusCode::BAD_REQUEST, json!({ "password": [REQUIRED] }));
}

#[tokio::test]
async fn djoser_register_with_a_weak_password_is_a_400_on_password() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::POST, "/auth/users/")
        .json(json!({ "email": "email@example.com", "password": "12345678" }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::BAD_REQUEST);
    assert_keys(&body, &["password"]);
    assert!(
        body["password"]
            .as_array()
            .is_some_and(|messages| !messages.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn djoser_register_with_a_taken_email_is_a_400_not_a_500() {
    // Arrange
    let app = spawn_app().await;
    register_lebron(&app).await;

    // Act
    let response = app
        .rest(Method::POST, "/auth/users/")
        .json(json!({ "email": "EMAIL@example.com", "password": PASSWORD }))
        .send()
        .await;

    // Assert
    response.assert_body(
        StatusCode::BAD_REQUEST,
        json!({ "email": ["A user with that email already exists."] }),
    );
}

#[tokio::test]
async fn djoser_login_with_email_returns_a_40_hex_auth_token() {
    // Arrange
    let app = spawn_app().await;
    register_lebron(&app).await;

    // Act
    let response = app
        .rest(Method::POST, "/auth/token/login/")
        .json(json!({ "email": "email@example.com", "password": PASSWORD }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::OK);
    assert_keys(&body, &["auth_token"]);
    let token = body["auth_token"].as_str().unwrap();
    assert!(is_legacy_token(token), "{token}");
}

#[tokio::test]
async fn djoser_login_with_a_wrong_password_or_unknown_email_is_a_400() {
    // Arrange
    let app = spawn_app().await;
    register_lebron(&app).await;
    let expected = json!({ "non_field_errors": ["Unable to log in with provided credentials."] });

    // Act
    let wrong_password = app
        .rest(Method::POST, "/auth/token/login/")
        .json(json!({ "email": "email@example.com", "password": NEW_PASSWORD }))
        .send()
        .await;
    let unknown = app
        .rest(Method::POST, "/auth/token/login/")
        .json(json!({ "email": "nobody@example.com", "password": PASSWORD }))
        .send()
        .await;

    // Assert
    wrong_password.assert_body(StatusCode::BAD_REQUEST, expected.clone());
    unknown.assert_body(StatusCode::BAD_REQUEST, expected);
}

#[tokio::test]
async fn djoser_login_without_a_password_is_a_400_naming_the_field() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::POST, "/auth/token/login/")
        .json(json!({ "email": "email@example.com" }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::BAD_REQUEST);
    assert_eq!(body["password"], json!([REQUIRED]), "{body}");
}

#[tokio::test]
async fn the_auth_token_reads_users_me_with_the_token_scheme_by_get_and_post() {
    // Arrange
    let app = spawn_app().await;
    let (id, token) = signed_in_lebron(&app).await;
    let expected = json!({
        "first_name": "Lebron",
        "last_name": "James",
        "codename": "king",
        "id": id,
        "email": "email@example.com"
    });

    // Act
    let get = app
        .rest(Method::GET, "/auth/users/me/")
        .token(&token)
        .send()
        .await;
    let post = app
        .rest(Method::POST, "/auth/users/me/")
        .token(&token)
        .send()
        .await;

    // Assert
    get.assert_body(StatusCode::OK, expected.clone());
    post.assert_body(StatusCode::OK, expected);
}

#[tokio::test]
async fn users_me_without_credentials_is_a_401() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app.rest(Method::GET, "/auth/users/me/").send().await;

    // Assert
    response.assert_body(StatusCode::UNAUTHORIZED, json!({ "detail": NOT_PROVIDED }));
}

#[tokio::test]
async fn a_garbage_djoser_token_is_a_401_token_not_valid() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::GET, "/auth/users/me/")
        .token("d99a2de1b0a09db0fc2da23c9fdb1fc2447fff5d")
        .send()
        .await;

    // Assert
    response.assert_token_not_valid();
}

#[tokio::test]
async fn a_jwt_access_token_works_on_users_me_as_bearer_and_as_jwt() {
    // Arrange
    let app = spawn_app().await;
    let (id, _) = signed_in_lebron(&app).await;
    let login = app.api_login("email@example.com", PASSWORD).await;

    // Act
    let bearer = app
        .rest(Method::GET, "/auth/users/me/")
        .bearer(&login.access_token)
        .send()
        .await;
    let jwt = app
        .rest(Method::GET, "/auth/users/me/")
        .jwt(&login.access_token)
        .send()
        .await;

    // Assert
    assert_eq!(bearer.assert_json(StatusCode::OK)["id"], id);
    assert_eq!(jwt.assert_json(StatusCode::OK)["id"], id);
}

#[tokio::test]
async fn put_and_patch_users_me_change_the_profile() {
    // Arrange
    let app = spawn_app().await;
    let (id, token) = signed_in_lebron(&app).await;

    // Act
    let put = app
        .rest(Method::PUT, "/auth/users/me/")
        .token(&token)
        .json(json!({ "first_name": "Larry", "last_name": "Bird", "codename": "mycodename" }))
        .send()
        .await;
    let patch = app
        .rest(Method::PATCH, "/auth/users/me/")
        .token(&token)
        .json(json!({ "email": "larry@example.com" }))
        .send()
        .await;
    let read_back = app
        .rest(Method::GET, "/auth/users/me/")
        .token(&token)
        .send()
        .await;

    // Assert
    put.assert_body(
        StatusCode::OK,
        json!({
            "first_name": "Larry",
            "last_name": "Bird",
            "codename": "mycodename",
            "id": id,
            "email": "email@example.com"
        }),
    );
    let expected = json!({
        "first_name": "Larry",
        "last_name": "Bird",
        "codename": "mycodename",
        "id": id,
        "email": "larry@example.com"
    });
    patch.assert_body(StatusCode::OK, expected.clone());
    read_back.assert_body(StatusCode::OK, expected);
}

#[tokio::test]
async fn the_user_list_shows_a_non_admin_only_themselves_and_an_admin_everyone() {
    // Arrange
    let app = spawn_app().await;
    let (id, token) = signed_in_lebron(&app).await;
    let admin = app.create_admin().await;

    // Act
    let own = app
        .rest(Method::GET, "/auth/users/")
        .token(&token)
        .send()
        .await;
    let all = app
        .rest(Method::GET, "/auth/users/")
        .bearer(&admin.access)
        .send()
        .await;

    // Assert
    let own = own.assert_json(StatusCode::OK);
    let own = own.as_array().expect("a list");
    assert_eq!(own.len(), 1, "{own:?}");
    assert_keys(&own[0], &USER_KEYS);
    assert_eq!(own[0]["id"], id);
    let all = all.assert_json(StatusCode::OK);
    let mut ids: Vec<i64> = all
        .as_array()
        .expect("a list")
        .iter()
        .map(|user| {
            assert_keys(user, &USER_KEYS);
            int_id(&user["id"])
        })
        .collect();
    ids.sort_unstable();
    let mut expected = vec![id, crate::helpers::graphql_id(&admin.id)];
    expected.sort_unstable();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn logout_answers_204_and_the_token_stops_working() {
    // Arrange
    let app = spawn_app().await;
    let (_, token) = signed_in_lebron(&app).await;

    // Act
    let logout = app
        .rest(Method::POST, "/auth/token/logout/")
        .token(&token)
        .send()
        .await;

    // Assert
    logout.assert_status(StatusCode::NO_CONTENT);
    assert!(
        logout.bytes.is_empty(),
        "204 with a body: {}",
        logout.text()
    );
    app.rest(Method::GET, "/auth/users/me/")
        .token(&token)
        .send()
        .await
        .assert_token_not_valid();
    app.rest(Method::POST, "/auth/token/logout/")
        .token(&token)
        .send()
        .await
        .assert_token_not_valid();
}

#[tokio::test]
async fn logout_ends_only_its_own_token() {
    // Arrange
    let app = spawn_app().await;
    let (id, first) = signed_in_lebron(&app).await;
    let second = app.djoser_login("email@example.com", PASSWORD).await;
    assert_ne!(first, second, "each login gets its own token");

    // Act
    app.rest(Method::POST, "/auth/token/logout/")
        .token(&first)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);

    // Assert
    let me = app
        .rest(Method::GET, "/auth/users/me/")
        .token(&second)
        .send()
        .await
        .assert_json(StatusCode::OK);
    assert_eq!(me["id"], id);
}

#[tokio::test]
async fn logout_without_credentials_is_a_401() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app.rest(Method::POST, "/auth/token/logout/").send().await;

    // Assert
    response.assert_not_provided();
}

#[tokio::test]
async fn deleting_me_with_the_current_password_deletes_the_account() {
    // Arrange
    let app = spawn_app().await;
    let (_, token) = signed_in_lebron(&app).await;

    // Act
    let response = app
        .rest(Method::DELETE, "/auth/users/me/")
        .token(&token)
        .json(json!({ "current_password": PASSWORD }))
        .send()
        .await;

    // Assert
    response.assert_status(StatusCode::NO_CONTENT);
    assert!(response.bytes.is_empty(), "{}", response.text());
    app.rest(Method::POST, "/auth/token/login/")
        .json(json!({ "email": "email@example.com", "password": PASSWORD }))
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    app.rest(Method::GET, "/auth/users/me/")
        .token(&token)
        .send()
        .await
        .assert_token_not_valid();
    // The email is free again.
    register_lebron(&app).await;
}

#[tokio::test]
async fn deleting_me_with_a_wrong_or_missing_password_is_a_400_and_keeps_the_account() {
    // Arrange
    let app = spawn_app().await;
    let (id, token) = signed_in_lebron(&app).await;

    // Act
    let wrong = app
        .rest(Method::DELETE, "/auth/users/me/")
        .token(&token)
        .json(json!({ "current_password": NEW_PASSWORD }))
        .send()
        .await;
    let missing = app
        .rest(Method::DELETE, "/auth/users/me/")
        .token(&token)
        .json(json!({}))
        .send()
        .await;

    // Assert
    wrong.assert_body(
        StatusCode::BAD_REQUEST,
        json!({ "current_password": ["Wrong password."] }),
    );
    missing.assert_body(
        StatusCode::BAD_REQUEST,
        json!({ "current_password": [REQUIRED] }),
    );
    let me = app
        .rest(Method::GET, "/auth/users/me/")
        .token(&token)
        .send()
        .await
        .assert_json(StatusCode::OK);
    assert_eq!(me["id"], id);
}

#[tokio::test]
async fn deleting_me_without_credentials_is_a_401() {
    // Arrange
    let app = spawn_app().await;
    register_lebron(&app).await;

    // Act
    let response = app
        .rest(Method::DELETE, "/auth/users/me/")
        .json(json!({ "current_password": PASSWORD }))
        .send()
        .await;

    // Assert
    response.assert_not_provided();
}
