//! Rules every legacy REST API shares (trailing slashes, 405/401/400 bodies,
//! body formats), the APIs working together and with GraphQL, the OpenAPI
//! description and AUTHGRAPH_LEGACY_APIS.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    assert_keys, data, graphql_id, int_id, is_legacy_token, spawn_app, spawn_app_with,
    MultipartForm, TestApp, NOT_PROVIDED, PASSWORD,
};

/// A user registered through GraphQL: `peter`, `peter@example.com`, `PASSWORD`.
async fn graphql_peter(app: &TestApp) -> i64 {
    graphql_id(&app.register_user("peter").await)
}

// --- trailing slashes ----------------------------------------------------------------

#[tokio::test]
async fn djoser_paths_work_without_the_trailing_slash() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let register = app
        .rest(Method::POST, "/auth/users")
        .json(json!({ "email": "peter@example.com", "password": PASSWORD }))
        .send()
        .await;
    let login = app
        .rest(Method::POST, "/auth/token/login")
        .json(json!({ "email": "peter@example.com", "password": PASSWORD }))
        .send()
        .await;
    let token = login.assert_json(StatusCode::OK)["auth_token"]
        .as_str()
        .expect("auth_token")
        .to_owned();
    let me = app
        .rest(Method::GET, "/auth/users/me")
        .token(&token)
        .send()
        .await;
    let logout = app
        .rest(Method::POST, "/auth/token/logout")
        .token(&token)
        .send()
        .await;

    // Assert
    let id = register.assert_json(StatusCode::CREATED)["id"].clone();
    assert_eq!(me.assert_json(StatusCode::OK)["id"], id);
    logout.assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn simplejwt_and_conjugator_paths_work_without_the_trailing_slash() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let register = app
        .rest(Method::POST, "/api/register")
        .json(json!({ "email": "peter@example.com", "password": PASSWORD }))
        .send()
        .await;
    let login = app
        .rest(Method::POST, "/api/login")
        .json(json!({ "email": "peter@example.com", "password": PASSWORD }))
        .send()
        .await
        .assert_json(StatusCode::OK);
    let me = app
        .rest(Method::GET, "/api/me")
        .bearer(login["access_token"].as_str().unwrap())
        .send()
        .await;
    let user = app
        .rest(Method::GET, "/api/user")
        .token(login["token"].as_str().unwrap())
        .send()
        .await;
    let refreshed = app
        .rest(Method::POST, "/api/refresh")
        .json(json!({ "refresh_token": login["refresh_token"] }))
        .send()
        .await
        .assert_json(StatusCode::OK);
    let logout = app
        .rest(Method::POST, "/api/logout")
        .json(json!({ "refresh_token": refreshed["refresh_token"] }))
        .send()
        .await;

    // Assert
    let id = register.assert_json(StatusCode::CREATED)["id"].clone();
    assert_eq!(me.assert_json(StatusCode::OK)["id"], id);
    assert_eq!(user.assert_json(StatusCode::OK)["id"], id);
    logout.assert_body(StatusCode::OK, json!({ "success": "User logged out." }));
}

#[tokio::test]
async fn the_admin_user_list_answers_with_the_trailing_slash_too() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("peter").await;
    let login = app.api_login("peter@example.com", PASSWORD).await;

    // Act
    let response = app
        .rest(Method::GET, "/api/admin/users/")
        .token(&login.token)
        .send()
        .await;

    // Assert
    response.assert_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn cookie_paths_work_without_the_trailing_slash() {
    // Arrange
    let app = spawn_app().await;
    let id = graphql_peter(&app).await;
    let browser = app.new_cookie_client();

    // Act
    let login = app
        .rest_with(&browser, Method::POST, "/api/token")
        .json(json!({ "username": "peter", "password": PASSWORD }))
        .send()
        .await;
    let users = app.rest_with(&browser, Method::GET, "/users").send().await;
    let one = app
        .rest_with(&browser, Method::GET, &format!("/users/{id}"))
        .send()
        .await;
    let groups = app.rest_with(&browser, Method::GET, "/groups").send().await;
    let refresh = app
        .rest_with(&browser, Method::POST, "/api/token/refresh")
        .send()
        .await;
    let change = app
        .rest_with(&browser, Method::POST, "/api/change-password")
        .json(json!({ "old_password": PASSWORD, "new_password": crate::helpers::NEW_PASSWORD }))
        .send()
        .await;

    // Assert
    login.assert_status(StatusCode::OK);
    assert_eq!(users.assert_json(StatusCode::OK)[0]["id"], id);
    assert_eq!(one.assert_json(StatusCode::OK)["id"], id);
    assert_eq!(groups.assert_json(StatusCode::OK), json!([]));
    refresh.assert_body(StatusCode::OK, json!({ "refreshed": true }));
    change.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn users_service_paths_work_without_the_trailing_slash() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let register = app
        .rest(Method::POST, "/api/user/register")
        .json(json!({ "email": "peter@example.com", "full_name": "Peter Griffin", "password": PASSWORD }))
        .send()
        .await;
    let login = app
        .rest(Method::POST, "/api/user/login")
        .json(json!({ "email": "peter@example.com", "password": PASSWORD }))
        .send()
        .await
        .assert_json(StatusCode::OK);
    let access = login["tokens"]["access"].as_str().unwrap();
    let me = app
        .rest(Method::GET, "/api/user/me")
        .jwt(access)
        .send()
        .await;
    let update = app
        .rest(Method::PATCH, "/api/user/update")
        .jwt(access)
        .json(json!({ "full_name": "Peter Griffin Jr" }))
        .send()
        .await;
    let refresh = app
        .rest(Method::POST, "/api/user/refresh")
        .json(json!({ "refresh": login["tokens"]["refresh"] }))
        .send()
        .await;

    // Assert
    let id = register.assert_json(StatusCode::CREATED)["id"].clone();
    assert_eq!(me.assert_json(StatusCode::OK)["id"], id);
    assert_eq!(
        update.assert_json(StatusCode::OK)["full_name"],
        "Peter Griffin Jr"
    );
    refresh.assert_status(StatusCode::OK);
}

// --- error bodies ------------------------------------------------------------------------

#[tokio::test]
async fn an_undocumented_method_on_a_documented_path_is_a_405_with_drfs_body() {
    // Arrange
    let app = spawn_app().await;
    let cases = [
        (Method::GET, "/auth/token/login/"),
        (Method::GET, "/auth/token/login"),
        (Method::PUT, "/auth/users/"),
        (Method::GET, "/api/register/"),
        (Method::GET, "/api/login/"),
        (Method::DELETE, "/api/login/"),
        (Method::GET, "/api/refresh/"),
        (Method::GET, "/api/logout/"),
        (Method::PUT, "/api/token/"),
        (Method::GET, "/api/token/refresh/"),
        (Method::GET, "/api/user/login/"),
        (Method::GET, "/api/user/register/"),
        (Method::GET, "/api/user/refresh"),
    ];

    for (method, path) in cases {
        // Act
        let response = app.rest(method.clone(), path).send().await;

        // Assert
        response.assert_body(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({ "detail": format!("Method \"{method}\" not allowed.") }),
        );
    }
}

#[tokio::test]
async fn an_undocumented_method_on_an_authenticated_path_is_a_405_too() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("peter").await;
    let login = app.api_login("peter@example.com", PASSWORD).await;

    for (method, path) in [
        (Method::DELETE, "/api/me/"),
        (Method::DELETE, "/api/user/"),
        (Method::POST, "/users/"),
        (Method::DELETE, "/groups/"),
        (Method::POST, "/api/user/me/"),
        (Method::GET, "/api/change-password/"),
    ] {
        // Act
        let response = app
            .rest(method.clone(), path)
            .bearer(&login.access_token)
            .send()
            .await;

        // Assert
        response.assert_body(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({ "detail": format!("Method \"{method}\" not allowed.") }),
        );
    }
}

#[tokio::test]
async fn an_unknown_path_is_a_404_with_drfs_body() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app.rest(Method::GET, "/api/nothing-here/").send().await;

    // Assert
    response.assert_body(StatusCode::NOT_FOUND, json!({ "detail": "Not found." }));
}

#[tokio::test]
async fn malformed_json_is_a_400_with_a_detail() {
    // Arrange
    let app = spawn_app().await;

    for path in [
        "/auth/users/",
        "/auth/token/login/",
        "/api/register/",
        "/api/login/",
        "/api/token/",
        "/api/user/login/",
    ] {
        // Act
        let response = app
            .rest(Method::POST, path)
            .body(
                "application/json",
                format!(r#"{{"email": "peter@example.com", "password": "{PASSWORD}""#),
            )
            .send()
            .await;

        // Assert
        let body = response.assert_json(StatusCode::BAD_REQUEST);
        let detail = body["detail"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: no detail in {body}"));
        assert!(detail.starts_with("JSON parse error"), "{path}: {detail}");
    }
}

#[tokio::test]
async fn missing_credentials_are_a_401_on_every_api() {
    // Arrange
    let app = spawn_app().await;

    for (method, path) in [
        (Method::GET, "/auth/users/"),
        (Method::GET, "/auth/users/me/"),
        (Method::GET, "/api/me/"),
        (Method::PUT, "/api/me/"),
        (Method::GET, "/api/user/"),
        (Method::GET, "/api/admin/users"),
        (Method::POST, "/api/change-password/"),
        (Method::GET, "/users/"),
        (Method::GET, "/users/1/"),
        (Method::GET, "/groups/"),
        (Method::GET, "/api/user/me/"),
        (Method::PUT, "/api/user/update/"),
    ] {
        // Act
        let response = app.rest(method, path).send().await;

        // Assert
        response.assert_body(StatusCode::UNAUTHORIZED, json!({ "detail": NOT_PROVIDED }));
    }
}

#[tokio::test]
async fn a_garbage_bearer_token_is_a_401_token_not_valid_on_every_api() {
    // Arrange
    let app = spawn_app().await;

    for path in [
        "/auth/users/me/",
        "/api/me/",
        "/api/user/",
        "/api/admin/users",
        "/users/",
        "/groups/",
        "/api/user/me/",
    ] {
        // Act
        let response = app
            .rest(Method::GET, path)
            .bearer("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")
            .send()
            .await;

        // Assert
        response.assert_token_not_valid();
    }
}

#[tokio::test]
async fn a_bad_token_gets_the_designed_401_body() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::GET, "/api/me/")
        .bearer("garbage")
        .send()
        .await;

    // Assert
    response.assert_body(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": "Given token not valid for any token type", "code": "token_not_valid" }),
    );
}

#[tokio::test]
async fn form_urlencoded_bodies_are_accepted() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let register = app
        .rest(Method::POST, "/api/register/")
        .body(
            "application/x-www-form-urlencoded",
            format!(
                "username=peter&email=peter%40example.com&password={PASSWORD}&first_name=Peter"
            ),
        )
        .send()
        .await;
    let login = app
        .rest(Method::POST, "/auth/token/login/")
        .body(
            "application/x-www-form-urlencoded",
            format!("email=peter%40example.com&password={PASSWORD}"),
        )
        .send()
        .await;

    // Assert
    let user = register.assert_json(StatusCode::CREATED);
    assert_eq!(user["username"], "peter");
    assert_eq!(user["first_name"], "Peter");
    let login = login.assert_json(StatusCode::OK);
    assert!(is_legacy_token(login["auth_token"].as_str().unwrap()));
}

#[tokio::test]
async fn multipart_bodies_are_accepted_beyond_users_service() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let register = app
        .rest(Method::POST, "/auth/users/")
        .multipart(
            MultipartForm::new()
                .text("username", "peter")
                .text("email", "peter@example.com")
                .text("password", PASSWORD)
                .text("codename", "king"),
        )
        .send()
        .await;
    let login = app
        .rest(Method::POST, "/api/token/")
        .multipart(
            MultipartForm::new()
                .text("username", "peter")
                .text("password", PASSWORD),
        )
        .send()
        .await;

    // Assert
    assert_eq!(
        register.assert_json(StatusCode::CREATED)["codename"],
        "king"
    );
    assert_eq!(login.assert_json(StatusCode::OK)["success"], true);
}

// --- the APIs together --------------------------------------------------------------------

#[tokio::test]
async fn a_user_registered_through_graphql_logs_in_through_every_legacy_api() {
    // Arrange
    let app = spawn_app().await;
    let id = graphql_peter(&app).await;

    // Act
    let djoser = app.djoser_login("peter@example.com", PASSWORD).await;
    let simplejwt = app.api_login("peter@example.com", PASSWORD).await;
    let conjugator = app
        .api_login_with(json!({ "username": "peter@example.com", "password": PASSWORD }))
        .await;
    let by_name = app
        .api_login_with(json!({ "username": "peter", "password": PASSWORD }))
        .await;
    let cookie = app
        .rest(Method::POST, "/api/token/")
        .json(json!({ "username": "peter", "password": PASSWORD }))
        .send()
        .await;
    let users_service = app.users_service_login("peter@example.com", PASSWORD).await;

    // Assert
    assert!(is_legacy_token(&djoser));
    assert!(is_legacy_token(&conjugator.token));
    assert!(is_legacy_token(&by_name.token));
    assert!(!simplejwt.access_token.is_empty());
    let cookie = cookie.assert_json(StatusCode::OK);
    assert_eq!(cookie["success"], true);
    assert_eq!(cookie["user"]["username"], "peter");
    assert_eq!(users_service.data["id"], id.to_string());
    assert_eq!(users_service.data["email"], "peter@example.com");
}

#[tokio::test]
async fn a_token_from_any_login_works_on_every_api() {
    // Arrange
    let app = spawn_app().await;
    let id = graphql_peter(&app).await;
    let djoser = app.djoser_login("peter@example.com", PASSWORD).await;
    let users_service = app.users_service_login("peter@example.com", PASSWORD).await;
    let cookies = app.cookie_login("peter", PASSWORD).await;
    let graphql = app.login("peter", PASSWORD).await.0;

    // Act
    let djoser_on_users_service = app
        .rest(Method::GET, "/api/user/me/")
        .token(&djoser)
        .send()
        .await;
    let djoser_on_cookie_api = app.rest(Method::GET, "/users/").token(&djoser).send().await;
    let users_service_on_djoser = app
        .rest(Method::GET, "/auth/users/me/")
        .jwt(&users_service.access)
        .send()
        .await;
    let cookie_on_djoser = app
        .rest(Method::GET, "/auth/users/me/")
        .cookies(&cookies)
        .send()
        .await;
    let cookie_on_simplejwt = app
        .rest(Method::GET, "/api/me/")
        .cookies(&cookies)
        .send()
        .await;
    let graphql_on_conjugator = app
        .rest(Method::GET, "/api/user/")
        .bearer(&graphql)
        .send()
        .await;

    // Assert
    assert_eq!(
        djoser_on_users_service.assert_json(StatusCode::OK)["id"],
        id.to_string()
    );
    assert_eq!(
        djoser_on_cookie_api.assert_json(StatusCode::OK)[0]["id"],
        id
    );
    assert_eq!(
        users_service_on_djoser.assert_json(StatusCode::OK)["id"],
        id
    );
    assert_eq!(cookie_on_djoser.assert_json(StatusCode::OK)["id"], id);
    assert_eq!(cookie_on_simplejwt.assert_json(StatusCode::OK)["id"], id);
    assert_eq!(graphql_on_conjugator.assert_json(StatusCode::OK)["id"], id);
}

#[tokio::test]
async fn a_rest_change_shows_in_graphql() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("peter").await;
    let login = app.api_login("peter@example.com", PASSWORD).await;
    let (access, _) = app.login("peter", PASSWORD).await;

    // Act
    app.rest(Method::PUT, "/api/user/")
        .token(&login.token)
        .json(json!({ "first_name": "Peter" }))
        .send()
        .await
        .assert_status(StatusCode::OK);

    // Assert
    let me = app.me(&access).await;
    assert_eq!(data(&me)["me"]["firstName"], "Peter");
}

#[tokio::test]
async fn a_graphql_change_shows_in_rest() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("peter").await;
    let (access, _) = app.login("peter", PASSWORD).await;
    let token = app.djoser_login("peter@example.com", PASSWORD).await;

    // Act
    let body = app
        .graphql_with_token(
            &access,
            "mutation { updateMe(input: { firstName: \"Larry\", lastName: \"Bird\", codename: \"bird\" }) { id } }",
            Value::Null,
        )
        .await;
    data(&body);

    // Assert
    let me = app
        .rest(Method::GET, "/auth/users/me/")
        .token(&token)
        .send()
        .await
        .assert_json(StatusCode::OK);
    assert_eq!(me["first_name"], "Larry");
    assert_eq!(me["last_name"], "Bird");
    assert_eq!(me["codename"], "bird");
}

#[tokio::test]
async fn a_rest_registration_logs_in_through_graphql() {
    // Arrange
    let app = spawn_app().await;
    let user = app
        .rest_register(
            json!({ "username": "lois", "email": "lois@example.com", "password": PASSWORD }),
        )
        .await;

    // Act
    let (access, _) = app.login("lois", PASSWORD).await;

    // Assert
    app.assert_token_works(&access, &int_id(&user["id"]).to_string())
        .await;
}

#[tokio::test]
async fn a_legacy_logout_revokes_the_token_for_graphql_too() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("peter").await;
    let login = app.api_login("peter@example.com", PASSWORD).await;

    // Act
    app.rest(Method::POST, "/api/logout/")
        .json(json!({ "refresh_token": login.refresh_token }))
        .send()
        .await
        .assert_status(StatusCode::OK);

    // Assert
    app.assert_token_refused(&login.access_token).await;
}

// --- OpenAPI --------------------------------------------------------------------------------

#[tokio::test]
async fn the_openapi_description_lists_the_legacy_routes() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .rest(Method::GET, "/api/openapi.json")
        .unchecked()
        .send()
        .await;

    // Assert
    let body = response.assert_json(StatusCode::OK);
    let version = body["openapi"].as_str().expect("no openapi version");
    assert!(version.starts_with("3.1"), "{version}");
    let paths = body["paths"].as_object().expect("no paths");
    for path in [
        "/auth/users/",
        "/api/login/",
        "/api/token/",
        "/api/user/login/",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys()
        );
    }
}

// --- AUTHGRAPH_LEGACY_APIS -------------------------------------------------------------------

#[tokio::test]
async fn only_the_enabled_legacy_apis_are_served() {
    // Arrange
    let app = spawn_app_with(|settings| settings.legacy_apis = vec!["djoser".into()]).await;
    app.register_user("peter").await;

    // Act
    let djoser = app
        .rest(Method::POST, "/auth/token/login/")
        .json(json!({ "email": "peter@example.com", "password": PASSWORD }))
        .send()
        .await;
    let users_service = app
        .rest(Method::POST, "/api/user/login/")
        .json(json!({ "email": "peter@example.com", "password": PASSWORD }))
        .send()
        .await;
    let cookie = app
        .rest(Method::POST, "/api/token/")
        .json(json!({ "username": "peter", "password": PASSWORD }))
        .send()
        .await;
    let shared_login = app
        .rest(Method::POST, "/api/login/")
        .json(json!({ "email": "peter@example.com", "password": PASSWORD }))
        .send()
        .await;
    let shared_register = app
        .rest(Method::POST, "/api/register/")
        .json(json!({ "username": "lois", "password": PASSWORD }))
        .send()
        .await;

    // Assert
    assert_keys(&djoser.assert_json(StatusCode::OK), &["auth_token"]);
    users_service.assert_status(StatusCode::NOT_FOUND);
    cookie.assert_status(StatusCode::NOT_FOUND);
    shared_login.assert_status(StatusCode::NOT_FOUND);
    shared_register.assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn shared_paths_follow_the_apis_that_use_them() {
    // Arrange
    let app = spawn_app_with(|settings| settings.legacy_apis = vec!["cookie".into()]).await;

    // Act
    let register = app
        .rest(Method::POST, "/api/register/")
        .json(json!({ "username": "lois", "password": PASSWORD }))
        .send()
        .await;
    let login = app
        .rest(Method::POST, "/api/login/")
        .json(json!({ "username": "lois", "password": PASSWORD }))
        .send()
        .await;
    let logout = app.rest(Method::POST, "/api/logout/").send().await;

    // Assert
    register.assert_status(StatusCode::CREATED);
    login.assert_status(StatusCode::NOT_FOUND);
    logout.assert_not_provided();
}
