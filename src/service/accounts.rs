//! Account operations: register, log in, change password, update and delete accounts.

use chrono::Utc;
use entity::{group, user, user_group};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, IntoActiveModel,
    QueryFilter, TransactionTrait,
};
use secrecy::{ExposeSecret, SecretString};

use super::context::{ClientInfo, Services};
use super::error::{on_unique_violation, FieldErrors, ServiceError, ServiceResult};
use super::limits::{self, Action};
use super::principal::{Auth, Principal};
use super::sessions::{self, IssuedTokens, RevokeReason};
use super::types::{identifier_key, parse_text, Email, NameInput, Patch, Username, NAME_MAX};
use crate::auth::password::Verification;

const DUPLICATE_USERNAME: &str = "A user with that username already exists.";
const DUPLICATE_EMAIL: &str = "A user with that email already exists.";
const WRONG_PASSWORD: &str = "Wrong password.";
const USER_UNIQUE_RULES: &[(&str, &str, &str)] = &[
    ("username_key", "username", DUPLICATE_USERNAME),
    ("email_key", "email", DUPLICATE_EMAIL),
];

/// A registration request.
#[derive(Debug)]
pub struct Registration {
    /// Username; defaults to the email address.
    pub username: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Password, checked against the password rules.
    pub password: SecretString,
    /// First/last/full name.
    pub names: NameInput,
    /// Codename.
    pub codename: Option<String>,
    /// Groups to join; each must be open to self-registration.
    pub group_ids: Vec<i64>,
    /// Profile picture (raw upload), checked by content.
    pub profile_pic: Option<Vec<u8>>,
}

/// How a login names the account.
#[derive(Debug, Clone)]
pub enum LoginName {
    /// A username, or an email address in the username field.
    UsernameOrEmail(String),
    /// An email address.
    Email(String),
}

/// A username (or email) and password pair.
#[derive(Debug)]
pub struct Credentials {
    /// The account, if named.
    pub name: Option<LoginName>,
    /// The password.
    pub password: SecretString,
}

/// Changes to a profile; `None`/`Keep` fields stay as they are.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    /// New username.
    pub username: Option<String>,
    /// New email, or clear it.
    pub email: Patch<String>,
    /// New names.
    pub names: NameInput,
    /// New codename, or clear it.
    pub codename: Patch<String>,
    /// New profile picture (raw upload), or delete it.
    pub profile_pic: Patch<Vec<u8>>,
    /// New password, without the old one (one legacy API allows this for the signed-in
    /// user); checked against the rules, and every other session ends.
    pub password: Option<SecretString>,
}

/// What an admin may change on any account.
#[derive(Debug, Default)]
pub struct AdminChanges {
    /// Profile fields.
    pub profile: ProfileChanges,
    /// Activate or deactivate (deactivation ends every session).
    pub is_active: Option<bool>,
    /// Grant or withdraw admin rights.
    pub is_admin: Option<bool>,
    /// Set a new password (ends every session of the user).
    pub password: Option<SecretString>,
}

fn attributes<'a>(
    username: Option<&'a str>,
    email: Option<&'a str>,
    first: &'a str,
    last: &'a str,
) -> Vec<(&'static str, &'a str)> {
    let mut attrs = Vec::with_capacity(4);
    if let Some(username) = username {
        attrs.push(("username", username));
    }
    if let Some(email) = email {
        attrs.push(("email address", email));
    }
    attrs.push(("first name", first));
    attrs.push(("last name", last));
    attrs
}

fn check_password(
    svc: &Services,
    field: &str,
    password: &SecretString,
    user: &user::Model,
    errors: &mut FieldErrors,
) {
    let attrs = attributes(
        Some(&user.username),
        user.email.as_deref(),
        &user.first_name,
        &user.last_name,
    );
    if let Err(messages) = svc.policy.check(password.expose_secret(), &attrs) {
        errors.extend(field, messages);
    }
}

/// Creates an account. Duplicate usernames and emails (after normalisation), invalid fields
/// and weak passwords are reported together as field errors.
#[tracing::instrument(skip_all)]
pub async fn register(
    svc: &Services,
    registration: Registration,
    client: &ClientInfo,
) -> ServiceResult<user::Model> {
    svc.rate_limits.check(Action::Register, client)?;
    let mut errors = FieldErrors::new();
    let email = match registration.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Email::parse(raw).map_err(|m| errors.add("email", m)).ok(),
    };
    let username = match (&registration.username, &email) {
        (Some(raw), _) => Username::parse(raw)
            .map_err(|m| errors.add("username", m))
            .ok(),
        (None, Some(email)) => Username::parse(&email.display)
            .map_err(|_| {
                errors.add(
                    "email",
                    "This email address cannot serve as a username; give a username.",
                )
            })
            .ok(),
        (None, None) => {
            if errors.get("email").is_none() {
                errors.add("username", "Enter a username or an email address.");
            }
            None
        }
    };
    let (first, last) = registration.names.resolve(&mut errors);
    let codename = registration.codename.as_deref().and_then(|raw| {
        parse_text(raw, NAME_MAX)
            .map_err(|m| errors.add("codename", m))
            .ok()
    });
    let (first, last) = (first.unwrap_or_default(), last.unwrap_or_default());
    let attrs = attributes(
        username.as_ref().map(|u| u.display.as_str()),
        email.as_ref().map(|e| e.display.as_str()),
        &first,
        &last,
    );
    if let Err(messages) = svc
        .policy
        .check(registration.password.expose_secret(), &attrs)
    {
        errors.extend("password", messages);
    }
    if let Some(bytes) = &registration.profile_pic {
        if let Err(error) = crate::media::inspect(bytes, &svc.image_limits) {
            errors.add("profile_pic", error.to_string());
        }
    }
    check_open_groups(svc, &registration.group_ids, &mut errors).await?;
    let email_duplicate = match &email {
        Some(email) => email_taken(svc, &email.key, None).await?,
        None => false,
    };
    if email_duplicate {
        errors.add("email", DUPLICATE_EMAIL);
    }
    if let Some(username) = &username {
        if username_taken(svc, &username.key, None).await? {
            // A username taken from the email is the client's email field: report it there,
            // and only once.
            match (registration.username.is_some(), email_duplicate) {
                (true, _) => errors.add("username", DUPLICATE_USERNAME),
                (false, false) => errors.add("email", DUPLICATE_USERNAME),
                (false, true) => {}
            }
        }
    }
    errors.into_result()?;
    let Some(username) = username else {
        return Err(ServiceError::field(
            "username",
            "Enter a username or an email address.",
        ));
    };

    let password_hash = svc.hasher.hash(registration.password).await?;
    let picture = match &registration.profile_pic {
        Some(bytes) => Some(store_picture(svc, bytes).await?),
        None => None,
    };
    let created = insert_user(
        svc,
        username,
        email,
        (first, last),
        codename,
        password_hash,
        picture.clone(),
        &registration.group_ids,
    )
    .await;
    if created.is_err() {
        if let Some(name) = &picture {
            crate::media::remove(&svc.media_dir, name).await;
        }
    }
    let created = created?;
    tracing::info!(user_id = created.id, "user registered");
    Ok(created)
}

async fn store_picture(svc: &Services, bytes: &[u8]) -> ServiceResult<String> {
    crate::media::store(&svc.media_dir, bytes, &svc.image_limits)
        .await
        .map_err(|error| match error {
            crate::media::ImageError::Io(io) => ServiceError::internal(io),
            other => ServiceError::field("profile_pic", other.to_string()),
        })
}

#[allow(clippy::too_many_arguments)]
async fn insert_user(
    svc: &Services,
    username: Username,
    email: Option<Email>,
    (first, last): (String, String),
    codename: Option<String>,
    password_hash: String,
    profile_pic: Option<String>,
    group_ids: &[i64],
) -> ServiceResult<user::Model> {
    let now = Utc::now();
    let txn = svc.db.begin().await?;
    let row = user::ActiveModel {
        username: Set(username.display),
        username_key: Set(username.key),
        email: Set(email.as_ref().map(|e| e.display.clone())),
        email_key: Set(email.map(|e| e.key)),
        first_name: Set(first),
        last_name: Set(last),
        codename: Set(codename),
        profile_pic: Set(profile_pic),
        is_active: Set(true),
        is_admin: Set(false),
        password_hash: Set(password_hash),
        date_joined: Set(now),
        last_login: Set(None),
        updated_at: Set(now),
        ..Default::default()
    };
    let created = row
        .insert(&txn)
        .await
        .map_err(|e| on_unique_violation(e, USER_UNIQUE_RULES))?;
    if !group_ids.is_empty() {
        let memberships = group_ids.iter().map(|group_id| user_group::ActiveModel {
            user_id: Set(created.id),
            group_id: Set(*group_id),
        });
        user_group::Entity::insert_many(memberships)
            .on_conflict(
                OnConflict::columns([user_group::Column::UserId, user_group::Column::GroupId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(created)
}

async fn check_open_groups(
    svc: &Services,
    group_ids: &[i64],
    errors: &mut FieldErrors,
) -> ServiceResult<()> {
    if group_ids.is_empty() {
        return Ok(());
    }
    let open: Vec<i64> = group::Entity::find()
        .filter(group::Column::Id.is_in(group_ids.iter().copied()))
        .filter(group::Column::OpenForRegistration.eq(true))
        .all(&svc.db)
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    for id in group_ids.iter().filter(|id| !open.contains(id)) {
        errors.add(
            "group_ids",
            format!("Invalid group id \"{id}\": no such group is open to registration."),
        );
    }
    Ok(())
}

async fn username_taken(svc: &Services, key: &str, except: Option<i64>) -> ServiceResult<bool> {
    let mut query = user::Entity::find().filter(user::Column::UsernameKey.eq(key));
    if let Some(id) = except {
        query = query.filter(user::Column::Id.ne(id));
    }
    Ok(query.one(&svc.db).await?.is_some())
}

async fn email_taken(svc: &Services, key: &str, except: Option<i64>) -> ServiceResult<bool> {
    let mut query = user::Entity::find().filter(user::Column::EmailKey.eq(key));
    if let Some(id) = except {
        query = query.filter(user::Column::Id.ne(id));
    }
    Ok(query.one(&svc.db).await?.is_some())
}

async fn find_login_user(svc: &Services, name: &LoginName) -> ServiceResult<Option<user::Model>> {
    let raw = match name {
        LoginName::UsernameOrEmail(raw) | LoginName::Email(raw) => raw,
    };
    // No account has such a name, and PostgreSQL refuses NUL bytes in text: answer "unknown"
    // (the caller still verifies a dummy hash) instead of a database error.
    if raw.contains('\0') || raw.chars().count() > 2 * super::types::EMAIL_MAX {
        return Ok(None);
    }
    let (key, by_username) = match name {
        LoginName::UsernameOrEmail(raw) => (identifier_key(raw.trim()), true),
        LoginName::Email(raw) => (identifier_key(raw.trim()), false),
    };
    let mut condition = Condition::any().add(user::Column::EmailKey.eq(key.as_str()));
    if by_username {
        condition = condition.add(user::Column::UsernameKey.eq(key.as_str()));
    }
    let candidates = user::Entity::find().filter(condition).all(&svc.db).await?;
    // A username match wins over another account's email that happens to be equal.
    let preferred = candidates
        .iter()
        .position(|u| by_username && u.username_key == key)
        .unwrap_or(0);
    Ok(candidates.into_iter().nth(preferred))
}

/// Checks a username/password pair. Unknown users are verified against a dummy hash, and
/// inactive users are refused after verification, so answers and timings do not tell the
/// cases apart. An outdated hash is replaced on success.
#[tracing::instrument(skip_all)]
pub async fn check_credentials(
    svc: &Services,
    credentials: Credentials,
    client: &ClientInfo,
) -> ServiceResult<user::Model> {
    let Some(name) = credentials.name.filter(|n| match n {
        LoginName::UsernameOrEmail(s) | LoginName::Email(s) => !s.trim().is_empty(),
    }) else {
        return Err(ServiceError::field("username", "This field is required."));
    };
    svc.rate_limits.check(Action::Login, client)?;
    // Hashed: fixed length, no NUL bytes for PostgreSQL, no plaintext names in the table.
    let throttle_key = match &name {
        LoginName::UsernameOrEmail(raw) | LoginName::Email(raw) => {
            crate::auth::tokens::hash_token(&identifier_key(raw.trim()))
        }
    };
    let now = Utc::now();
    limits::check_lockout(svc, &throttle_key, now).await?;
    let user = find_login_user(svc, &name).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let password = credentials.password;
    let verification = svc.hasher.verify(password.clone(), stored).await?;
    let (user, needs_rehash) = match (user, verification) {
        (Some(user), Verification::Match { needs_rehash }) if user.is_active => {
            (user, needs_rehash)
        }
        _ => {
            svc.metrics.login(false);
            limits::record_failure(svc, &throttle_key, now).await?;
            return Err(ServiceError::InvalidCredentials);
        }
    };
    svc.metrics.login(true);
    limits::clear_failures(svc, &throttle_key).await?;
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::LastLogin, Expr::value(Some(now)))
        .filter(user::Column::Id.eq(user.id));
    let mut user = user;
    if needs_rehash {
        let fresh = svc.hasher.hash(password).await?;
        update = update.col_expr(user::Column::PasswordHash, Expr::value(fresh.clone()));
        user.password_hash = fresh;
        tracing::info!(user_id = user.id, "password hash upgraded");
    }
    update.exec(&svc.db).await?;
    user.last_login = Some(now);
    Ok(user)
}

/// Logs in for a JWT session: an access token and a refresh token, plus a legacy token for
/// the same session with `with_legacy` (for legacy routes that answer both).
pub async fn login(
    svc: &Services,
    credentials: Credentials,
    client: &ClientInfo,
    with_legacy: bool,
) -> ServiceResult<(user::Model, IssuedTokens)> {
    let user = check_credentials(svc, credentials, client).await?;
    let tokens = sessions::start_jwt_session(svc, &svc.db, user.id, client, with_legacy).await?;
    tracing::info!(user_id = user.id, session_id = %tokens.session_id, "login");
    Ok((user, tokens))
}

/// Logs in for a legacy-token session (the Djoser-style APIs); returns the 40-hex token.
pub async fn login_legacy(
    svc: &Services,
    credentials: Credentials,
    client: &ClientInfo,
) -> ServiceResult<(user::Model, String)> {
    let user = check_credentials(svc, credentials, client).await?;
    let token = sessions::start_legacy_session(&svc.db, user.id, client, Utc::now()).await?;
    tracing::info!(user_id = user.id, "legacy token login");
    Ok((user, token))
}

async fn verify_own_password(
    svc: &Services,
    principal: &Principal,
    password: SecretString,
    field: &str,
) -> ServiceResult<user::Model> {
    let user = user::Entity::find_by_id(principal.id())
        .one(&svc.db)
        .await?
        .ok_or(ServiceError::Unauthenticated(
            super::principal::INVALID_TOKEN,
        ))?;
    match svc
        .hasher
        .verify(password, Some(user.password_hash.clone()))
        .await?
    {
        Verification::Match { .. } => Ok(user),
        Verification::Mismatch => Err(ServiceError::field(field, WRONG_PASSWORD)),
    }
}

/// Changes the caller's password after checking the old one. Every other session of the
/// user ends; the caller's own session lives on.
#[tracing::instrument(skip_all)]
pub async fn change_password(
    svc: &Services,
    auth: &Auth,
    old_password: SecretString,
    new_password: SecretString,
    client: &ClientInfo,
) -> ServiceResult<()> {
    let principal = auth.require()?;
    svc.rate_limits.check(Action::ChangePassword, client)?;
    let user = verify_own_password(svc, principal, old_password, "old_password").await?;
    let mut errors = FieldErrors::new();
    check_password(svc, "new_password", &new_password, &user, &mut errors);
    errors.into_result()?;
    let hash = svc.hasher.hash(new_password).await?;
    let txn = svc.db.begin().await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    let ended = sessions::revoke_user_sessions(
        &txn,
        user.id,
        Some(&principal.session_id),
        RevokeReason::PasswordChange,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        user_id = user.id,
        sessions_ended = ended,
        "password changed"
    );
    Ok(())
}

/// Updates the caller's own profile.
pub async fn update_me(
    svc: &Services,
    auth: &Auth,
    changes: ProfileChanges,
) -> ServiceResult<user::Model> {
    let principal = auth.require()?;
    let mut changes = changes;
    let password = changes.password.take();
    apply_changes(
        svc,
        principal.user.clone(),
        AdminChanges {
            profile: changes,
            password,
            ..Default::default()
        },
        principal,
    )
    .await
}

/// Updates any account (admins only).
pub async fn update_user(
    svc: &Services,
    auth: &Auth,
    id: i64,
    changes: AdminChanges,
) -> ServiceResult<user::Model> {
    let admin = auth.require_admin()?;
    let target = user::Entity::find_by_id(id)
        .one(&svc.db)
        .await?
        .ok_or(ServiceError::NotFound("User"))?;
    if target.id == admin.id() && changes.is_active == Some(false) {
        return Err(ServiceError::field(
            "is_active",
            "You cannot deactivate your own account.",
        ));
    }
    apply_changes(svc, target, changes, admin).await
}

async fn apply_changes(
    svc: &Services,
    target: user::Model,
    changes: AdminChanges,
    actor: &Principal,
) -> ServiceResult<user::Model> {
    let mut errors = FieldErrors::new();
    let profile = changes.profile;
    let username = match &profile.username {
        Some(raw) => Username::parse(raw)
            .map_err(|m| errors.add("username", m))
            .ok(),
        None => None,
    };
    let email = match &profile.email {
        Patch::Set(raw) if raw.trim().is_empty() => Patch::Clear,
        Patch::Set(raw) => match Email::parse(raw) {
            Ok(email) => Patch::Set(email),
            Err(message) => {
                errors.add("email", message);
                Patch::Keep
            }
        },
        Patch::Clear => Patch::Clear,
        Patch::Keep => Patch::Keep,
    };
    let (first, last) = profile.names.resolve(&mut errors);
    let codename = match &profile.codename {
        Patch::Set(raw) => match parse_text(raw, NAME_MAX) {
            Ok(value) => Patch::Set(value),
            Err(message) => {
                errors.add("codename", message);
                Patch::Keep
            }
        },
        Patch::Clear => Patch::Clear,
        Patch::Keep => Patch::Keep,
    };
    if let Some(username) = &username {
        if username_taken(svc, &username.key, Some(target.id)).await? {
            errors.add("username", DUPLICATE_USERNAME);
        }
    }
    if let Patch::Set(email) = &email {
        if email_taken(svc, &email.key, Some(target.id)).await? {
            errors.add("email", DUPLICATE_EMAIL);
        }
    }
    if let Some(password) = &changes.password {
        check_password(svc, "password", password, &target, &mut errors);
    }
    if let Patch::Set(bytes) = &profile.profile_pic {
        if let Err(error) = crate::media::inspect(bytes, &svc.image_limits) {
            errors.add("profile_pic", error.to_string());
        }
    }
    errors.into_result()?;

    let new_hash = match changes.password {
        Some(password) => Some(svc.hasher.hash(password).await?),
        None => None,
    };
    let new_picture = match &profile.profile_pic {
        Patch::Set(bytes) => Some(store_picture(svc, bytes).await?),
        _ => None,
    };
    let old_picture = target.profile_pic.clone();
    let was_active = target.is_active;
    let mut row = target.into_active_model();
    match (&profile.profile_pic, &new_picture) {
        (Patch::Set(_), Some(name)) => row.profile_pic = Set(Some(name.clone())),
        (Patch::Clear, _) => row.profile_pic = Set(None),
        _ => {}
    }
    if let Some(username) = username {
        row.username = Set(username.display);
        row.username_key = Set(username.key);
    }
    match email {
        Patch::Set(email) => {
            row.email = Set(Some(email.display));
            row.email_key = Set(Some(email.key));
        }
        Patch::Clear => {
            row.email = Set(None);
            row.email_key = Set(None);
        }
        Patch::Keep => {}
    }
    if let Some(first) = first {
        row.first_name = Set(first);
    }
    if let Some(last) = last {
        row.last_name = Set(last);
    }
    match codename {
        Patch::Set(codename) => row.codename = Set(Some(codename)),
        Patch::Clear => row.codename = Set(None),
        Patch::Keep => {}
    }
    if let Some(is_active) = changes.is_active {
        row.is_active = Set(is_active);
    }
    if let Some(is_admin) = changes.is_admin {
        row.is_admin = Set(is_admin);
    }
    let password_changed = new_hash.is_some();
    if let Some(hash) = new_hash {
        row.password_hash = Set(hash);
    }
    row.updated_at = Set(Utc::now());
    let saved = save_changes(svc, row, was_active, password_changed, actor).await;
    let orphan = match &saved {
        Ok(updated) if updated.profile_pic != old_picture => old_picture,
        Ok(_) => None,
        // The row was not changed: the new file is the orphan.
        Err(_) => new_picture,
    };
    if let Some(name) = orphan {
        crate::media::remove(&svc.media_dir, &name).await;
    }
    saved
}

async fn save_changes(
    svc: &Services,
    row: user::ActiveModel,
    was_active: bool,
    password_changed: bool,
    actor: &Principal,
) -> ServiceResult<user::Model> {
    let txn = svc.db.begin().await?;
    let updated = row
        .update(&txn)
        .await
        .map_err(|e| on_unique_violation(e, USER_UNIQUE_RULES))?;
    if was_active && !updated.is_active {
        sessions::revoke_user_sessions(&txn, updated.id, None, RevokeReason::Deactivated).await?;
    }
    if password_changed {
        let keep = (updated.id == actor.id()).then_some(actor.session_id.as_str());
        sessions::revoke_user_sessions(&txn, updated.id, keep, RevokeReason::PasswordChange)
            .await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// Updates the account `id` on behalf of the caller: admins may change anything; other users
/// only their own profile (not `is_active`, `is_admin` or a password: FORBIDDEN). Accounts
/// the caller may not see are NOT_FOUND.
pub async fn update_user_as_caller(
    svc: &Services,
    auth: &Auth,
    id: i64,
    changes: AdminChanges,
) -> ServiceResult<user::Model> {
    let principal = auth.require()?;
    if principal.is_admin() {
        return update_user(svc, auth, id, changes).await;
    }
    if id != principal.id() {
        return Err(not_yours(svc, principal, id).await);
    }
    if changes.is_active.is_some() || changes.is_admin.is_some() || changes.password.is_some() {
        return Err(ServiceError::Forbidden);
    }
    update_me(svc, auth, changes.profile).await
}

/// Deletes the account `id` on behalf of the caller: admins any, other users only their own.
pub async fn delete_user_as_caller(svc: &Services, auth: &Auth, id: i64) -> ServiceResult<()> {
    let principal = auth.require()?;
    if principal.is_admin() {
        return delete_user(svc, auth, id).await;
    }
    if id != principal.id() {
        return Err(not_yours(svc, principal, id).await);
    }
    delete_account(svc, principal.user.clone()).await
}

/// FORBIDDEN when the caller can see the other account, NOT_FOUND otherwise (so that a
/// closed directory does not reveal which ids exist).
async fn not_yours(svc: &Services, principal: &Principal, id: i64) -> ServiceError {
    if !super::users::sees_everyone(svc, principal) {
        return ServiceError::NotFound("User");
    }
    match user::Entity::find_by_id(id).one(&svc.db).await {
        Ok(Some(_)) => ServiceError::Forbidden,
        Ok(None) => ServiceError::NotFound("User"),
        Err(error) => error.into(),
    }
}

/// Deletes the caller's account after checking their password.
pub async fn delete_me(
    svc: &Services,
    auth: &Auth,
    current_password: SecretString,
) -> ServiceResult<()> {
    let principal = auth.require()?;
    let user = verify_own_password(svc, principal, current_password, "current_password").await?;
    delete_account(svc, user).await
}

/// Deletes any account (admins only).
pub async fn delete_user(svc: &Services, auth: &Auth, id: i64) -> ServiceResult<()> {
    auth.require_admin()?;
    let user = user::Entity::find_by_id(id)
        .one(&svc.db)
        .await?
        .ok_or(ServiceError::NotFound("User"))?;
    delete_account(svc, user).await
}

async fn delete_account(svc: &Services, user: user::Model) -> ServiceResult<()> {
    // Sessions, refresh tokens and memberships go with the row (ON DELETE CASCADE).
    user::Entity::delete_by_id(user.id).exec(&svc.db).await?;
    if let Some(picture) = user.profile_pic {
        crate::media::remove(&svc.media_dir, &picture).await;
    }
    tracing::info!(user_id = user.id, "account deleted");
    Ok(())
}

/// Creates an admin account, or promotes the existing account named `username` (command
/// line only: no caller to check).
pub async fn create_admin(
    svc: &Services,
    username: &str,
    email: Option<&str>,
    password: SecretString,
) -> ServiceResult<(user::Model, bool)> {
    let key = Username::parse(username)
        .map_err(|m| ServiceError::field("username", m))?
        .key;
    if let Some(existing) = user::Entity::find()
        .filter(user::Column::UsernameKey.eq(key))
        .one(&svc.db)
        .await?
    {
        let mut row = existing.into_active_model();
        row.is_admin = Set(true);
        row.is_active = Set(true);
        row.updated_at = Set(Utc::now());
        return Ok((row.update(&svc.db).await?, false));
    }
    let created = register(
        svc,
        Registration {
            username: Some(username.to_owned()),
            email: email.map(str::to_owned),
            password,
            names: NameInput::default(),
            codename: None,
            group_ids: Vec::new(),
            profile_pic: None,
        },
        // The command line: no client address, no rate limit.
        &ClientInfo::default(),
    )
    .await?;
    let mut row = created.into_active_model();
    row.is_admin = Set(true);
    Ok((row.update(&svc.db).await?, true))
}
