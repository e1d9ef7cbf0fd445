//! conjugator (shared/seeds/002): `/api/register/`, `/api/login/` (`username`
//! holds the email, `token` is used as `Authorization: Token <key>`),
//! `/api/user/` GET/PUT and `/api/admin/users` for admins.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    assert_keys, int_id, is_legacy_token, spawn_app, TestApp, NEW_PASSWORD, NO_PERMISSION,
    PASSWORD, REQUIRED,
};

const EMAIL: &str = "BirdIsTheWord@quahog.com";
const USER_KEYS: [&str; 4] = ["id", "first_name", "last_name", "email"];

/// The documented registration, with a strong password; returns the answer.
async fn register_peter(app: &TestApp) -> Value {
    app.rest_register(json!({
        "first_name": "Peter",
        "last_name": "Griffin",
        "email": EMAIL,
        "password": PASSWORD
    }))
    .await
}

/// Logs in the conjugator way: the email in `username`; returns the token.
async fn conjugator_login(app: &TestApp, email: &str) -> String {
    app.api_login_with(json!({ "username": email, "password": PASSWORD }))
        .await
        .token
}

/// Registers Peter and logs him in; returns (id, token).
async fn signed_in_peter(app: &TestApp) -> (i64, String) {
    let user = register_peter(app).await;
    (int_id(&user["id"]), conjugator_login(app, EMAIL).await)
}

#[tokio::test]
async fn register_answers_201_without_the_password_or_its_hash() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::POST, "/api/register/")
        .json(json!({
            "first_name": "Peter",
            "last_name": "Griffin",
            "email": EMAIL,
            "password": PASSWORD
        }))
        .send()
        .await;

    // Assert (the no-secrets check runs on every answer)
    let body = response.assert_json(StatusCode::CREATED);
    assert_keys(
        &body,
        &[
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "is_active",
            "groups",
        ],
    );
    assert!(body.get("password").is_none(), "{body}");
    assert!(int_id(&body["id"]) > 0);
    assert_eq!(body["first_name"], "Peter");
    assert_eq!(body["last_name"], "Griffin");
    assert!(
        body["email"]
            .as_str()
            .is_some_and(|e| e.eq_ignore_ascii_case(EMAIL)),
        "{body}"
    );
}

#[tokio::test]
async fn registering_an_existing_email_is_a_400_never_a_500() {
    // Arrange
    let app = spawn_app().await;
    register_peter(&app).await;

    // Act
    let same = app
        .rest(Method::POST, "/api/register/")
        .json(json!({ "first_name": "Peter", "last_name": "Griffin", "email": EMAIL, "password": PASSWORD }))
        .send()
        .await;
    let other_case = app
        .rest(Method::POST, "/api/register/")
        .json(json!({ "email": "birdistheword@QUAHOG.com", "password": PASSWORD }))
        .send()
        .await;

    // Assert
    let expected = json!({ "email": ["A user with that email already exists."] });
    same.assert_body(StatusCode::BAD_REQUEST, expected.clone());
    other_case.assert_body(StatusCode::BAD_REQUEST, expected);
}

#[tokio::test]
async fn login_with_the_email_in_username_returns_a_token() {
    // Arrange
    let app = spawn_app().await;
    register_peter(&app).await;

    // Act
    let response = app
        .rest(Method::POST, "/api/login/")
        .json(json!({ "username": EMAIL, "password": PASSWORD }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::OK);
    assert_keys(&body, &["access_token", "refresh_token", "token"]);
    assert!(is_legacy_token(body["token"].as_str().unwrap()), "{body}");
}

#[tokio::test]
async fn login_with_a_wrong_password_is_a_400_with_non_field_errors() {
    // Arrange
    let app = spawn_app().await;
    register_peter(&app).await;

    // Act
    let response = app
        .rest(Method::POST, "/api/login/")
        .json(json!({ "username": EMAIL, "password": NEW_PASSWORD }))
        .send()
        .await;

    // Assert
    response.assert_body(
        StatusCode::BAD_REQUEST,
        json!({ "non_field_errors": ["Unable to login with provided credentials."] }),
    );
}

#[tokio::test]
async fn login_without_a_password_is_a_400_naming_the_field() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::POST, "/api/login/")
        .json(json!({ "username": EMAIL }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::BAD_REQUEST);
    assert_eq!(body["password"], json!([REQUIRED]), "{body}");
}

#[tokio::test]
async fn get_user_shows_the_user_with_the_token_scheme() {
    // Arrange
    let app = spawn_app().await;
    let (id, token) = signed_in_peter(&app).await;

    // Act
    let response = app
        .rest(Method::GET, "/api/user/")
        .token(&token)
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::OK);
    assert_keys(&body, &USER_KEYS);
    assert_eq!(body["id"], id);
    assert_eq!(body["first_name"], "Peter");
    assert_eq!(body["last_name"], "Griffin");
    assert!(body["email"]
        .as_str()
        .is_some_and(|e| e.eq_ignore_ascii_case(EMAIL)));
}

#[tokio::test]
async fn get_user_accepts_a_bearer_access_token_too() {
    // Arrange
    let app = spawn_app().await;
    let user = register_peter(&app).await;
    let login = app
        .api_login_with(json!({ "username": EMAIL, "password": PASSWORD }))
        .await;

    // Act
    let response = app
        .rest(Method::GET, "/api/user/")
        .bearer(&login.access_token)
        .send()
        .await;

    // Assert
    assert_eq!(response.assert_json(StatusCode::OK)["id"], user["id"]);
}

#[tokio::test]
async fn get_user_without_credentials_is_a_401_and_with_a_bad_token_token_not_valid() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let anonymous = app.rest(Method::GET, "/api/user/").send().await;
    let bad = app
        .rest(Method::GET, "/api/user/")
        .token("93144b288eb1fdccbe46d6fc0f241a51766ecd3d")
        .send()
        .await;

    // Assert
    anonymous.assert_not_provided();
    bad.assert_token_not_valid();
}

#[tokio::test]
async fn put_and_patch_user_change_names_and_email() {
    // Arrange
    let app = spawn_app().await;
    let (id, token) = signed_in_peter(&app).await;

    // Act
    let put = app
        .rest(Method::PUT, "/api/user/")
        .token(&token)
        .json(
            json!({ "first_name": "Stewie", "last_name": "Griffin", "email": "stewie@quahog.com" }),
        )
        .send()
        .await;
    let patch = app
        .rest(Method::PATCH, "/api/user/")
        .token(&token)
        .json(json!({ "last_name": "Pewterschmidt" }))
        .send()
        .await;

    // Assert
    put.assert_body(
        StatusCode::OK,
        json!({ "id": id, "first_name": "Stewie", "last_name": "Griffin", "email": "stewie@quahog.com" }),
    );
    let expected = json!({
        "id": id,
        "first_name": "Stewie",
        "last_name": "Pewterschmidt",
        "email": "stewie@quahog.com"
    });
    patch.assert_body(StatusCode::OK, expected.clone());
    app.rest(Method::GET, "/api/user/")
        .token(&token)
        .send()
        .await
        .assert_body(StatusCode::OK, expected);
}

#[tokio::test]
async fn put_user_with_another_users_email_is_a_400() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("lois").await;
    let (_, token) = signed_in_peter(&app).await;

    // Act
    let response = app
        .rest(Method::PUT, "/api/user/")
        .token(&token)
        .json(json!({ "email": "lois@example.com" }))
        .send()
        .await;

    // Assert
    response.assert_body(
        StatusCode::BAD_REQUEST,
        json!({ "email": ["A user with that email already exists."] }),
    );
}

#[tokio::test]
async fn the_admin_user_list_is_forbidden_to_non_admins() {
    // Arrange
    let app = spawn_app().await;
    let (_, token) = signed_in_peter(&app).await;

    // Act
    let response = app
        .rest(Method::GET, "/api/admin/users")
        .token(&token)
        .send()
        .await;

    // Assert
    response.assert_body(StatusCode::FORBIDDEN, json!({ "detail": NO_PERMISSION }));
}

#[tokio::test]
async fn the_admin_user_list_needs_credentials() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app.rest(Method::GET, "/api/admin/users").send().await;

    // Assert
    response.assert_not_provided();
}

#[tokio::test]
async fn the_admin_user_list_shows_every_user_to_an_admin() {
    // Arrange
    let app = spawn_app().await;
    let peter = register_peter(&app).await;
    let boss = app
        .rest_register(json!({
            "username": "boss",
            "first_name": "Carter",
            "last_name": "Pewterschmidt",
            "email": "boss@quahog.com",
            "password": PASSWORD
        }))
        .await;
    app.promote_to_admin("boss").await;
    let token = conjugator_login(&app, "boss@quahog.com").await;

    // Act
    let response = app
        .rest(Method::GET, "/api/admin/users")
        .token(&token)
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::OK);
    let users = body.as_array().expect("a list");
    for user in users {
        assert_keys(user, &USER_KEYS);
    }
    let mut ids: Vec<i64> = users.iter().map(|u| int_id(&u["id"])).collect();
    ids.sort_unstable();
    let mut expected = vec![int_id(&peter["id"]), int_id(&boss["id"])];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    let carter = users.iter().find(|u| u["id"] == boss["id"]).unwrap();
    assert_eq!(carter["first_name"], "Carter");
    assert_eq!(carter["last_name"], "Pewterschmidt");
    assert_eq!(carter["email"], "boss@quahog.com");
}
