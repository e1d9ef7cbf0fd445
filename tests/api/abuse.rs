//! Attacks on the abuse defences: per-IP rate limits, per-account back-off (shared by
//! instances through the database), trusted proxies, browser-safety headers, CORS and
//! JWT key rotation. Each test switches on only the defence it attacks.

use authgraph::config::Settings;
use authgraph::startup::Application;
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, spawn_app_with, PASSWORD};

const WRONG: &str = "not-the-password-123";

async fn rest_login(
    address: &str,
    username: &str,
    password: &str,
    xff: Option<&str>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{address}/api/login/"))
        .json(&json!({ "username": username, "password": password }));
    if let Some(xff) = xff {
        request = request.header("X-Forwarded-For", xff);
    }
    request.send().await.expect("login request")
}

#[tokio::test]
async fn logins_beyond_the_per_ip_limit_get_429_with_retry_after_and_rate_limited() {
    // Arrange
    let app = spawn_app_with(|s| s.rate_limit_login = 3).await;
    app.register_user("target").await;
    for _ in 0..3 {
        app.try_login("target", WRONG).await;
    }

    // Act
    let graphql = app.try_login("target", PASSWORD).await;
    let rest = rest_login(&app.address, "target", PASSWORD, None).await;

    // Assert
    assert_eq!(error_code(&graphql), Some("RATE_LIMITED"), "{graphql}");
    assert!(
        graphql["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .unwrap_or(0)
            >= 1
    );
    assert_eq!(rest.status().as_u16(), 429);
    let retry_after: u64 = rest.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body: Value = rest.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("throttled"),
        "{body}"
    );
}

#[tokio::test]
async fn registrations_beyond_the_per_ip_limit_are_refused() {
    let app = spawn_app_with(|s| s.rate_limit_register = 2).await;
    app.register_user("first").await;
    app.register_user("second").await;

    let third = app
        .graphql(
            "mutation($input: RegisterInput!) { register(input: $input) { id } }",
            json!({ "input": { "username": "third", "password": PASSWORD } }),
        )
        .await;

    assert_eq!(error_code(&third), Some("RATE_LIMITED"), "{third}");
}

#[tokio::test]
async fn repeated_failures_lock_the_account_even_against_the_right_password() {
    // Arrange
    let app = spawn_app_with(|s| s.lockout_threshold = 3).await;
    app.register_user("victim").await;
    app.register_user("bystander").await;
    for _ in 0..3 {
        let refused = app.try_login("victim", WRONG).await;
        assert_eq!(error_code(&refused), Some("UNAUTHENTICATED"), "{refused}");
    }

    // Act
    let locked = app.try_login("victim", PASSWORD).await;
    let other = app.try_login("bystander", PASSWORD).await;

    // Assert
    assert_eq!(error_code(&locked), Some("RATE_LIMITED"), "{locked}");
    let retry = locked["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap_or(0);
    assert!((1..=15).contains(&retry), "{locked}");
    assert!(other["data"]["login"]["accessToken"].is_string(), "{other}");
}

#[tokio::test]
async fn unknown_account_names_are_locked_like_known_ones() {
    let app = spawn_app_with(|s| s.lockout_threshold = 2).await;
    app.register_user("known").await;
    for name in ["known", "ghost"] {
        app.try_login(name, WRONG).await;
        app.try_login(name, WRONG).await;
    }

    let known = app.try_login("known", WRONG).await;
    let ghost = app.try_login("ghost", WRONG).await;

    assert_eq!(error_code(&known), Some("RATE_LIMITED"));
    assert_eq!(error_code(&ghost), Some("RATE_LIMITED"));
}

#[tokio::test]
async fn a_lock_set_on_one_instance_holds_on_another_sharing_the_database() {
    // Arrange: a second instance on the first one's database.
    let a = spawn_app_with(|s| s.lockout_threshold = 2).await;
    a.register_user("shared").await;
    a.try_login("shared", WRONG).await;
    a.try_login("shared", WRONG).await;
    let b = Application::build(Settings {
        database_url: a.database_url.clone(),
        bind: "127.0.0.1:0".into(),
        jwt_secret: Some(SecretString::from(a.jwt_secret.clone())),
        argon2_memory_kib: 1024,
        argon2_iterations: 1,
        lockout_threshold: 2,
        media_dir: std::env::temp_dir(),
        ..Default::default()
    })
    .await
    .expect("second instance");
    let b_address = format!("http://127.0.0.1:{}", b.port());
    tokio::spawn(b.run_until_stopped());

    // Act
    let response = rest_login(&b_address, "shared", PASSWORD, None).await;

    // Assert
    assert_eq!(response.status().as_u16(), 429);
}

#[tokio::test]
async fn forwarded_for_counts_only_behind_a_trusted_proxy() {
    // Arrange: 127.0.0.1 is the trusted proxy; each X-Forwarded-For client has its own allowance.
    let trusted = spawn_app_with(|s| {
        s.rate_limit_login = 2;
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let untrusted = spawn_app_with(|s| s.rate_limit_login = 2).await;
    for app in [&trusted, &untrusted] {
        app.register_user("someone").await;
        rest_login(&app.address, "someone", PASSWORD, Some("203.0.113.1")).await;
        rest_login(&app.address, "someone", PASSWORD, Some("203.0.113.1")).await;
    }

    // Act
    let same_client = rest_login(&trusted.address, "someone", PASSWORD, Some("203.0.113.1")).await;
    let other_client = rest_login(&trusted.address, "someone", PASSWORD, Some("203.0.113.2")).await;
    let spoofing = rest_login(&untrusted.address, "someone", PASSWORD, Some("203.0.113.2")).await;

    // Assert
    assert_eq!(same_client.status().as_u16(), 429);
    assert_eq!(other_client.status().as_u16(), 200);
    // Without a trusted proxy the header is ignored: every request is 127.0.0.1.
    assert_eq!(spoofing.status().as_u16(), 429);
}

#[tokio::test]
async fn responses_carry_the_browser_safety_headers() {
    let app = spawn_app_with(|s| s.hsts = true).await;

    let api = app.get("/healthz").await;
    let graphiql = app
        .api_client
        .get(format!("{}/graphql", app.address))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();

    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    assert_eq!(api.headers()["referrer-policy"], "no-referrer");
    assert_eq!(api.headers()["x-frame-options"], "DENY");
    assert!(api.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    assert_eq!(graphiql.headers()["x-content-type-options"], "nosniff");
    assert!(graphiql.headers().get("x-frame-options").is_none());
}

#[tokio::test]
async fn hsts_is_off_unless_configured() {
    let app = spawn_app().await;
    assert!(app
        .get("/healthz")
        .await
        .headers()
        .get("strict-transport-security")
        .is_none());
}

#[tokio::test]
async fn cors_answers_allowed_origins_with_credentials_and_nobody_else() {
    let app = spawn_app_with(|s| s.allowed_origins = vec!["https://app.example".into()]).await;
    let preflight = |origin: &'static str| {
        app.api_client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .send()
    };

    let allowed = preflight("https://app.example").await.unwrap();
    let foreign = preflight("https://evil.example").await.unwrap();

    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    assert!(foreign
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

#[tokio::test]
async fn the_jwt_secret_rotates_without_logging_anyone_out() {
    // Arrange: a token signed by the instance with the old secret.
    let old = spawn_app().await;
    let user = old.signed_in_user("rotator").await;
    let rotated_settings = |previous: Vec<String>| Settings {
        database_url: old.database_url.clone(),
        bind: "127.0.0.1:0".into(),
        jwt_secret: Some(SecretString::from(format!("{}-new", old.jwt_secret))),
        jwt_previous_secrets: previous.into_iter().map(SecretString::from).collect(),
        argon2_memory_kib: 1024,
        argon2_iterations: 1,
        media_dir: std::env::temp_dir(),
        ..Default::default()
    };
    let start = |settings: Settings| async move {
        let app = Application::build(settings).await.expect("instance");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    };
    let with_previous = start(rotated_settings(vec![old.jwt_secret.clone()])).await;
    let without_previous = start(rotated_settings(Vec::new())).await;
    let me = |address: String| {
        let token = user.access.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{address}/graphql"))
                .bearer_auth(token)
                .json(&json!({ "query": "{ me { id } }" }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };

    // Act
    let accepted = me(with_previous).await;
    let refused = me(without_previous).await;

    // Assert
    assert_eq!(accepted["data"]["me"]["id"], json!(user.id), "{accepted}");
    assert_eq!(error_code(&refused), Some("UNAUTHENTICATED"), "{refused}");
}
