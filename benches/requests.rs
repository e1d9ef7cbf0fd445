//! Request hot paths in process, on a temp SQLite file (cheap argon2 parameters: no hash is
//! on these paths, only seeding hashes):
//!
//! - `graphql/*`: schema execution only (no HTTP, credentials already checked), with the
//!   per-request data the HTTP handler attaches (auth, extras, the two DataLoaders);
//! - `service/authenticate_access`: the credentials check alone (JWT + session lookup);
//! - `router/*`: the whole axum router through `tower::ServiceExt::oneshot`, without a
//!   socket: middleware, credentials (JWT verify + session lookup), handler, JSON;
//!   `router/healthz` is the middleware and routing alone.
//!
//! `cargo bench --bench requests`; `cargo test --benches` runs each once (test mode).
//! The set-up also counts the SQL statements of the 50-user page and fails above 3.

use std::hint::black_box;
use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use authgraph::config::Settings;
use authgraph::graphql::loaders::{GroupsOfUsers, MembersOfGroups};
use authgraph::graphql::{build_schema, RequestExtras};
use authgraph::metrics::Metrics;
use authgraph::service::accounts::{self, Registration};
use authgraph::service::context::ClientInfo;
use authgraph::service::types::NameInput;
use authgraph::service::{groups, sessions, Auth, Services};
use authgraph::startup::{build_services, router};
use authgraph::state::AppState;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::BodyExt;
use secrecy::SecretString;
use tower::ServiceExt;

const PASSWORD: &str = "Tr0ub4dor&3-horse-staple";
const ME: &str = "{ me { id username email } }";
const USERS_PAGE: &str = "{ users(first: 50) { nodes { id username email groups { id name } } \
                          pageInfo { hasNextPage endCursor } } }";
/// Most statements the 50-user page may take (the page, then one batch of groups).
const PAGE_STATEMENTS_MAX: u64 = 3;

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
    router: Router,
    admin: Auth,
    bearer: String,
}

fn registration(username: &str, group_ids: Vec<i64>) -> Registration {
    Registration {
        username: Some(username.to_owned()),
        email: Some(format!("{username}@example.com")),
        password: SecretString::from(PASSWORD.to_owned()),
        names: NameInput::default(),
        codename: None,
        group_ids,
        profile_pic: None,
    }
}

/// An admin, three groups and 60 members (every one in a group, every other one in two).
async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = Settings {
        database_url: format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        ),
        jwt_secret: Some(SecretString::from(
            "a-benchmark-secret-that-is-at-least-32-bytes-long".to_owned(),
        )),
        media_dir: dir.path().join("media"),
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        argon2_parallelism: 1,
        hash_concurrency: 1,
        db_connect_attempts: 1,
        session_purge_interval_secs: 0,
        ..Settings::default()
    };
    let metrics = Metrics::new();
    let services = build_services(&settings, &metrics).await.expect("services");
    let (admin, _) = accounts::create_admin(
        &services,
        "admin",
        Some("admin@example.com"),
        SecretString::from(PASSWORD.to_owned()),
    )
    .await
    .expect("admin");
    let tokens = sessions::start_jwt_session(
        &services,
        &services.db,
        admin.id,
        &ClientInfo::default(),
        false,
    )
    .await
    .expect("session");
    let auth = sessions::authenticate_access(&services, &tokens.access_token)
        .await
        .expect("auth");
    let mut group_ids = Vec::new();
    for name in ["red", "green", "blue"] {
        let group = groups::create_group(&services, &auth, name, true)
            .await
            .expect("group");
        group_ids.push(group.id);
    }
    for i in 0..60 {
        let mut joined = vec![group_ids[i % 3]];
        if i % 2 == 0 {
            joined.push(group_ids[(i + 1) % 3]);
        }
        let member = registration(&format!("member{i:03}"), joined);
        accounts::register(&services, member, &ClientInfo::default())
            .await
            .expect("register");
    }
    let schema = build_schema(&settings, Some(services.clone()));
    let state = AppState {
        services,
        schema,
        settings: Arc::new(settings),
        metrics,
    };
    Fixture {
        router: router(state.clone()),
        _dir: dir,
        state,
        admin: auth,
        bearer: format!("Bearer {}", tokens.access_token),
    }
}

/// What `graphql::execute` attaches to a request (see `with_request_data`).
fn graphql_request(services: &Services, auth: &Auth, query: &str) -> async_graphql::Request {
    let groups = DataLoader::new(
        GroupsOfUsers {
            services: services.clone(),
        },
        tokio::spawn,
    );
    let members = DataLoader::new(
        MembersOfGroups {
            services: services.clone(),
            auth: auth.clone(),
        },
        tokio::spawn,
    );
    async_graphql::Request::new(query)
        .data(auth.clone())
        .data(RequestExtras::default())
        .data(groups)
        .data(members)
}

async fn execute(fx: &Fixture, query: &str) -> async_graphql::Response {
    fx.state
        .schema
        .execute(graphql_request(&fx.state.services, &fx.admin, query))
        .await
}

async fn call(router: &Router, request: Request<Body>) -> (StatusCode, axum::body::Bytes) {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, body)
}

fn rest_me(fx: &Fixture) -> Request<Body> {
    Request::get("/api/me/")
        .header(header::AUTHORIZATION, &fx.bearer)
        .body(Body::empty())
        .expect("request")
}

fn graphql_post(fx: &Fixture, query: &str) -> Request<Body> {
    let body = serde_json::json!({ "query": query }).to_string();
    Request::post("/graphql")
        .header(header::AUTHORIZATION, &fx.bearer)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("request")
}

/// Checks every benchmarked request once, and counts the page's SQL statements.
async fn check(fx: &Fixture) {
    let me = execute(fx, ME).await;
    assert!(me.errors.is_empty(), "{:?}", me.errors);
    let before = fx.state.metrics.statements();
    let page = execute(fx, USERS_PAGE).await;
    let statements = fx.state.metrics.statements() - before;
    assert!(page.errors.is_empty(), "{:?}", page.errors);
    let data = page.data.into_json().expect("json");
    let nodes = data["users"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 50);
    assert!(nodes[1]["groups"].as_array().is_some_and(|g| !g.is_empty()));
    eprintln!("graphql users(first: 50) with groups: {statements} SQL statements");
    assert!(
        statements <= PAGE_STATEMENTS_MAX,
        "the 50-user page took {statements} statements"
    );
    let (status, body) = call(&fx.router, rest_me(fx)).await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let (status, body) = call(&fx.router, graphql_post(fx, ME)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.windows(8).any(|w| w == b"\"errors\""), "{body:?}");
}

fn requests(c: &mut Criterion) {
    // One thread runs everything, like the server pinned to one core in bench/run.sh
    // (sqlx still runs each SQLite connection on its own thread).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let fx = rt.block_on(fixture());
    rt.block_on(check(&fx));

    let mut group = c.benchmark_group("graphql");
    group.bench_function("me", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(execute(&fx, ME).await) });
    });
    group.bench_function("users_50_with_groups", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(execute(&fx, USERS_PAGE).await) });
    });
    group.finish();

    // The per-request credentials check alone: JWT verify + the session/user lookup.
    let token = fx.bearer.trim_start_matches("Bearer ").to_owned();
    let mut group = c.benchmark_group("service");
    group.bench_function("authenticate_access", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(
                sessions::authenticate_access(&fx.state.services, &token)
                    .await
                    .expect("auth"),
            )
        });
    });
    group.finish();

    let mut group = c.benchmark_group("router");
    // Every middleware and the routing, without credentials or the database.
    group.bench_function("healthz", |b| {
        b.to_async(&rt).iter(|| async {
            let request = Request::get("/healthz")
                .body(Body::empty())
                .expect("request");
            black_box(call(&fx.router, request).await)
        });
    });
    group.bench_function("rest_get_me", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(call(&fx.router, rest_me(&fx)).await) });
    });
    group.bench_function("graphql_me", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(call(&fx.router, graphql_post(&fx, ME)).await) });
    });
    group.finish();
}

criterion_group!(benches, requests);
criterion_main!(benches);
