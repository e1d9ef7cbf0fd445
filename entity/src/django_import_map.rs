//! The `django_import_map` table: which Django row each imported authgraph row came from
//! (written only by `authgraph import-django`).

use sea_orm::entity::prelude::*;

/// One imported Django row; (`kind`, `django_id`) is the primary key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "django_import_map")]
pub struct Model {
    /// `user`, `group` or `token` (a DRF token, keyed by its Django user's id).
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub kind: String,
    /// The Django primary key (for `token`: the token's user id).
    #[sea_orm(primary_key, auto_increment = false)]
    pub django_id: i64,
    /// `users.id` or `groups.id` (for `token`: the user's `users.id`). No foreign key: a row
    /// deleted in authgraph keeps its entry, so a re-run does not bring it back.
    pub authgraph_id: i64,
    /// SHA-256 (hex) fingerprint of the Django row as last imported.
    #[sea_orm(column_type = "Text")]
    pub source_hash: String,
    /// When the row was last written by an import.
    pub imported_at: DateTimeUtc,
}

/// No relations: `authgraph_id` points at users or groups depending on `kind`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
