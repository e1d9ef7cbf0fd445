//! Hostile input on every write route: malformed JSON, wrong types, empty and oversized
//! bodies, NUL bytes (PostgreSQL refuses them in text), invalid UTF-8, over-long fields,
//! SQL-injection strings. Every answer must be a 4xx with a JSON body — never a 5xx, never a
//! hang.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, PASSWORD};

const WRITE_ROUTES: &[&str] = &[
    "/auth/users/",
    "/auth/token/login/",
    "/api/register/",
    "/api/login/",
    "/api/refresh/",
    "/api/logout/",
    "/api/token/",
    "/api/change-password/",
    "/api/user/login/",
    "/api/user/register/",
    "/api/user/refresh/",
];

fn hostile_json_bodies() -> Vec<Value> {
    let long = "x".repeat(10_000);
    let mut bodies = Vec::new();
    for value in [
        json!("nul\u{0}byte"),
        json!(long),
        json!("' OR 1=1; DROP TABLE users; --"),
        json!("../../etc/passwd"),
        json!(12345),
        json!(["a", "b"]),
        json!({"nested": true}),
        json!(null),
        json!(true),
    ] {
        bodies.push(json!({
            "username": value, "email": value, "password": value, "first_name": value,
            "last_name": value, "full_name": value, "codename": value, "groups": value,
            "refresh_token": value, "refresh": value, "old_password": value,
            "new_password": value, "current_password": value,
        }));
    }
    bodies.push(json!([1, 2, 3]));
    bodies.push(json!("just a string"));
    bodies
}

async fn assert_client_error(response: reqwest::Response, what: &str) {
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("body");
    assert!(
        (400..500).contains(&status),
        "{what}: status {status}: {body:?}"
    );
    assert!(
        serde_json::from_slice::<Value>(&body).is_ok(),
        "{what}: body is not JSON: {body:?}"
    );
}

#[tokio::test]
async fn hostile_bodies_on_every_legacy_write_route_get_a_json_4xx() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let raw_bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"{not json".to_vec()),
        ("application/json", vec![0xff, 0xfe, 0xfd]),
        ("application/json", b"{\"username\": \"\xff\xfe\"}".to_vec()),
        ("application/json", vec![b' '; 2 * 1024 * 1024]),
        ("text/plain", b"hello".to_vec()),
        (
            "application/x-www-form-urlencoded",
            b"username=%00&password=%ff".to_vec(),
        ),
    ];
    for route in WRITE_ROUTES {
        let url = format!("{}{route}", app.address);
        for body in hostile_json_bodies() {
            let response = client.post(&url).json(&body).send().await.expect("request");
            assert_client_error(response, &format!("{route} {body}")).await;
        }
        for (content_type, bytes) in &raw_bodies {
            let response = client
                .post(&url)
                .header("Content-Type", *content_type)
                .body(bytes.clone())
                .send()
                .await
                .expect("request");
            assert_client_error(response, &format!("{route} raw {content_type}")).await;
        }
    }
}

#[tokio::test]
async fn hostile_graphql_arguments_get_errors_not_server_failures() {
    let app = spawn_app().await;
    let user = app.signed_in_user("target").await;
    let hostile = [
        "nul\u{0}byte".to_owned(),
        "x".repeat(10_000),
        "' OR 1=1; --".to_owned(),
        "%_\\".to_owned(),
    ];
    for value in &hostile {
        let login = app
            .graphql(
                "mutation($u: String!) { login(input: {username: $u, password: $u}) { accessToken } }",
                json!({ "u": value }),
            )
            .await;
        let register = app
            .graphql(
                "mutation($u: String!, $p: String!) { register(input: {username: $u, email: $u, password: $p, firstName: $u, codename: $u}) { id } }",
                json!({ "u": value, "p": PASSWORD }),
            )
            .await;
        let reads = app
            .graphql_with_token(
                &user.access,
                "query($u: String!) { users(search: $u) { totalCount } user(id: $u) { id } }",
                json!({ "u": value }),
            )
            .await;
        let revoke = app
            .graphql_with_token(
                &user.access,
                "mutation($u: ID!) { revokeSession(id: $u) }",
                json!({ "u": value }),
            )
            .await;
        for body in [&login, &register, &reads, &revoke] {
            let code = body["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("none");
            assert!(
                !matches!(code, "INTERNAL_SERVER_ERROR" | "SERVICE_UNAVAILABLE"),
                "{value:?}: {body}"
            );
        }
    }
    // The account is intact after all that.
    app.login("target", PASSWORD).await;
}
