//! `django_import_map`: which Django row each authgraph row came from, and a fingerprint of
//! that row as last imported, so that a re-run skips what did not change.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use entity::django_import_map::{self, Column, Entity};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A Django user -> `users.id`.
pub const USER: &str = "user";
/// A Django group -> `groups.id`.
pub const GROUP: &str = "group";
/// A Django user's DRF token -> the user's `users.id`; the fingerprint is the token's
/// `legacy_token_hash`, which names its session.
pub const TOKEN: &str = "token";
/// A Django user's set of groups -> the user's `users.id`.
pub const USER_GROUPS: &str = "user_groups";

/// SHA-256 (hex) of a value's JSON form.
pub fn fingerprint(value: &impl Serialize) -> String {
    let json = serde_json::to_vec(value).unwrap_or_default();
    hex::encode(Sha256::digest(json))
}

/// The current time at the precision both databases keep (microseconds), so that a value
/// written and read back compares equal to the one kept in memory.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The entries of `kind` for these Django ids.
pub async fn load(
    db: &impl ConnectionTrait,
    kind: &str,
    django_ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, django_import_map::Model>, DbErr> {
    let ids: Vec<i64> = django_ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(Entity::find()
        .filter(Column::Kind.eq(kind))
        .filter(Column::DjangoId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.django_id, row))
        .collect())
}

/// Which of these authgraph ids were imported as `kind`.
pub async fn imported(
    db: &impl ConnectionTrait,
    kind: &str,
    authgraph_ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, i64>, DbErr> {
    let ids: Vec<i64> = authgraph_ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(Entity::find()
        .filter(Column::Kind.eq(kind))
        .filter(Column::AuthgraphId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.authgraph_id, row.django_id))
        .collect())
}

/// Every Django id imported as `kind`.
pub async fn django_ids(db: &impl ConnectionTrait, kind: &str) -> Result<HashSet<i64>, DbErr> {
    Ok(Entity::find()
        .filter(Column::Kind.eq(kind))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.django_id)
        .collect())
}

/// Records (or re-records) an import.
pub async fn save(
    db: &impl ConnectionTrait,
    kind: &str,
    django_id: i64,
    authgraph_id: i64,
    source_hash: String,
    imported_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = django_import_map::ActiveModel {
        kind: Set(kind.to_owned()),
        django_id: Set(django_id),
        authgraph_id: Set(authgraph_id),
        source_hash: Set(source_hash),
        imported_at: Set(imported_at),
    };
    Entity::insert(row)
        .on_conflict(
            OnConflict::columns([Column::Kind, Column::DjangoId])
                .update_columns([Column::AuthgraphId, Column::SourceHash, Column::ImportedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Forgets an import.
pub async fn remove(db: &impl ConnectionTrait, kind: &str, django_id: i64) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::Kind.eq(kind))
        .filter(Column::DjangoId.eq(django_id))
        .exec(db)
        .await?;
    Ok(())
}
