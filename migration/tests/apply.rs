//! The migration applies, reverts and re-applies on SQLite (always) and PostgreSQL (when
//! `TEST_DATABASE_URL` is set), and the `entity` crate agrees with the schema it creates:
//! unique keys, NULL-tolerant unique keys, cascading deletes and the users<->groups via.

use entity::{group, refresh_token, session, user, user_group};
use migration::sea_orm::prelude::DateTimeUtc;
use migration::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DbBackend, EntityTrait, ModelTrait, PaginatorTrait, QueryFilter, Set, SqlErr, Statement,
};
use migration::{Migrator, MigratorTrait, SchemaManager};

const TABLES: [&str; 5] = [
    "users",
    "groups",
    "user_groups",
    "sessions",
    "refresh_tokens",
];

fn ts(secs: i64) -> DateTimeUtc {
    // Fixed instants keep the test free of chrono's `clock` feature.
    DateTimeUtc::from_timestamp(secs, 0).expect("BUG: fixed timestamp in range")
}

fn new_user(n: i64, email_key: Option<&str>) -> user::ActiveModel {
    user::ActiveModel {
        username: Set(format!("User{n}")),
        username_key: Set(format!("user{n}")),
        email: Set(email_key.map(str::to_owned)),
        email_key: Set(email_key.map(str::to_owned)),
        first_name: Set(String::new()),
        last_name: Set(String::new()),
        codename: Set(None),
        profile_pic: Set(None),
        is_active: Set(true),
        is_admin: Set(false),
        password_hash: Set("!".into()),
        date_joined: Set(ts(n)),
        last_login: Set(None),
        updated_at: Set(ts(n)),
        ..Default::default()
    }
}

async fn table_count(db: &DatabaseConnection) -> usize {
    let manager = SchemaManager::new(db);
    let mut n = 0;
    for t in TABLES {
        if manager.has_table(t).await.expect("has_table") {
            n += 1;
        }
    }
    n
}

fn is_unique_violation(err: &migration::DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

async fn exercise(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("first up");
    assert_eq!(table_count(db).await, 5);
    Migrator::down(db, None).await.expect("down");
    assert_eq!(table_count(db).await, 0);
    Migrator::up(db, None).await.expect("second up");
    assert_eq!(table_count(db).await, 5);
    // Idempotent once applied.
    Migrator::up(db, None).await.expect("third up is a no-op");

    let t = ts(1_700_000_000);

    let alice = new_user(1, None).insert(db).await.expect("insert alice");
    let bob = new_user(2, None).insert(db).await.expect("insert bob");
    assert!(alice.id >= 1 && bob.id > alice.id, "auto-increment ids");

    // Several NULL email_keys are fine; a repeated non-NULL one is not.
    new_user(3, Some("c@example.com"))
        .insert(db)
        .await
        .expect("insert carol");
    let err = new_user(4, Some("c@example.com"))
        .insert(db)
        .await
        .expect_err("duplicate email_key");
    assert!(is_unique_violation(&err), "email_key: {err:?}");
    let err = new_user(1, None)
        .insert(db)
        .await
        .expect_err("duplicate username_key");
    assert!(is_unique_violation(&err), "username_key: {err:?}");

    let staff = group::ActiveModel {
        name: Set("staff".into()),
        open_for_registration: Set(false),
        created_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert group");
    let err = group::ActiveModel {
        name: Set("staff".into()),
        open_for_registration: Set(true),
        created_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect_err("duplicate group name");
    assert!(is_unique_violation(&err), "groups.name: {err:?}");

    for u in [&alice, &bob] {
        user_group::ActiveModel {
            user_id: Set(u.id),
            group_id: Set(staff.id),
        }
        .insert(db)
        .await
        .expect("insert membership");
    }
    let groups = alice
        .find_related(group::Entity)
        .all(db)
        .await
        .expect("user -> groups via user_groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].name, "staff");
    let members = staff
        .find_related(user::Entity)
        .all(db)
        .await
        .expect("group -> users via user_groups");
    assert_eq!(members.len(), 2);

    let sid = uuid::Uuid::new_v4().to_string();
    session::ActiveModel {
        id: Set(sid.clone()),
        user_id: Set(alice.id),
        kind: Set(session::KIND_LEGACY.into()),
        legacy_token_hash: Set(Some("a".repeat(64))),
        created_at: Set(t),
        last_used_at: Set(t),
        expires_at: Set(None),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        user_agent: Set(None),
        client_ip: Set(None),
    }
    .insert(db)
    .await
    .expect("insert session");
    // A second session without a legacy hash (JWT) is fine; a repeated hash is not.
    for (hash, ok) in [(None, true), (None, true), (Some("a".repeat(64)), false)] {
        let res = session::ActiveModel {
            id: Set(uuid::Uuid::new_v4().to_string()),
            user_id: Set(bob.id),
            kind: Set(session::KIND_JWT.into()),
            legacy_token_hash: Set(hash),
            created_at: Set(t),
            last_used_at: Set(t),
            expires_at: Set(Some(t)),
            revoked_at: Set(None),
            revoked_reason: Set(None),
            user_agent: Set(Some("test".into())),
            client_ip: Set(Some("127.0.0.1".into())),
        }
        .insert(db)
        .await;
        match res {
            Ok(_) => assert!(ok, "duplicate legacy_token_hash accepted"),
            Err(e) => assert!(!ok && is_unique_violation(&e), "sessions: {e:?}"),
        }
    }
    refresh_token::ActiveModel {
        token_hash: Set("b".repeat(64)),
        session_id: Set(sid.clone()),
        created_at: Set(t),
        used_at: Set(None),
    }
    .insert(db)
    .await
    .expect("insert refresh token");

    // Foreign keys are enforced...
    let err = user_group::ActiveModel {
        user_id: Set(9_999),
        group_id: Set(staff.id),
    }
    .insert(db)
    .await
    .expect_err("membership of an unknown user");
    assert!(
        matches!(
            err.sql_err(),
            Some(SqlErr::ForeignKeyConstraintViolation(_))
        ),
        "fk: {err:?}"
    );

    // ...and deleting a user cascades to memberships, sessions and their refresh tokens.
    alice.delete(db).await.expect("delete alice");
    let left = user_group::Entity::find()
        .filter(user_group::Column::GroupId.eq(staff.id))
        .count(db)
        .await
        .expect("count memberships");
    assert_eq!(left, 1, "only bob's membership is left");
    assert!(session::Entity::find_by_id(sid.clone())
        .one(db)
        .await
        .expect("find session")
        .is_none());
    assert_eq!(
        refresh_token::Entity::find()
            .count(db)
            .await
            .expect("count refresh tokens"),
        0
    );
    staff.delete(db).await.expect("delete group");
    assert_eq!(
        user_group::Entity::find()
            .count(db)
            .await
            .expect("count memberships"),
        0
    );

    Migrator::down(db, None).await.expect("final down");
    assert_eq!(table_count(db).await, 0);
}

#[tokio::test]
async fn migration_applies_reverts_and_reapplies_on_sqlite() {
    let mut opts = ConnectOptions::new("sqlite::memory:");
    // Every pooled connection to `:memory:` would be a different, empty database.
    opts.max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    let db = Database::connect(opts).await.expect("connect sqlite");

    // The i64 primary keys must be SQLite's rowid alias, or AUTOINCREMENT is rejected.
    Migrator::up(&db, None).await.expect("up");
    for table in ["users", "groups"] {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
            ))
            .await
            .expect("read sqlite_master")
            .expect("table exists");
        let sql: String = row.try_get("", "sql").expect("sql column");
        assert!(
            sql.contains(r#""id" integer NOT NULL PRIMARY KEY AUTOINCREMENT"#),
            "{sql}"
        );
    }
    Migrator::down(&db, None).await.expect("down");

    exercise(&db).await;
    db.close().await.expect("close");
}

#[tokio::test]
async fn migration_applies_reverts_and_reapplies_on_postgres() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL not set; skipping the PostgreSQL run");
        return;
    };
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL ends in /<database>");
    let name = format!("authgraph_migration_{}", uuid::Uuid::new_v4().simple());

    let admin = Database::connect(admin_url.as_str())
        .await
        .expect("connect to TEST_DATABASE_URL");
    assert_eq!(admin.get_database_backend(), DbBackend::Postgres);
    admin
        .execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#))
        .await
        .expect("create database");

    let db = Database::connect(format!("{base}/{name}"))
        .await
        .expect("connect to the new database");
    exercise(&db).await;
    db.close().await.expect("close");

    admin
        .execute_unprepared(&format!(r#"DROP DATABASE "{name}""#))
        .await
        .expect("drop database");
    admin.close().await.expect("close admin");
}
