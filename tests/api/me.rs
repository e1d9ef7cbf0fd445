//! The signed-in user's own account: `me` under every credential scheme,
//! `updateMe`, `changePassword` and `deleteMe`.

use serde_json::{json, Value};

use crate::helpers::{
    assert_bad_input, data, error_code, jwt_claims, sign_jwt_like, spawn_app, TestApp, TestUser,
    NEW_PASSWORD, PASSWORD, USER_FIELDS,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

const ME: &str = "{ me { id username } }";

async fn me_with_authorization(app: &TestApp, authorization: &str) -> Value {
    app.graphql_with_authorization(Some(authorization), ME, Value::Null)
        .await
}

fn assert_unauthenticated(body: &Value) {
    assert_eq!(error_code(body), Some("UNAUTHENTICATED"), "{body}");
    assert!(body["data"].is_null(), "{body}");
}

// ---------------------------------------------------------------- credentials

#[tokio::test]
async fn me_returns_the_signed_in_user_for_a_bearer_token() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;

    // Act
    let body = app.me(&user.access).await;

    // Assert
    let me = &data(&body)["me"];
    assert_eq!(me["id"], user.id.as_str());
    assert_eq!(me["username"], "lois");
    assert_eq!(me["email"], "lois@example.com");
    assert_eq!(me["isAdmin"], false);
    assert_eq!(me["isActive"], true);
}

#[tokio::test]
async fn me_accepts_the_jwt_authorization_scheme() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;

    // Act
    let body = me_with_authorization(&app, &format!("JWT {}", user.access)).await;

    // Assert
    assert_eq!(data(&body)["me"]["id"], user.id.as_str());
}

#[tokio::test]
async fn me_without_credentials_is_unauthenticated() {
    // Arrange
    let app = spawn_app().await;
    app.signed_in_user("lois").await;

    // Act
    let body = app.graphql(ME, Value::Null).await;

    // Assert
    assert_unauthenticated(&body);
}

#[tokio::test]
async fn me_with_a_garbage_token_is_unauthenticated() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let not_a_jwt = me_with_authorization(&app, "Bearer not-a-token").await;
    let three_parts = me_with_authorization(&app, "Bearer aaa.bbb.ccc").await;
    let empty = me_with_authorization(&app, "Bearer ").await;

    // Assert
    assert_unauthenticated(&not_a_jwt);
    assert_unauthenticated(&three_parts);
    assert_unauthenticated(&empty);
}

#[tokio::test]
async fn me_with_an_altered_signature_is_unauthenticated() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;
    let (signed, signature) = user.access.rsplit_once('.').expect("a JWT");
    // Change the first character: the last one may only carry padding bits.
    let first = signature.chars().next().expect("a signature");
    let replacement = if first == 'A' { 'B' } else { 'A' };
    let tampered = format!("{signed}.{replacement}{}", &signature[1..]);

    // Act
    let body = app.me(&tampered).await;

    // Assert
    assert_unauthenticated(&body);
    app.assert_token_works(&user.access, &user.id).await;
}

#[tokio::test]
async fn me_with_a_token_signed_by_another_secret_is_unauthenticated() {
    // Arrange: the real claims of a live session, signed with the wrong key.
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;
    let claims = jwt_claims(&user.access);
    let forged = sign_jwt_like(
        &user.access,
        &claims,
        b"definitely-not-the-server-secret-0123456789",
    );

    // Act
    let body = app.me(&forged).await;

    // Assert
    assert_unauthenticated(&body);
}

#[tokio::test]
async fn me_with_an_unsigned_alg_none_token_is_unauthenticated() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;
    let payload = user.access.split('.').nth(1).expect("a JWT");
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{header}.{payload}.");

    // Act
    let body = app.me(&unsigned).await;

    // Assert
    assert_unauthenticated(&body);
}

#[tokio::test]
async fn me_with_an_expired_token_is_unauthenticated() {
    // Arrange: the real claims, expired an hour ago, signed with the real secret.
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;
    let mut claims = jwt_claims(&user.access);
    let now = chrono::Utc::now().timestamp();
    claims["exp"] = json!(now - 3600);
    if claims.get("iat").is_some() {
        claims["iat"] = json!(now - 3600 - 900);
    }
    if claims.get("nbf").is_some() {
        claims["nbf"] = json!(now - 3600 - 900);
    }
    let expired = sign_jwt_like(&user.access, &claims, app.jwt_secret.as_bytes());

    // Act
    let body = app.me(&expired).await;

    // Assert
    assert_unauthenticated(&body);
}

#[tokio::test]
async fn me_with_an_unknown_legacy_token_is_unauthenticated() {
    // Arrange
    let app = spawn_app().await;
    app.signed_in_user("lois").await;

    // Act
    let body = me_with_authorization(&app, "Token 0123456789abcdef0123456789abcdef01234567").await;

    // Assert
    assert_unauthenticated(&body);
}

#[tokio::test]
async fn me_with_an_unsupported_authorization_scheme_is_unauthenticated() {
    // Arrange
    let app = spawn_app().await;
    app.signed_in_user("lois").await;

    // Act: Basic credentials are not a login method, even when they are right.
    let basic = URL_SAFE_NO_PAD.encode(format!("lois:{PASSWORD}"));
    let body = me_with_authorization(&app, &format!("Basic {basic}")).await;

    // Assert
    assert_unauthenticated(&body);
}

// ------------------------------------------------------------------ updateMe

async fn update_me(app: &TestApp, token: &str, input: Value) -> Value {
    app.graphql_with_token(
        token,
        &format!(
            "mutation UpdateMe($input: UpdateMeInput!) {{
               updateMe(input: $input) {{ {USER_FIELDS} }}
             }}"
        ),
        json!({ "input": input }),
    )
    .await
}

#[tokio::test]
async fn update_me_changes_names_and_codename_and_leaves_the_rest() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;

    // Act
    let body = update_me(
        &app,
        &user.access,
        json!({ "firstName": "Lois", "lastName": "Pewterschmidt", "codename": "Red" }),
    )
    .await;

    // Assert
    let updated = &data(&body)["updateMe"];
    assert_eq!(updated["firstName"], "Lois");
    assert_eq!(updated["lastName"], "Pewterschmidt");
    assert_eq!(updated["fullName"], "Lois Pewterschmidt");
    assert_eq!(updated["codename"], "Red");
    let me = app.me(&user.access).await;
    let me = &data(&me)["me"];
    assert_eq!(me["firstName"], "Lois");
    assert_eq!(me["lastName"], "Pewterschmidt");
    assert_eq!(me["codename"], "Red");
    assert_eq!(me["username"], "lois", "absent fields stay unchanged");
    assert_eq!(
        me["email"], "lois@example.com",
        "absent fields stay unchanged"
    );
}

#[tokio::test]
async fn update_me_splits_a_full_name_at_the_first_space() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;

    // Act
    let body = update_me(
        &app,
        &user.access,
        json!({ "fullName": "Lois Patrice Griffin" }),
    )
    .await;

    // Assert
    let updated = &data(&body)["updateMe"];
    assert_eq!(updated["firstName"], "Lois");
    assert_eq!(updated["lastName"], "Patrice Griffin");
    assert_eq!(updated["fullName"], "Lois Patrice Griffin");
}

#[tokio::test]
async fn update_me_changes_the_email() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;

    // Act
    let body = update_me(&app, &user.access, json!({ "email": "lois@quahog.test" })).await;

    // Assert
    assert_eq!(data(&body)["updateMe"]["email"], "lois@quahog.test");
    let me = app.me(&user.access).await;
    assert_eq!(data(&me)["me"]["email"], "lois@quahog.test");
    let by_new_email = app.try_login("lois@quahog.test", PASSWORD).await;
    assert_eq!(data(&by_new_email)["login"]["user"]["id"], user.id.as_str());
}

#[tokio::test]
async fn update_me_with_another_users_email_is_rejected() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("peter").await;
    let user = app.signed_in_user("lois").await;

    // Act
    let body = update_me(&app, &user.access, json!({ "email": "PETER@example.com" })).await;

    // Assert
    let messages = assert_bad_input(&body, "email");
    assert_eq!(messages, ["A user with that email already exists."]);
    let me = app.me(&user.access).await;
    assert_eq!(data(&me)["me"]["email"], "lois@example.com");
}

#[tokio::test]
async fn update_me_with_another_users_username_is_rejected() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("peter").await;
    let user = app.signed_in_user("lois").await;

    // Act
    let body = update_me(&app, &user.access, json!({ "username": "Peter" })).await;

    // Assert
    let messages = assert_bad_input(&body, "username");
    assert_eq!(messages, ["A user with that username already exists."]);
    let me = app.me(&user.access).await;
    assert_eq!(data(&me)["me"]["username"], "lois");
}

#[tokio::test]
async fn update_me_changes_the_username_used_to_log_in() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;

    // Act
    let body = update_me(&app, &user.access, json!({ "username": "loisgriffin" })).await;

    // Assert
    assert_eq!(data(&body)["updateMe"]["username"], "loisgriffin");
    let (token, _) = app.login("loisgriffin", PASSWORD).await;
    app.assert_token_works(&token, &user.id).await;
}

#[tokio::test]
async fn update_me_with_an_explicit_null_email_clears_it() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;

    // Act
    let body = update_me(
        &app,
        &user.access,
        json!({ "email": null, "codename": null }),
    )
    .await;

    // Assert
    assert_eq!(data(&body)["updateMe"]["email"], Value::Null);
    let me = app.me(&user.access).await;
    assert_eq!(data(&me)["me"]["email"], Value::Null);
    assert_eq!(data(&me)["me"]["username"], "lois");
    // The freed address can be registered by someone else.
    app.register("bonnie", "lois@example.com", PASSWORD).await;
}

#[tokio::test]
async fn update_me_without_credentials_is_unauthenticated() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = app
        .graphql(
            "mutation U($input: UpdateMeInput!) { updateMe(input: $input) { id } }",
            json!({ "input": { "firstName": "Anon" } }),
        )
        .await;

    // Assert
    assert_unauthenticated(&body);
}

// ------------------------------------------------------------ changePassword

const CHANGE_PASSWORD: &str = "mutation Change($old: String!, $new: String!) {
  changePassword(oldPassword: $old, newPassword: $new)
}";

async fn change_password(app: &TestApp, user: &TestUser, old: &str, new: &str) -> Value {
    app.graphql_with_token(
        &user.access,
        CHANGE_PASSWORD,
        json!({ "old": old, "new": new }),
    )
    .await
}

#[tokio::test]
async fn change_password_with_a_wrong_old_password_is_rejected() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;

    // Act
    let body = change_password(&app, &user, "not-my-password-11", NEW_PASSWORD).await;

    // Assert
    let messages = assert_bad_input(&body, "oldPassword");
    assert_eq!(messages, ["Wrong password."]);
    app.login("lois", PASSWORD).await;
}

#[tokio::test]
async fn change_password_to_a_weak_password_is_rejected() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;

    // Act
    let body = change_password(&app, &user, PASSWORD, "12345").await;

    // Assert
    let messages = assert_bad_input(&body, "newPassword");
    assert!(
        messages.iter().any(|m| m.contains("too short")),
        "{messages:?}"
    );
    app.login("lois", PASSWORD).await;
}

#[tokio::test]
async fn change_password_replaces_the_password() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;

    // Act
    let body = change_password(&app, &user, PASSWORD, NEW_PASSWORD).await;

    // Assert
    assert_eq!(data(&body)["changePassword"], true);
    let old = app.try_login("lois", PASSWORD).await;
    assert_eq!(error_code(&old), Some("UNAUTHENTICATED"), "{old}");
    let (token, _) = app.login("lois", NEW_PASSWORD).await;
    app.assert_token_works(&token, &user.id).await;
}

#[tokio::test]
async fn change_password_revokes_the_other_sessions_but_not_the_callers() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;
    let (other_access, other_refresh) = app.login("lois", PASSWORD).await;
    app.assert_token_works(&other_access, &user.id).await;

    // Act
    let body = change_password(&app, &user, PASSWORD, NEW_PASSWORD).await;

    // Assert
    assert_eq!(data(&body)["changePassword"], true);
    app.assert_token_refused(&other_access).await;
    let refreshed = app
        .graphql(
            "mutation R($t: String) { refresh(refreshToken: $t) { accessToken } }",
            json!({ "t": other_refresh }),
        )
        .await;
    assert_eq!(
        error_code(&refreshed),
        Some("UNAUTHENTICATED"),
        "{refreshed}"
    );
    app.assert_token_works(&user.access, &user.id).await;
}

#[tokio::test]
async fn change_password_without_credentials_is_unauthenticated() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("lois").await;

    // Act
    let body = app
        .graphql(
            CHANGE_PASSWORD,
            json!({ "old": PASSWORD, "new": NEW_PASSWORD }),
        )
        .await;

    // Assert
    assert_unauthenticated(&body);
    app.login("lois", PASSWORD).await;
}

// ------------------------------------------------------------------ deleteMe

const DELETE_ME: &str =
    "mutation DeleteMe($password: String!) { deleteMe(currentPassword: $password) }";

#[tokio::test]
async fn delete_me_with_a_wrong_password_is_rejected() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("lois").await;

    // Act
    let body = app
        .graphql_with_token(
            &user.access,
            DELETE_ME,
            json!({ "password": "not-my-password-11" }),
        )
        .await;

    // Assert
    let messages = assert_bad_input(&body, "currentPassword");
    assert_eq!(messages, ["Wrong password."]);
    app.assert_token_works(&user.access, &user.id).await;
}

#[tokio::test]
async fn delete_me_removes_the_account_and_its_sessions() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let user = app.signed_in_user("lois").await;

    // Act
    let body = app
        .graphql_with_token(&user.access, DELETE_ME, json!({ "password": PASSWORD }))
        .await;

    // Assert
    assert_eq!(data(&body)["deleteMe"], true);
    app.assert_token_refused(&user.access).await;
    let login = app.try_login("lois", PASSWORD).await;
    assert_eq!(error_code(&login), Some("UNAUTHENTICATED"), "{login}");
    let lookup = app
        .graphql_with_token(
            &admin.access,
            "query User($id: ID!) { user(id: $id) { id } }",
            json!({ "id": user.id }),
        )
        .await;
    assert_eq!(data(&lookup)["user"], Value::Null);
}
