//! Hot paths without I/O: argon2id hash and verify through authgraph's hashing pool at the
//! configured (default, OWASP) parameters, and access-token (JWT) issue and verify.
//!
//! `cargo bench --bench crypto`; `cargo test --benches` runs each once (test mode).
//! See bench/README.md for the figures.

use std::hint::black_box;
use std::time::Duration;

use authgraph::auth::password::{PasswordHasher, Verification};
use authgraph::auth::tokens::JwtKeys;
use authgraph::config::Settings;
use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};
use secrecy::SecretString;

const PASSWORD: &str = "correct horse battery staple";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn password(c: &mut Criterion) {
    let settings = Settings::default();
    let rt = runtime();
    // One hashing thread: the figure is the cost of one hash on one core, pool included.
    let hasher = PasswordHasher::new(
        settings.argon2_memory_kib,
        settings.argon2_iterations,
        settings.argon2_parallelism,
        1,
        16,
    )
    .expect("hasher");
    let secret = || SecretString::from(PASSWORD.to_owned());
    let stored = rt.block_on(hasher.hash(secret())).expect("hash");
    assert_eq!(
        rt.block_on(hasher.verify(secret(), Some(stored.clone())))
            .expect("verify"),
        Verification::Match {
            needs_rehash: false
        }
    );

    let mut group = c.benchmark_group(format!(
        "password/argon2id_m{}_t{}_p{}",
        settings.argon2_memory_kib, settings.argon2_iterations, settings.argon2_parallelism
    ));
    // Tens of milliseconds per hash: few samples, each of a few iterations.
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("hash", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(hasher.hash(secret()).await.expect("hash")) });
    });
    group.bench_function("verify", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(
                hasher
                    .verify(secret(), Some(stored.clone()))
                    .await
                    .expect("verify"),
            )
        });
    });
    group.finish();
}

fn jwt(c: &mut Criterion) {
    let settings = Settings::default();
    let keys = JwtKeys::new(
        b"a-benchmark-secret-that-is-at-least-32-bytes-long",
        &settings.jwt_issuer,
        &settings.jwt_audience,
        Duration::from_secs(settings.access_token_ttl_secs),
    );
    let session_id = "0b4e7a52-3c1d-4f8e-9a6b-2d5c8e1f7a30";
    let token = keys.issue(42, session_id, Utc::now()).expect("issue");
    assert_eq!(keys.verify(&token).expect("verify").sub, "42");

    let mut group = c.benchmark_group("jwt");
    group.bench_function("issue", |b| {
        b.iter(|| {
            black_box(
                keys.issue(black_box(42), black_box(session_id), Utc::now())
                    .expect("issue"),
            )
        });
    });
    group.bench_function("verify", |b| {
        b.iter(|| black_box(keys.verify(black_box(&token)).expect("verify")));
    });
    group.finish();
}

criterion_group!(benches, password, jwt);
criterion_main!(benches);
