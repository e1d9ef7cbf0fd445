//! Importing `auth_group`, before any user, in one transaction: new groups are created,
//! groups renamed in Django are renamed, and a name already used by an authgraph group
//! that was not imported is a conflict (its members are not added to that group).

use std::collections::HashMap;

use chrono::Utc;
use entity::group;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    TransactionTrait,
};

use crate::service::types::{parse_text, GROUP_NAME_MAX};
use crate::service::Services;

use super::error::ImportError;
use super::map;
use super::source::{DjangoGroup, Source};
use super::summary::{Conflict, ConflictReason, SkipReason, Summary};

/// Where the members of a Django group go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum GroupTarget {
    /// This authgraph group.
    Id(i64),
    /// A group a dry run would create (it has no id yet).
    Planned(i64),
}

/// Django group id -> its authgraph group, for the groups whose members are imported.
pub type GroupTargets = HashMap<i64, GroupTarget>;

/// Imports every group; returns where each one's members go.
pub async fn import(
    svc: &Services,
    source: &Source,
    dry_run: bool,
    summary: &mut Summary,
) -> Result<GroupTargets, ImportError> {
    let groups = source.groups().await?;
    if dry_run {
        return plan(&svc.db, &groups, false, summary)
            .await
            .map_err(ImportError::Target);
    }
    let txn = svc.db.begin().await.map_err(ImportError::Target)?;
    let targets = plan(&txn, &groups, true, summary)
        .await
        .map_err(ImportError::Target)?;
    txn.commit().await.map_err(ImportError::Target)?;
    Ok(targets)
}

fn conflict(group: &DjangoGroup, reason: ConflictReason, detail: String) -> Conflict {
    Conflict {
        kind: "group",
        django_id: group.id,
        name: group.name.clone(),
        reason,
        detail,
    }
}

async fn plan(
    db: &impl ConnectionTrait,
    groups: &[DjangoGroup],
    write: bool,
    summary: &mut Summary,
) -> Result<GroupTargets, DbErr> {
    let mapped = map::load(db, map::GROUP, groups.iter().map(|g| g.id)).await?;
    let existing: HashMap<i64, group::Model> = group::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let mut by_name: HashMap<String, i64> =
        existing.values().map(|g| (g.name.clone(), g.id)).collect();
    let mut targets = GroupTargets::new();
    for django in groups {
        let fingerprint = map::fingerprint(&django.name);
        let entry = mapped.get(&django.id);
        let current = entry.and_then(|e| existing.get(&e.authgraph_id));
        if entry.is_some() && current.is_none() {
            summary.skip(|s| &mut s.groups, SkipReason::DeletedInAuthgraph);
            continue;
        }
        if let Some(current) = current {
            targets.insert(django.id, GroupTarget::Id(current.id));
            if entry.is_some_and(|e| e.source_hash == fingerprint) {
                summary.skip(|s| &mut s.groups, SkipReason::Unchanged);
                continue;
            }
        }
        let name = match parse_text(&django.name, GROUP_NAME_MAX) {
            Ok(name) if !name.is_empty() => name,
            Ok(_) => {
                let detail = "the name is blank".to_owned();
                summary.conflict(conflict(django, ConflictReason::InvalidGroupName, detail));
                continue;
            }
            Err(message) => {
                summary.conflict(conflict(django, ConflictReason::InvalidGroupName, message));
                continue;
            }
        };
        if let Some(&holder) = by_name.get(&name) {
            if current.is_none_or(|c| c.id != holder) {
                let detail = format!("authgraph group {holder} is already named {name:?}");
                summary.conflict(conflict(django, ConflictReason::GroupNameTaken, detail));
                continue;
            }
        }
        let now = map::now();
        match current {
            Some(current) => {
                // Renamed in Django.
                if write {
                    let mut row = current.clone().into_active_model();
                    row.name = Set(name.clone());
                    row.update(db).await?;
                    map::save(db, map::GROUP, django.id, current.id, fingerprint, now).await?;
                }
                by_name.remove(&current.name);
                by_name.insert(name, current.id);
                summary.groups.updated += 1;
            }
            None => {
                let target = if write {
                    let created = group::ActiveModel {
                        name: Set(name.clone()),
                        open_for_registration: Set(false),
                        created_at: Set(Utc::now()),
                        ..Default::default()
                    }
                    .insert(db)
                    .await?;
                    map::save(db, map::GROUP, django.id, created.id, fingerprint, now).await?;
                    GroupTarget::Id(created.id)
                } else {
                    GroupTarget::Planned(django.id)
                };
                if let GroupTarget::Id(id) = target {
                    by_name.insert(name, id);
                }
                targets.insert(django.id, target);
                summary.groups.imported += 1;
            }
        }
    }
    Ok(targets)
}
