//! Database connection: pool settings, SQLite durability settings, statement counting,
//! migrations.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::Settings;
use crate::http::metrics::Metrics;

/// Opens the pool. SQLite runs in WAL mode with `synchronous = FULL`, so every write that
/// was acknowledged survives a crash or power loss, with a busy timeout so writers queue
/// instead of failing; foreign keys are enforced (sqlx's default).
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
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    let mut db = Database::connect(options).await?;
    let metrics = Arc::clone(metrics);
    db.set_metric_callback(move |info| {
        metrics.db_statements.fetch_add(1, Ordering::Relaxed);
        if info.failed {
            metrics.db_statement_errors.fetch_add(1, Ordering::Relaxed);
        }
    });
    Ok(db)
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
