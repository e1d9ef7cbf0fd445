//! Durability on SQLite (WAL, synchronous=FULL): a write the server
//! acknowledged survives the process being killed outright.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tempfile::TempDir;

use crate::ops_support::{credentials, plain_client, registration, ServerCommand, LOGIN, REGISTER};

/// Concurrent registering clients.
const WRITERS: usize = 8;
/// Acknowledged registrations before the kill.
const ACKNOWLEDGED_BEFORE_KILL: usize = 40;

#[tokio::test]
async fn every_acknowledged_registration_survives_a_kill_9_mid_burst() {
    // Arrange: a server on an SQLite file and a burst of registrations.
    let database_dir = TempDir::new().unwrap();
    let server = ServerCommand::sqlite_in(database_dir.path()).start().await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let client = plain_client();
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (client, url) = (client.clone(), server.url("/graphql"));
            let (acknowledged, stop) = (Arc::clone(&acknowledged), Arc::clone(&stop));
            tokio::spawn(async move {
                for n in 0..10_000 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let username = format!("burst{writer}x{n}");
                    let body = json!({ "query": REGISTER, "variables": registration(&username) });
                    let Ok(response) = client.post(&url).json(&body).send().await else {
                        break; // the server is gone
                    };
                    let Ok(answer) = response.json::<Value>().await else {
                        break;
                    };
                    if answer["data"]["register"]["id"].is_string() {
                        acknowledged.lock().unwrap().push(username);
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < ACKNOWLEDGED_BEFORE_KILL {
        assert!(
            Instant::now() < deadline,
            "only {} registrations acknowledged in 30 s",
            acknowledged.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // Act: kill -9 while the writers are still going, then start again on the same file.
    server.signal("KILL");
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.expect("a writer panicked");
    }
    drop(server);
    let acknowledged = acknowledged.lock().unwrap().clone();
    let restarted = ServerCommand::sqlite_in(database_dir.path()).start().await;

    // Assert: every acknowledged user is there and can log in.
    let mut lost = Vec::new();
    for username in &acknowledged {
        let body = json!({ "query": LOGIN, "variables": credentials(username) });
        let answer: Value = client
            .post(restarted.url("/graphql"))
            .json(&body)
            .send()
            .await
            .expect("POST /graphql failed")
            .json()
            .await
            .expect("the login answer is not JSON");
        if !answer["data"]["login"]["accessToken"].is_string() {
            lost.push(format!("{username}: {answer}"));
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged registrations were lost:\n{}",
        lost.len(),
        acknowledged.len(),
        lost.join("\n")
    );
}
