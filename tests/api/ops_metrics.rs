//! Observability: `/metrics` in OpenMetrics text (requests, latencies, logins,
//! hashing and database gauges), and a request id on every response.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{error_code, spawn_app, BAD_LOGIN_MESSAGE, PASSWORD};
use crate::ops_support::{parse_samples, sample_value, scrape};

const REQUESTS: &str = "authgraph_http_requests_total";
const LOGINS: &str = "authgraph_logins_total";

#[tokio::test]
async fn requests_are_counted_and_timed_by_route_method_and_status() {
    // Arrange
    let app = spawn_app().await;

    // Act
    app.graphql("{ __typename }", Value::Null).await;
    let text = scrape(&app).await;

    // Assert
    let samples = parse_samples(&text);
    let graphql = [("route", "/graphql"), ("method", "POST"), ("status", "200")];
    let count = sample_value(&samples, REQUESTS, &graphql)
        .unwrap_or_else(|| panic!("no {REQUESTS} with {graphql:?} in:\n{text}"));
    assert!(count >= 1.0, "{REQUESTS} {graphql:?} = {count}");
    let bucket = "authgraph_http_request_duration_seconds_bucket";
    let timed = [("route", "/graphql"), ("method", "POST"), ("le", "+Inf")];
    let observations = sample_value(&samples, bucket, &timed)
        .unwrap_or_else(|| panic!("no {bucket} with {timed:?} in:\n{text}"));
    assert!(observations >= 1.0, "{bucket} {timed:?} = {observations}");
    assert!(
        text.trim_end().ends_with("# EOF"),
        "not OpenMetrics:\n{text}"
    );
}

#[tokio::test]
async fn a_good_and_a_bad_login_each_count_once_by_outcome() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("counted").await;
    let logins = |text: &str, outcome: &str| {
        sample_value(&parse_samples(text), LOGINS, &[("outcome", outcome)]).unwrap_or(0.0)
    };
    let before = scrape(&app).await;

    // Act
    app.login("counted", PASSWORD).await;
    let refused = app.try_login("counted", "not-the-password-1").await;
    let after = scrape(&app).await;

    // Assert
    assert_eq!(error_code(&refused), Some("UNAUTHENTICATED"), "{refused}");
    assert_eq!(
        refused["errors"][0]["message"], BAD_LOGIN_MESSAGE,
        "{refused}"
    );
    for outcome in ["success", "failure"] {
        assert_eq!(
            logins(&after, outcome),
            logins(&before, outcome) + 1.0,
            "{LOGINS}{{outcome={outcome:?}}} did not grow by one:\n{after}"
        );
    }
}

#[tokio::test]
async fn hashing_and_database_gauges_are_exposed() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("gauged").await;

    // Act
    let text = scrape(&app).await;

    // Assert
    let samples = parse_samples(&text);
    let value = |name: &str| {
        sample_value(&samples, name, &[]).unwrap_or_else(|| panic!("no {name} in:\n{text}"))
    };
    assert_eq!(value("authgraph_password_hash_pending"), 0.0);
    assert!(value("authgraph_db_pool_connections") >= 1.0, "{text}");
    assert!(value("authgraph_db_statements_total") >= 1.0, "{text}");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let health = app.get("/healthz").await;
    let missing = app.get("/no/such/route/").await;
    let graphql = app
        .api_client
        .post(format!("{}/graphql", app.address))
        .json(&serde_json::json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("POST /graphql failed");

    // Assert
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let ids: Vec<String> = [&health, &missing, &graphql]
        .iter()
        .map(|response| {
            response
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .filter(|id| !id.is_empty())
                .unwrap_or_else(|| panic!("no x-request-id on {}", response.url()))
                .to_owned()
        })
        .collect();
    assert_ne!(ids[0], ids[1], "two requests got the same id");
    assert_ne!(ids[1], ids[2], "two requests got the same id");
}

#[tokio::test]
async fn a_request_id_sent_by_the_client_comes_back_unchanged() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .api_client
        .post(format!("{}/graphql", app.address))
        .header("X-Request-Id", "abc-123")
        .json(&serde_json::json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("POST /graphql failed");

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap()),
        Some("abc-123")
    );
}
