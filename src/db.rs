//! Database connection: pool settings, SQLite durability settings, start-up retries,
//! statement counting, migrations (serialised across instances), connectivity errors.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr};

use crate::config::Settings;
use crate::metrics::Metrics;

/// Key of the PostgreSQL advisory lock that serialises migrations of concurrently starting
/// instances ("authgrph" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x6175_7468_6772_7068;

/// Opens the pool. SQLite runs in WAL mode with `synchronous = FULL`, so every write that
/// was acknowledged survives a crash or power loss, with a busy timeout so writers queue
/// instead of failing; foreign keys are enforced.
pub async fn connect(
    settings: &Settings,
    metrics: &Arc<Metrics>,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .max_connections(settings.db_max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(settings.db_acquire_timeout_secs))
        .acquire_timeout(Duration::from_secs(settings.db_acquire_timeout_secs))
        .sqlx_logging(false)
        // Ping only connections idle for a while, not on every checkout: the per-checkout
        // ping is one more round trip (on SQLite, a hop to the connection's thread) per
        // statement (bench/README.md).
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    let mut db = Database::connect(options).await?;
    let metrics = Arc::clone(metrics);
    db.set_metric_callback(move |info| {
        metrics.db_statements.inc();
        if info.failed {
            metrics.db_statement_errors.inc();
        }
    });
    Ok(db)
}

/// `connect`, retried with exponential backoff (0.5 s doubling, capped at 8 s) for
/// `settings.db_connect_attempts` attempts while the database is unreachable.
pub async fn connect_with_retry(
    settings: &Settings,
    metrics: &Arc<Metrics>,
) -> Result<DatabaseConnection, DbErr> {
    let attempts = settings.db_connect_attempts.max(1);
    let mut delay = Duration::from_millis(500);
    let mut attempt = 1;
    loop {
        let connected = match probe(settings).await {
            Ok(()) => connect(settings, metrics).await,
            Err(error) => Err(error),
        };
        match connected {
            Ok(db) => return Ok(db),
            Err(error) if attempt < attempts => {
                tracing::warn!(
                    attempt,
                    attempts,
                    retry_in_ms = delay.as_millis() as u64,
                    database = %redact(&settings.database_url),
                    %error,
                    "database unreachable; retrying"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(8));
                attempt += 1;
            }
            Err(error) => {
                return Err(DbErr::Custom(format!(
                    "database {} unreachable after {attempts} attempts: {error}",
                    redact(&settings.database_url)
                )))
            }
        }
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// The database file of an SQLite URL (`None` for other databases and `:memory:`).
pub fn sqlite_file(database_url: &str) -> Option<PathBuf> {
    database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|path| !path.is_empty() && !path.contains(":memory:"))
        .map(PathBuf::from)
}

/// Applies pending migrations. Instances that start together on a fresh database take turns,
/// so the tables are created exactly once: on PostgreSQL through an advisory lock, on SQLite
/// through an exclusive lock on a file beside the database.
pub async fn migrate(db: &DatabaseConnection, database_url: &str) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        let _lock = match sqlite_file(database_url) {
            Some(path) => Some(lock_file(path).await?),
            None => None,
        };
        return Migrator::up(db, None).await;
    }
    let pool = db.get_postgres_connection_pool();
    let sqlx_err = |e: sea_orm::sqlx::Error| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)));
    let mut lock = pool.acquire().await.map_err(sqlx_err)?;
    sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut *lock)
        .await
        .map_err(sqlx_err)?;
    let result = Migrator::up(db, None).await;
    let unlocked = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut *lock)
        .await;
    if let Err(error) = unlocked {
        // Closing the connection releases the lock as well.
        tracing::warn!(%error, "could not release the migration lock; dropping its connection");
        lock.detach();
    }
    result
}

/// Takes an exclusive lock on `<database>.migrate-lock` (released when the file is dropped).
async fn lock_file(database: PathBuf) -> Result<std::fs::File, DbErr> {
    let mut path = database.into_os_string();
    path.push(".migrate-lock");
    let locked = tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| DbErr::Custom(format!("migration lock task failed: {e}")))?;
    locked.map_err(|e| DbErr::Custom(format!("cannot take the migration lock: {e}")))
}

/// Fails fast, with the real reason ("connection refused", "password authentication
/// failed"), when PostgreSQL cannot be reached: a pool would only report a timeout.
async fn probe(settings: &Settings) -> Result<(), DbErr> {
    use sea_orm::sqlx::Connection as _;
    let url = &settings.database_url;
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Ok(());
    }
    let timeout = Duration::from_secs(settings.db_acquire_timeout_secs.max(1));
    match tokio::time::timeout(timeout, sea_orm::sqlx::PgConnection::connect(url)).await {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            Ok(())
        }
        Ok(Err(error)) => Err(DbErr::Conn(RuntimeErr::SqlxError(Arc::new(error)))),
        Err(_) => Err(DbErr::Custom(format!(
            "no answer within {} s",
            timeout.as_secs()
        ))),
    }
}

/// Whether a database error means the database cannot be reached (as opposed to a bad
/// statement): such failures answer 503 and heal by themselves when it is back.
pub fn is_connectivity(error: &DbErr) -> bool {
    use sea_orm::sqlx::Error as E;
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => matches!(
            e.as_ref(),
            E::Io(_)
                | E::Tls(_)
                | E::Protocol(_)
                | E::PoolTimedOut
                | E::PoolClosed
                | E::WorkerCrashed
        ),
        _ => false,
    }
}

/// Open and idle connections of the pool.
pub fn pool_usage(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_database_urls() {
        assert_eq!(
            redact("postgres://app:s3cret@db.internal:5432/auth"),
            "postgres://app:***@db.internal:5432/auth"
        );
        assert_eq!(
            redact("sqlite://authgraph.db?mode=rwc"),
            "sqlite://authgraph.db?mode=rwc"
        );
    }
}
