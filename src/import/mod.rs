//! `authgraph import-django`: moves the accounts of a Django project (SQLite or PostgreSQL)
//! into authgraph, so that users keep their passwords and legacy clients their tokens.
//!
//! What is imported: the user table (`auth_user` or a custom user model's, with `--map` for
//! extra columns such as codename, full name and profile picture), `auth_group` and the
//! memberships, and Django REST Framework's `authtoken_token` (as legacy-token sessions).
//! `is_staff` or `is_superuser` makes an admin. Password hashes are kept as Django stored
//! them and verified by [`crate::auth::django`] until the first login replaces them with
//! argon2id. Profile pictures are copied from `MEDIA_ROOT` through the upload rules.
//!
//! Safe on production data: the Django database is only read; `dry_run` writes nothing;
//! each batch of users is one transaction; `django_import_map` records what came from where,
//! so a re-run resumes after a failure and, over unchanged data, changes nothing. Nothing is
//! merged silently: an account that clashes with another is reported as a conflict in the
//! [`Summary`] and left out.
//!
//! - [`options`]: what to import and how; [`run()`]: the import; [`summary`]: its outcome
//! - `source`: reading Django; `groups`, `users`: writing authgraph; `map`: the import map;
//!   `pictures`: profile pictures

mod error;
mod groups;
mod map;
pub mod options;
mod pictures;
mod run;
mod source;
pub mod summary;
mod users;

pub use error::ImportError;
pub use options::{ColumnMapping, Field, ImportOptions};
pub use run::run;
pub use summary::{Progress, Summary};
