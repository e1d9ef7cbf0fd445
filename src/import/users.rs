//! Importing one batch of Django users, with their group memberships and DRF tokens, in
//! one transaction (or, in a dry run, without writing).
//!
//! Per user, in order:
//! - never imported: its username and email must be free. A key claimed earlier in this
//!   run, or held by an account imported from another Django row, is a Django duplicate
//!   (Django's usernames are case-sensitive and its emails are not unique); one held by an
//!   account that was not imported is taken. Either way the user is reported, not merged.
//! - imported before: unchanged Django row (same fingerprint) -> skipped; changed -> updated,
//!   unless the account also changed in authgraph since (`users.updated_at` after the
//!   import), which is a conflict; deleted in authgraph -> skipped, not brought back.
//! - memberships in imported groups follow Django's whenever the user's set of groups
//!   changed there; memberships in other authgraph groups are never touched.
//! - the DRF token becomes a legacy session whose `legacy_token_hash` is the token's hash,
//!   so `Authorization: Token <key>` keeps working; a token that changed or disappeared in
//!   Django is revoked.
//!
//! Memberships and tokens are synced for every account that exists in authgraph, even when
//! its own row is skipped or in conflict: they are rows of their own, with their own
//! fingerprints.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::django_import_map::Model as MapRow;
use entity::{session, user, user_group};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter,
};
use serde::Serialize;

use crate::auth::django::{self, Stored};
use crate::auth::tokens::{hash_token, looks_like_legacy_token};
use crate::service::sessions::{self, RevokeReason, KIND_LEGACY};
use crate::service::types::{parse_text, split_full_name, Email, Username, NAME_MAX};
use crate::service::Services;

use super::error::ImportError;
use super::groups::{GroupTarget, GroupTargets};
use super::map;
use super::options::ImportOptions;
use super::pictures::{self, Picture};
use super::source::{DjangoToken, DjangoUser};
use super::summary::{Conflict, ConflictReason, SkipReason, Summary, WarningReason};

/// What the whole run remembers between batches.
#[derive(Debug, Default)]
pub struct RunState {
    /// Where each Django group's members go.
    pub groups: GroupTargets,
    /// authgraph ids of the imported groups: the only memberships an import may remove.
    pub imported_groups: HashSet<i64>,
    /// Username keys imported or updated by this run -> Django id. A dry run writes
    /// nothing, so this is how it sees its own earlier batches.
    claimed_usernames: HashMap<String, i64>,
    /// Email keys, likewise.
    claimed_emails: HashMap<String, i64>,
    /// Every Django user id read.
    pub seen: HashSet<i64>,
}

impl RunState {
    /// The state after the groups were imported.
    pub fn new(groups: GroupTargets) -> Self {
        let imported_groups = groups
            .values()
            .filter_map(|target| match target {
                GroupTarget::Id(id) => Some(*id),
                GroupTarget::Planned(_) => None,
            })
            .collect();
        Self {
            groups,
            imported_groups,
            ..Default::default()
        }
    }
}

/// A batch read from Django.
#[derive(Debug, Default)]
pub struct Batch {
    /// Users, in id order.
    pub users: Vec<DjangoUser>,
    /// Django user id -> Django group ids.
    pub memberships: HashMap<i64, Vec<i64>>,
    /// Django user id -> its token.
    pub tokens: HashMap<i64, DjangoToken>,
}

/// Picture files a batch wrote or replaced: on rollback the new ones are deleted, after
/// commit the replaced ones.
#[derive(Debug, Default)]
pub struct Files {
    /// Stored by this batch.
    pub stored: Vec<String>,
    /// Replaced by this batch.
    pub replaced: Vec<String>,
}

/// A Django user as an authgraph account: parsed, normalised, checked.
#[derive(Debug)]
struct Account {
    username: Username,
    email: Option<Email>,
    first_name: String,
    last_name: String,
    codename: Option<String>,
    is_active: bool,
    is_admin: bool,
    password_hash: String,
    date_joined: DateTime<Utc>,
    last_login: Option<DateTime<Utc>>,
}

/// The Django values that an import copies: a change in any of them is a change. Django's
/// `last_login` moves at every login there, so it is not part of it.
#[derive(Serialize)]
struct Fingerprinted<'a> {
    username: &'a Option<String>,
    email: &'a Option<String>,
    first_name: &'a Option<String>,
    last_name: &'a Option<String>,
    full_name: &'a Option<String>,
    codename: &'a Option<String>,
    profile_pic: &'a Option<String>,
    is_active: bool,
    is_staff: bool,
    is_superuser: bool,
    date_joined: &'a Option<DateTime<Utc>>,
    password: &'a str,
}

fn user_fingerprint(u: &DjangoUser) -> String {
    map::fingerprint(&Fingerprinted {
        username: &u.username,
        email: &u.email,
        first_name: &u.first_name,
        last_name: &u.last_name,
        full_name: &u.full_name,
        codename: &u.codename,
        profile_pic: &u.profile_pic,
        is_active: u.is_active,
        is_staff: u.is_staff,
        is_superuser: u.is_superuser,
        date_joined: &u.date_joined,
        password: &u.password,
    })
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Parses a Django user the way registration would, without the password rules (the
/// password is not known) and with Django's values kept otherwise.
fn parse_account(u: &DjangoUser) -> Result<Account, (ConflictReason, String)> {
    let email = match non_empty(&u.email) {
        None => None,
        Some(raw) => Some(
            Email::parse(raw)
                .map_err(|m| (ConflictReason::InvalidEmail, format!("{raw:?}: {m}")))?,
        ),
    };
    let username = match (non_empty(&u.username), &email) {
        (Some(raw), _) => Username::parse(raw)
            .map_err(|m| (ConflictReason::InvalidUsername, format!("{raw:?}: {m}")))?,
        (None, Some(email)) => Username::parse(&email.display).map_err(|m| {
            let detail = format!("no username, and the email cannot serve as one: {m}");
            (ConflictReason::InvalidUsername, detail)
        })?,
        (None, None) => {
            let detail = "neither a username nor an email address".to_owned();
            return Err((ConflictReason::InvalidUsername, detail));
        }
    };
    let text = |field: &str, value: &str| {
        parse_text(value, NAME_MAX)
            .map_err(|m| (ConflictReason::InvalidField, format!("{field}: {m}")))
    };
    let (first_name, last_name) = match non_empty(&u.full_name) {
        Some(full) => {
            let (first, last) = split_full_name(full);
            (text("full_name", &first)?, text("full_name", &last)?)
        }
        None => (
            text("first_name", u.first_name.as_deref().unwrap_or_default())?,
            text("last_name", u.last_name.as_deref().unwrap_or_default())?,
        ),
    };
    let codename = match non_empty(&u.codename) {
        Some(raw) => Some(text("codename", raw)?),
        None => None,
    };
    Ok(Account {
        username,
        email,
        first_name,
        last_name,
        codename,
        is_active: u.is_active,
        is_admin: u.is_staff || u.is_superuser,
        password_hash: u.password.clone(),
        date_joined: u.date_joined.unwrap_or_else(Utc::now),
        last_login: u.last_login,
    })
}

/// What the database knows about a batch, loaded up front.
struct Known {
    users: HashMap<i64, MapRow>,
    tokens: HashMap<i64, MapRow>,
    user_groups: HashMap<i64, MapRow>,
    /// authgraph accounts by id: the imported ones of the batch and the key holders.
    accounts: HashMap<i64, user::Model>,
    by_username: HashMap<String, i64>,
    by_email: HashMap<String, i64>,
    /// authgraph id -> Django id, for key holders that were imported.
    imported_holders: HashMap<i64, i64>,
    /// authgraph user id -> its groups.
    memberships: HashMap<i64, HashSet<i64>>,
}

async fn load_known(
    db: &impl ConnectionTrait,
    batch: &Batch,
    parsed: &HashMap<i64, Account>,
) -> Result<Known, DbErr> {
    let ids = || batch.users.iter().map(|u| u.id);
    let users = map::load(db, map::USER, ids()).await?;
    let tokens = map::load(db, map::TOKEN, ids()).await?;
    let user_groups = map::load(db, map::USER_GROUPS, ids()).await?;
    let mut condition = Condition::any().add(
        user::Column::Id.is_in(
            users
                .values()
                .map(|row| row.authgraph_id)
                .collect::<Vec<_>>(),
        ),
    );
    let usernames: Vec<&str> = parsed.values().map(|a| a.username.key.as_str()).collect();
    let emails: Vec<&str> = parsed
        .values()
        .filter_map(|a| a.email.as_ref().map(|e| e.key.as_str()))
        .collect();
    if !usernames.is_empty() {
        condition = condition.add(user::Column::UsernameKey.is_in(usernames));
    }
    if !emails.is_empty() {
        condition = condition.add(user::Column::EmailKey.is_in(emails));
    }
    let accounts: HashMap<i64, user::Model> = user::Entity::find()
        .filter(condition)
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let by_username = accounts
        .values()
        .map(|u| (u.username_key.clone(), u.id))
        .collect();
    let by_email = accounts
        .values()
        .filter_map(|u| u.email_key.clone().map(|key| (key, u.id)))
        .collect();
    let imported_holders = map::imported(db, map::USER, accounts.keys().copied()).await?;
    let mut memberships: HashMap<i64, HashSet<i64>> = HashMap::new();
    let targets: Vec<i64> = users.values().map(|row| row.authgraph_id).collect();
    if !targets.is_empty() {
        for row in user_group::Entity::find()
            .filter(user_group::Column::UserId.is_in(targets))
            .all(db)
            .await?
        {
            memberships
                .entry(row.user_id)
                .or_default()
                .insert(row.group_id);
        }
    }
    Ok(Known {
        users,
        tokens,
        user_groups,
        accounts,
        by_username,
        by_email,
        imported_holders,
        memberships,
    })
}

/// Where a Django user ends up.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// This authgraph account.
    Id(i64),
    /// A dry run would create it.
    Planned,
}

/// Imports one batch. Writes go to `db` unless `options.dry_run`; files stored are recorded
/// in `files` as they are written, so the caller can delete them if the batch fails.
pub async fn import_batch(
    svc: &Services,
    db: &impl ConnectionTrait,
    options: &ImportOptions,
    batch: Batch,
    state: &mut RunState,
    summary: &mut Summary,
    files: &mut Files,
) -> Result<(), ImportError> {
    let write = !options.dry_run;
    let media_root = options.media_root.as_deref();
    let mut parsed = HashMap::new();
    let mut invalid = HashMap::new();
    for u in &batch.users {
        match parse_account(u) {
            Ok(account) => {
                parsed.insert(u.id, account);
            }
            Err(problem) => {
                invalid.insert(u.id, problem);
            }
        }
    }
    let known = load_known(db, &batch, &parsed)
        .await
        .map_err(ImportError::Target)?;
    let mut context = Context {
        svc,
        db,
        write,
        media_root,
        state,
        summary,
        files,
        known: &known,
    };
    for u in &batch.users {
        context.state.seen.insert(u.id);
        context.summary.users_read += 1;
        let account = parsed.remove(&u.id);
        let target = match (account, invalid.remove(&u.id)) {
            (Some(account), _) => context.user(u, account).await?,
            (None, Some((reason, detail))) => {
                context.summary.conflict(user_conflict(u, reason, detail));
                None
            }
            (None, None) => None,
        };
        let token = batch.tokens.get(&u.id);
        match target {
            Some(target) => {
                let groups = batch.memberships.get(&u.id).map_or(&[][..], Vec::as_slice);
                context.memberships(u.id, target, groups).await?;
                context.token(u.id, target, token).await?;
            }
            None => {
                if token.is_some() {
                    context.summary.warn(
                        "token",
                        u.id,
                        WarningReason::TokenUserNotImported,
                        "the token's user was not imported".into(),
                    );
                }
            }
        }
    }
    Ok(())
}

fn user_conflict(u: &DjangoUser, reason: ConflictReason, detail: String) -> Conflict {
    Conflict {
        kind: "user",
        django_id: u.id,
        name: u
            .username
            .clone()
            .or_else(|| u.email.clone())
            .unwrap_or_default(),
        reason,
        detail,
    }
}

struct Context<'a, C> {
    svc: &'a Services,
    db: &'a C,
    write: bool,
    media_root: Option<&'a std::path::Path>,
    state: &'a mut RunState,
    summary: &'a mut Summary,
    files: &'a mut Files,
    known: &'a Known,
}

impl<C: ConnectionTrait> Context<'_, C> {
    /// Imports, updates or skips one user; `None` when it has no authgraph account (conflict
    /// or deleted in authgraph).
    async fn user(
        &mut self,
        u: &DjangoUser,
        account: Account,
    ) -> Result<Option<Target>, ImportError> {
        let fingerprint = user_fingerprint(u);
        let entry = self.known.users.get(&u.id);
        let current = entry.and_then(|e| self.known.accounts.get(&e.authgraph_id));
        match (entry, current) {
            (Some(_), None) => {
                self.summary
                    .skip(|s| &mut s.users, SkipReason::DeletedInAuthgraph);
                return Ok(None);
            }
            (Some(entry), Some(current)) if entry.source_hash == fingerprint => {
                self.summary.skip(|s| &mut s.users, SkipReason::Unchanged);
                return Ok(Some(Target::Id(current.id)));
            }
            (Some(entry), Some(current)) if current.updated_at > entry.imported_at => {
                let detail = format!(
                    "changed in Django and, on {}, in authgraph (account {}); update one side to match and run the import again",
                    current.updated_at.to_rfc3339(),
                    current.id
                );
                self.summary
                    .conflict(user_conflict(u, ConflictReason::ChangedInBoth, detail));
                return Ok(Some(Target::Id(current.id)));
            }
            _ => {}
        }
        let me = current.map(|c| c.id);
        if let Some((reason, detail)) = self.key_conflict(u, &account, me) {
            self.summary.conflict(user_conflict(u, reason, detail));
            // An account imported before still gets its memberships and token synced.
            return Ok(me.map(Target::Id));
        }
        self.state
            .claimed_usernames
            .insert(account.username.key.clone(), u.id);
        if let Some(email) = &account.email {
            self.state.claimed_emails.insert(email.key.clone(), u.id);
        }
        if let Stored::Unsupported(reason) = django::classify(&account.password_hash) {
            self.summary.warn(
                "user",
                u.id,
                WarningReason::UnsupportedPasswordHash,
                format!("{reason}: the user must reset the password"),
            );
        }
        let picture = self.picture(u).await?;
        let now = map::now();
        let target = match current {
            None => {
                self.summary.users.imported += 1;
                if !self.write {
                    return Ok(Some(Target::Planned));
                }
                let created = user::ActiveModel {
                    username: Set(account.username.display),
                    username_key: Set(account.username.key),
                    email: Set(account.email.as_ref().map(|e| e.display.clone())),
                    email_key: Set(account.email.map(|e| e.key)),
                    first_name: Set(account.first_name),
                    last_name: Set(account.last_name),
                    codename: Set(account.codename),
                    profile_pic: Set(picture.flatten()),
                    is_active: Set(account.is_active),
                    is_admin: Set(account.is_admin),
                    password_hash: Set(account.password_hash),
                    date_joined: Set(account.date_joined),
                    last_login: Set(account.last_login),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(self.db)
                .await
                .map_err(ImportError::Target)?;
                created.id
            }
            Some(current) => {
                self.summary.users.updated += 1;
                if !self.write {
                    return Ok(Some(Target::Id(current.id)));
                }
                let was_active = current.is_active;
                let mut row = current.clone().into_active_model();
                row.username = Set(account.username.display);
                row.username_key = Set(account.username.key);
                row.email = Set(account.email.as_ref().map(|e| e.display.clone()));
                row.email_key = Set(account.email.map(|e| e.key));
                row.first_name = Set(account.first_name);
                row.last_name = Set(account.last_name);
                row.codename = Set(account.codename);
                row.is_active = Set(account.is_active);
                row.is_admin = Set(account.is_admin);
                row.password_hash = Set(account.password_hash);
                row.date_joined = Set(account.date_joined);
                row.updated_at = Set(now);
                // A picture that cannot be imported leaves the current one in place.
                if let Some(new) = picture {
                    if let Some(old) = &current.profile_pic {
                        self.files.replaced.push(old.clone());
                    }
                    row.profile_pic = Set(new);
                }
                row.update(self.db).await.map_err(ImportError::Target)?;
                if was_active && !account.is_active {
                    sessions::revoke_user_sessions(
                        self.db,
                        current.id,
                        None,
                        RevokeReason::Deactivated,
                    )
                    .await
                    .map_err(|e| ImportError::Target(service_db_error(e)))?;
                }
                current.id
            }
        };
        map::save(self.db, map::USER, u.id, target, fingerprint, now)
            .await
            .map_err(ImportError::Target)?;
        Ok(Some(Target::Id(target)))
    }

    /// A username or email that another account holds or another Django user claimed.
    fn key_conflict(
        &self,
        u: &DjangoUser,
        account: &Account,
        me: Option<i64>,
    ) -> Option<(ConflictReason, String)> {
        let check = |what: &str,
                     key: &str,
                     value: &str,
                     claimed: &HashMap<String, i64>,
                     holders: &HashMap<String, i64>,
                     duplicate: ConflictReason,
                     taken: ConflictReason| {
            if let Some(other) = claimed.get(key).filter(|other| **other != u.id) {
                let detail =
                    format!("Django user {other} has the same {what} {value:?} (up to case)");
                return Some((duplicate, detail));
            }
            let holder = holders.get(key).filter(|holder| Some(**holder) != me)?;
            Some(match self.known.imported_holders.get(holder) {
                Some(other) => (
                    duplicate,
                    format!(
                        "{what} {value:?} belongs to authgraph user {holder}, imported from Django user {other} (same {what} up to case)"
                    ),
                ),
                None => (
                    taken,
                    format!(
                        "{what} {value:?} belongs to authgraph user {holder}, which was not imported from Django"
                    ),
                ),
            })
        };
        check(
            "username",
            &account.username.key,
            &account.username.display,
            &self.state.claimed_usernames,
            &self.known.by_username,
            ConflictReason::DuplicateUsername,
            ConflictReason::UsernameTaken,
        )
        .or_else(|| {
            let email = account.email.as_ref()?;
            check(
                "email",
                &email.key,
                &email.display,
                &self.state.claimed_emails,
                &self.known.by_email,
                ConflictReason::DuplicateEmail,
                ConflictReason::EmailTaken,
            )
        })
    }

    /// The picture to set: `None` to leave it, `Some(None)` to clear it, `Some(Some(name))`
    /// for a newly stored one.
    async fn picture(&mut self, u: &DjangoUser) -> Result<Option<Option<String>>, ImportError> {
        let Some(relative) = &u.profile_pic else {
            return Ok(None);
        };
        match pictures::load(self.media_root, relative, &self.svc.image_limits).await {
            Picture::None => Ok(Some(None)),
            Picture::Problem(reason, detail) => {
                self.summary.warn("user", u.id, reason, detail);
                Ok(None)
            }
            Picture::Ready(bytes) => {
                self.summary.profile_pics_copied += 1;
                if !self.write {
                    return Ok(None);
                }
                let name = crate::media::store(&self.svc.media_dir, &bytes, &self.svc.image_limits)
                    .await
                    .map_err(|error| match error {
                        crate::media::ImageError::Io(io) => ImportError::Media(io),
                        other => ImportError::Media(std::io::Error::other(other.to_string())),
                    })?;
                self.files.stored.push(name.clone());
                Ok(Some(Some(name)))
            }
        }
    }

    /// Makes the user's memberships in imported groups follow Django's, when those changed.
    async fn memberships(
        &mut self,
        django_id: i64,
        target: Target,
        django_groups: &[i64],
    ) -> Result<(), ImportError> {
        let desired: BTreeSet<GroupTarget> = django_groups
            .iter()
            .filter_map(|g| self.state.groups.get(g).copied())
            .collect();
        let fingerprint = map::fingerprint(&desired);
        if self
            .known
            .user_groups
            .get(&django_id)
            .is_some_and(|e| e.source_hash == fingerprint)
        {
            return Ok(());
        }
        let Target::Id(user_id) = target else {
            // A dry run's new account: every membership would be added.
            self.summary.memberships.added += desired.len() as u64;
            return Ok(());
        };
        let current = self
            .known
            .memberships
            .get(&user_id)
            .cloned()
            .unwrap_or_default();
        let wanted: HashSet<i64> = desired
            .iter()
            .filter_map(|t| match t {
                GroupTarget::Id(id) => Some(*id),
                GroupTarget::Planned(_) => None,
            })
            .collect();
        let planned = desired.len() - wanted.len();
        let add: Vec<i64> = wanted.difference(&current).copied().collect();
        let remove: Vec<i64> = current
            .iter()
            .filter(|g| self.state.imported_groups.contains(g) && !wanted.contains(g))
            .copied()
            .collect();
        self.summary.memberships.added += (add.len() + planned) as u64;
        self.summary.memberships.removed += remove.len() as u64;
        if !self.write {
            return Ok(());
        }
        if !add.is_empty() {
            let rows = add.iter().map(|group_id| user_group::ActiveModel {
                user_id: Set(user_id),
                group_id: Set(*group_id),
            });
            user_group::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([user_group::Column::UserId, user_group::Column::GroupId])
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(self.db)
                .await
                .map_err(ImportError::Target)?;
        }
        if !remove.is_empty() {
            user_group::Entity::delete_many()
                .filter(user_group::Column::UserId.eq(user_id))
                .filter(user_group::Column::GroupId.is_in(remove))
                .exec(self.db)
                .await
                .map_err(ImportError::Target)?;
        }
        map::save(
            self.db,
            map::USER_GROUPS,
            django_id,
            user_id,
            fingerprint,
            map::now(),
        )
        .await
        .map_err(ImportError::Target)
    }

    /// Makes the user's imported token follow Django's.
    async fn token(
        &mut self,
        django_id: i64,
        target: Target,
        token: Option<&DjangoToken>,
    ) -> Result<(), ImportError> {
        let desired = match token {
            Some(token) if looks_like_legacy_token(&token.key) => Some((
                hash_token(&token.key.to_ascii_lowercase()),
                token.created.unwrap_or_else(Utc::now),
            )),
            Some(_) => {
                self.summary.warn(
                    "token",
                    django_id,
                    WarningReason::TokenUnusable,
                    "the DRF token is not 40 hex characters".into(),
                );
                None
            }
            None => None,
        };
        let previous = self.known.tokens.get(&django_id);
        match (&desired, previous) {
            (None, None) => return Ok(()),
            (Some((hash, _)), Some(previous)) if previous.source_hash == *hash => {
                self.summary.tokens.skipped += 1;
                return Ok(());
            }
            (Some(_), Some(_)) => self.summary.tokens.replaced += 1,
            (Some(_), None) => self.summary.tokens.imported += 1,
            (None, Some(_)) => self.summary.tokens.revoked += 1,
        }
        let (true, Target::Id(user_id)) = (self.write, target) else {
            return Ok(());
        };
        if let Some(previous) = previous {
            // Deleted or replaced in Django (DRF deletes a token at logout).
            sessions::revoke_where(
                self.db,
                session::Column::LegacyTokenHash.eq(previous.source_hash.as_str()),
                RevokeReason::Logout,
                Utc::now(),
            )
            .await
            .map_err(|e| ImportError::Target(service_db_error(e)))?;
        }
        let Some((hash, created)) = desired else {
            return map::remove(self.db, map::TOKEN, django_id)
                .await
                .map_err(ImportError::Target);
        };
        let exists = session::Entity::find()
            .filter(session::Column::LegacyTokenHash.eq(hash.as_str()))
            .one(self.db)
            .await
            .map_err(ImportError::Target)?
            .is_some();
        if !exists {
            session::Entity::insert(session::ActiveModel {
                id: Set(uuid::Uuid::new_v4().to_string()),
                user_id: Set(user_id),
                kind: Set(KIND_LEGACY.to_owned()),
                legacy_token_hash: Set(Some(hash.clone())),
                created_at: Set(created),
                last_used_at: Set(created),
                expires_at: Set(None),
                revoked_at: Set(None),
                revoked_reason: Set(None),
                user_agent: Set(None),
                client_ip: Set(None),
            })
            .exec_without_returning(self.db)
            .await
            .map_err(ImportError::Target)?;
        }
        map::save(self.db, map::TOKEN, django_id, user_id, hash, map::now())
            .await
            .map_err(ImportError::Target)
    }
}

/// The database error inside a service error (the session helpers speak `ServiceError`).
fn service_db_error(error: crate::service::ServiceError) -> DbErr {
    use crate::service::ServiceError;
    match error {
        ServiceError::Internal(source) | ServiceError::Unavailable(source) => {
            DbErr::Custom(source.to_string())
        }
        other => DbErr::Custom(other.to_string()),
    }
}
