//! cookie (shared/seeds/003): `/api/token/` sets HttpOnly cookies,
//! `/api/token/refresh/`, `/api/logout/`, `/api/register/` (username, groups),
//! `/api/change-password/`, `/users/…` and `/groups/`; plus the Origin check
//! of cookie-authenticated writes.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    assert_keys, graphql_id, int_id, spawn_app, spawn_app_with, AuthCookies, SetCookie, TestApp,
    ACCESS_COOKIE, NEW_PASSWORD, NO_PERMISSION, NO_USER_MATCHES, PASSWORD, REFRESH_COOKIE,
    REQUIRED,
};

const USER_KEYS: [&str; 8] = [
    "url",
    "id",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "groups",
];

fn user_url(app: &TestApp, id: i64) -> String {
    app.url(&format!("/users/{id}/"))
}

fn group_url(app: &TestApp, id: i64) -> String {
    app.url(&format!("/groups/{id}/"))
}

/// Registers `name` with the documented fields (and `groups`); returns the answer.
async fn register_named(app: &TestApp, name: &str, groups: Value) -> Value {
    app.rest_register(json!({
        "username": name,
        "password": PASSWORD,
        "email": format!("{name}@kinderly.com"),
        "first_name": "First",
        "last_name": "Last",
        "groups": groups
    }))
    .await
}

/// The documented user, registered and logged in by cookie; returns (id, cookies).
async fn signed_in(app: &TestApp, name: &str) -> (i64, AuthCookies) {
    let user = register_named(app, name, json!([])).await;
    (int_id(&user["id"]), app.cookie_login(name, PASSWORD).await)
}

/// An admin (via GraphQL + SQL), logged in by cookie; returns (id, cookies).
async fn cookie_admin(app: &TestApp) -> (i64, AuthCookies) {
    let admin = app.create_admin().await;
    (
        graphql_id(&admin.id),
        app.cookie_login("admin", PASSWORD).await,
    )
}

#[track_caller]
fn assert_auth_cookie(cookie: &SetCookie, max_age: &str) {
    assert!(!cookie.value.is_empty(), "{}", cookie.raw);
    assert!(cookie.has("HttpOnly"), "{}", cookie.raw);
    assert!(
        cookie
            .attribute("SameSite")
            .is_some_and(|v| v.eq_ignore_ascii_case("Lax")),
        "{}",
        cookie.raw
    );
    assert_eq!(cookie.attribute("Path"), Some("/"), "{}", cookie.raw);
    assert_eq!(cookie.attribute("Max-Age"), Some(max_age), "{}", cookie.raw);
    assert!(
        !cookie.has("Secure"),
        "cookie_secure is off in tests: {}",
        cookie.raw
    );
}

#[track_caller]
fn assert_cleared(cookie: Option<SetCookie>, name: &str) {
    let cookie = cookie.unwrap_or_else(|| panic!("{name} is not cleared"));
    assert_eq!(cookie.attribute("Max-Age"), Some("0"), "{}", cookie.raw);
}

async fn change_password(
    app: &TestApp,
    cookies: &AuthCookies,
    origin: Option<&str>,
) -> crate::helpers::RestResponse {
    let mut call = app
        .rest(Method::POST, "/api/change-password/")
        .cookies(cookies)
        .json(json!({ "old_password": PASSWORD, "new_password": NEW_PASSWORD }));
    if let Some(origin) = origin {
        call = call.header("origin", origin);
    }
    call.send().await
}

async fn token_login(
    app: &TestApp,
    username: &str,
    password: &str,
) -> crate::helpers::RestResponse {
    app.rest(Method::POST, "/api/token/")
        .json(json!({ "username": username, "password": password }))
        .send()
        .await
}

// --- /api/register/ ---------------------------------------------------------

#[tokio::test]
async fn register_with_a_username_answers_the_documented_fields() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = register_named(&app, "user_username", json!([])).await;

    // Assert
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
    assert!(int_id(&body["id"]) > 0);
    assert_eq!(body["username"], "user_username");
    assert_eq!(body["email"], "user_username@kinderly.com");
    assert_eq!(body["first_name"], "First");
    assert_eq!(body["last_name"], "Last");
    assert_eq!(body["is_active"], true);
    assert_eq!(body["groups"], json!([]));
}

#[tokio::test]
async fn register_joins_a_group_open_for_registration() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let parents = graphql_id(&app.create_group(&admin.access, "Parents", true).await);

    // Act
    let body = register_named(&app, "user_username", json!([parents])).await;

    // Assert
    assert_eq!(body["groups"], json!([parents]));
    let login = token_login(&app, "user_username", PASSWORD)
        .await
        .assert_json(StatusCode::OK);
    assert_eq!(login["user"]["groups"], json!([parents]));
}

#[tokio::test]
async fn register_with_a_closed_or_unknown_group_is_a_400_and_creates_nobody() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let staff = graphql_id(&app.create_group(&admin.access, "Staff", false).await);

    for groups in [json!([staff]), json!([987_654])] {
        // Act
        let response = app
            .rest(Method::POST, "/api/register/")
            .json(json!({ "username": "sneaky", "password": PASSWORD, "groups": groups }))
            .send()
            .await;

        // Assert
        let body = response.assert_json(StatusCode::BAD_REQUEST);
        let messages = body
            .get("groups")
            .or_else(|| body.get("group_ids"))
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("no groups error: {body}"));
        assert!(!messages.is_empty(), "{body}");
        token_login(&app, "sneaky", PASSWORD)
            .await
            .assert_body(StatusCode::UNAUTHORIZED, json!({ "success": false }));
    }
}

#[tokio::test]
async fn registering_a_taken_username_is_a_400_never_a_500() {
    // Arrange
    let app = spawn_app().await;
    register_named(&app, "user_username", json!([])).await;

    for username in ["user_username", "USER_Username"] {
        // Act
        let response = app
            .rest(Method::POST, "/api/register/")
            .json(json!({ "username": username, "password": PASSWORD }))
            .send()
            .await;

        // Assert
        response.assert_body(
            StatusCode::BAD_REQUEST,
            json!({ "username": ["A user with that username already exists."] }),
        );
    }
}

#[tokio::test]
async fn register_without_username_or_email_is_a_400_on_username() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::POST, "/api/register/")
        .json(json!({ "password": PASSWORD, "first_name": "Nobody" }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::BAD_REQUEST);
    assert!(
        body["username"].as_array().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

// --- /api/token/ --------------------------------------------------------------

#[tokio::test]
async fn token_login_answers_the_user_and_sets_httponly_cookies() {
    // Arrange
    let app = spawn_app().await;
    register_named(&app, "user_username", json!([])).await;

    // Act
    let response = token_login(&app, "user_username", PASSWORD).await;

    // Assert
    response.assert_body(
        StatusCode::OK,
        json!({
            "success": true,
            "user": {
                "username": "user_username",
                "first_name": "First",
                "last_name": "Last",
                "email": "user_username@kinderly.com",
                "is_active": true,
                "groups": []
            }
        }),
    );
    assert_auth_cookie(
        &response
            .set_cookie(ACCESS_COOKIE)
            .expect("no access cookie"),
        "900",
    );
    assert_auth_cookie(
        &response
            .set_cookie(REFRESH_COOKIE)
            .expect("no refresh cookie"),
        "1209600",
    );
}

#[tokio::test]
async fn token_login_with_bad_credentials_is_a_401_and_sets_no_cookie() {
    // Arrange
    let app = spawn_app().await;
    register_named(&app, "user_username", json!([])).await;

    // Act
    let wrong = token_login(&app, "user_username", NEW_PASSWORD).await;
    let unknown = token_login(&app, "nobody", PASSWORD).await;

    // Assert
    for response in [wrong, unknown] {
        response.assert_body(StatusCode::UNAUTHORIZED, json!({ "success": false }));
        assert!(
            response
                .set_cookies()
                .iter()
                .all(|c| c.name != ACCESS_COOKIE || c.value.is_empty()),
            "{:?}",
            response.set_cookies()
        );
    }
}

#[tokio::test]
async fn the_cookie_alone_authenticates_users_and_groups() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let parents = graphql_id(&app.create_group(&admin.access, "Parents", true).await);
    let staff = graphql_id(&app.create_group(&admin.access, "Staff", false).await);
    let user = register_named(&app, "user_username", json!([parents])).await;
    let id = int_id(&user["id"]);
    let browser = app.new_cookie_client();
    app.rest_with(&browser, Method::POST, "/api/token/")
        .json(json!({ "username": "user_username", "password": PASSWORD }))
        .send()
        .await
        .assert_status(StatusCode::OK);

    // Act
    let users = app.rest_with(&browser, Method::GET, "/users/").send().await;
    let one = app
        .rest_with(&browser, Method::GET, &format!("/users/{id}/"))
        .send()
        .await;
    let groups = app
        .rest_with(&browser, Method::GET, "/groups/")
        .send()
        .await;

    // Assert
    let expected_user = json!({
        "url": user_url(&app, id),
        "id": id,
        "username": "user_username",
        "first_name": "First",
        "last_name": "Last",
        "email": "user_username@kinderly.com",
        "is_active": true,
        "groups": [group_url(&app, parents)]
    });
    users.assert_body(StatusCode::OK, json!([expected_user.clone()]));
    one.assert_body(StatusCode::OK, expected_user);
    let groups = groups.assert_json(StatusCode::OK);
    let mut groups = groups.as_array().expect("a list").clone();
    groups.sort_by_key(|g| int_id(&g["id"]));
    assert_eq!(
        groups,
        vec![
            json!({ "url": group_url(&app, parents), "id": parents, "name": "Parents" }),
            json!({ "url": group_url(&app, staff), "id": staff, "name": "Staff" }),
        ]
    );
}

#[tokio::test]
async fn users_and_groups_need_credentials() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let users = app.rest(Method::GET, "/users/").send().await;
    let groups = app.rest(Method::GET, "/groups/").send().await;

    // Assert
    users.assert_not_provided();
    groups.assert_not_provided();
}

#[tokio::test]
async fn the_users_list_and_detail_accept_a_bearer_token_too() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("peter").await;
    let id = graphql_id(&user.id);

    // Act
    let users = app
        .rest(Method::GET, "/users/")
        .bearer(&user.access)
        .send()
        .await;

    // Assert
    let users = users.assert_json(StatusCode::OK);
    let users = users.as_array().expect("a list");
    assert_eq!(users.len(), 1, "{users:?}");
    assert_keys(&users[0], &USER_KEYS);
    assert_eq!(users[0]["id"], id);
    assert_eq!(users[0]["url"], user_url(&app, id));
}

// --- /api/token/refresh/ --------------------------------------------------------

#[tokio::test]
async fn token_refresh_rotates_the_cookies_and_refuses_the_old_refresh_cookie() {
    // Arrange
    let app = spawn_app().await;
    let (id, cookies) = signed_in(&app, "user_username").await;

    // Act
    let response = app
        .rest(Method::POST, "/api/token/refresh/")
        .cookie(REFRESH_COOKIE, &cookies.refresh)
        .send()
        .await;

    // Assert
    response.assert_body(StatusCode::OK, json!({ "refreshed": true }));
    let access = response
        .set_cookie(ACCESS_COOKIE)
        .expect("no new access cookie");
    let refresh = response
        .set_cookie(REFRESH_COOKIE)
        .expect("no new refresh cookie");
    assert_auth_cookie(&access, "900");
    assert_auth_cookie(&refresh, "1209600");
    assert_ne!(refresh.value, cookies.refresh);
    let fresh = AuthCookies {
        access: access.value,
        refresh: refresh.value,
    };
    let me = app
        .rest(Method::GET, &format!("/users/{id}/"))
        .cookies(&fresh)
        .send()
        .await
        .assert_json(StatusCode::OK);
    assert_eq!(me["id"], id);
    app.rest(Method::POST, "/api/token/refresh/")
        .cookie(REFRESH_COOKIE, &cookies.refresh)
        .send()
        .await
        .assert_body(StatusCode::UNAUTHORIZED, json!({ "refreshed": false }));
}

#[tokio::test]
async fn token_refresh_works_from_the_cookie_store() {
    // Arrange
    let app = spawn_app().await;
    register_named(&app, "user_username", json!([])).await;
    let browser = app.new_cookie_client();
    app.rest_with(&browser, Method::POST, "/api/token/")
        .json(json!({ "username": "user_username", "password": PASSWORD }))
        .send()
        .await
        .assert_status(StatusCode::OK);

    // Act
    let response = app
        .rest_with(&browser, Method::POST, "/api/token/refresh/")
        .send()
        .await;

    // Assert
    response.assert_body(StatusCode::OK, json!({ "refreshed": true }));
    app.rest_with(&browser, Method::GET, "/users/")
        .send()
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn token_refresh_without_or_with_a_bad_cookie_is_a_401() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let missing = app.rest(Method::POST, "/api/token/refresh/").send().await;
    let bad = app
        .rest(Method::POST, "/api/token/refresh/")
        .cookie(REFRESH_COOKIE, "not-a-refresh-token")
        .send()
        .await;

    // Assert
    missing.assert_body(StatusCode::UNAUTHORIZED, json!({ "refreshed": false }));
    bad.assert_body(StatusCode::UNAUTHORIZED, json!({ "refreshed": false }));
}

// --- /api/logout/ ----------------------------------------------------------------

#[tokio::test]
async fn cookie_logout_answers_true_clears_the_cookies_and_ends_the_session() {
    // Arrange
    let app = spawn_app().await;
    register_named(&app, "user_username", json!([])).await;
    let browser = app.new_cookie_client();
    let cookies = app
        .rest_with(&browser, Method::POST, "/api/token/")
        .json(json!({ "username": "user_username", "password": PASSWORD }))
        .send()
        .await
        .assert_status(StatusCode::OK)
        .auth_cookies();

    // Act
    let response = app
        .rest_with(&browser, Method::POST, "/api/logout/")
        .send()
        .await;

    // Assert
    response.assert_body(StatusCode::OK, json!({ "success": true }));
    assert_cleared(response.set_cookie(ACCESS_COOKIE), ACCESS_COOKIE);
    assert_cleared(response.set_cookie(REFRESH_COOKIE), REFRESH_COOKIE);
    // The browser dropped the cookies...
    app.rest_with(&browser, Method::GET, "/users/")
        .send()
        .await
        .assert_not_provided();
    // ...and a copy of the old ones is worthless.
    app.rest(Method::GET, "/users/")
        .cookie(ACCESS_COOKIE, &cookies.access)
        .send()
        .await
        .assert_token_not_valid();
    app.rest(Method::POST, "/api/token/refresh/")
        .cookie(REFRESH_COOKIE, &cookies.refresh)
        .send()
        .await
        .assert_body(StatusCode::UNAUTHORIZED, json!({ "refreshed": false }));
}

// --- /api/change-password/ ----------------------------------------------------------

#[tokio::test]
async fn change_password_changes_the_password() {
    // Arrange
    let app = spawn_app().await;
    register_named(&app, "user_username", json!([])).await;
    let browser = app.new_cookie_client();
    app.rest_with(&browser, Method::POST, "/api/token/")
        .json(json!({ "username": "user_username", "password": PASSWORD }))
        .send()
        .await
        .assert_status(StatusCode::OK);

    // Act
    let response = app
        .rest_with(&browser, Method::POST, "/api/change-password/")
        .json(json!({ "new_password": NEW_PASSWORD, "old_password": PASSWORD }))
        .send()
        .await;

    // Assert
    response.assert_body(
        StatusCode::OK,
        json!({ "message": "Password updated successfully" }),
    );
    token_login(&app, "user_username", PASSWORD)
        .await
        .assert_body(StatusCode::UNAUTHORIZED, json!({ "success": false }));
    token_login(&app, "user_username", NEW_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn change_password_with_a_wrong_old_password_is_a_400_and_changes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let (_, cookies) = signed_in(&app, "user_username").await;

    // Act
    let response = app
        .rest(Method::POST, "/api/change-password/")
        .cookies(&cookies)
        .json(json!({ "new_password": NEW_PASSWORD, "old_password": "wrong-horse-battery-7" }))
        .send()
        .await;

    // Assert
    response.assert_body(
        StatusCode::BAD_REQUEST,
        json!({ "old_password": ["Wrong password."] }),
    );
    token_login(&app, "user_username", PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn change_password_to_a_weak_password_is_a_400_on_new_password() {
    // Arrange
    let app = spawn_app().await;
    let (_, cookies) = signed_in(&app, "user_username").await;

    // Act
    let response = app
        .rest(Method::POST, "/api/change-password/")
        .cookies(&cookies)
        .json(json!({ "new_password": "12345678", "old_password": PASSWORD }))
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::BAD_REQUEST);
    assert_keys(&body, &["new_password"]);
    assert!(
        body["new_password"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn change_password_without_the_fields_is_a_400_naming_both() {
    // Arrange
    let app = spawn_app().await;
    let (_, cookies) = signed_in(&app, "user_username").await;

    // Act
    let response = app
        .rest(Method::POST, "/api/change-password/")
        .cookies(&cookies)
        .json(json!({}))
        .send()
        .await;

    // Assert
    response.assert_body(
        StatusCode::BAD_REQUEST,
        json!({ "old_password": [REQUIRED], "new_password": [REQUIRED] }),
    );
}

#[tokio::test]
async fn change_password_without_credentials_is_a_401() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::POST, "/api/change-password/")
        .json(json!({ "new_password": NEW_PASSWORD, "old_password": PASSWORD }))
        .send()
        .await;

    // Assert
    response.assert_not_provided();
}

// --- Origin check of cookie-authenticated writes -------------------------------------

#[tokio::test]
async fn a_cookie_write_from_a_foreign_origin_is_refused_and_changes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let (_, cookies) = signed_in(&app, "user_username").await;

    // Act
    let response = change_password(&app, &cookies, Some("http://evil.example")).await;

    // Assert
    response.assert_body(
        StatusCode::FORBIDDEN,
        json!({ "detail": "Origin not allowed." }),
    );
    token_login(&app, "user_username", PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_cookie_write_from_the_servers_own_origin_works() {
    // Arrange
    let app = spawn_app().await;
    let (_, cookies) = signed_in(&app, "user_username").await;

    // Act
    let response = change_password(&app, &cookies, Some(&app.address)).await;

    // Assert
    response.assert_status(StatusCode::OK);
    token_login(&app, "user_username", NEW_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_cookie_write_without_an_origin_header_works() {
    // Arrange
    let app = spawn_app().await;
    let (_, cookies) = signed_in(&app, "user_username").await;

    // Act
    let response = change_password(&app, &cookies, None).await;

    // Assert
    response.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_cookie_write_from_an_allowed_origin_works() {
    // Arrange
    let app = spawn_app_with(|settings| {
        settings.allowed_origins = vec!["http://app.example".into()];
    })
    .await;
    let (_, cookies) = signed_in(&app, "user_username").await;

    // Act
    let foreign = change_password(&app, &cookies, Some("http://evil.example")).await;
    let allowed = change_password(&app, &cookies, Some("http://app.example")).await;

    // Assert
    foreign.assert_status(StatusCode::FORBIDDEN);
    allowed.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_bearer_write_from_a_foreign_origin_is_not_refused() {
    // Arrange
    let app = spawn_app().await;
    register_named(&app, "user_username", json!([])).await;
    let login = app.api_login("user_username@kinderly.com", PASSWORD).await;

    // Act
    let response = app
        .rest(Method::POST, "/api/change-password/")
        .bearer(&login.access_token)
        .header("origin", "http://evil.example")
        .json(json!({ "old_password": PASSWORD, "new_password": NEW_PASSWORD }))
        .send()
        .await;

    // Assert
    response.assert_body(
        StatusCode::OK,
        json!({ "message": "Password updated successfully" }),
    );
}

#[tokio::test]
async fn a_cookie_read_from_a_foreign_origin_is_not_refused() {
    // Arrange
    let app = spawn_app().await;
    let (_, cookies) = signed_in(&app, "user_username").await;

    // Act
    let response = app
        .rest(Method::GET, "/users/")
        .cookies(&cookies)
        .header("origin", "http://evil.example")
        .send()
        .await;

    // Assert
    response.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_cookie_authenticated_graphql_mutation_from_a_foreign_origin_is_refused() {
    // Arrange
    let app = spawn_app().await;
    let (_, cookies) = signed_in(&app, "user_username").await;

    // Act
    let response = app
        .rest(Method::POST, "/graphql")
        .cookies(&cookies)
        .header("origin", "http://evil.example")
        .json(json!({ "query": "mutation { updateMe(input: { firstName: \"Evil\" }) { firstName } }" }))
        .send()
        .await;

    // Assert
    response.assert_status(StatusCode::FORBIDDEN);
    let login = token_login(&app, "user_username", PASSWORD)
        .await
        .assert_json(StatusCode::OK);
    assert_eq!(login["user"]["first_name"], "First");
}

// --- /users/<id>/ ---------------------------------------------------------------------

#[tokio::test]
async fn a_user_may_patch_their_own_contact_details() {
    // Arrange
    let app = spawn_app().await;
    let (id, cookies) = signed_in(&app, "user_username").await;

    // Act
    let response = app
        .rest(Method::PATCH, &format!("/users/{id}/"))
        .cookies(&cookies)
        .json(json!({
            "first_name": "new_first_name",
            "last_name": "new_last_name",
            "email": "new_user_email@kinderly.com"
        }))
        .send()
        .await;

    // Assert
    let expected = json!({
        "url": user_url(&app, id),
        "id": id,
        "username": "user_username",
        "first_name": "new_first_name",
        "last_name": "new_last_name",
        "email": "new_user_email@kinderly.com",
        "is_active": true,
        "groups": []
    });
    response.assert_body(StatusCode::OK, expected.clone());
    app.rest(Method::GET, &format!("/users/{id}/"))
        .cookies(&cookies)
        .send()
        .await
        .assert_body(StatusCode::OK, expected);
}

#[tokio::test]
async fn a_non_admin_may_not_change_their_own_is_active() {
    // Arrange
    let app = spawn_app().await;
    let (id, cookies) = signed_in(&app, "user_username").await;

    // Act
    let response = app
        .rest(Method::PATCH, &format!("/users/{id}/"))
        .cookies(&cookies)
        .json(json!({ "is_active": false }))
        .send()
        .await;

    // Assert
    response.assert_body(StatusCode::FORBIDDEN, json!({ "detail": NO_PERMISSION }));
    token_login(&app, "user_username", PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_non_admin_cannot_see_change_or_delete_another_user() {
    // Arrange
    let app = spawn_app().await;
    let (_, cookies) = signed_in(&app, "user_username").await;
    let other = int_id(&register_named(&app, "other", json!([])).await["id"]);
    let path = format!("/users/{other}/");
    let not_found = json!({ "detail": NO_USER_MATCHES });

    // Act
    let get = app.rest(Method::GET, &path).cookies(&cookies).send().await;
    let patch = app
        .rest(Method::PATCH, &path)
        .cookies(&cookies)
        .json(json!({ "first_name": "Hacked" }))
        .send()
        .await;
    let delete = app
        .rest(Method::DELETE, &path)
        .cookies(&cookies)
        .send()
        .await;

    // Assert
    get.assert_body(StatusCode::NOT_FOUND, not_found.clone());
    patch.assert_body(StatusCode::NOT_FOUND, not_found.clone());
    delete.assert_body(StatusCode::NOT_FOUND, not_found);
    let login = token_login(&app, "other", PASSWORD)
        .await
        .assert_json(StatusCode::OK);
    assert_eq!(login["user"]["first_name"], "First");
}

#[tokio::test]
async fn a_non_admin_gets_403_for_a_visible_other_user_in_an_open_directory() {
    // Arrange
    let app = spawn_app_with(|settings| settings.open_user_directory = true).await;
    let (_, cookies) = signed_in(&app, "user_username").await;
    let other = int_id(&register_named(&app, "other", json!([])).await["id"]);

    // Act
    let get = app
        .rest(Method::GET, &format!("/users/{other}/"))
        .cookies(&cookies)
        .send()
        .await;
    let patch = app
        .rest(Method::PATCH, &format!("/users/{other}/"))
        .cookies(&cookies)
        .json(json!({ "first_name": "Hacked" }))
        .send()
        .await;

    // Assert
    assert_eq!(get.assert_json(StatusCode::OK)["id"], other);
    patch.assert_body(StatusCode::FORBIDDEN, json!({ "detail": NO_PERMISSION }));
}

#[tokio::test]
async fn an_admin_lists_everyone_and_may_deactivate_a_user() {
    // Arrange
    let app = spawn_app().await;
    let (admin_id, admin) = cookie_admin(&app).await;
    let id = int_id(&register_named(&app, "user_username", json!([])).await["id"]);

    // Act
    let list = app
        .rest(Method::GET, "/users/")
        .cookies(&admin)
        .send()
        .await;
    let patch = app
        .rest(Method::PATCH, &format!("/users/{id}/"))
        .cookies(&admin)
        .json(json!({ "is_active": false }))
        .send()
        .await;

    // Assert
    let list = list.assert_json(StatusCode::OK);
    let mut ids: Vec<i64> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|u| {
            assert_keys(u, &USER_KEYS);
            int_id(&u["id"])
        })
        .collect();
    ids.sort_unstable();
    let mut expected = vec![admin_id, id];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    let patched = patch.assert_json(StatusCode::OK);
    assert_keys(&patched, &USER_KEYS);
    assert_eq!(patched["is_active"], false);
    token_login(&app, "user_username", PASSWORD)
        .await
        .assert_body(StatusCode::UNAUTHORIZED, json!({ "success": false }));
}

#[tokio::test]
async fn an_admin_deletes_a_user_and_it_is_gone() {
    // Arrange
    let app = spawn_app().await;
    let (_, admin) = cookie_admin(&app).await;
    let id = int_id(&register_named(&app, "user_username", json!([])).await["id"]);
    let path = format!("/users/{id}/");

    // Act
    let response = app.rest(Method::DELETE, &path).cookies(&admin).send().await;

    // Assert
    response.assert_status(StatusCode::NO_CONTENT);
    app.rest(Method::GET, &path)
        .cookies(&admin)
        .send()
        .await
        .assert_body(StatusCode::NOT_FOUND, json!({ "detail": NO_USER_MATCHES }));
    token_login(&app, "user_username", PASSWORD)
        .await
        .assert_body(StatusCode::UNAUTHORIZED, json!({ "success": false }));
}

#[tokio::test]
async fn deleting_an_unknown_user_is_a_404() {
    // Arrange
    let app = spawn_app().await;
    let (_, admin) = cookie_admin(&app).await;

    // Act
    let response = app
        .rest(Method::DELETE, "/users/987654/")
        .cookies(&admin)
        .send()
        .await;

    // Assert
    response.assert_body(StatusCode::NOT_FOUND, json!({ "detail": NO_USER_MATCHES }));
}

#[tokio::test]
async fn a_user_may_delete_themselves() {
    // Arrange
    let app = spawn_app().await;
    let (id, cookies) = signed_in(&app, "user_username").await;

    // Act
    let response = app
        .rest(Method::DELETE, &format!("/users/{id}/"))
        .cookies(&cookies)
        .send()
        .await;

    // Assert
    response.assert_status(StatusCode::NO_CONTENT);
    token_login(&app, "user_username", PASSWORD)
        .await
        .assert_body(StatusCode::UNAUTHORIZED, json!({ "success": false }));
}
