//! Database faults: unreachable at start (the binary gives up with a clear
//! error) and lost while serving (503 without hanging, healed when it is back).

use std::time::{Duration, Instant};

use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{data, error_code, random_string};
use crate::ops_support::{
    free_port, postgres_server_url, spawn_instance_with, within_timeout, DbProxy, FreshDatabase,
    ServerCommand,
};

#[tokio::test]
async fn the_server_exits_with_an_error_when_the_database_is_unreachable_at_start() {
    // Arrange: nothing listens on the port.
    let mut command =
        ServerCommand::new(&format!("postgres://postgres@127.0.0.1:{}/x", free_port()));
    command.env("AUTHGRAPH_DB_CONNECT_ATTEMPTS", "2");

    // Act
    let started = Instant::now();
    let mut server = command.spawn();
    let status = server.wait_exit(Duration::from_secs(15)).await;

    // Assert
    let stderr = server.stderr();
    let status = status.unwrap_or_else(|| panic!("still running after 15 s; stderr:\n{stderr}"));
    assert!(!status.success(), "exit status {status}; stderr:\n{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "giving up took {:?}",
        started.elapsed()
    );
    assert!(
        stderr.contains("unreachable"),
        "stderr does not say the database is unreachable:\n{stderr}"
    );
}

#[tokio::test]
async fn losing_the_database_answers_503_without_hanging_and_heals_when_it_is_back() {
    // Arrange: PostgreSQL only; the app reaches its database through a proxy.
    if postgres_server_url().is_none() {
        eprintln!("skipped: needs TEST_DATABASE_URL (PostgreSQL)");
        return;
    }
    let database = FreshDatabase::create().await;
    let mut url = url::Url::parse(&database.url).expect("the database URL is not a URL");
    let target = format!(
        "{}:{}",
        url.host_str().expect("no database host"),
        url.port().unwrap_or(5432)
    );
    let proxy = DbProxy::start(target).await;
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy.port)).unwrap();
    let app = spawn_instance_with(url.as_str(), &random_string(48), |settings| {
        settings.db_acquire_timeout_secs = 2;
    })
    .await;
    let id = app.register_user("steadfast").await;
    let (access, _) = app.login("steadfast").await;

    // Act
    proxy.cut();

    // Assert: every answer comes quickly and says "unavailable".
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let (status, body) = app
        .graphql_raw(Some(&access), "{ me { id } }", Value::Null)
        .await;
    assert!(
        [StatusCode::OK, StatusCode::SERVICE_UNAVAILABLE].contains(&status),
        "GraphQL answered {status}: {body}"
    );
    assert_eq!(error_code(&body), Some("SERVICE_UNAVAILABLE"), "{body}");
    let rest = within_timeout(
        "GET /api/me/",
        app.client
            .get(app.url("/api/me/"))
            .header(AUTHORIZATION, format!("Bearer {access}"))
            .send(),
    )
    .await
    .expect("GET /api/me/ failed");
    assert_eq!(rest.status(), StatusCode::SERVICE_UNAVAILABLE);
    let rest: Value = rest.json().await.expect("the 503 body is not JSON");
    assert!(rest["detail"].is_string(), "no detail: {rest}");

    // Act: the database comes back.
    proxy.restore();

    // Assert: ready again within 15 s, and the same token works.
    let deadline = Instant::now() + Duration::from_secs(15);
    while app.get("/readyz").await.status() != StatusCode::OK {
        assert!(
            Instant::now() < deadline,
            "not ready 15 s after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let me = app.me(&access).await;
    assert_eq!(data(&me)["me"]["id"], id.as_str(), "{me}");
}
