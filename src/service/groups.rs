//! Groups and memberships. Reading is open to every signed-in user; changes are for admins.

use std::collections::HashMap;

use chrono::Utc;
use entity::{group, user, user_group};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};

use super::context::Services;
use super::error::{on_unique_violation, FieldErrors, ServiceError, ServiceResult};
use super::principal::Auth;
use super::types::{parse_text, GROUP_NAME_MAX};
use super::users::sees_everyone;

const DUPLICATE_NAME: &str = "A group with that name already exists.";
const GROUP_UNIQUE_RULES: &[(&str, &str, &str)] = &[("name", "name", DUPLICATE_NAME)];

/// Changes to a group; `None` fields stay as they are.
#[derive(Debug, Default)]
pub struct GroupChanges {
    /// New name.
    pub name: Option<String>,
    /// Open or close the group to self-registration.
    pub open_for_registration: Option<bool>,
}

fn parse_name(raw: &str, errors: &mut FieldErrors) -> Option<String> {
    match parse_text(raw, GROUP_NAME_MAX) {
        Ok(name) if name.is_empty() => {
            errors.add("name", "This field may not be blank.");
            None
        }
        Ok(name) => Some(name),
        Err(message) => {
            errors.add("name", message);
            None
        }
    }
}

/// Every group, by name.
pub async fn list_groups(svc: &Services, auth: &Auth) -> ServiceResult<Vec<group::Model>> {
    auth.require()?;
    Ok(group::Entity::find()
        .order_by_asc(group::Column::Name)
        .all(&svc.db)
        .await?)
}

/// One group.
pub async fn get_group(
    svc: &Services,
    auth: &Auth,
    id: i64,
) -> ServiceResult<Option<group::Model>> {
    auth.require()?;
    Ok(group::Entity::find_by_id(id).one(&svc.db).await?)
}

async fn find_group(svc: &Services, id: i64) -> ServiceResult<group::Model> {
    group::Entity::find_by_id(id)
        .one(&svc.db)
        .await?
        .ok_or(ServiceError::NotFound("Group"))
}

/// Creates a group (admins only).
pub async fn create_group(
    svc: &Services,
    auth: &Auth,
    name: &str,
    open_for_registration: bool,
) -> ServiceResult<group::Model> {
    auth.require_admin()?;
    let mut errors = FieldErrors::new();
    let name = parse_name(name, &mut errors);
    errors.into_result()?;
    let name = name.ok_or_else(|| ServiceError::field("name", "This field may not be blank."))?;
    group::ActiveModel {
        name: Set(name),
        open_for_registration: Set(open_for_registration),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&svc.db)
    .await
    .map_err(|e| on_unique_violation(e, GROUP_UNIQUE_RULES))
}

/// Renames a group or opens/closes it to self-registration (admins only).
pub async fn update_group(
    svc: &Services,
    auth: &Auth,
    id: i64,
    changes: GroupChanges,
) -> ServiceResult<group::Model> {
    auth.require_admin()?;
    let mut errors = FieldErrors::new();
    let name = changes
        .name
        .as_deref()
        .and_then(|n| parse_name(n, &mut errors));
    errors.into_result()?;
    let mut row = find_group(svc, id).await?.into_active_model();
    if let Some(name) = name {
        row.name = Set(name);
    }
    if let Some(open) = changes.open_for_registration {
        row.open_for_registration = Set(open);
    }
    row.update(&svc.db)
        .await
        .map_err(|e| on_unique_violation(e, GROUP_UNIQUE_RULES))
}

/// Deletes a group and its memberships (admins only).
pub async fn delete_group(svc: &Services, auth: &Auth, id: i64) -> ServiceResult<()> {
    auth.require_admin()?;
    let result = group::Entity::delete_by_id(id).exec(&svc.db).await?;
    if result.rows_affected == 0 {
        return Err(ServiceError::NotFound("Group"));
    }
    Ok(())
}

/// Adds a user to a group; adding an existing member changes nothing (admins only).
pub async fn add_member(
    svc: &Services,
    auth: &Auth,
    group_id: i64,
    user_id: i64,
) -> ServiceResult<group::Model> {
    auth.require_admin()?;
    let group = find_group(svc, group_id).await?;
    user::Entity::find_by_id(user_id)
        .one(&svc.db)
        .await?
        .ok_or(ServiceError::NotFound("User"))?;
    user_group::Entity::insert(user_group::ActiveModel {
        user_id: Set(user_id),
        group_id: Set(group_id),
    })
    .on_conflict(
        OnConflict::columns([user_group::Column::UserId, user_group::Column::GroupId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&svc.db)
    .await?;
    Ok(group)
}

/// Removes a user from a group (admins only).
pub async fn remove_member(
    svc: &Services,
    auth: &Auth,
    group_id: i64,
    user_id: i64,
) -> ServiceResult<group::Model> {
    auth.require_admin()?;
    let group = find_group(svc, group_id).await?;
    user_group::Entity::delete_many()
        .filter(user_group::Column::GroupId.eq(group_id))
        .filter(user_group::Column::UserId.eq(user_id))
        .exec(&svc.db)
        .await?;
    Ok(group)
}

/// Members of each group that the caller may see, in one statement; every id gets an entry.
pub async fn members_for_groups(
    svc: &Services,
    auth: &Auth,
    group_ids: &[i64],
) -> ServiceResult<HashMap<i64, Vec<user::Model>>> {
    let principal = auth.require()?;
    let mut by_group: HashMap<i64, Vec<user::Model>> =
        group_ids.iter().map(|id| (*id, Vec::new())).collect();
    let mut query = user_group::Entity::find()
        .filter(user_group::Column::GroupId.is_in(group_ids.iter().copied()));
    if !sees_everyone(svc, principal) {
        query = query.filter(user_group::Column::UserId.eq(principal.id()));
    }
    let rows = query
        .find_also_related(user::Entity)
        .order_by_asc(user::Column::Id)
        .all(&svc.db)
        .await?;
    for (membership, member) in rows {
        if let (Some(member), Some(list)) = (member, by_group.get_mut(&membership.group_id)) {
            list.push(member);
        }
    }
    Ok(by_group)
}
