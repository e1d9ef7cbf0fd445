//! Reading the Django database (SQLite or PostgreSQL), read-only: the user table in id
//! order, `auth_group`, the user table's groups table and `authtoken_token`.
//!
//! Column lists are discovered from the database, so custom user models work: a column of
//! `AbstractUser` that the table lacks is simply not read (an explicitly mapped one must
//! exist). Values are cast in SQL where both backends agree (ids to BIGINT, text to TEXT)
//! and decoded leniently where they do not (SQLite keeps booleans as integers and datetimes
//! as text).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, QueryResult,
    Statement,
};

use super::error::ImportError;
use super::options::{is_identifier, Field, ImportOptions};

/// The Django groups table.
const GROUP_TABLE: &str = "auth_group";
/// Django REST Framework's token table.
const TOKEN_TABLE: &str = "authtoken_token";

/// One row of the user table, as stored (no normalisation yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DjangoUser {
    /// Primary key.
    pub id: i64,
    /// The encoded password (`pbkdf2_sha256$...`, `!...` when unusable).
    pub password: String,
    /// Username, if the table has one.
    pub username: Option<String>,
    /// Email address (Django stores "" for none).
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Full name (mapped column).
    pub full_name: Option<String>,
    /// Codename (mapped column).
    pub codename: Option<String>,
    /// Picture path relative to `MEDIA_ROOT` (mapped column).
    pub profile_pic: Option<String>,
    /// `is_active` (true when the table has no such column).
    pub is_active: bool,
    /// `is_staff`.
    pub is_staff: bool,
    /// `is_superuser`.
    pub is_superuser: bool,
    /// `date_joined`.
    pub date_joined: Option<DateTime<Utc>>,
    /// `last_login`.
    pub last_login: Option<DateTime<Utc>>,
}

/// A row of `auth_group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DjangoGroup {
    /// Primary key.
    pub id: i64,
    /// Unique name.
    pub name: String,
}

/// A row of `authtoken_token` (one per user at most).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DjangoToken {
    /// The token itself (40 hex characters as DRF makes them).
    pub key: String,
    /// Its user.
    pub user_id: i64,
    /// When it was created.
    pub created: Option<DateTime<Utc>>,
}

/// The groups table of the user model: `<user_table>_groups (id, <model>_id, group_id)`.
#[derive(Debug, Clone)]
struct MembershipTable {
    table: String,
    user_column: String,
}

/// An open Django database and what it holds.
pub struct Source {
    db: DatabaseConnection,
    backend: DbBackend,
    user_table: String,
    /// The fields present in the user table, with their columns.
    columns: BTreeMap<Field, String>,
    memberships: Option<MembershipTable>,
    has_groups: bool,
    has_tokens: bool,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("user_table", &self.user_table)
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

fn quote(identifier: &str) -> String {
    // Only ever called with names that passed `is_identifier`: no quote to escape.
    format!("\"{identifier}\"")
}

impl Source {
    /// Opens the Django database read-only and discovers its tables and columns.
    pub async fn open(options: &ImportOptions) -> Result<Self, ImportError> {
        let url = options.source_url.trim();
        let redacted = crate::db::redact(url);
        let backend = if url.starts_with("sqlite:") {
            DbBackend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DbBackend::Postgres
        } else {
            return Err(ImportError::UnsupportedSource(redacted));
        };
        if !is_identifier(&options.user_table) {
            return Err(ImportError::InvalidTable(options.user_table.clone()));
        }
        if backend == DbBackend::Sqlite {
            // sqlx would create a missing file; a typo must fail instead.
            let path = sqlite_path(url);
            if !Path::new(&path).exists() {
                return Err(ImportError::Connect {
                    url: redacted,
                    source: sea_orm::DbErr::Custom(format!("no such file: {path}")),
                });
            }
        }
        let mut connect = ConnectOptions::new(url.to_owned());
        connect
            .max_connections(2)
            .min_connections(0)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|opts| opts.read_only(true).create_if_missing(false));
        let db = Database::connect(connect)
            .await
            .map_err(|source| ImportError::Connect {
                url: redacted,
                source,
            })?;
        let mut source = Self {
            db,
            backend,
            user_table: options.user_table.clone(),
            columns: BTreeMap::new(),
            memberships: None,
            has_groups: false,
            has_tokens: false,
        };
        source.discover(options).await?;
        Ok(source)
    }

    async fn discover(&mut self, options: &ImportOptions) -> Result<(), ImportError> {
        let table = self.user_table.clone();
        let present = self.table_columns(&table).await?;
        if present.is_empty() {
            return Err(ImportError::MissingTable(table));
        }
        let require = |column: &str, field: &str| {
            if present.contains(column) {
                Ok(())
            } else {
                Err(ImportError::MissingColumn {
                    table: table.clone(),
                    column: column.to_owned(),
                    field: field.to_owned(),
                })
            }
        };
        require("id", "the id")?;
        for field in Field::ALL {
            let Some(column) = options.column(field) else {
                continue;
            };
            if options.is_mapped(field) || field == Field::Password {
                require(column, field.name())?;
            }
            if present.contains(column) {
                self.columns.insert(field, column.to_owned());
            }
        }
        if !self.columns.contains_key(&Field::Username) && !self.columns.contains_key(&Field::Email)
        {
            return Err(ImportError::MissingColumn {
                table,
                column: "username".into(),
                field: "the username (or, without one, the email address)".into(),
            });
        }
        let groups = self.table_columns(GROUP_TABLE).await?;
        self.has_groups = groups.contains("id") && groups.contains("name");
        let membership_table = format!("{table}_groups");
        if is_identifier(&membership_table) {
            let columns = self.table_columns(&membership_table).await?;
            let user_column = columns
                .iter()
                .filter(|c| c.ends_with("_id") && *c != "group_id")
                .min()
                .cloned();
            if let (Some(user_column), true) = (user_column, columns.contains("group_id")) {
                self.memberships = Some(MembershipTable {
                    table: membership_table,
                    user_column,
                });
            }
        }
        let tokens = self.table_columns(TOKEN_TABLE).await?;
        self.has_tokens = tokens.contains("key") && tokens.contains("user_id");
        Ok(())
    }

    async fn table_columns(&self, table: &str) -> Result<HashSet<String>, ImportError> {
        let sql = match self.backend {
            DbBackend::Postgres => format!(
                "SELECT CAST(column_name AS TEXT) AS name FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = '{table}'"
            ),
            _ => format!("SELECT name FROM pragma_table_info('{table}')"),
        };
        let rows = self.query(sql).await?;
        rows.iter()
            .map(|row| {
                row.try_get::<String>("", "name")
                    .map_err(ImportError::Source)
            })
            .collect()
    }

    async fn query(&self, sql: String) -> Result<Vec<QueryResult>, ImportError> {
        self.db
            .query_all_raw(Statement::from_string(self.backend, sql))
            .await
            .map_err(ImportError::Source)
    }

    /// The fields read from the user table.
    pub fn has_field(&self, field: Field) -> bool {
        self.columns.contains_key(&field)
    }

    /// The number of rows of the user table.
    pub async fn count_users(&self) -> Result<u64, ImportError> {
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {}",
            quote(&self.user_table)
        );
        let rows = self.query(sql).await?;
        let count = match rows.first() {
            Some(row) => row.try_get::<i64>("", "n").map_err(ImportError::Source)?,
            None => 0,
        };
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Up to `limit` users with an id above `after` (from the first without it), in id
    /// order.
    pub async fn users_after(
        &self,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<DjangoUser>, ImportError> {
        let mut select = vec!["CAST(\"id\" AS BIGINT) AS id".to_owned()];
        for (field, column) in &self.columns {
            let expression = match field {
                Field::IsActive
                | Field::IsStaff
                | Field::IsSuperuser
                | Field::DateJoined
                | Field::LastLogin => quote(column),
                _ => format!("CAST({} AS TEXT)", quote(column)),
            };
            select.push(format!("{expression} AS {}", quote(&alias(*field))));
        }
        let filter = after.map_or_else(String::new, |id| format!("WHERE \"id\" > {id} "));
        let sql = format!(
            "SELECT {} FROM {} {filter}ORDER BY \"id\" LIMIT {limit}",
            select.join(", "),
            quote(&self.user_table)
        );
        self.query(sql)
            .await?
            .iter()
            .map(|row| self.user(row))
            .collect()
    }

    fn user(&self, row: &QueryResult) -> Result<DjangoUser, ImportError> {
        let id = row.try_get::<i64>("", "id").map_err(ImportError::Source)?;
        let value_error = |field: Field, message: String| ImportError::Value {
            table: self.user_table.clone(),
            column: self.columns.get(&field).cloned().unwrap_or_default(),
            id,
            message,
        };
        let text = |field: Field| -> Result<Option<String>, ImportError> {
            if !self.has_field(field) {
                return Ok(None);
            }
            row.try_get::<Option<String>>("", &alias(field))
                .map_err(|e| value_error(field, e.to_string()))
        };
        let flag = |field: Field, absent: bool| -> Result<bool, ImportError> {
            if !self.has_field(field) {
                return Ok(absent);
            }
            read_flag(row, &alias(field))
                .map(|value| value.unwrap_or(absent))
                .map_err(|message| value_error(field, message))
        };
        let datetime = |field: Field| -> Result<Option<DateTime<Utc>>, ImportError> {
            if !self.has_field(field) {
                return Ok(None);
            }
            read_datetime(row, &alias(field)).map_err(|message| value_error(field, message))
        };
        Ok(DjangoUser {
            id,
            password: text(Field::Password)?.unwrap_or_default(),
            username: text(Field::Username)?,
            email: text(Field::Email)?,
            first_name: text(Field::FirstName)?,
            last_name: text(Field::LastName)?,
            full_name: text(Field::FullName)?,
            codename: text(Field::Codename)?,
            profile_pic: text(Field::ProfilePic)?,
            is_active: flag(Field::IsActive, true)?,
            is_staff: flag(Field::IsStaff, false)?,
            is_superuser: flag(Field::IsSuperuser, false)?,
            date_joined: datetime(Field::DateJoined)?,
            last_login: datetime(Field::LastLogin)?,
        })
    }

    /// Every group, in id order (none when the project has no `auth_group`).
    pub async fn groups(&self) -> Result<Vec<DjangoGroup>, ImportError> {
        if !self.has_groups {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT CAST(\"id\" AS BIGINT) AS id, CAST(\"name\" AS TEXT) AS name \
             FROM {} ORDER BY \"id\"",
            quote(GROUP_TABLE)
        );
        self.query(sql)
            .await?
            .iter()
            .map(|row| {
                Ok(DjangoGroup {
                    id: row.try_get("", "id").map_err(ImportError::Source)?,
                    name: row.try_get("", "name").map_err(ImportError::Source)?,
                })
            })
            .collect()
    }

    /// (user id, group id) memberships of the users with ids in `first..=last`.
    pub async fn memberships(&self, first: i64, last: i64) -> Result<Vec<(i64, i64)>, ImportError> {
        let Some(membership) = &self.memberships else {
            return Ok(Vec::new());
        };
        let user = quote(&membership.user_column);
        let sql = format!(
            "SELECT CAST({user} AS BIGINT) AS user_id, CAST(\"group_id\" AS BIGINT) AS group_id \
             FROM {} WHERE {user} BETWEEN {first} AND {last}",
            quote(&membership.table)
        );
        self.query(sql)
            .await?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get("", "user_id").map_err(ImportError::Source)?,
                    row.try_get("", "group_id").map_err(ImportError::Source)?,
                ))
            })
            .collect()
    }

    /// DRF tokens of the users with ids in `first..=last`.
    pub async fn tokens(&self, first: i64, last: i64) -> Result<Vec<DjangoToken>, ImportError> {
        if !self.has_tokens {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT CAST(\"key\" AS TEXT) AS key, CAST(\"user_id\" AS BIGINT) AS user_id, \
             \"created\" AS created FROM {} WHERE \"user_id\" BETWEEN {first} AND {last}",
            quote(TOKEN_TABLE)
        );
        self.query(sql)
            .await?
            .iter()
            .map(|row| {
                let user_id: i64 = row.try_get("", "user_id").map_err(ImportError::Source)?;
                Ok(DjangoToken {
                    key: row.try_get("", "key").map_err(ImportError::Source)?,
                    user_id,
                    created: read_datetime(row, "created").map_err(|message| {
                        ImportError::Value {
                            table: TOKEN_TABLE.into(),
                            column: "created".into(),
                            id: user_id,
                            message,
                        }
                    })?,
                })
            })
            .collect()
    }

    /// Closes the connection pool.
    pub async fn close(self) {
        let _ = self.db.close().await;
    }
}

fn alias(field: Field) -> String {
    format!("f_{}", field.name())
}

/// The file path of an SQLite URL (`sqlite://db.sqlite3?mode=ro` -> `db.sqlite3`).
fn sqlite_path(url: &str) -> String {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    rest.split('?').next().unwrap_or_default().to_owned()
}

/// A boolean: PostgreSQL's `boolean`, or SQLite's integer.
fn read_flag(row: &QueryResult, column: &str) -> Result<Option<bool>, String> {
    if let Ok(value) = row.try_get::<Option<bool>>("", column) {
        return Ok(value);
    }
    match row.try_get::<Option<i64>>("", column) {
        Ok(value) => Ok(value.map(|v| v != 0)),
        Err(error) => Err(format!("not a boolean: {error}")),
    }
}

/// A datetime: PostgreSQL's `timestamp with time zone`, or SQLite's text (naive values are
/// UTC, as Django stores them with `USE_TZ = True`).
fn read_datetime(row: &QueryResult, column: &str) -> Result<Option<DateTime<Utc>>, String> {
    if let Ok(value) = row.try_get::<Option<DateTime<Utc>>>("", column) {
        return Ok(value);
    }
    if let Ok(value) = row.try_get::<Option<NaiveDateTime>>("", column) {
        return Ok(value.map(|naive| naive.and_utc()));
    }
    let text = row
        .try_get::<Option<String>>("", column)
        .map_err(|error| format!("not a datetime: {error}"))?;
    let Some(text) = text else {
        return Ok(None);
    };
    parse_datetime(&text)
        .map(Some)
        .ok_or_else(|| format!("not a datetime: {text:?}"))
}

fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(value) = DateTime::parse_from_rfc3339(text) {
        return Some(value.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(value) = DateTime::parse_from_str(text, format) {
            return Some(value.with_timezone(&Utc));
        }
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .into_iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_in_django_s_sqlite_and_postgres_text_forms_parse() {
        let expected = DateTime::parse_from_rfc3339("2021-03-04T05:06:07.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        for text in [
            "2021-03-04 05:06:07.123456",
            "2021-03-04 05:06:07.123456+00:00",
            "2021-03-04 05:06:07.123456+00",
            "2021-03-04T05:06:07.123456Z",
            "2021-03-04 06:06:07.123456+01:00",
        ] {
            assert_eq!(parse_datetime(text), Some(expected), "{text}");
        }
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn the_path_of_an_sqlite_url_drops_the_scheme_and_query() {
        assert_eq!(
            sqlite_path("sqlite:///srv/db.sqlite3?mode=ro"),
            "/srv/db.sqlite3"
        );
        assert_eq!(sqlite_path("sqlite://db.sqlite3"), "db.sqlite3");
        assert_eq!(sqlite_path("sqlite:db.sqlite3"), "db.sqlite3");
    }
}
