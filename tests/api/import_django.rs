//! `authgraph import-django` against real Django databases made by Django 5.1
//! (tests/fixtures/django/make_fixture.py): every password hasher Django ships, unusable
//! passwords, staff and superusers, groups, DRF tokens, a custom user table with pictures,
//! conflicts, re-runs and deltas. The import writes into the test app's database (SQLite,
//! or PostgreSQL with TEST_DATABASE_URL); the Django side is the committed SQLite fixture,
//! and also a PostgreSQL copy of it when TEST_DATABASE_URL is set.

use std::path::{Path, PathBuf};
use std::process::Command;

use authgraph::config::Settings;
use authgraph::import::summary::{ConflictReason, SkipReason, WarningReason};
use authgraph::import::{self, ImportOptions, Summary};
use authgraph::metrics::Metrics;
use authgraph::startup::build_services;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use secrecy::SecretString;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::helpers::{data, error_code, random_string, spawn_app_with, TestApp};

/// The stock project's users with a usable password, their password and Django hasher.
const USERS: [(&str, &str, &str); 7] = [
    ("alice", "alice in pbkdf2 land", "pbkdf2_sha256"),
    ("bob", "bob's sha1 secret", "pbkdf2_sha1"),
    ("carol", "carol \u{e4}rgon2 p\u{e4}ss", "argon2"),
    ("dave", DAVE_PASSWORD, "bcrypt_sha256"),
    ("erin", "erin plain bcrypt", "bcrypt"),
    ("frank", "frank scrypt word", "scrypt"),
    ("heidi", "heidi super user", "pbkdf2_sha256"),
];
/// 89 bytes: bcrypt_sha256 must not truncate it at 72.
const DAVE_PASSWORD: &str = concat!(
    "dave bcrypt sha256 ",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
);
/// DRF token keys of the fixture (sha1 of "drf-token:<username>").
const ALICE_TOKEN: &str = "10b5586dff7e03c08820f4c4bb3ee8624955d621";
const BOB_TOKEN: &str = "57f94ddef4156c1747e7f56e8c257cf4fb5daf0f";
const IVAN2_TOKEN: &str = "4804b194d0e702c8dd0fe998786d0913c9f1f416";
const TINA_TOKEN: &str = "a8c28a939fce61ea332096cec66cac35e31ebc8a";
/// Rows of the stock fixture's auth_user.
const STOCK_USERS: u64 = 11;
/// A Django 5.1 hash of "correct hörse" (pbkdf2_sha256, 1000 iterations).
const CHEAP_DJANGO_HASH: &str =
    "pbkdf2_sha256$1000$seasalt123$GDWftJvimMQ6/sKdarcDlPgiQmW2npXcuta5XzJIgAk=";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/django")
        .join(name)
}

fn sqlite_source(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// A writable copy of a fixture database, for tests that change the Django side.
fn copy_of(name: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::copy(fixture(name), &path).expect("cannot copy the fixture");
    (dir, path)
}

/// The app plus the media directory it serves pictures from (the import writes there too).
struct ImportApp {
    app: TestApp,
    media: TempDir,
}

async fn spawn() -> ImportApp {
    let media = TempDir::new().expect("temp dir");
    let media_dir = media.path().to_path_buf();
    let app = spawn_app_with(|settings| settings.media_dir = media_dir).await;
    ImportApp { app, media }
}

impl ImportApp {
    /// Services over the app's database and media directory, as `authgraph import-django`
    /// would build them.
    async fn import(&self, options: &ImportOptions) -> Summary {
        let settings = Settings {
            database_url: self.app.database_url.clone(),
            jwt_secret: Some(SecretString::from(self.app.jwt_secret.clone())),
            media_dir: self.media.path().to_path_buf(),
            argon2_memory_kib: 1024,
            argon2_iterations: 1,
            hash_concurrency: 1,
            ..Default::default()
        };
        let services = build_services(&settings, &Metrics::new())
            .await
            .expect("cannot build the services");
        let mut batches = 0;
        let summary = import::run(&services, options, |_| batches += 1)
            .await
            .unwrap_or_else(|e| panic!("import failed: {e}"));
        assert!(batches > 0, "no progress was reported");
        summary
    }

    async fn import_stock(&self) -> Summary {
        self.import(&stock_options(&sqlite_source(&fixture("django.sqlite3"))))
            .await
    }

    async fn password_hash(&self, username: &str) -> String {
        let db = Database::connect(&self.app.database_url)
            .await
            .expect("cannot connect to the test database");
        let backend = db.get_database_backend();
        let placeholder = if backend == DbBackend::Postgres {
            "$1"
        } else {
            "?"
        };
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                format!("SELECT password_hash FROM users WHERE username = {placeholder}"),
                [username.into()],
            ))
            .await
            .expect("query failed")
            .unwrap_or_else(|| panic!("no user {username}"));
        let hash: String = row.try_get("", "password_hash").expect("password_hash");
        db.close().await.expect("close");
        hash
    }

    /// GraphQL `login`; the access token, or the whole body on failure.
    async fn graphql_login(&self, username: &str, password: &str) -> Result<String, Value> {
        let body = self.app.try_login(username, password).await;
        match body["data"]["login"]["accessToken"].as_str() {
            Some(token) => Ok(token.to_owned()),
            None => Err(body),
        }
    }

    /// djoser `POST /auth/token/login/`: the status and body.
    async fn djoser_login(&self, username: &str, password: &str) -> (StatusCode, Value) {
        let response = self
            .app
            .api_client
            .post(format!("{}/auth/token/login/", self.app.address))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("POST /auth/token/login/ failed");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// djoser `GET /auth/users/me/` with `Authorization: Token <key>`.
    async fn djoser_me(&self, key: &str) -> (StatusCode, Value) {
        let response = self
            .app
            .api_client
            .get(format!("{}/auth/users/me/", self.app.address))
            .header("authorization", format!("Token {key}"))
            .send()
            .await
            .expect("GET /auth/users/me/ failed");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn me(&self, token: &str, fields: &str) -> Value {
        let body = self
            .app
            .graphql_with_token(token, &format!("{{ me {{ {fields} }} }}"), Value::Null)
            .await;
        data(&body)["me"].clone()
    }
}

fn stock_options(url: &str) -> ImportOptions {
    ImportOptions {
        // Small batches, so that the case conflict (ids 9 and 10) spans two of them.
        batch_size: 3,
        ..ImportOptions::new(url)
    }
}

fn custom_options() -> ImportOptions {
    ImportOptions {
        user_table: "accounts_user".into(),
        columns: vec![
            "codename=nickname".parse().unwrap(),
            "full_name=display_name".parse().unwrap(),
            "profile_pic=avatar".parse().unwrap(),
        ],
        media_root: Some(fixture("media")),
        ..ImportOptions::new(sqlite_source(&fixture("custom_user.sqlite3")))
    }
}

fn conflict_reasons(summary: &Summary) -> Vec<(String, ConflictReason)> {
    summary
        .conflicts
        .iter()
        .map(|c| (c.name.clone(), c.reason))
        .collect()
}

fn warnings_for(summary: &Summary, django_id: i64) -> Vec<WarningReason> {
    summary
        .warnings
        .iter()
        .filter(|w| w.django_id == django_id)
        .map(|w| w.reason)
        .collect()
}

#[tokio::test]
async fn every_django_hasher_s_password_logs_in_and_is_upgraded_to_argon2id() {
    // Arrange
    let app = spawn().await;
    let summary = app.import_stock().await;
    assert_eq!(summary.users.imported, STOCK_USERS - 1, "{summary}");
    for (username, _, algorithm) in USERS {
        let stored = app.password_hash(username).await;
        assert!(stored.starts_with(&format!("{algorithm}$")), "{stored}");
    }

    for (i, (username, password, algorithm)) in USERS.iter().enumerate() {
        // Act: half log in first through GraphQL, half through djoser, so each front door
        // verifies Django hashes; the other one then checks the argon2id hash.
        let graphql_first = i % 2 == 0;
        if !graphql_first {
            let (status, body) = app.djoser_login(username, password).await;
            assert_eq!(status, StatusCode::OK, "{username} ({algorithm}): {body}");
        }
        let login = app.graphql_login(username, password).await;
        let token = login.unwrap_or_else(|body| panic!("{username} ({algorithm}): {body}"));
        if graphql_first {
            let (status, body) = app.djoser_login(username, password).await;
            assert_eq!(status, StatusCode::OK, "{username} ({algorithm}): {body}");
            assert!(body["auth_token"].as_str().is_some_and(|t| t.len() == 40));
        }

        // Assert
        let stored = app.password_hash(username).await;
        assert!(
            stored.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"),
            "{username} ({algorithm}) still has {stored}"
        );
        assert_eq!(app.me(&token, "username").await["username"], *username);
        let wrong = app.graphql_login(username, "not the password").await;
        assert_eq!(error_code(&wrong.unwrap_err()), Some("UNAUTHENTICATED"));
    }
}

#[tokio::test]
async fn a_wrong_password_leaves_the_django_hash_in_place() {
    // Arrange
    let app = spawn().await;
    app.import_stock().await;
    let before = app.password_hash("frank").await;

    // Act
    let graphql = app.graphql_login("frank", "frank scrypt wore").await;
    let (status, _) = app.djoser_login("frank", "Frank scrypt word").await;

    // Assert
    assert_eq!(error_code(&graphql.unwrap_err()), Some("UNAUTHENTICATED"));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(app.password_hash("frank").await, before);
}

#[tokio::test]
async fn an_unusable_django_password_never_logs_in() {
    // Arrange
    let app = spawn().await;
    app.import_stock().await;

    // Act
    let empty = app.graphql_login("grace", "").await;
    let guess = app.graphql_login("grace", "grace").await;
    let (status, body) = app.djoser_login("grace", "grace").await;

    // Assert
    assert_eq!(error_code(&empty.unwrap_err()), Some("UNAUTHENTICATED"));
    assert_eq!(error_code(&guess.unwrap_err()), Some("UNAUTHENTICATED"));
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(app.password_hash("grace").await.starts_with('!'));
}

#[tokio::test]
async fn an_inactive_django_user_stays_inactive() {
    // Arrange
    let app = spawn().await;
    app.import_stock().await;

    // Act
    let login = app.graphql_login("judy", "judy is inactive").await;

    // Assert
    assert_eq!(error_code(&login.unwrap_err()), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn an_imported_drf_token_authenticates_legacy_requests() {
    // Arrange
    let app = spawn().await;
    let summary = app.import_stock().await;
    assert_eq!(summary.tokens.imported, 2, "{summary}");

    // Act
    let (alice_status, alice) = app.djoser_me(ALICE_TOKEN).await;
    let (upper_status, _) = app.djoser_me(&BOB_TOKEN.to_uppercase()).await;
    let (ivan2_status, _) = app.djoser_me(IVAN2_TOKEN).await;

    // Assert
    assert_eq!(alice_status, StatusCode::OK, "{alice}");
    assert_eq!(alice["email"], "alice@example.com");
    assert_eq!(alice["first_name"], "Alice");
    assert_eq!(upper_status, StatusCode::OK);
    // ivan2 was not imported (email conflict), so neither was the token.
    assert_eq!(ivan2_status, StatusCode::UNAUTHORIZED);
    assert!(warnings_for(&summary, 10).contains(&WarningReason::TokenUserNotImported));
}

#[tokio::test]
async fn staff_and_superusers_become_admins_and_groups_come_along() {
    // Arrange
    let app = spawn().await;
    let summary = app.import_stock().await;
    let alice = app
        .graphql_login("alice", "alice in pbkdf2 land")
        .await
        .expect("alice logs in");

    // Act
    let groups = app
        .app
        .graphql_with_token(
            &alice,
            "{ groups { name members { username isAdmin } } }",
            Value::Null,
        )
        .await;

    // Assert
    assert_eq!(summary.groups.imported, 2);
    assert_eq!(summary.memberships.added, 4);
    let mut found: Vec<(String, Vec<(String, bool)>)> = data(&groups)["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            let mut members: Vec<(String, bool)> = g["members"]
                .as_array()
                .expect("members")
                .iter()
                .map(|m| {
                    let name = m["username"].as_str().unwrap_or_default().to_owned();
                    (name, m["isAdmin"].as_bool().unwrap_or_default())
                })
                .collect();
            members.sort();
            (g["name"].as_str().unwrap_or_default().to_owned(), members)
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            (
                "editors".to_owned(),
                vec![("alice".to_owned(), true), ("heidi".to_owned(), true)]
            ),
            (
                "readers".to_owned(),
                vec![("alice".to_owned(), true), ("bob".to_owned(), false)]
            ),
        ]
    );
}

#[tokio::test]
async fn two_django_accounts_whose_emails_differ_only_in_case_are_reported_and_the_first_imported()
{
    // Arrange
    let app = spawn().await;

    // Act
    let summary = app.import_stock().await;

    // Assert
    assert_eq!(
        conflict_reasons(&summary),
        vec![("ivan2".to_owned(), ConflictReason::DuplicateEmail)]
    );
    assert_eq!(summary.users.conflicts, 1);
    assert_eq!(
        summary.conflicts_by_reason[&ConflictReason::DuplicateEmail],
        1
    );
    assert!(app
        .graphql_login("ivan", "ivan first account")
        .await
        .is_ok());
    let second = app.graphql_login("ivan2", "ivan second account").await;
    assert_eq!(error_code(&second.unwrap_err()), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn a_second_import_changes_nothing() {
    // Arrange
    let app = spawn().await;
    let first = app.import_stock().await;

    // Act
    let second = app.import_stock().await;

    // Assert
    assert_eq!(first.users.imported, STOCK_USERS - 1);
    assert_eq!(second.users.imported, 0, "{second}");
    assert_eq!(second.users.updated, 0, "{second}");
    assert_eq!(second.users.skipped, STOCK_USERS - 1);
    assert_eq!(second.skipped_by_reason[&SkipReason::Unchanged], 12);
    assert_eq!(second.groups.imported, 0);
    assert_eq!(second.tokens.skipped, 2);
    assert!(second.is_noop(), "{second}");
    // The conflict is still there, and still reported.
    assert_eq!(
        conflict_reasons(&second),
        vec![("ivan2".to_owned(), ConflictReason::DuplicateEmail)]
    );
}

#[tokio::test]
async fn a_dry_run_reports_what_the_import_would_do_and_writes_nothing() {
    // Arrange
    let app = spawn().await;
    let url = sqlite_source(&fixture("django.sqlite3"));
    let options = ImportOptions {
        dry_run: true,
        ..stock_options(&url)
    };

    // Act
    let dry = app.import(&options).await;

    // Assert
    let login = app.graphql_login("alice", "alice in pbkdf2 land").await;
    assert_eq!(error_code(&login.unwrap_err()), Some("UNAUTHENTICATED"));
    let (status, _) = app.djoser_me(ALICE_TOKEN).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(dry.dry_run);
    let real = app.import_stock().await;
    assert_eq!(dry.users, real.users);
    assert_eq!(dry.groups, real.groups);
    assert_eq!(dry.memberships, real.memberships);
    assert_eq!(dry.tokens, real.tokens);
    assert_eq!(conflict_reasons(&dry), conflict_reasons(&real));
}

#[tokio::test]
async fn a_username_taken_by_an_authgraph_account_is_a_conflict_and_is_left_alone() {
    // Arrange
    let app = spawn().await;
    app.app
        .register("Bob", "robert@example.org", "lantern-orbit-staple-42")
        .await;

    // Act
    let summary = app.import_stock().await;

    // Assert
    assert_eq!(
        conflict_reasons(&summary),
        vec![
            ("bob".to_owned(), ConflictReason::UsernameTaken),
            ("ivan2".to_owned(), ConflictReason::DuplicateEmail),
        ]
    );
    assert!(app
        .graphql_login("bob", "lantern-orbit-staple-42")
        .await
        .is_ok());
    assert!(app.graphql_login("bob", "bob's sha1 secret").await.is_err());
    // bob's token was not imported either.
    let (status, _) = app.djoser_me(BOB_TOKEN).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_custom_user_table_maps_codename_full_name_and_profile_pic() {
    // Arrange
    let app = spawn().await;

    // Act
    let summary = app.import(&custom_options()).await;

    // Assert
    assert_eq!(summary.users.imported, 5, "{summary}");
    assert_eq!(summary.profile_pics_copied, 1);
    assert_eq!(
        warnings_for(&summary, 2),
        [WarningReason::ProfilePicMissing]
    );
    assert_eq!(
        warnings_for(&summary, 3),
        [WarningReason::ProfilePicRejected]
    );
    assert_eq!(
        warnings_for(&summary, 4),
        [WarningReason::ProfilePicOutsideMediaRoot]
    );
    let pat = app
        .graphql_login("pat", "pat has a picture")
        .await
        .expect("pat logs in");
    let me = app
        .me(&pat, "codename firstName lastName fullName profilePic")
        .await;
    assert_eq!(me["codename"], "Patty");
    assert_eq!(me["firstName"], "Pat");
    assert_eq!(me["lastName"], "Smith");
    let picture = me["profilePic"].as_str().expect("a picture URL");
    let response = app
        .app
        .api_client
        .get(format!("{}{picture}", app.app.address))
        .send()
        .await
        .expect("GET picture");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    let original = std::fs::read(fixture("media/avatars/pat.png")).unwrap();
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        original.as_slice()
    );
    // Stored under a new random name, not Django's.
    assert!(!picture.contains("pat.png"), "{picture}");
    let (status, tina) = app.djoser_me(TINA_TOKEN).await;
    assert_eq!(status, StatusCode::OK, "{tina}");
    assert_eq!(tina["codename"], "T");
    assert_eq!(summary.memberships.added, 2);
}

#[tokio::test]
async fn re_importing_a_custom_user_table_copies_no_picture_twice() {
    // Arrange
    let app = spawn().await;
    app.import(&custom_options()).await;
    let files = || std::fs::read_dir(app.media.path()).unwrap().count();
    let before = files();

    // Act
    let second = app.import(&custom_options()).await;

    // Assert
    assert!(second.is_noop(), "{second}");
    assert_eq!(second.profile_pics_copied, 0);
    assert_eq!(files(), before);
}

/// Runs SQL on a copy of a fixture, as Django would change it after a first import.
async fn change_django(path: &Path, statements: &[&str]) {
    let db = Database::connect(sqlite_source(path))
        .await
        .expect("cannot open the Django copy");
    for sql in statements {
        db.execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    db.close().await.expect("close");
}

#[tokio::test]
async fn changes_made_in_django_after_an_import_are_picked_up_by_the_next_run() {
    // Arrange
    let app = spawn().await;
    let (_dir, path) = copy_of("django.sqlite3");
    let options = stock_options(&sqlite_source(&path));
    app.import(&options).await;
    let carol = app
        .graphql_login("carol", "carol \u{e4}rgon2 p\u{e4}ss")
        .await
        .expect("carol logs in");
    app.app
        .graphql_with_token(
            &carol,
            r#"mutation { updateMe(input: { firstName: "Caroline" }) { id } }"#,
            Value::Null,
        )
        .await;
    let new_bob_token = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";
    change_django(
        &path,
        &[
            "UPDATE auth_user SET first_name = 'Robert', is_staff = 1 WHERE username = 'bob'",
            "UPDATE auth_user SET last_name = 'Changed' WHERE username = 'carol'",
            // alice logs out of Django (DRF deletes the token) and leaves "readers".
            "DELETE FROM authtoken_token WHERE user_id = 1",
            "DELETE FROM auth_user_groups WHERE user_id = 1 AND group_id = 2",
            // bob logs in again: a new token.
            "DELETE FROM authtoken_token WHERE user_id = 2",
            &format!(
                "INSERT INTO authtoken_token (key, created, user_id) \
                 VALUES ('{new_bob_token}', '2024-05-06 07:08:09', 2)"
            ),
            &format!(
                "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, \
                 email, is_staff, is_active, date_joined) VALUES ('{CHEAP_DJANGO_HASH}', 0, \
                 'zoe', 'Zoe', '', 'zoe@example.com', 0, 1, '2024-01-01 00:00:00')"
            ),
            "DELETE FROM auth_user WHERE username = 'erin'",
        ],
    )
    .await;

    // Act
    let delta = app.import(&options).await;

    // Assert
    assert_eq!(delta.users.imported, 1, "{delta}");
    assert_eq!(delta.users.updated, 1, "{delta}");
    assert_eq!(
        conflict_reasons(&delta),
        vec![
            ("carol".to_owned(), ConflictReason::ChangedInBoth),
            ("ivan2".to_owned(), ConflictReason::DuplicateEmail),
        ]
    );
    assert_eq!(delta.tokens.replaced, 1);
    assert_eq!(delta.tokens.revoked, 1);
    assert_eq!(delta.memberships.removed, 1);
    assert_eq!(warnings_for(&delta, 5), [WarningReason::RemovedInDjango]);
    let bob = app
        .graphql_login("bob", "bob's sha1 secret")
        .await
        .expect("bob logs in");
    let me = app.me(&bob, "firstName isAdmin").await;
    assert_eq!(me, json!({ "firstName": "Robert", "isAdmin": true }));
    assert!(app.graphql_login("zoe", "correct h\u{f6}rse").await.is_ok());
    let carol_now = app.me(&carol, "firstName lastName").await;
    assert_eq!(
        carol_now,
        json!({ "firstName": "Caroline", "lastName": "" })
    );
    assert_eq!(app.djoser_me(ALICE_TOKEN).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.djoser_me(BOB_TOKEN).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.djoser_me(new_bob_token).await.0, StatusCode::OK);
    // erin stays in authgraph.
    assert!(app.graphql_login("erin", "erin plain bcrypt").await.is_ok());

    // And once more: nothing left to do.
    let again = app.import(&options).await;
    assert!(again.is_noop(), "{again}");
}

#[tokio::test]
async fn an_account_deleted_in_authgraph_is_not_brought_back() {
    // Arrange
    let app = spawn().await;
    app.import_stock().await;
    let frank = app
        .graphql_login("frank", "frank scrypt word")
        .await
        .expect("frank logs in");
    let deleted = app
        .app
        .graphql_with_token(
            &frank,
            r#"mutation { deleteMe(currentPassword: "frank scrypt word") }"#,
            Value::Null,
        )
        .await;
    assert_eq!(data(&deleted)["deleteMe"], true);

    // Act
    let again = app.import_stock().await;

    // Assert
    assert_eq!(again.users.imported, 0);
    assert_eq!(again.skipped_by_reason[&SkipReason::DeletedInAuthgraph], 1);
    assert!(app
        .graphql_login("frank", "frank scrypt word")
        .await
        .is_err());
}

#[tokio::test]
async fn the_command_line_imports_and_prints_a_json_summary() {
    // Arrange
    let app = spawn().await;
    let workdir = TempDir::new().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--database-url".to_owned(),
            app.app.database_url.clone(),
            "--media-dir".to_owned(),
            app.media.path().display().to_string(),
            "import-django".to_owned(),
            "--from".to_owned(),
            sqlite_source(&fixture("django.sqlite3")),
            "--batch-size".to_owned(),
            "4".to_owned(),
            "--json".to_owned(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let output = Command::new(env!("CARGO_BIN_EXE_authgraph"))
            .args(&args)
            .current_dir(workdir.path())
            .env_remove("DATABASE_URL")
            .env("AUTHGRAPH_JWT_SECRET", random_string(48))
            .output()
            .expect("cannot run authgraph");
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert!(output.status.success(), "{stdout}\n{stderr}");
        let summary: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
        (summary, stderr)
    };

    // Act
    let (dry, _) = run(&["--dry-run"]);
    let (real, progress) = run(&[]);
    let (again, _) = run(&[]);

    // Assert
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["users"]["imported"], 10);
    assert_eq!(real["users"]["imported"], 10);
    assert_eq!(real["users"]["conflicts"], 1);
    assert_eq!(real["conflicts_by_reason"]["duplicate_email"], 1);
    assert_eq!(real["conflicts"][0]["name"], "ivan2");
    assert!(progress.contains("batch 3: 11/11 users read"), "{progress}");
    assert_eq!(again["users"]["imported"], 0);
    assert_eq!(again["users"]["skipped"], 10);
    assert!(app
        .graphql_login("alice", "alice in pbkdf2 land")
        .await
        .is_ok());
}

#[tokio::test]
async fn the_command_line_refuses_a_missing_django_database() {
    // Arrange
    let app = spawn().await;
    let workdir = TempDir::new().unwrap();

    // Act
    let output = Command::new(env!("CARGO_BIN_EXE_authgraph"))
        .args([
            "--database-url",
            &app.app.database_url,
            "import-django",
            "--from",
            "sqlite:///nonexistent/django.sqlite3",
        ])
        .current_dir(workdir.path())
        .env_remove("DATABASE_URL")
        .env("AUTHGRAPH_JWT_SECRET", random_string(48))
        .output()
        .expect("cannot run authgraph");

    // Assert
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot open the Django database"),
        "{stderr}"
    );
    assert!(!Path::new("/nonexistent/django.sqlite3").exists());
}

/// A PostgreSQL database loaded with the fixture's PostgreSQL dump; dropped on drop.
struct PostgresDjango {
    server_url: String,
    name: String,
    url: String,
}

impl PostgresDjango {
    async fn create(server_url: &str) -> Self {
        let name = format!("authgraph_django_{}", random_string(12).to_lowercase());
        let admin = Database::connect(server_url).await.expect("connect");
        admin
            .execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#))
            .await
            .expect("create database");
        admin.close().await.expect("close");
        let mut url = url::Url::parse(server_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        let url = url.to_string();
        let db = Database::connect(&url).await.expect("connect");
        let dump = std::fs::read_to_string(fixture("django.postgres.sql")).expect("dump");
        db.execute_unprepared(&dump).await.expect("load the dump");
        db.close().await.expect("close");
        Self {
            server_url: server_url.to_owned(),
            name,
            url,
        }
    }
}

impl Drop for PostgresDjango {
    fn drop(&mut self) {
        let (server_url, name) = (self.server_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("BUG: runtime");
            runtime.block_on(async move {
                let db = Database::connect(&server_url).await?;
                db.execute_unprepared(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
                    .await?;
                db.close().await
            })
        })
        .join();
    }
}

#[tokio::test]
async fn a_django_database_on_postgresql_imports_the_same_way() {
    let Some(server) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    else {
        eprintln!("skipped: the PostgreSQL source needs TEST_DATABASE_URL");
        return;
    };
    // Arrange
    let django = PostgresDjango::create(&server).await;
    let app = spawn().await;

    // Act
    let summary = app.import(&stock_options(&django.url)).await;
    let again = app.import(&stock_options(&django.url)).await;

    // Assert
    assert_eq!(summary.users.imported, STOCK_USERS - 1, "{summary}");
    assert_eq!(
        conflict_reasons(&summary),
        vec![("ivan2".to_owned(), ConflictReason::DuplicateEmail)]
    );
    assert_eq!(summary.groups.imported, 2);
    assert_eq!(summary.tokens.imported, 2);
    assert!(again.is_noop(), "{again}");
    let alice = app
        .graphql_login("alice", "alice in pbkdf2 land")
        .await
        .expect("alice logs in");
    assert_eq!(app.me(&alice, "isAdmin").await["isAdmin"], true);
    assert!(app.graphql_login("dave", DAVE_PASSWORD).await.is_ok());
    assert_eq!(app.djoser_me(ALICE_TOKEN).await.0, StatusCode::OK);
}
