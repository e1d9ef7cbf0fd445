//! `register`: defaults, name handling, uniqueness, the password policy and
//! self-service group membership.

use serde_json::{json, Value};

use crate::helpers::{
    assert_bad_input, data, error_code, ids, spawn_app, TestApp, PASSWORD, USER_FIELDS,
};

fn register_query() -> String {
    format!(
        "mutation Register($input: RegisterInput!) {{
           register(input: $input) {{ {USER_FIELDS} groups {{ id name }} }}
         }}"
    )
}

async fn register(app: &TestApp, input: Value) -> Value {
    app.graphql(&register_query(), json!({ "input": input }))
        .await
}

/// Asserts that `username` cannot log in with `PASSWORD`, i.e. no user was created.
async fn assert_no_such_user(app: &TestApp, username: &str) {
    let body = app.try_login(username, PASSWORD).await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
}

#[tokio::test]
async fn registering_with_only_an_email_uses_the_email_as_username() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = register(
        &app,
        json!({ "email": "lois@example.com", "password": PASSWORD }),
    )
    .await;

    // Assert
    let user = &data(&body)["register"];
    assert_eq!(user["username"], "lois@example.com");
    assert_eq!(user["email"], "lois@example.com");
    assert_eq!(user["firstName"], "");
    assert_eq!(user["lastName"], "");
    assert_eq!(user["isActive"], true);
    assert_eq!(user["isAdmin"], false);
    app.login("lois@example.com", PASSWORD).await;
}

#[tokio::test]
async fn registering_with_only_a_username_leaves_the_email_empty() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = register(&app, json!({ "username": "stewie", "password": PASSWORD })).await;

    // Assert
    let user = &data(&body)["register"];
    assert_eq!(user["username"], "stewie");
    assert_eq!(user["email"], Value::Null);
    assert_eq!(user["codename"], Value::Null);
    assert_eq!(user["lastLogin"], Value::Null);
    assert_eq!(user["groups"], json!([]));
    app.login("stewie", PASSWORD).await;
}

#[tokio::test]
async fn registering_with_the_full_input_stores_every_field() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = register(
        &app,
        json!({
            "username": "meg",
            "email": "meg@example.com",
            "password": PASSWORD,
            "firstName": "Megan",
            "lastName": "Griffin",
            "codename": "Shut Up Meg",
        }),
    )
    .await;

    // Assert
    let user = &data(&body)["register"];
    assert_eq!(user["username"], "meg");
    assert_eq!(user["email"], "meg@example.com");
    assert_eq!(user["firstName"], "Megan");
    assert_eq!(user["lastName"], "Griffin");
    assert_eq!(user["fullName"], "Megan Griffin");
    assert_eq!(user["codename"], "Shut Up Meg");
    assert_eq!(user["isActive"], true);
    assert_eq!(user["isAdmin"], false);
    assert_eq!(user["profilePic"], Value::Null);
    assert_eq!(user["lastLogin"], Value::Null);
    let joined = user["dateJoined"].as_str().expect("dateJoined is a string");
    chrono::DateTime::parse_from_rfc3339(joined).expect("dateJoined is RFC 3339");
}

#[tokio::test]
async fn full_name_is_split_at_the_first_space() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = register(
        &app,
        json!({ "username": "peter", "password": PASSWORD, "fullName": "Peter Griffin Jr" }),
    )
    .await;

    // Assert
    let user = &data(&body)["register"];
    assert_eq!(user["firstName"], "Peter");
    assert_eq!(user["lastName"], "Griffin Jr");
    assert_eq!(user["fullName"], "Peter Griffin Jr");
}

#[tokio::test]
async fn a_duplicate_username_is_rejected() {
    // Arrange
    let app = spawn_app().await;
    app.register("alice", "alice@example.com", PASSWORD).await;

    // Act
    let body = register(
        &app,
        json!({ "username": "alice", "email": "other@example.com", "password": PASSWORD }),
    )
    .await;

    // Assert
    let messages = assert_bad_input(&body, "username");
    assert_eq!(messages, ["A user with that username already exists."]);
}

#[tokio::test]
async fn a_username_differing_only_in_case_is_a_duplicate() {
    // Arrange
    let app = spawn_app().await;
    app.register("alice", "alice@example.com", PASSWORD).await;

    // Act
    let body = register(
        &app,
        json!({ "username": "Alice", "email": "other@example.com", "password": PASSWORD }),
    )
    .await;

    // Assert
    let messages = assert_bad_input(&body, "username");
    assert_eq!(messages, ["A user with that username already exists."]);
}

#[tokio::test]
async fn a_fullwidth_look_alike_username_is_a_duplicate() {
    // Arrange
    let app = spawn_app().await;
    app.register("alice", "alice@example.com", PASSWORD).await;

    // Act: NFKC folds fullwidth "ＡＬＩＣＥ" to "ALICE", which case-folds to "alice".
    let body = register(
        &app,
        json!({ "username": "ＡＬＩＣＥ", "email": "other@example.com", "password": PASSWORD }),
    )
    .await;

    // Assert
    let messages = assert_bad_input(&body, "username");
    assert_eq!(messages, ["A user with that username already exists."]);
}

#[tokio::test]
async fn an_email_differing_only_in_case_is_a_duplicate() {
    // Arrange
    let app = spawn_app().await;
    app.register("bob", "bob@example.com", PASSWORD).await;

    // Act
    let body = register(
        &app,
        json!({ "username": "robert", "email": "BOB@Example.COM", "password": PASSWORD }),
    )
    .await;

    // Assert
    let messages = assert_bad_input(&body, "email");
    assert_eq!(messages, ["A user with that email already exists."]);
    assert_no_such_user(&app, "robert").await;
}

#[tokio::test]
async fn registering_without_username_or_email_is_rejected() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = register(&app, json!({ "password": PASSWORD, "firstName": "Nobody" })).await;

    // Assert
    let messages = assert_bad_input(&body, "username");
    assert_eq!(messages, ["Enter a username or an email address."]);
}

async fn password_errors(app: &TestApp, username: &str, password: &str) -> Vec<String> {
    let body = register(app, json!({ "username": username, "password": password })).await;
    let messages = assert_bad_input(&body, "password");
    assert_no_such_user(app, username).await;
    messages
}

fn mentions(messages: &[String], phrase: &str) -> bool {
    messages.iter().any(|m| m.contains(phrase))
}

#[tokio::test]
async fn a_short_password_is_rejected() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let messages = password_errors(&app, "quagmire", "Gg7$xq").await;

    // Assert
    assert!(
        messages.contains(
            &"This password is too short. It must contain at least 8 characters.".to_owned()
        ),
        "{messages:?}"
    );
}

#[tokio::test]
async fn an_entirely_numeric_password_is_rejected() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let messages = password_errors(&app, "quagmire", "8305718264093175").await;

    // Assert
    assert!(mentions(&messages, "entirely numeric"), "{messages:?}");
}

#[tokio::test]
async fn a_common_password_is_rejected() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let messages = password_errors(&app, "quagmire", "password123").await;

    // Assert
    assert!(mentions(&messages, "too common"), "{messages:?}");
}

#[tokio::test]
async fn a_password_similar_to_the_username_is_rejected() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let messages = password_errors(&app, "glennquagmire", "glennquagmire").await;

    // Assert
    assert!(mentions(&messages, "too similar"), "{messages:?}");
}

#[tokio::test]
async fn a_password_breaking_several_rules_lists_each_rule() {
    // Arrange
    let app = spawn_app().await;

    // Act: short, numeric and among the most common passwords at once.
    let messages = password_errors(&app, "quagmire", "1234567").await;

    // Assert
    assert!(mentions(&messages, "too short"), "{messages:?}");
    assert!(mentions(&messages, "entirely numeric"), "{messages:?}");
    assert!(mentions(&messages, "too common"), "{messages:?}");
    assert!(messages.len() >= 3, "one message per rule: {messages:?}");
}

#[tokio::test]
async fn registering_into_a_group_open_for_registration_joins_it() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let group = app.create_group(&admin.access, "volunteers", true).await;

    // Act
    let body = register(
        &app,
        json!({ "username": "cleveland", "password": PASSWORD, "groupIds": [group] }),
    )
    .await;

    // Assert
    assert_eq!(ids(&data(&body)["register"]["groups"]), [group.as_str()]);
    let (token, _) = app.login("cleveland", PASSWORD).await;
    let me = app
        .graphql_with_token(&token, "{ me { id groups { id name } } }", Value::Null)
        .await;
    let groups = &data(&me)["me"]["groups"];
    assert_eq!(ids(groups), [group.as_str()]);
    assert_eq!(groups[0]["name"], "volunteers");
    let listed = app
        .graphql_with_token(&token, "{ groups { id } }", Value::Null)
        .await;
    assert!(ids(&data(&listed)["groups"]).contains(&group), "{listed}");
}

#[tokio::test]
async fn registering_into_a_closed_group_is_rejected() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let group = app.create_group(&admin.access, "staff", false).await;

    // Act
    let body = register(
        &app,
        json!({ "username": "joe", "password": PASSWORD, "groupIds": [group] }),
    )
    .await;

    // Assert
    assert_bad_input(&body, "groupIds");
    assert_no_such_user(&app, "joe").await;
}

#[tokio::test]
async fn registering_into_an_unknown_group_is_rejected() {
    // Arrange: the id of a group that existed and was deleted is surely unknown.
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let group = app.create_group(&admin.access, "ephemeral", true).await;
    let deleted = app
        .graphql_with_token(
            &admin.access,
            "mutation Delete($id: ID!) { deleteGroup(id: $id) }",
            json!({ "id": group }),
        )
        .await;
    assert_eq!(data(&deleted)["deleteGroup"], true);

    // Act
    let body = register(
        &app,
        json!({ "username": "joe", "password": PASSWORD, "groupIds": [group] }),
    )
    .await;

    // Assert
    assert_bad_input(&body, "groupIds");
    assert_no_such_user(&app, "joe").await;
}

#[tokio::test]
async fn the_register_response_never_contains_the_password_or_its_hash() {
    // Arrange
    let app = spawn_app().await;
    let query = register_query();
    let variables = json!({ "input": {
        "username": "brian", "email": "brian@example.com", "password": PASSWORD
    } });

    // Act
    let (status, text) = app.post_graphql_raw(None, &query, variables).await;

    // Assert
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&text).expect("JSON body");
    assert_eq!(data(&body)["register"]["username"], "brian");
    assert!(!text.contains(PASSWORD), "the password leaked: {text}");
    assert!(
        !text.to_lowercase().contains("argon2"),
        "a hash leaked: {text}"
    );
    assert!(!text.contains("passwordHash"), "{text}");
}
