//! GraphQL object and input types. Objects wrap entity models, never expose them directly,
//! so a column such as `password_hash` cannot leak into the schema.

use async_graphql::dataloader::DataLoader;
use async_graphql::{
    Context, ErrorExtensions, InputObject, MaybeUndefined, Object, SimpleObject, Upload, ID,
};
use chrono::{DateTime, Utc};
use entity::{group, user};

use super::error::GqlResult;
use super::loaders::{GroupsOfUsers, MembersOfGroups};
use super::request_auth;
use crate::service::types::{join_full_name, NameInput, Patch};
use crate::service::{accounts, users};

/// URL path under which profile pictures are served.
pub const MEDIA_PATH: &str = "/api/user/media/";

/// A user account.
pub struct User(pub user::Model);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
    /// First and last name joined by a space.
    async fn full_name(&self) -> String {
        join_full_name(&self.0.first_name, &self.0.last_name)
    }
    async fn codename(&self) -> Option<&str> {
        self.0.codename.as_deref()
    }
    /// URL of the profile picture; null when none.
    async fn profile_pic(&self) -> Option<String> {
        self.0
            .profile_pic
            .as_ref()
            .map(|name| format!("{MEDIA_PATH}{name}"))
    }
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    async fn is_admin(&self) -> bool {
        self.0.is_admin
    }
    async fn date_joined(&self) -> DateTime<Utc> {
        self.0.date_joined
    }
    async fn last_login(&self) -> Option<DateTime<Utc>> {
        self.0.last_login
    }
    /// Groups the user belongs to (batched).
    async fn groups(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Group>> {
        let loader = ctx.data::<DataLoader<GroupsOfUsers>>()?;
        let groups = loader
            .load_one(self.0.id)
            .await
            .map_err(|e| e.extend())?
            .unwrap_or_default();
        Ok(groups.into_iter().map(Group).collect())
    }
}

/// A group of users.
pub struct Group(pub group::Model);

#[Object]
impl Group {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Whether users may join this group when they register.
    async fn open_for_registration(&self) -> bool {
        self.0.open_for_registration
    }
    /// Members the caller may see (batched).
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<User>> {
        let loader = ctx.data::<DataLoader<MembersOfGroups>>()?;
        let members = loader
            .load_one(self.0.id)
            .await
            .map_err(|e| e.extend())?
            .unwrap_or_default();
        Ok(members.into_iter().map(User).collect())
    }
}

/// A signed-in device or client of the caller.
pub struct Session {
    /// The session.
    pub model: entity::session::Model,
    /// It is the session of the current request.
    pub current: bool,
}

#[Object]
impl Session {
    async fn id(&self) -> ID {
        ID(self.model.id.clone())
    }
    /// `jwt` (access and refresh tokens) or `legacy` (a DRF-style token).
    async fn kind(&self) -> &str {
        &self.model.kind
    }
    /// This is the session making the request.
    async fn current(&self) -> bool {
        self.current
    }
    /// `User-Agent` of the login.
    async fn user_agent(&self) -> Option<&str> {
        self.model.user_agent.as_deref()
    }
    /// Client IP address of the login.
    async fn client_ip(&self) -> Option<&str> {
        self.model.client_ip.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    /// Last request (updated at most once a minute).
    async fn last_used_at(&self) -> DateTime<Utc> {
        self.model.last_used_at
    }
    /// End of the session unless refreshed; null for legacy tokens.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.model.expires_at
    }
}

/// Tokens returned by `login` and `refresh`.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Access token (JWT).
    pub access_token: String,
    /// Opaque, single-use refresh token.
    pub refresh_token: String,
    /// Always "Bearer".
    pub token_type: String,
    /// Seconds until `accessToken` expires.
    pub expires_in: i32,
    /// The signed-in user.
    pub user: User,
}

/// Relay page information.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// More users follow this page.
    pub has_next_page: bool,
    /// Users precede this page.
    pub has_previous_page: bool,
    /// Cursor of the first user of the page.
    pub start_cursor: Option<String>,
    /// Cursor of the last user of the page; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// A user with its cursor.
#[derive(SimpleObject)]
pub struct UserEdge {
    /// Opaque cursor of this user.
    pub cursor: String,
    /// The user.
    pub node: User,
}

/// A page of users (Relay connection).
pub struct UserConnection {
    /// The page.
    pub page: users::UserPage,
    /// The search the page was made with, for `totalCount`.
    pub search: Option<String>,
}

#[Object]
impl UserConnection {
    async fn edges(&self) -> Vec<UserEdge> {
        self.page
            .users
            .iter()
            .map(|u| UserEdge {
                cursor: users::cursor_for(u),
                node: User(u.clone()),
            })
            .collect()
    }
    async fn nodes(&self) -> Vec<User> {
        self.page.users.iter().cloned().map(User).collect()
    }
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.page.has_next_page,
            has_previous_page: self.page.has_previous_page,
            start_cursor: self.page.users.first().map(users::cursor_for),
            end_cursor: self.page.users.last().map(users::cursor_for),
        }
    }
    /// Users matching the search that the caller may see (counted only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        let (services, auth) = request_auth(ctx)?;
        users::count_users(services, auth, self.search.as_deref())
            .await
            .gql()
    }
}

/// New account.
#[derive(InputObject)]
pub struct RegisterInput {
    /// Defaults to the email address when omitted.
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Split at the first space into first and last name.
    pub full_name: Option<String>,
    pub codename: Option<String>,
    /// Groups to join; each must be open to self-registration.
    pub group_ids: Option<Vec<ID>>,
}

/// Username (or email) and password.
#[derive(InputObject)]
pub struct LoginInput {
    /// May hold an email address.
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: String,
}

/// Changes to the caller's profile; omitted fields stay, `null` clears email or codename.
#[derive(InputObject)]
pub struct UpdateMeInput {
    pub username: Option<String>,
    pub email: MaybeUndefined<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub codename: MaybeUndefined<String>,
    /// New profile picture (GraphQL multipart request); `null` deletes it.
    pub profile_pic: MaybeUndefined<Upload>,
}

/// Changes an admin may make to any account.
#[derive(InputObject)]
pub struct UpdateUserInput {
    pub username: Option<String>,
    pub email: MaybeUndefined<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub codename: MaybeUndefined<String>,
    /// Deactivating ends every session of the user.
    pub is_active: Option<bool>,
    pub is_admin: Option<bool>,
    /// Sets a new password; ends every session of the user.
    pub password: Option<String>,
}

/// New group.
#[derive(InputObject)]
pub struct CreateGroupInput {
    pub name: String,
    /// Let users join at registration (default false).
    pub open_for_registration: Option<bool>,
}

/// Changes to a group.
#[derive(InputObject)]
pub struct UpdateGroupInput {
    pub name: Option<String>,
    pub open_for_registration: Option<bool>,
}

fn patch(value: MaybeUndefined<String>) -> Patch<String> {
    match value {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(v) => Patch::Set(v),
    }
}

impl From<UpdateMeInput> for accounts::ProfileChanges {
    fn from(input: UpdateMeInput) -> Self {
        Self {
            username: input.username,
            email: patch(input.email),
            names: NameInput {
                first_name: input.first_name,
                last_name: input.last_name,
                full_name: input.full_name,
            },
            codename: patch(input.codename),
            profile_pic: Patch::Keep,
            password: None,
        }
    }
}

impl From<UpdateUserInput> for accounts::AdminChanges {
    fn from(input: UpdateUserInput) -> Self {
        Self {
            profile: accounts::ProfileChanges {
                username: input.username,
                email: patch(input.email),
                names: NameInput {
                    first_name: input.first_name,
                    last_name: input.last_name,
                    full_name: input.full_name,
                },
                codename: patch(input.codename),
                profile_pic: Patch::Keep,
                password: None,
            },
            is_active: input.is_active,
            is_admin: input.is_admin,
            password: input.password.map(secrecy::SecretString::from),
        }
    }
}
