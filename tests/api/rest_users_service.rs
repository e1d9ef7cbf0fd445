//! users-service (shared/seeds/004): `/api/user/login/`, `/api/user/register/`
//! (JSON or multipart with `profile_pic`), `/api/user/me/` with
//! `Authorization: JWT <access>`, `/api/user/update/`, `/api/user/refresh/`
//! and `/api/user/media/<name>`.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    assert_keys, is_jwt, png, png_bomb, spawn_app, MultipartForm, RestResponse, TestApp,
    NEW_PASSWORD, NOT_PROVIDED, PASSWORD, REQUIRED,
};

const EMAIL: &str = "peter@quahog.com";
const USER_KEYS: [&str; 4] = ["id", "full_name", "email", "profile_pic"];

/// Registers Peter with JSON (no picture); returns the answer.
async fn register_json(app: &TestApp) -> Value {
    app.rest(Method::POST, "/api/user/register/")
        .json(json!({ "email": EMAIL, "full_name": "Peter Griffin", "password": PASSWORD }))
        .send()
        .await
        .assert_json(StatusCode::CREATED)
}

/// Registers Peter with multipart and the given picture.
async fn register_multipart(
    app: &TestApp,
    filename: &str,
    content_type: &str,
    picture: &[u8],
) -> RestResponse {
    app.rest(Method::POST, "/api/user/register/")
        .multipart(
            MultipartForm::new()
                .text("email", EMAIL)
                .text("full_name", "Peter Griffin")
                .text("password", PASSWORD)
                .file("profile_pic", filename, content_type, picture),
        )
        .send()
        .await
}

/// The path of a picture URL, checked to be `http://127.0.0.1:PORT/api/user/media/<name>`.
#[track_caller]
fn media_path(app: &TestApp, url: &Value) -> String {
    let url = url
        .as_str()
        .unwrap_or_else(|| panic!("profile_pic is not a URL: {url}"));
    let prefix = app.url("/api/user/media/");
    let name = url
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{url} does not start with {prefix}"));
    assert!(
        !name.is_empty() && !name.contains('/'),
        "bad media name in {url}"
    );
    format!("/api/user/media/{name}")
}

async fn me(app: &TestApp, access: &str) -> RestResponse {
    app.rest(Method::GET, "/api/user/me/")
        .jwt(access)
        .send()
        .await
}

async fn refresh(app: &TestApp, refresh_token: &str) -> RestResponse {
    app.rest(Method::POST, "/api/user/refresh/")
        .json(json!({ "refresh": refresh_token }))
        .send()
        .await
}

// --- register ------------------------------------------------------------------

#[tokio::test]
async fn register_with_json_answers_201_with_a_string_id_and_no_picture() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = register_json(&app).await;

    // Assert
    assert_keys(&body, &USER_KEYS);
    let id = body["id"].as_str().expect("id is a JSON string");
    assert!(id.parse::<i64>().is_ok(), "{id}");
    assert_eq!(body["full_name"], "Peter Griffin");
    assert_eq!(body["email"], EMAIL);
    assert_eq!(body["profile_pic"], Value::Null);
}

#[tokio::test]
async fn register_with_a_png_stores_and_serves_it() {
    // Arrange
    let app = spawn_app().await;
    let picture = png(2, 2, [200, 30, 30]);

    // Act
    let response = register_multipart(&app, "peter.png", "image/png", &picture).await;

    // Assert
    let body = response.assert_json(StatusCode::CREATED);
    assert_keys(&body, &USER_KEYS);
    assert!(body["id"].is_string(), "{body}");
    assert_eq!(body["full_name"], "Peter Griffin");
    assert_eq!(body["email"], EMAIL);
    let path = media_path(&app, &body["profile_pic"]);
    let served = app.rest(Method::GET, &path).send().await;
    served.assert_status(StatusCode::OK);
    assert_eq!(served.header("content-type").as_deref(), Some("image/png"));
    assert_eq!(
        served.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(served.bytes, picture);
}

#[tokio::test]
async fn the_picture_type_comes_from_the_content_not_the_declared_type() {
    // Arrange
    let app = spawn_app().await;
    let picture = png(1, 1, [0, 0, 255]);

    // Act
    let response = register_multipart(&app, "peter.jpg", "image/jpeg", &picture).await;

    // Assert
    let body = response.assert_json(StatusCode::CREATED);
    let served = app
        .rest(Method::GET, &media_path(&app, &body["profile_pic"]))
        .send()
        .await;
    served.assert_status(StatusCode::OK);
    assert_eq!(served.header("content-type").as_deref(), Some("image/png"));
}

#[tokio::test]
async fn register_with_a_text_file_as_picture_is_a_400_and_creates_nobody() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = register_multipart(
        &app,
        "evil.png",
        "image/png",
        b"<script>alert('hello')</script>\n",
    )
    .await;

    // Assert
    let body = response.assert_json(StatusCode::BAD_REQUEST);
    assert!(
        body["profile_pic"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    register_json(&app).await;
}

#[tokio::test]
async fn register_with_a_decompression_bomb_header_is_a_400() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = register_multipart(&app, "bomb.png", "image/png", &png_bomb()).await;

    // Assert
    let body = response.assert_json(StatusCode::BAD_REQUEST);
    assert!(
        body["profile_pic"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn register_without_the_password_is_a_400_naming_the_field() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::POST, "/api/user/register/")
        .json(json!({ "email": EMAIL, "full_name": "Peter Griffin" }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::BAD_REQUEST);
    assert_eq!(body["password"], json!([REQUIRED]), "{body}");
}

#[tokio::test]
async fn register_with_a_taken_email_is_a_400() {
    // Arrange
    let app = spawn_app().await;
    register_json(&app).await;

    // Act
    let response = app
        .rest(Method::POST, "/api/user/register/")
        .json(json!({ "email": EMAIL, "full_name": "Other Peter", "password": PASSWORD }))
        .send()
        .await;

    // Assert
    response.assert_body(
        StatusCode::BAD_REQUEST,
        json!({ "email": ["A user with that email already exists."] }),
    );
}

// --- login ---------------------------------------------------------------------------

#[tokio::test]
async fn login_answers_tokens_and_data() {
    // Arrange
    let app = spawn_app().await;
    let user = register_json(&app).await;

    // Act
    let response = app
        .rest(Method::POST, "/api/user/login/")
        .json(json!({ "email": EMAIL, "password": PASSWORD }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::OK);
    assert_keys(&body, &["tokens", "data"]);
    assert_keys(&body["tokens"], &["refresh", "access"]);
    assert!(is_jwt(body["tokens"]["access"].as_str().unwrap()), "{body}");
    assert!(body["tokens"]["refresh"]
        .as_str()
        .is_some_and(|r| !r.is_empty()));
    assert_eq!(body["data"], user);
}

#[tokio::test]
async fn login_data_carries_the_picture_url() {
    // Arrange
    let app = spawn_app().await;
    let registered = register_multipart(&app, "peter.png", "image/png", &png(1, 1, [1, 2, 3]))
        .await
        .assert_json(StatusCode::CREATED);

    // Act
    let login = app.users_service_login(EMAIL, PASSWORD).await;

    // Assert
    assert_eq!(login.data["profile_pic"], registered["profile_pic"]);
}

#[tokio::test]
async fn login_without_fields_is_a_400_naming_them() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::POST, "/api/user/login/")
        .json(json!({}))
        .send()
        .await;

    // Assert
    response.assert_body(
        StatusCode::BAD_REQUEST,
        json!({ "email": [REQUIRED], "password": [REQUIRED] }),
    );
}

#[tokio::test]
async fn login_with_a_wrong_password_is_a_400_with_non_field_errors() {
    // Arrange
    let app = spawn_app().await;
    register_json(&app).await;

    // Act
    let response = app
        .rest(Method::POST, "/api/user/login/")
        .json(json!({ "email": EMAIL, "password": NEW_PASSWORD }))
        .send()
        .await;

    // Assert
    response.assert_body(
        StatusCode::BAD_REQUEST,
        json!({ "non_field_errors": ["Unable to log in with provided credentials."] }),
    );
}

// --- me --------------------------------------------------------------------------------

#[tokio::test]
async fn me_answers_the_user_with_the_jwt_scheme_and_with_bearer() {
    // Arrange
    let app = spawn_app().await;
    let user = register_json(&app).await;
    let login = app.users_service_login(EMAIL, PASSWORD).await;

    // Act
    let jwt = me(&app, &login.access).await;
    let bearer = app
        .rest(Method::GET, "/api/user/me/")
        .bearer(&login.access)
        .send()
        .await;

    // Assert
    jwt.assert_body(StatusCode::OK, user.clone());
    bearer.assert_body(StatusCode::OK, user);
}

#[tokio::test]
async fn me_with_a_bad_token_is_a_401_token_not_valid() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let garbage = me(&app, "not.a.jwt").await;
    let anonymous = app.rest(Method::GET, "/api/user/me/").send().await;

    // Assert
    garbage.assert_token_not_valid();
    anonymous.assert_body(StatusCode::UNAUTHORIZED, json!({ "detail": NOT_PROVIDED }));
}

// --- update ------------------------------------------------------------------------------

#[tokio::test]
async fn update_changes_the_full_name() {
    // Arrange
    let app = spawn_app().await;
    let user = register_json(&app).await;
    let login = app.users_service_login(EMAIL, PASSWORD).await;

    // Act
    let response = app
        .rest(Method::PUT, "/api/user/update/")
        .jwt(&login.access)
        .json(json!({ "full_name": "Peter Griffin Jr" }))
        .send()
        .await;

    // Assert
    let expected = json!({
        "id": user["id"],
        "full_name": "Peter Griffin Jr",
        "email": EMAIL,
        "profile_pic": null
    });
    response.assert_body(StatusCode::OK, expected.clone());
    me(&app, &login.access)
        .await
        .assert_body(StatusCode::OK, expected);
}

#[tokio::test]
async fn patch_update_changes_the_email() {
    // Arrange
    let app = spawn_app().await;
    register_json(&app).await;
    let login = app.users_service_login(EMAIL, PASSWORD).await;

    // Act
    let response = app
        .rest(Method::PATCH, "/api/user/update/")
        .jwt(&login.access)
        .json(json!({ "email": "lois@quahog.com" }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::OK);
    assert_keys(&body, &USER_KEYS);
    assert_eq!(body["email"], "lois@quahog.com");
    assert_eq!(body["full_name"], "Peter Griffin");
    app.users_service_login("lois@quahog.com", PASSWORD).await;
}

#[tokio::test]
async fn update_with_a_password_sets_a_new_password() {
    // Arrange
    let app = spawn_app().await;
    register_json(&app).await;
    let login = app.users_service_login(EMAIL, PASSWORD).await;

    // Act
    let response = app
        .rest(Method::PUT, "/api/user/update/")
        .jwt(&login.access)
        .json(json!({ "password": NEW_PASSWORD }))
        .send()
        .await;

    // Assert
    assert_keys(&response.assert_json(StatusCode::OK), &USER_KEYS);
    app.users_service_login(EMAIL, NEW_PASSWORD).await;
    app.rest(Method::POST, "/api/user/login/")
        .json(json!({ "email": EMAIL, "password": PASSWORD }))
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn update_with_a_weak_password_is_a_400_on_password() {
    // Arrange
    let app = spawn_app().await;
    register_json(&app).await;
    let login = app.users_service_login(EMAIL, PASSWORD).await;

    // Act
    let response = app
        .rest(Method::PUT, "/api/user/update/")
        .jwt(&login.access)
        .json(json!({ "password": "12345678" }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::BAD_REQUEST);
    assert!(
        body["password"].as_array().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    app.users_service_login(EMAIL, PASSWORD).await;
}

#[tokio::test]
async fn update_with_a_null_picture_deletes_it() {
    // Arrange
    let app = spawn_app().await;
    let registered = register_multipart(&app, "peter.png", "image/png", &png(1, 1, [9, 9, 9]))
        .await
        .assert_json(StatusCode::CREATED);
    let old = media_path(&app, &registered["profile_pic"]);
    let login = app.users_service_login(EMAIL, PASSWORD).await;

    // Act
    let response = app
        .rest(Method::PUT, "/api/user/update/")
        .jwt(&login.access)
        .json(json!({ "profile_pic": null }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::OK);
    assert_eq!(body["profile_pic"], Value::Null, "{body}");
    app.rest(Method::GET, &old)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let me = me(&app, &login.access).await.assert_json(StatusCode::OK);
    assert_eq!(me["profile_pic"], Value::Null);
}

#[tokio::test]
async fn replacing_the_picture_serves_the_new_one_and_removes_the_old_one() {
    // Arrange
    let app = spawn_app().await;
    let registered = register_multipart(&app, "old.png", "image/png", &png(1, 1, [9, 9, 9]))
        .await
        .assert_json(StatusCode::CREATED);
    let old = media_path(&app, &registered["profile_pic"]);
    let login = app.users_service_login(EMAIL, PASSWORD).await;
    let picture = png(3, 2, [10, 200, 10]);

    // Act
    let response = app
        .rest(Method::PUT, "/api/user/update/")
        .jwt(&login.access)
        .multipart(MultipartForm::new().file("profile_pic", "new.png", "image/png", &picture))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::OK);
    assert_eq!(body["full_name"], "Peter Griffin");
    let new = media_path(&app, &body["profile_pic"]);
    assert_ne!(new, old);
    let served = app.rest(Method::GET, &new).send().await;
    served.assert_status(StatusCode::OK);
    assert_eq!(served.bytes, picture);
    app.rest(Method::GET, &old)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn update_with_a_text_file_as_picture_is_a_400_and_keeps_the_old_picture() {
    // Arrange
    let app = spawn_app().await;
    let picture = png(1, 1, [9, 9, 9]);
    let registered = register_multipart(&app, "peter.png", "image/png", &picture)
        .await
        .assert_json(StatusCode::CREATED);
    let login = app.users_service_login(EMAIL, PASSWORD).await;

    // Act
    let response = app
        .rest(Method::PUT, "/api/user/update/")
        .jwt(&login.access)
        .multipart(MultipartForm::new().file(
            "profile_pic",
            "notes.txt",
            "text/plain",
            b"just some text",
        ))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::BAD_REQUEST);
    assert!(
        body["profile_pic"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let served = app
        .rest(Method::GET, &media_path(&app, &registered["profile_pic"]))
        .send()
        .await;
    served.assert_status(StatusCode::OK);
    assert_eq!(served.bytes, picture);
}

#[tokio::test]
async fn update_without_credentials_is_a_401() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::PUT, "/api/user/update/")
        .json(json!({ "full_name": "Nobody" }))
        .send()
        .await;

    // Assert
    response.assert_not_provided();
}

// --- refresh -------------------------------------------------------------------------------

#[tokio::test]
async fn refresh_rotates_and_the_old_refresh_token_is_refused() {
    // Arrange
    let app = spawn_app().await;
    let user = register_json(&app).await;
    let login = app.users_service_login(EMAIL, PASSWORD).await;

    // Act
    let response = refresh(&app, &login.refresh).await;

    // Assert
    let body = response.assert_json(StatusCode::OK);
    assert_keys(&body, &["access", "refresh"]);
    assert!(is_jwt(body["access"].as_str().unwrap()), "{body}");
    assert_ne!(body["refresh"].as_str().unwrap(), login.refresh);
    me(&app, body["access"].as_str().unwrap())
        .await
        .assert_body(StatusCode::OK, user);
    refresh(&app, &login.refresh).await.assert_token_not_valid();
}

#[tokio::test]
async fn refresh_by_get_is_a_405() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app.rest(Method::GET, "/api/user/refresh/").send().await;

    // Assert
    response.assert_body(
        StatusCode::METHOD_NOT_ALLOWED,
        json!({ "detail": "Method \"GET\" not allowed." }),
    );
}

#[tokio::test]
async fn refresh_without_a_token_is_a_400_and_with_a_bad_one_a_401() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let missing = app
        .rest(Method::POST, "/api/user/refresh/")
        .json(json!({}))
        .send()
        .await;
    let bad = refresh(&app, "not-a-refresh-token").await;

    // Assert
    missing.assert_body(StatusCode::BAD_REQUEST, json!({ "refresh": [REQUIRED] }));
    bad.assert_body(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": "Token is invalid or expired", "code": "token_not_valid" }),
    );
}

// --- media -------------------------------------------------------------------------------

#[tokio::test]
async fn media_paths_that_escape_the_media_dir_or_name_nothing_are_404() {
    // Arrange
    let app = spawn_app().await;

    for path in [
        "/api/user/media/..%2F..%2Fetc%2Fpasswd",
        "/api/user/media/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/user/media/%2Fetc%2Fpasswd",
        "/api/user/media/nonexistent.png",
    ] {
        // Act
        let response = app.rest(Method::GET, path).send().await;

        // Assert
        assert_eq!(
            response.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            response.text()
        );
        assert!(!response.text().contains("root:"), "{path} leaked a file");
    }
}
