//! Graceful shutdown of the real binary: on SIGTERM it stops accepting, lets
//! in-flight requests finish within AUTHGRAPH_SHUTDOWN_TIMEOUT, and exits 0.

use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::ops_support::{
    credentials, parse_samples, plain_client, registration, sample_value, ServerCommand,
    ServerProcess, LOGIN, REGISTER,
};

/// Slack for process start-up, teardown and a busy machine.
const MARGIN: Duration = Duration::from_secs(3);

/// A server whose every password hash costs `iterations` passes over 256 MiB
/// (about a quarter of a second each here), on one hashing thread.
async fn expensive_server(
    database_dir: &TempDir,
    iterations: u32,
    shutdown_timeout_secs: u64,
) -> ServerProcess {
    let mut command = ServerCommand::sqlite_in(database_dir.path());
    command
        .env("AUTHGRAPH_ARGON2_MEMORY_KIB", "262144")
        .env("AUTHGRAPH_ARGON2_ITERATIONS", &iterations.to_string())
        .env("AUTHGRAPH_HASH_CONCURRENCY", "1")
        .env(
            "AUTHGRAPH_SHUTDOWN_TIMEOUT",
            &shutdown_timeout_secs.to_string(),
        );
    command.start().await
}

/// POSTs a GraphQL request; the body, or the transport error as text.
async fn post(
    client: &Client,
    server: &ServerProcess,
    query: &str,
    variables: Value,
) -> Result<Value, String> {
    let response = client
        .post(server.url("/graphql"))
        .json(&json!({ "query": query, "variables": variables }))
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    response.json().await.map_err(|e| e.to_string())
}

/// Polls `/metrics` until a password hash is queued or running.
async fn wait_until_hashing(client: &Client, server: &ServerProcess) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = client
            .get(server.url("/metrics"))
            .send()
            .await
            .expect("GET /metrics failed")
            .text()
            .await
            .expect("cannot read /metrics");
        let pending = sample_value(
            &parse_samples(&text),
            "authgraph_password_hash_pending",
            &[],
        )
        .expect("no authgraph_password_hash_pending");
        if pending >= 1.0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no password hash started within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_login_finish_then_exits_with_status_zero() {
    // Arrange: about a second per hash, ten seconds allowed for draining.
    let database_dir = TempDir::new().unwrap();
    let shutdown_timeout = Duration::from_secs(10);
    let mut server = expensive_server(&database_dir, 4, shutdown_timeout.as_secs()).await;
    let client = plain_client();
    let registered = post(&client, &server, REGISTER, registration("patient")).await;
    assert!(
        registered
            .as_ref()
            .is_ok_and(|body| body["data"]["register"]["id"].is_string()),
        "register failed: {registered:?}"
    );
    let login = tokio::spawn({
        let client = client.clone();
        let url = server.url("/graphql");
        async move {
            let started = Instant::now();
            let answer = client
                .post(url)
                .json(&json!({ "query": LOGIN, "variables": credentials("patient") }))
                .timeout(Duration::from_secs(60))
                .send()
                .await;
            let answer = match answer {
                Ok(response) => response.json::<Value>().await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            (answer, started.elapsed(), Instant::now())
        }
    });
    wait_until_hashing(&client, &server).await;

    // Act
    let signalled = Instant::now();
    server.signal("TERM");

    // Assert: once the server has seen the signal, new connections fail...
    server
        .wait_for_log("shutdown signal received", Duration::from_secs(5))
        .await;
    let newcomer = plain_client()
        .get(server.url("/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(
        newcomer.is_err(),
        "a new request was served after SIGTERM: {:?}",
        newcomer.map(|r| r.status())
    );
    // ...the login that was in flight completes with tokens...
    let (answer, took, finished) = login.await.expect("the login task panicked");
    let body = answer.unwrap_or_else(|e| panic!("the in-flight login failed: {e}"));
    assert!(
        body["data"]["login"]["accessToken"].is_string(),
        "the in-flight login did not succeed: {body}"
    );
    assert!(
        finished > signalled,
        "the login ended before the signal (it took {took:?}): raise the hash cost"
    );
    // ...and the process exits cleanly within the drain timeout of the signal.
    let limit = (signalled + shutdown_timeout + MARGIN).saturating_duration_since(Instant::now());
    let status = server
        .wait_exit(limit)
        .await
        .unwrap_or_else(|| panic!("still running {:?} after SIGTERM", signalled.elapsed()));
    assert!(
        status.success(),
        "exit status {status}; stderr:\n{}",
        server.stderr()
    );
}

#[tokio::test]
async fn sigterm_stops_the_process_within_the_shutdown_timeout_even_if_a_request_runs_longer() {
    // Arrange: a registration hashes for about ten seconds; one second is allowed for draining.
    let database_dir = TempDir::new().unwrap();
    let shutdown_timeout = Duration::from_secs(1);
    let mut server = expensive_server(&database_dir, 40, shutdown_timeout.as_secs()).await;
    let client = plain_client();
    let slow = tokio::spawn({
        let client = client.clone();
        let url = server.url("/graphql");
        async move {
            client
                .post(url)
                .json(&json!({ "query": REGISTER, "variables": registration("tardy") }))
                .timeout(Duration::from_secs(60))
                .send()
                .await
                .map(|response| response.status())
        }
    });
    wait_until_hashing(&client, &server).await;

    // Act
    let signalled = Instant::now();
    server.signal("TERM");

    // Assert
    let status = server
        .wait_exit(shutdown_timeout + MARGIN)
        .await
        .unwrap_or_else(|| {
            panic!(
                "still running {:?} after SIGTERM; stderr:\n{}",
                signalled.elapsed(),
                server.stderr()
            )
        });
    assert!(
        status.success(),
        "exit status {status}; stderr:\n{}",
        server.stderr()
    );
    let slow = slow.await.expect("the request task panicked");
    assert!(
        !slow.as_ref().is_ok_and(|status| *status == StatusCode::OK),
        "the slow request finished in time ({slow:?}): raise the hash cost"
    );
}
