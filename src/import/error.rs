//! Why an import stopped. Rows that cannot be imported are not errors: they are reported
//! in the summary (conflicts, warnings) and the import goes on.

use sea_orm::DbErr;

/// An import that could not run, or stopped. Batches committed before the failure stay; a
/// new run resumes after them.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The source URL is not SQLite or PostgreSQL.
    #[error("unsupported Django database {0}: expected sqlite://... or postgres://...")]
    UnsupportedSource(String),
    /// The Django database cannot be opened.
    #[error("cannot open the Django database {url}: {source}")]
    Connect {
        /// The URL, without its password.
        url: String,
        /// The driver's error.
        source: DbErr,
    },
    /// A table name that cannot be quoted safely into SQL.
    #[error("{0:?} is not a plain table name (letters, digits and _)")]
    InvalidTable(String),
    /// The user table does not exist.
    #[error("the Django database has no table {0}")]
    MissingTable(String),
    /// A column that must exist (explicitly mapped, or the id and password) does not.
    #[error("table {table} has no column {column} (for {field})")]
    MissingColumn {
        /// The table.
        table: String,
        /// The missing column.
        column: String,
        /// What it was read for.
        field: String,
    },
    /// The batch size is zero.
    #[error("the batch size must be at least 1")]
    BatchSize,
    /// Reading the Django database failed.
    #[error("reading the Django database: {0}")]
    Source(#[source] DbErr),
    /// A value of the Django database could not be read as the expected type.
    #[error("reading {table}.{column} of row {id}: {message}")]
    Value {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The row's id.
        id: i64,
        /// What went wrong.
        message: String,
    },
    /// Writing to authgraph's database failed; the batch was rolled back.
    #[error("writing to the authgraph database (the batch was rolled back; run the import again to resume): {0}")]
    Target(#[source] DbErr),
    /// A profile picture could not be written to the media directory.
    #[error("storing a profile picture in the media directory: {0}")]
    Media(#[source] std::io::Error),
}
