//! Admin user management: `updateUser` and `deleteUser`, and who may call them.

use serde_json::{json, Value};

use crate::helpers::{
    assert_bad_input, data, error_code, error_message, spawn_app, BAD_LOGIN_MESSAGE, NEW_PASSWORD,
    PASSWORD,
};

const USER: &str = "query User($id: ID!) { user(id: $id) { id username isActive isAdmin } }";

#[tokio::test]
async fn anonymous_callers_cannot_use_admin_mutations() {
    // Arrange
    let app = spawn_app().await;
    let victim = app.register_user("meg").await;

    // Act
    let update = app
        .graphql(
            "mutation U($id: ID!) { updateUser(id: $id, input: { isAdmin: true }) { id } }",
            json!({ "id": victim }),
        )
        .await;
    let delete = app
        .graphql(
            "mutation D($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": victim }),
        )
        .await;

    // Assert
    for body in [&update, &delete] {
        assert_eq!(error_code(body), Some("UNAUTHENTICATED"), "{body}");
    }
    app.login("meg", PASSWORD).await;
}

#[tokio::test]
async fn non_admins_are_forbidden_to_update_or_delete_users() {
    // Arrange
    let app = spawn_app().await;
    let victim = app.register_user("meg").await;
    let user = app.signed_in_user("chris").await;

    // Act
    let promote_self = app
        .update_user(&user.access, &user.id, json!({ "isAdmin": true }))
        .await;
    let rename_other = app
        .update_user(&user.access, &victim, json!({ "firstName": "Hacked" }))
        .await;
    let delete_other = app.delete_user(&user.access, &victim).await;

    // Assert
    for body in [&promote_self, &rename_other, &delete_other] {
        assert_eq!(error_code(body), Some("FORBIDDEN"), "{body}");
    }
    let me = app.me(&user.access).await;
    assert_eq!(data(&me)["me"]["isAdmin"], false);
    app.login("meg", PASSWORD).await;
}

#[tokio::test]
async fn an_admin_can_update_another_users_profile() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let id = app.register_user("meg").await;

    // Act
    let body = app
        .update_user(
            &admin.access,
            &id,
            json!({
                "username": "megan",
                "email": "megan@example.com",
                "fullName": "Megan Griffin",
                "codename": "Muriel",
            }),
        )
        .await;

    // Assert
    let user = &data(&body)["updateUser"];
    assert_eq!(user["id"], id.as_str());
    assert_eq!(user["username"], "megan");
    assert_eq!(user["email"], "megan@example.com");
    assert_eq!(user["firstName"], "Megan");
    assert_eq!(user["lastName"], "Griffin");
    assert_eq!(user["codename"], "Muriel");
    let (token, _) = app.login("megan", PASSWORD).await;
    let me = app.me(&token).await;
    assert_eq!(data(&me)["me"]["fullName"], "Megan Griffin");
}

#[tokio::test]
async fn an_admin_update_with_a_taken_username_is_rejected() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let id = app.register_user("meg").await;
    app.register_user("chris").await;

    // Act
    let body = app
        .update_user(&admin.access, &id, json!({ "username": "CHRIS" }))
        .await;

    // Assert
    let messages = assert_bad_input(&body, "username");
    assert_eq!(messages, ["A user with that username already exists."]);
}

#[tokio::test]
async fn an_admin_can_make_another_user_an_admin() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let id = app.register_user("meg").await;

    // Act
    let body = app
        .update_user(&admin.access, &id, json!({ "isAdmin": true }))
        .await;

    // Assert
    assert_eq!(data(&body)["updateUser"]["isAdmin"], true);
    let (token, _) = app.login("meg", PASSWORD).await;
    let created = app
        .graphql_with_token(
            &token,
            "mutation { createGroup(input: { name: \"megs\" }) { name } }",
            Value::Null,
        )
        .await;
    assert_eq!(data(&created)["createGroup"]["name"], "megs");
}

#[tokio::test]
async fn an_admin_can_set_another_users_password() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let id = app.register_user("meg").await;

    // Act
    let body = app
        .update_user(&admin.access, &id, json!({ "password": NEW_PASSWORD }))
        .await;

    // Assert
    assert_eq!(data(&body)["updateUser"]["id"], id.as_str());
    let old = app.try_login("meg", PASSWORD).await;
    assert_eq!(error_code(&old), Some("UNAUTHENTICATED"), "{old}");
    app.login("meg", NEW_PASSWORD).await;
}

#[tokio::test]
async fn an_admin_cannot_set_a_weak_password() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let id = app.register_user("meg").await;

    // Act
    let body = app
        .update_user(&admin.access, &id, json!({ "password": "password123" }))
        .await;

    // Assert
    assert_bad_input(&body, "password");
    app.login("meg", PASSWORD).await;
}

#[tokio::test]
async fn updating_an_unknown_user_is_not_found() {
    // Arrange: the id of a deleted user.
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let id = app.register_user("meg").await;
    assert_eq!(
        data(&app.delete_user(&admin.access, &id).await)["deleteUser"],
        true
    );

    // Act
    let update = app
        .update_user(&admin.access, &id, json!({ "firstName": "Ghost" }))
        .await;
    let delete = app.delete_user(&admin.access, &id).await;

    // Assert
    assert_eq!(error_code(&update), Some("NOT_FOUND"), "{update}");
    assert_eq!(error_code(&delete), Some("NOT_FOUND"), "{delete}");
}

#[tokio::test]
async fn deactivating_a_user_revokes_their_sessions_and_blocks_login() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let user = app.signed_in_user("meg").await;
    app.assert_token_works(&user.access, &user.id).await;

    // Act
    let body = app
        .update_user(&admin.access, &user.id, json!({ "isActive": false }))
        .await;

    // Assert
    assert_eq!(data(&body)["updateUser"]["isActive"], false);
    app.assert_token_refused(&user.access).await;
    let refreshed = app
        .graphql(
            "mutation R($t: String) { refresh(refreshToken: $t) { accessToken } }",
            json!({ "t": user.refresh }),
        )
        .await;
    assert_eq!(
        error_code(&refreshed),
        Some("UNAUTHENTICATED"),
        "{refreshed}"
    );
    let login = app.try_login("meg", PASSWORD).await;
    assert_eq!(error_code(&login), Some("UNAUTHENTICATED"), "{login}");
    assert_eq!(error_message(&login), Some(BAD_LOGIN_MESSAGE));
    let seen = app
        .graphql_with_token(&admin.access, USER, json!({ "id": user.id }))
        .await;
    assert_eq!(data(&seen)["user"]["isActive"], false);
}

#[tokio::test]
async fn a_reactivated_user_can_log_in_again() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let id = app.register_user("meg").await;
    data(
        &app.update_user(&admin.access, &id, json!({ "isActive": false }))
            .await,
    );

    // Act
    let body = app
        .update_user(&admin.access, &id, json!({ "isActive": true }))
        .await;

    // Assert
    assert_eq!(data(&body)["updateUser"]["isActive"], true);
    let (token, _) = app.login("meg", PASSWORD).await;
    app.assert_token_works(&token, &id).await;
}

#[tokio::test]
async fn an_admin_can_delete_a_user() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let user = app.signed_in_user("meg").await;
    let group = app.create_group(&admin.access, "editors", false).await;
    data(&app.add_group_member(&admin.access, &group, &user.id).await);

    // Act
    let body = app.delete_user(&admin.access, &user.id).await;

    // Assert
    assert_eq!(data(&body)["deleteUser"], true);
    let seen = app
        .graphql_with_token(&admin.access, USER, json!({ "id": user.id }))
        .await;
    assert_eq!(data(&seen)["user"], Value::Null);
    app.assert_token_refused(&user.access).await;
    let login = app.try_login("meg", PASSWORD).await;
    assert_eq!(error_code(&login), Some("UNAUTHENTICATED"), "{login}");
    let members = app
        .graphql_with_token(
            &admin.access,
            "query G($id: ID!) { group(id: $id) { members { id } } }",
            json!({ "id": group }),
        )
        .await;
    assert_eq!(data(&members)["group"]["members"], json!([]));
    // The name is free again.
    app.register_user("meg").await;
}
