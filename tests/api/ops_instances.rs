//! Several instances on one database: they keep no security state of their
//! own, so they start together safely and honour each other's logouts at once.

use authgraph::startup::Application;
use reqwest::StatusCode;
use tempfile::TempDir;

use crate::helpers::{data, error_code, random_string};
use crate::ops_support::{
    instance_settings, run_instance, spawn_instance, tokens, FreshDatabase, Instance,
};

#[tokio::test]
async fn three_instances_started_together_on_a_fresh_database_all_become_ready() {
    // Arrange: one fresh, unmigrated database and three instances' settings.
    let database = FreshDatabase::create().await;
    let secret = random_string(48);
    let media: Vec<TempDir> = (0..3).map(|_| TempDir::new().unwrap()).collect();
    let settings = |i: usize| instance_settings(&database.url, &secret, media[i].path());

    // Act: all three connect and migrate at the same time.
    let (a, b, c) = tokio::join!(
        Application::build(settings(0)),
        Application::build(settings(1)),
        Application::build(settings(2)),
    );

    // Assert: every one came up and is ready.
    let mut media = media.into_iter();
    let instances: Vec<Instance> = [a, b, c]
        .into_iter()
        .enumerate()
        .map(|(i, built)| {
            let app = built.unwrap_or_else(|e| panic!("instance {i} failed to start: {e}"));
            run_instance(app, media.next().unwrap())
        })
        .collect();
    for (i, instance) in instances.iter().enumerate() {
        let response = instance.get("/readyz").await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "instance {i} is not ready"
        );
    }
    // And they share one schema: a user registered on one logs in on another.
    let id = instances[0].register_user("shared").await;
    let (access, _) = instances[2].login("shared").await;
    let me = instances[1].me(&access).await;
    assert_eq!(data(&me)["me"]["id"], id.as_str(), "{me}");
}

#[tokio::test]
async fn a_logout_on_one_instance_ends_the_session_on_another_immediately() {
    // Arrange: two instances on one database, one secret.
    let database = FreshDatabase::create().await;
    let secret = random_string(48);
    let a = spawn_instance(&database.url, &secret).await;
    let b = spawn_instance(&database.url, &secret).await;
    let id = a.register_user("roamer").await;
    let (access_a, refresh_a) = a.login("roamer").await;
    let refreshed = b.refresh(&refresh_a).await;
    let (access_b, refresh_b) = tokens(&data(&refreshed)["refresh"]);
    let me = b.me(&access_b).await;
    assert_eq!(data(&me)["me"]["id"], id.as_str(), "{me}");

    // Act: log out on A.
    let logout = a
        .graphql(
            Some(&access_a),
            "mutation { logout }",
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(data(&logout)["logout"], true, "{logout}");

    // Assert: B refuses the session's tokens on the very next request.
    let me = b.me(&access_b).await;
    assert_eq!(error_code(&me), Some("UNAUTHENTICATED"), "{me}");
    let me = b.me(&access_a).await;
    assert_eq!(error_code(&me), Some("UNAUTHENTICATED"), "{me}");
    let refreshed = b.refresh(&refresh_b).await;
    assert_eq!(
        error_code(&refreshed),
        Some("UNAUTHENTICATED"),
        "{refreshed}"
    );
}
