//! `django_import_map`: which Django row each imported authgraph row came from, so that
//! `authgraph import-django` can run again and again (idempotent, resumable, deltas only).
//!
//! `kind` is `user`, `group` or `token` (a DRF token, keyed by its Django user id). There is
//! no foreign key to `users` or `groups`: `authgraph_id` names a row of either, and a row
//! whose target was deleted in authgraph must stay, so a re-run does not bring it back.
//! `source_hash` fingerprints the Django row as last imported (a re-run skips unchanged
//! rows) and `imported_at` is when it was written (a later `users.updated_at` means the
//! account changed in authgraph since).

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `django_import_map`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DjangoImportMap {
    Table,
    Kind,
    DjangoId,
    AuthgraphId,
    SourceHash,
    ImportedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DjangoImportMap::Table)
                    .col(text(DjangoImportMap::Kind))
                    .col(big_integer(DjangoImportMap::DjangoId))
                    .col(big_integer(DjangoImportMap::AuthgraphId))
                    .col(text(DjangoImportMap::SourceHash))
                    .col(timestamp_with_time_zone(DjangoImportMap::ImportedAt))
                    .primary_key(
                        Index::create()
                            .col(DjangoImportMap::Kind)
                            .col(DjangoImportMap::DjangoId),
                    )
                    .to_owned(),
            )
            .await?;
        // "Was this authgraph account imported?" (conflict reports) looks up the other way.
        manager
            .create_index(
                Index::create()
                    .name("idx_django_import_map_authgraph")
                    .table(DjangoImportMap::Table)
                    .col(DjangoImportMap::Kind)
                    .col(DjangoImportMap::AuthgraphId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DjangoImportMap::Table).to_owned())
            .await
    }
}
