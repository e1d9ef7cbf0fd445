//! The HTTP surface around GraphQL: health probes, GraphiQL, GET queries,
//! refused GET mutations and the query limits.

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{data, error_code, spawn_app, TestApp, PASSWORD};

#[tokio::test]
async fn healthz_is_ok() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app.get("/healthz").await;

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body, json!({ "status": "ok" }));
}

#[tokio::test]
async fn readyz_is_ready_when_the_database_is_reachable() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app.get("/readyz").await;

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body, json!({ "status": "ready" }));
}

#[tokio::test]
async fn metrics_are_exposed_in_prometheus_text() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("peter").await;

    // Act
    let statements = app.metric("authgraph_db_statements_total").await;

    // Assert
    assert!(statements > 0, "registering ran SQL");
}

#[tokio::test]
async fn a_browser_get_on_graphql_serves_graphiql() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .expect("GET /graphql failed");

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await.unwrap();
    assert!(html.to_lowercase().contains("graphiql"), "{html}");
}

async fn get_graphql(app: &TestApp, token: Option<&str>, query: &str) -> (StatusCode, String) {
    let mut request = app
        .api_client
        .get(format!("{}/graphql", app.address))
        .header(ACCEPT, "application/json")
        .query(&[("query", query)]);
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = request.send().await.expect("GET /graphql failed");
    let status = response.status();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn a_query_over_get_works() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("peter").await;

    // Act
    let (status, text) = get_graphql(&app, Some(&user.access), "{ me { id username } }").await;

    // Assert
    assert_eq!(status, StatusCode::OK, "{text}");
    let body: Value = serde_json::from_str(&text).expect("JSON body");
    assert_eq!(data(&body)["me"]["id"], user.id.as_str());
    assert_eq!(data(&body)["me"]["username"], "peter");
}

#[tokio::test]
async fn a_mutation_over_get_is_refused_and_has_no_effect() {
    // Arrange
    let app = spawn_app().await;
    let mutation = format!(
        "mutation {{ register(input: {{ username: \"getmutant\", password: \"{PASSWORD}\" }}) {{ id }} }}"
    );

    // Act
    let (status, text) = get_graphql(&app, None, &mutation).await;

    // Assert
    if status.is_success() {
        let body: Value = serde_json::from_str(&text).expect("JSON body");
        assert!(
            body["errors"].as_array().is_some_and(|e| !e.is_empty()),
            "a GET mutation must not succeed: {text}"
        );
        assert!(body["data"]["register"].is_null(), "{text}");
    } else {
        assert!(status.is_client_error(), "{status}: {text}");
    }
    let login = app.try_login("getmutant", PASSWORD).await;
    assert_eq!(
        error_code(&login),
        Some("UNAUTHENTICATED"),
        "the user exists: {login}"
    );
}

/// `{ me { groups { members { groups { ... id } } } } }` with `levels` pairs.
fn nested_query(levels: usize) -> String {
    let mut inner = "id".to_owned();
    for _ in 0..levels {
        inner = format!("groups {{ id members {{ {inner} }} }}");
    }
    format!("{{ me {{ {inner} }} }}")
}

/// Asserts that the server refused the request outright: an HTTP 4xx, or a
/// GraphQL response with errors and no data.
fn assert_refused(status: StatusCode, text: &str) {
    if status.is_client_error() {
        return;
    }
    assert_eq!(status, StatusCode::OK, "{text}");
    let body: Value = serde_json::from_str(text).expect("JSON body");
    assert!(
        body["errors"].as_array().is_some_and(|e| !e.is_empty()),
        "expected a refusal: {text}"
    );
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "nothing must run: {text}"
    );
    assert_ne!(error_code(&body), Some("UNAUTHENTICATED"), "{text}");
}

#[tokio::test]
async fn a_query_nested_deeper_than_the_limit_is_refused() {
    // Arrange: a shallow query of the same shape is fine.
    let app = spawn_app().await;
    let user = app.signed_in_user("peter").await;
    let shallow = app
        .graphql_with_token(&user.access, &nested_query(2), Value::Null)
        .await;
    data(&shallow);

    // Act
    let (status, text) = app
        .post_graphql_raw(
            Some(&format!("Bearer {}", user.access)),
            &nested_query(15),
            Value::Null,
        )
        .await;

    // Assert
    assert_refused(status, &text);
}

#[tokio::test]
async fn a_query_with_a_hundred_aliases_is_refused() {
    // Arrange: a few aliases are fine.
    let app = spawn_app().await;
    let user = app.signed_in_user("peter").await;
    let aliases = |n: usize| {
        let fields: Vec<String> = (0..n).map(|i| format!("a{i}: me {{ id }}")).collect();
        format!("{{ {} }}", fields.join(" "))
    };
    let few = app
        .graphql_with_token(&user.access, &aliases(3), Value::Null)
        .await;
    assert_eq!(data(&few)["a2"]["id"], user.id.as_str());

    // Act
    let (status, text) = app
        .post_graphql_raw(
            Some(&format!("Bearer {}", user.access)),
            &aliases(100),
            Value::Null,
        )
        .await;

    // Assert
    assert_refused(status, &text);
}

#[tokio::test]
async fn a_malformed_graphql_body_gets_an_error_not_a_crash() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .api_client
        .post(format!("{}/graphql", app.address))
        .header(CONTENT_TYPE, "application/json")
        .body("{ this is not json")
        .send()
        .await
        .expect("POST /graphql failed");

    // Assert
    assert!(response.status().is_client_error(), "{}", response.status());
    let healthy = app.get("/healthz").await;
    assert_eq!(healthy.status(), StatusCode::OK);
}

#[tokio::test]
async fn graphql_operations_are_counted_by_root_field_and_outcome() {
    // Arrange
    let app = crate::helpers::spawn_app().await;
    let user = app.signed_in_user("counted").await;

    // Act
    app.graphql_with_token(
        &user.access,
        "query Mine { me { id } }",
        serde_json::json!({}),
    )
    .await;
    app.graphql("{ me { id } }", serde_json::json!({})).await;
    let metrics = app.get("/metrics").await.text().await.unwrap();

    // Assert
    let line = |field: &str, outcome: &str| {
        metrics.lines().any(|l| {
            l.starts_with("authgraph_graphql_operations_total{")
                && l.contains(&format!("field=\"{field}\""))
                && l.contains(&format!("outcome=\"{outcome}\""))
        })
    };
    assert!(line("me", "ok"), "{metrics}");
    assert!(line("me", "UNAUTHENTICATED"), "{metrics}");
    assert!(line("login", "ok"), "{metrics}");
}
