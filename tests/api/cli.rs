//! The `authgraph` binary: the committed schema stays in sync with
//! `print-schema`, and `create-admin` bootstraps (or promotes) an admin.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

use crate::helpers::{data, random_string, spawn_app, spawn_app_with, sqlite_url, PASSWORD};

const BIN: &str = env!("CARGO_BIN_EXE_authgraph");

/// Runs the binary in `workdir` (so stray files land there) with the
/// database and secret given through the environment, which works wherever
/// the subcommand declares its flags.
fn run(args: &[&str], database_url: Option<&str>, workdir: &Path) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(workdir)
        .env_remove("DATABASE_URL")
        .env_remove("AUTHGRAPH_ADMIN_PASSWORD")
        .env_remove("AUTHGRAPH_BIND")
        .env("AUTHGRAPH_JWT_SECRET", random_string(48))
        .env("AUTHGRAPH_MEDIA_DIR", workdir.join("media"));
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    command
        .stdin(std::process::Stdio::null())
        .output()
        .expect("cannot run the authgraph binary")
}

fn create_admin(database_url: &str, username: &str, email: &str, workdir: &Path) -> Output {
    run(
        &[
            "create-admin",
            "--username",
            username,
            "--email",
            email,
            "--password",
            PASSWORD,
        ],
        Some(database_url),
        workdir,
    )
}

fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for stream in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains(PASSWORD), "the password was printed: {text}");
    }
}

#[test]
fn schema_graphql_is_in_sync_with_print_schema() {
    // Arrange
    let workdir = TempDir::new().unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();

    // Act: no database is configured; print-schema must not need one.
    let output = run(&["print-schema"], None, workdir.path());

    // Assert
    assert!(
        output.status.success(),
        "print-schema failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).expect("the SDL is UTF-8");
    assert!(printed.contains("type Query"), "{printed}");
    if printed != committed {
        let first_difference = printed
            .lines()
            .zip(committed.lines().chain(std::iter::repeat("<end of file>")))
            .enumerate()
            .find(|(_, (new, old))| new != old)
            .map(|(i, (new, old))| format!("line {}: printed {new:?}, file has {old:?}", i + 1))
            .unwrap_or_else(|| "the file has extra or missing trailing content".to_owned());
        panic!(
            "schema.graphql is out of date ({first_difference}); regenerate it with:\n\n    \
             authgraph print-schema > schema.graphql\n\n\
             (from the repo root: cargo run -- print-schema > schema.graphql)"
        );
    }
    assert!(
        !workdir.path().join("authgraph.db").exists(),
        "print-schema must not touch a database"
    );
}

#[tokio::test]
async fn create_admin_on_a_fresh_database_makes_an_admin_who_can_log_in() {
    // Arrange
    let workdir = TempDir::new().unwrap();
    let url = sqlite_url(&workdir.path().join("cli.db"));

    // Act
    let output = create_admin(&url, "root", "root@example.com", workdir.path());

    // Assert
    assert_success(&output);
    let app = spawn_app_with(|settings| settings.database_url = url.clone()).await;
    let (token, _) = app.login("root", PASSWORD).await;
    let me = app.me(&token).await;
    let me = &data(&me)["me"];
    assert_eq!(me["username"], "root");
    assert_eq!(me["email"], "root@example.com");
    assert_eq!(me["isAdmin"], true);
    assert_eq!(me["isActive"], true);
}

#[tokio::test]
async fn create_admin_twice_with_the_same_username_keeps_one_admin() {
    // Arrange
    let workdir = TempDir::new().unwrap();
    let url = sqlite_url(&workdir.path().join("cli.db"));
    assert_success(&create_admin(
        &url,
        "root",
        "root@example.com",
        workdir.path(),
    ));

    // Act
    let output = create_admin(&url, "root", "root@example.com", workdir.path());

    // Assert
    assert_success(&output);
    let app = spawn_app_with(|settings| settings.database_url = url.clone()).await;
    let (token, _) = app.login("root", PASSWORD).await;
    let body = app
        .graphql_with_token(
            &token,
            "{ me { isAdmin } users { totalCount nodes { username } } }",
            Value::Null,
        )
        .await;
    assert_eq!(data(&body)["me"]["isAdmin"], true);
    assert_eq!(data(&body)["users"]["totalCount"], 1);
}

#[tokio::test]
async fn create_admin_promotes_an_existing_user() {
    // Arrange: a running server (SQLite or PostgreSQL) with an ordinary user.
    let app = spawn_app().await;
    let id = app.register("peter", "peter@example.com", PASSWORD).await;
    let workdir = TempDir::new().unwrap();

    // Act
    let output = create_admin(
        &app.database_url,
        "peter",
        "peter@example.com",
        workdir.path(),
    );

    // Assert
    assert_success(&output);
    let (token, _) = app.login("peter", PASSWORD).await;
    let me = app.me(&token).await;
    assert_eq!(data(&me)["me"]["id"], id.as_str());
    assert_eq!(data(&me)["me"]["isAdmin"], true);
}
