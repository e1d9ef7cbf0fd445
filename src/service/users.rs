//! Reading users: one, a keyset-paginated page with search, a count, and the batch read of
//! groups per user that the `User.groups` DataLoader (and REST list routes) use.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use entity::{group, user, user_group};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::context::Services;
use super::error::{ServiceError, ServiceResult};
use super::principal::{Auth, Principal};
use super::types::identifier_key;

/// Page size when `first` is not given.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;
/// Longest search string.
const SEARCH_MAX: usize = 150;

/// A page request: `first` users after the `after` cursor, optionally filtered by `search`.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Page size (1 to 100).
    pub first: Option<i64>,
    /// Opaque cursor of the last user of the previous page.
    pub after: Option<String>,
    /// Case-insensitive substring of username, email, first or last name.
    pub search: Option<String>,
}

/// One page of users, in id order.
#[derive(Debug, Clone)]
pub struct UserPage {
    /// The users of the page.
    pub users: Vec<user::Model>,
    /// More users follow.
    pub has_next_page: bool,
    /// The page started after a cursor.
    pub has_previous_page: bool,
}

/// Whether `principal` may see every account (admins, or everyone with an open directory).
pub fn sees_everyone(svc: &Services, principal: &Principal) -> bool {
    principal.is_admin() || svc.open_user_directory
}

/// The opaque cursor of a user in a page.
pub fn cursor_for(user: &user::Model) -> String {
    URL_SAFE_NO_PAD.encode(format!("user:{}", user.id))
}

fn decode_cursor(cursor: &str) -> ServiceResult<i64> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("user:")?.parse::<i64>().ok())
        .ok_or_else(|| ServiceError::field("after", "Invalid cursor."))
}

fn escape_like(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len() + 2);
    escaped.push('%');
    for c in value.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

fn visible_filter(
    svc: &Services,
    principal: &Principal,
    search: Option<&str>,
) -> ServiceResult<Condition> {
    let mut condition = Condition::all();
    if !sees_everyone(svc, principal) {
        condition = condition.add(user::Column::Id.eq(principal.id()));
    }
    if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
        if search.chars().count() > SEARCH_MAX || search.contains('\0') {
            return Err(ServiceError::field(
                "search",
                "The search string is too long or invalid.",
            ));
        }
        let key = escape_like(&identifier_key(search));
        let lower = escape_like(&search.to_lowercase());
        let like = |pattern: &str| LikeExpr::new(pattern).escape('\\');
        condition = condition.add(
            Condition::any()
                .add(Expr::col(user::Column::UsernameKey).like(like(&key)))
                .add(Expr::col(user::Column::EmailKey).like(like(&key)))
                .add(Func::lower(Expr::col(user::Column::FirstName)).like(like(&lower)))
                .add(Func::lower(Expr::col(user::Column::LastName)).like(like(&lower))),
        );
    }
    Ok(condition)
}

/// One user, if it exists and the caller may see it.
pub async fn get_user(svc: &Services, auth: &Auth, id: i64) -> ServiceResult<Option<user::Model>> {
    let principal = auth.require()?;
    if id == principal.id() {
        return Ok(Some(principal.user.clone()));
    }
    if !sees_everyone(svc, principal) {
        return Ok(None);
    }
    Ok(user::Entity::find_by_id(id).one(&svc.db).await?)
}

/// A page of the users the caller may see, by keyset pagination on id (no OFFSET).
pub async fn list_users(
    svc: &Services,
    auth: &Auth,
    request: &PageRequest,
) -> ServiceResult<UserPage> {
    let principal = auth.require()?;
    let first = match request.first {
        None => DEFAULT_PAGE_SIZE,
        Some(n) if (1..=MAX_PAGE_SIZE as i64).contains(&n) => n as u64,
        Some(_) => {
            return Err(ServiceError::field(
                "first",
                format!("Ensure this value is between 1 and {MAX_PAGE_SIZE}."),
            ))
        }
    };
    let after = request.after.as_deref().map(decode_cursor).transpose()?;
    let mut query =
        user::Entity::find().filter(visible_filter(svc, principal, request.search.as_deref())?);
    if let Some(after) = after {
        query = query.filter(user::Column::Id.gt(after));
    }
    let mut users = query
        .order_by_asc(user::Column::Id)
        .limit(first + 1)
        .all(&svc.db)
        .await?;
    let has_next_page = users.len() as u64 > first;
    users.truncate(first as usize);
    Ok(UserPage {
        users,
        has_next_page,
        has_previous_page: after.is_some(),
    })
}

/// How many users the caller may see that match `search`.
pub async fn count_users(svc: &Services, auth: &Auth, search: Option<&str>) -> ServiceResult<u64> {
    let principal = auth.require()?;
    Ok(user::Entity::find()
        .filter(visible_filter(svc, principal, search)?)
        .count(&svc.db)
        .await?)
}

/// Groups of each user, in one statement; every id gets an entry (maybe empty).
pub async fn groups_for_users(
    db: &impl ConnectionTrait,
    user_ids: &[i64],
) -> ServiceResult<HashMap<i64, Vec<group::Model>>> {
    let mut by_user: HashMap<i64, Vec<group::Model>> =
        user_ids.iter().map(|id| (*id, Vec::new())).collect();
    let rows = user_group::Entity::find()
        .filter(user_group::Column::UserId.is_in(user_ids.iter().copied()))
        .find_also_related(group::Entity)
        .order_by_asc(group::Column::Name)
        .all(db)
        .await?;
    for (membership, group) in rows {
        if let (Some(group), Some(list)) = (group, by_user.get_mut(&membership.user_id)) {
            list.push(group);
        }
    }
    Ok(by_user)
}
