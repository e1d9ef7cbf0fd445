//! What an import reads and how: the Django database, the user table and its columns, the
//! media root, dry run and batch size.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Users per transaction unless told otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 500;

/// Django's default user table (`django.contrib.auth.models.User`).
pub const DEFAULT_USER_TABLE: &str = "auth_user";

/// An authgraph account field, filled from a column of the Django user table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Username (when the table has none, the email address serves, as at registration).
    Username,
    /// Password hash.
    Password,
    /// Email address.
    Email,
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Full name, split at the first space into first and last name (wins over them).
    FullName,
    /// Codename.
    Codename,
    /// Profile picture: a path relative to the media root, as Django's `FileField` stores it.
    ProfilePic,
    /// Whether the account may log in.
    IsActive,
    /// Django staff flag (either flag makes an authgraph admin).
    IsStaff,
    /// Django superuser flag (either flag makes an authgraph admin).
    IsSuperuser,
    /// When the account was created.
    DateJoined,
    /// Last login.
    LastLogin,
}

impl Field {
    /// Every field, in the order columns are read.
    pub const ALL: [Field; 13] = [
        Field::Username,
        Field::Password,
        Field::Email,
        Field::FirstName,
        Field::LastName,
        Field::FullName,
        Field::Codename,
        Field::ProfilePic,
        Field::IsActive,
        Field::IsStaff,
        Field::IsSuperuser,
        Field::DateJoined,
        Field::LastLogin,
    ];

    /// The name used on the command line (`--map <name>=<column>`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Password => "password",
            Self::Email => "email",
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::FullName => "full_name",
            Self::Codename => "codename",
            Self::ProfilePic => "profile_pic",
            Self::IsActive => "is_active",
            Self::IsStaff => "is_staff",
            Self::IsSuperuser => "is_superuser",
            Self::DateJoined => "date_joined",
            Self::LastLogin => "last_login",
        }
    }

    /// The column of Django's `AbstractUser` holding the field; `None` for fields Django does
    /// not have (they are read only when mapped).
    pub fn default_column(self) -> Option<&'static str> {
        match self {
            Self::FullName | Self::Codename | Self::ProfilePic => None,
            other => Some(other.name()),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Field {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Field::ALL
            .into_iter()
            .find(|field| field.name() == raw.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown field {raw:?}; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// A column name or table name safe to quote into SQL: ASCII letters, digits and `_`, not
/// starting with a digit, at most 63 characters (PostgreSQL's limit).
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63
}

/// `--map <field>=<column>`: read `field` from `column` of the user table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    /// The authgraph field.
    pub field: Field,
    /// The Django column.
    pub column: String,
}

impl FromStr for ColumnMapping {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let (field, column) = raw
            .split_once('=')
            .ok_or_else(|| format!("expected <field>=<column>, got {raw:?}"))?;
        let column = column.trim();
        if !is_identifier(column) {
            return Err(format!(
                "{column:?} is not a plain column name (letters, digits and _)"
            ));
        }
        Ok(Self {
            field: field.parse()?,
            column: column.to_owned(),
        })
    }
}

/// Everything an import needs besides the authgraph services.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The Django database: `sqlite://path/to/db.sqlite3` or `postgres://user@host/db`.
    /// It is only read (SQLite is opened read-only).
    pub source_url: String,
    /// The user table: `auth_user`, or a custom user model's table (`accounts_user`). Its
    /// groups table is `<user_table>_groups`, as Django names it.
    pub user_table: String,
    /// Columns read for fields, on top of (or instead of) Django's defaults.
    pub columns: Vec<ColumnMapping>,
    /// Django's `MEDIA_ROOT`: profile picture paths are relative to it. Without it,
    /// pictures are not copied (and each one is reported).
    pub media_root: Option<PathBuf>,
    /// Report what would happen, write nothing.
    pub dry_run: bool,
    /// Users per transaction.
    pub batch_size: usize,
}

impl ImportOptions {
    /// Options for importing `auth_user` from `source_url`, with the defaults.
    pub fn new(source_url: impl Into<String>) -> Self {
        Self {
            source_url: source_url.into(),
            user_table: DEFAULT_USER_TABLE.to_owned(),
            columns: Vec::new(),
            media_root: None,
            dry_run: false,
            batch_size: DEFAULT_BATCH_SIZE,
        }
    }

    /// The column mapped to `field`: the last `--map` for it, else Django's default.
    pub fn column(&self, field: Field) -> Option<&str> {
        self.columns
            .iter()
            .rev()
            .find(|mapping| mapping.field == field)
            .map(|mapping| mapping.column.as_str())
            .or_else(|| field.default_column())
    }

    /// Whether `field` was mapped explicitly (then its column must exist).
    pub fn is_mapped(&self, field: Field) -> bool {
        self.columns.iter().any(|mapping| mapping.field == field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_names_a_field_and_a_column() {
        let mapping: ColumnMapping = "codename=nickname".parse().unwrap();
        assert_eq!(
            mapping,
            ColumnMapping {
                field: Field::Codename,
                column: "nickname".into()
            }
        );
    }

    #[test]
    fn mappings_with_unknown_fields_or_unsafe_columns_are_refused() {
        for raw in [
            "nickname",
            "nick=nickname",
            "codename=",
            "codename=nick name",
            "codename=a\"; DROP TABLE users; --",
            "codename=1abc",
        ] {
            assert!(raw.parse::<ColumnMapping>().is_err(), "{raw:?}");
        }
    }

    #[test]
    fn the_last_mapping_wins_and_defaults_fill_the_rest() {
        let mut options = ImportOptions::new("sqlite://x");
        options.columns = vec![
            "full_name=name".parse().unwrap(),
            "full_name=display_name".parse().unwrap(),
        ];
        assert_eq!(options.column(Field::FullName), Some("display_name"));
        assert_eq!(options.column(Field::Email), Some("email"));
        assert_eq!(options.column(Field::Codename), None);
        assert!(options.is_mapped(Field::FullName));
        assert!(!options.is_mapped(Field::Email));
    }
}
