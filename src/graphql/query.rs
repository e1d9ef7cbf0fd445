//! Queries: the caller's account, users, groups.

use async_graphql::{Context, Object, ID};

use super::error::GqlResult;
use super::request_auth;
use super::types::{Group, Session, User, UserConnection};
use crate::service::types::parse_id;
use crate::service::{groups, sessions, users};

/// Account queries.
#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The signed-in user; UNAUTHENTICATED without valid credentials.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let (_, auth) = request_auth(ctx)?;
        Ok(User(auth.require().gql()?.user.clone()))
    }

    /// The caller's live sessions (devices), most recently used first.
    async fn my_sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Session>> {
        let (services, auth) = request_auth(ctx)?;
        let current = auth.principal().map(|p| p.session_id.clone());
        let sessions = sessions::list_sessions(services, auth).await.gql()?;
        Ok(sessions
            .into_iter()
            .map(|model| Session {
                current: Some(&model.id) == current.as_ref(),
                model,
            })
            .collect())
    }

    /// One user; null when it does not exist or the caller may not see it.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<User>> {
        let (services, auth) = request_auth(ctx)?;
        let id = parse_id("id", &id).gql()?;
        Ok(users::get_user(services, auth, id).await.gql()?.map(User))
    }

    /// Users the caller may see, in id order, `first` (1-100, default 20) after the cursor
    /// `after`, optionally filtered by a case-insensitive `search` on username, email and names.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
    ) -> async_graphql::Result<UserConnection> {
        let (services, auth) = request_auth(ctx)?;
        let request = users::PageRequest {
            first: first.map(i64::from),
            after,
            search: search.clone(),
        };
        let page = users::list_users(services, auth, &request).await.gql()?;
        Ok(UserConnection { page, search })
    }
}

/// Group queries.
#[derive(Default)]
pub struct GroupQuery;

#[Object]
impl GroupQuery {
    /// Every group, by name.
    async fn groups(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Group>> {
        let (services, auth) = request_auth(ctx)?;
        let groups = groups::list_groups(services, auth).await.gql()?;
        Ok(groups.into_iter().map(Group).collect())
    }

    /// One group; null when it does not exist.
    async fn group(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Group>> {
        let (services, auth) = request_auth(ctx)?;
        let id = parse_id("id", &id).gql()?;
        Ok(groups::get_group(services, auth, id)
            .await
            .gql()?
            .map(Group))
    }
}
