//! Mutations: the caller's own account and sessions, and admin operations.

use async_graphql::{Context, ErrorExtensions, MaybeUndefined, Object, Upload, ID};
use secrecy::SecretString;

use super::error::GqlResult;
use super::request_auth;
use super::types::{
    AuthPayload, CreateGroupInput, Group, LoginInput, RegisterInput, UpdateGroupInput,
    UpdateMeInput, UpdateUserInput, User,
};
use super::RequestExtras;
use crate::service::accounts::{self, Credentials, LoginName, Registration};
use crate::service::sessions::{self, IssuedTokens};
use crate::service::types::{parse_id, NameInput, Patch};
use crate::service::{groups, ServiceError};

fn payload(user: entity::user::Model, tokens: IssuedTokens) -> AuthPayload {
    AuthPayload {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        token_type: "Bearer".to_owned(),
        expires_in: i32::try_from(tokens.expires_in).unwrap_or(i32::MAX),
        user: User(user),
    }
}

fn read_upload(ctx: &Context<'_>, upload: &Upload) -> async_graphql::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    upload
        .value(ctx)
        .and_then(|value| value.into_read().read_to_end(&mut bytes))
        .map_err(|_| {
            ServiceError::field("profile_pic", "The upload could not be read.").extend()
        })?;
    Ok(bytes)
}

fn parse_ids(field: &str, ids: Option<Vec<ID>>) -> async_graphql::Result<Vec<i64>> {
    ids.unwrap_or_default()
        .iter()
        .map(|id| parse_id(field, id).gql())
        .collect()
}

/// The caller's account and sessions.
#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account.
    async fn register(
        &self,
        ctx: &Context<'_>,
        input: RegisterInput,
    ) -> async_graphql::Result<User> {
        let (services, _) = request_auth(ctx)?;
        let extras = ctx.data::<RequestExtras>()?;
        let registration = Registration {
            username: input.username,
            email: input.email,
            password: SecretString::from(input.password),
            names: NameInput {
                first_name: input.first_name,
                last_name: input.last_name,
                full_name: input.full_name,
            },
            codename: input.codename,
            group_ids: parse_ids("group_ids", input.group_ids)?,
            profile_pic: None,
        };
        Ok(User(
            accounts::register(services, registration, &extras.client)
                .await
                .gql()?,
        ))
    }

    /// Logs in: an access token and a single-use refresh token.
    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<AuthPayload> {
        let (services, _) = request_auth(ctx)?;
        let extras = ctx.data::<RequestExtras>()?;
        let name = match (input.email, input.username) {
            (Some(email), _) => Some(LoginName::Email(email)),
            (None, Some(username)) => Some(LoginName::UsernameOrEmail(username)),
            (None, None) => None,
        };
        let credentials = Credentials {
            name,
            password: SecretString::from(input.password),
        };
        let (user, tokens) = accounts::login(services, credentials, &extras.client, false)
            .await
            .gql()?;
        Ok(payload(user, tokens))
    }

    /// Exchanges a refresh token (or the refresh cookie when null) for new tokens. The
    /// presented token is spent; presenting it again ends the session.
    async fn refresh(
        &self,
        ctx: &Context<'_>,
        refresh_token: Option<String>,
    ) -> async_graphql::Result<AuthPayload> {
        let (services, _) = request_auth(ctx)?;
        let extras = ctx.data::<RequestExtras>()?;
        let token = refresh_token
            .or_else(|| extras.refresh_cookie.clone())
            .ok_or(ServiceError::Unauthenticated(
                crate::service::principal::NOT_PROVIDED,
            ))
            .gql()?;
        let (user, tokens) = sessions::refresh(services, &token, &extras.client)
            .await
            .gql()?;
        Ok(payload(user, tokens))
    }

    /// Ends the caller's session and/or the session of `refreshToken`; every session of the
    /// caller with `allSessions: true`.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        refresh_token: Option<String>,
        all_sessions: Option<bool>,
    ) -> async_graphql::Result<bool> {
        let (services, auth) = request_auth(ctx)?;
        sessions::logout(
            services,
            auth,
            refresh_token.as_deref(),
            all_sessions.unwrap_or(false),
        )
        .await
        .gql()?;
        Ok(true)
    }

    /// Ends one of the caller's sessions (see `mySessions`).
    async fn revoke_session(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let (services, auth) = request_auth(ctx)?;
        sessions::revoke_own_session(services, auth, &id)
            .await
            .gql()?;
        Ok(true)
    }

    /// Changes the caller's password; every other session of the caller ends.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        old_password: String,
        new_password: String,
    ) -> async_graphql::Result<bool> {
        let (services, auth) = request_auth(ctx)?;
        let extras = ctx.data::<RequestExtras>()?;
        accounts::change_password(
            services,
            auth,
            SecretString::from(old_password),
            SecretString::from(new_password),
            &extras.client,
        )
        .await
        .gql()?;
        Ok(true)
    }

    /// Updates the caller's profile (pictures through the GraphQL multipart request spec).
    async fn update_me(
        &self,
        ctx: &Context<'_>,
        input: UpdateMeInput,
    ) -> async_graphql::Result<User> {
        let (services, auth) = request_auth(ctx)?;
        let mut input = input;
        let picture = std::mem::take(&mut input.profile_pic);
        let mut changes: accounts::ProfileChanges = input.into();
        changes.profile_pic = match picture {
            MaybeUndefined::Undefined => Patch::Keep,
            MaybeUndefined::Null => Patch::Clear,
            MaybeUndefined::Value(upload) => Patch::Set(read_upload(ctx, &upload)?),
        };
        Ok(User(
            accounts::update_me(services, auth, changes).await.gql()?,
        ))
    }

    /// Deletes the caller's account after checking their password.
    async fn delete_me(
        &self,
        ctx: &Context<'_>,
        current_password: String,
    ) -> async_graphql::Result<bool> {
        let (services, auth) = request_auth(ctx)?;
        accounts::delete_me(services, auth, SecretString::from(current_password))
            .await
            .gql()?;
        Ok(true)
    }
}

/// Admin operations (FORBIDDEN for other users).
#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Updates any account.
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateUserInput,
    ) -> async_graphql::Result<User> {
        let (services, auth) = request_auth(ctx)?;
        let id = parse_id("id", &id).gql()?;
        Ok(User(
            accounts::update_user(services, auth, id, input.into())
                .await
                .gql()?,
        ))
    }

    /// Deletes any account.
    async fn delete_user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let (services, auth) = request_auth(ctx)?;
        let id = parse_id("id", &id).gql()?;
        accounts::delete_user(services, auth, id).await.gql()?;
        Ok(true)
    }

    /// Creates a group.
    async fn create_group(
        &self,
        ctx: &Context<'_>,
        input: CreateGroupInput,
    ) -> async_graphql::Result<Group> {
        let (services, auth) = request_auth(ctx)?;
        let group = groups::create_group(
            services,
            auth,
            &input.name,
            input.open_for_registration.unwrap_or(false),
        )
        .await
        .gql()?;
        Ok(Group(group))
    }

    /// Renames a group or opens/closes it to self-registration.
    async fn update_group(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateGroupInput,
    ) -> async_graphql::Result<Group> {
        let (services, auth) = request_auth(ctx)?;
        let id = parse_id("id", &id).gql()?;
        let changes = groups::GroupChanges {
            name: input.name,
            open_for_registration: input.open_for_registration,
        };
        Ok(Group(
            groups::update_group(services, auth, id, changes)
                .await
                .gql()?,
        ))
    }

    /// Deletes a group and its memberships.
    async fn delete_group(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let (services, auth) = request_auth(ctx)?;
        let id = parse_id("id", &id).gql()?;
        groups::delete_group(services, auth, id).await.gql()?;
        Ok(true)
    }

    /// Adds a user to a group.
    async fn add_group_member(
        &self,
        ctx: &Context<'_>,
        group_id: ID,
        user_id: ID,
    ) -> async_graphql::Result<Group> {
        let (services, auth) = request_auth(ctx)?;
        let group_id = parse_id("group_id", &group_id).gql()?;
        let user_id = parse_id("user_id", &user_id).gql()?;
        Ok(Group(
            groups::add_member(services, auth, group_id, user_id)
                .await
                .gql()?,
        ))
    }

    /// Removes a user from a group.
    async fn remove_group_member(
        &self,
        ctx: &Context<'_>,
        group_id: ID,
        user_id: ID,
    ) -> async_graphql::Result<Group> {
        let (services, auth) = request_auth(ctx)?;
        let group_id = parse_id("group_id", &group_id).gql()?;
        let user_id = parse_id("user_id", &user_id).gql()?;
        Ok(Group(
            groups::remove_member(services, auth, group_id, user_id)
                .await
                .gql()?,
        ))
    }
}
