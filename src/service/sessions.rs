//! Sessions: created at login, checked on every authenticated request, rotated on refresh,
//! revoked on logout, password change, deactivation and deletion.
//!
//! Every access token names its session (`sid`), and the session is loaded with its user in
//! one indexed lookup per request, so a revocation takes effect on the next request, on
//! every instance sharing the database.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use entity::{refresh_token, session, user};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};

use super::context::{ClientInfo, Services};
use super::error::{ServiceError, ServiceResult};
use super::principal::{Auth, Principal, INVALID_REFRESH, INVALID_TOKEN, NOT_PROVIDED};
use crate::auth::tokens::{
    generate_legacy_token, generate_refresh_token, hash_token, looks_like_legacy_token,
};

/// `sessions.kind` of a login that got an access JWT and a refresh token.
pub const KIND_JWT: &str = "jwt";
/// `sessions.kind` of a login that got a DRF-style legacy token.
pub const KIND_LEGACY: &str = "legacy";

/// How stale `last_used_at` may get before a request refreshes it (saves a write per request).
const TOUCH_INTERVAL_SECS: i64 = 60;

/// Why sessions end, recorded in `sessions.revoked_reason`.
#[derive(Debug, Clone, Copy)]
pub enum RevokeReason {
    /// The user logged out.
    Logout,
    /// The user's password changed.
    PasswordChange,
    /// A rotated refresh token was presented again: the chain may be stolen.
    RefreshReuse,
    /// An admin deactivated the account.
    Deactivated,
    /// The user revoked it from their session list.
    UserRevoked,
}

impl RevokeReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::PasswordChange => "password_change",
            Self::RefreshReuse => "refresh_reuse",
            Self::Deactivated => "deactivated",
            Self::UserRevoked => "user_revoked",
        }
    }
}

/// Tokens handed out by a JWT login or refresh.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    /// Signed access JWT.
    pub access_token: String,
    /// Opaque, single-use refresh token.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Session the tokens belong to.
    pub session_id: String,
    /// A DRF-style token for the same session, when asked for (legacy logins that answer
    /// both kinds); logging out with any of the credentials ends all of them.
    pub legacy_token: Option<String>,
}

fn is_live(session: &session::Model, now: DateTime<Utc>) -> bool {
    session.revoked_at.is_none() && session.expires_at.is_none_or(|expires| expires > now)
}

fn access_token(
    svc: &Services,
    user_id: i64,
    session_id: &str,
    now: DateTime<Utc>,
) -> ServiceResult<String> {
    svc.jwt
        .issue(user_id, session_id, now)
        .map_err(ServiceError::internal)
}

fn refresh_expiry(svc: &Services, now: DateTime<Utc>) -> DateTime<Utc> {
    let ttl = ChronoDuration::from_std(svc.refresh_ttl).unwrap_or(ChronoDuration::days(14));
    now + ttl
}

fn new_session(
    id: &str,
    user_id: i64,
    kind: &str,
    legacy_token_hash: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> session::ActiveModel {
    session::ActiveModel {
        id: Set(id.to_owned()),
        user_id: Set(user_id),
        kind: Set(kind.to_owned()),
        legacy_token_hash: Set(legacy_token_hash),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        user_agent: Set(client.user_agent.as_deref().map(|ua| truncate(ua, 512))),
        client_ip: Set(client.ip.as_deref().map(|ip| truncate(ip, 64))),
    }
}

fn truncate(value: &str, max: usize) -> String {
    value.chars().take(max).collect()
}

fn new_refresh_row(
    session_id: &str,
    token: &str,
    now: DateTime<Utc>,
) -> refresh_token::ActiveModel {
    refresh_token::ActiveModel {
        token_hash: Set(hash_token(token)),
        session_id: Set(session_id.to_owned()),
        created_at: Set(now),
        used_at: Set(None),
    }
}

/// Opens a JWT session for `user_id` and issues its first access and refresh tokens (and a
/// legacy token for the same session with `with_legacy`).
pub async fn start_jwt_session(
    svc: &Services,
    db: &impl ConnectionTrait,
    user_id: i64,
    client: &ClientInfo,
    with_legacy: bool,
) -> ServiceResult<IssuedTokens> {
    let now = Utc::now();
    let expires = refresh_expiry(svc, now);
    let session_id = uuid::Uuid::new_v4().to_string();
    let legacy_token = with_legacy.then(generate_legacy_token);
    let row = new_session(
        &session_id,
        user_id,
        KIND_JWT,
        legacy_token.as_deref().map(hash_token),
        Some(expires),
        client,
        now,
    );
    session::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    let refresh = generate_refresh_token();
    refresh_token::Entity::insert(new_refresh_row(&session_id, &refresh, now))
        .exec_without_returning(db)
        .await?;
    Ok(IssuedTokens {
        access_token: access_token(svc, user_id, &session_id, now)?,
        refresh_token: refresh,
        expires_in: svc.jwt.ttl().as_secs(),
        session_id,
        legacy_token,
    })
}

/// Opens a legacy-token session for `user_id`; returns the 40-hex token.
pub async fn start_legacy_session(
    db: &impl ConnectionTrait,
    user_id: i64,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> ServiceResult<String> {
    let token = generate_legacy_token();
    let row = new_session(
        &uuid::Uuid::new_v4().to_string(),
        user_id,
        KIND_LEGACY,
        Some(hash_token(&token)),
        None,
        client,
        now,
    );
    session::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(token)
}

/// Checks an access JWT and its session. Database failures are errors; bad tokens are
/// `Auth::Invalid`.
pub async fn authenticate_access(svc: &Services, token: &str) -> ServiceResult<Auth> {
    let Ok(claims) = svc.jwt.verify(token) else {
        return Ok(Auth::Invalid);
    };
    // `all`, not `one`: a primary-key lookup needs no `LIMIT ?`, and SQLite (3.47+)
    // re-prepares a statement with a bound LIMIT on every execution (bench/README.md).
    let found = session::Entity::find_by_id(claims.sid)
        .find_also_related(user::Entity)
        .all(&svc.db)
        .await?
        .pop();
    let Some((session, Some(user))) = found else {
        return Ok(Auth::Invalid);
    };
    if session.kind != KIND_JWT || user.id.to_string() != claims.sub {
        return Ok(Auth::Invalid);
    }
    accept(svc, session, user).await
}

/// Checks a legacy token (`Authorization: Token <40 hex>`) and its session.
pub async fn authenticate_legacy(svc: &Services, token: &str) -> ServiceResult<Auth> {
    if !looks_like_legacy_token(token) {
        return Ok(Auth::Invalid);
    }
    let found = session::Entity::find()
        .filter(session::Column::LegacyTokenHash.eq(hash_token(&token.to_ascii_lowercase())))
        .find_also_related(user::Entity)
        .one(&svc.db)
        .await?;
    let Some((session, Some(user))) = found else {
        return Ok(Auth::Invalid);
    };
    accept(svc, session, user).await
}

async fn accept(svc: &Services, session: session::Model, user: user::Model) -> ServiceResult<Auth> {
    let now = Utc::now();
    if !is_live(&session, now) || !user.is_active {
        return Ok(Auth::Invalid);
    }
    if (now - session.last_used_at).num_seconds() >= TOUCH_INTERVAL_SECS {
        session::Entity::update_many()
            .col_expr(session::Column::LastUsedAt, Expr::value(now))
            .filter(session::Column::Id.eq(session.id.as_str()))
            .exec(&svc.db)
            .await?;
    }
    Ok(Auth::User(Principal {
        user,
        session_id: session.id,
    }))
}

/// Exchanges a refresh token for new tokens. The presented token is spent atomically (a
/// concurrent second use loses); presenting an already spent token revokes its session.
pub async fn refresh(
    svc: &Services,
    presented: &str,
    client: &ClientInfo,
) -> ServiceResult<(user::Model, IssuedTokens)> {
    svc.rate_limits
        .check(super::limits::Action::Refresh, client)?;
    let now = Utc::now();
    let token_hash = hash_token(presented);
    let txn = svc.db.begin().await?;
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::TokenHash.eq(token_hash.as_str()))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    let row = refresh_token::Entity::find_by_id(token_hash.as_str())
        .find_also_related(session::Entity)
        .one(&txn)
        .await?;
    let Some((row, Some(session))) = row else {
        txn.rollback().await?;
        return Err(ServiceError::Unauthenticated(INVALID_REFRESH));
    };
    if spent.rows_affected == 0 {
        // Already rotated: someone replays an old token. End the whole chain.
        revoke_where(
            &txn,
            session::Column::Id.eq(row.session_id.as_str()),
            RevokeReason::RefreshReuse,
            now,
        )
        .await?;
        txn.commit().await?;
        tracing::warn!(session_id = %row.session_id, "refresh token reuse detected; session revoked");
        return Err(ServiceError::Unauthenticated(INVALID_REFRESH));
    }
    let user = user::Entity::find_by_id(session.user_id).one(&txn).await?;
    let user = match user {
        Some(user) if user.is_active && is_live(&session, now) && session.kind == KIND_JWT => user,
        _ => {
            txn.rollback().await?;
            return Err(ServiceError::Unauthenticated(INVALID_REFRESH));
        }
    };
    let refresh = generate_refresh_token();
    refresh_token::Entity::insert(new_refresh_row(&session.id, &refresh, now))
        .exec_without_returning(&txn)
        .await?;
    session::Entity::update_many()
        .col_expr(session::Column::LastUsedAt, Expr::value(now))
        .col_expr(
            session::Column::ExpiresAt,
            Expr::value(Some(refresh_expiry(svc, now))),
        )
        .filter(session::Column::Id.eq(session.id.as_str()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    let tokens = IssuedTokens {
        access_token: access_token(svc, user.id, &session.id, now)?,
        refresh_token: refresh,
        expires_in: svc.jwt.ttl().as_secs(),
        session_id: session.id,
        legacy_token: None,
    };
    Ok((user, tokens))
}

/// The session a refresh token belongs to, if the token is known.
pub async fn session_of_refresh_token(
    svc: &Services,
    presented: &str,
) -> ServiceResult<Option<String>> {
    Ok(refresh_token::Entity::find_by_id(hash_token(presented))
        .one(&svc.db)
        .await?
        .map(|row| row.session_id))
}

/// Revokes the live sessions matching `condition`.
pub async fn revoke_where(
    db: &impl ConnectionTrait,
    condition: sea_orm::sea_query::SimpleExpr,
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> ServiceResult<u64> {
    let result = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Some(now)))
        .col_expr(
            session::Column::RevokedReason,
            Expr::value(Some(reason.as_str().to_owned())),
        )
        .filter(condition)
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Revokes one session.
pub async fn revoke_session(
    db: &impl ConnectionTrait,
    session_id: &str,
    reason: RevokeReason,
) -> ServiceResult<()> {
    revoke_where(db, session::Column::Id.eq(session_id), reason, Utc::now()).await?;
    Ok(())
}

/// Revokes every session of `user_id` except `keep` (the caller's own, when it should live on).
pub async fn revoke_user_sessions(
    db: &impl ConnectionTrait,
    user_id: i64,
    keep: Option<&str>,
    reason: RevokeReason,
) -> ServiceResult<u64> {
    let mut condition = session::Column::UserId.eq(user_id);
    if let Some(keep) = keep {
        condition = condition.and(session::Column::Id.ne(keep));
    }
    revoke_where(db, condition, reason, Utc::now()).await
}

/// Logs out: ends the caller's session and/or the session of `refresh_token`, or every
/// session of the caller with `all_sessions`.
pub async fn logout(
    svc: &Services,
    auth: &Auth,
    refresh_token: Option<&str>,
    all_sessions: bool,
) -> ServiceResult<()> {
    if all_sessions {
        let principal = auth.require()?;
        revoke_user_sessions(&svc.db, principal.id(), None, RevokeReason::Logout).await?;
        return Ok(());
    }
    let from_token = match refresh_token {
        Some(token) => session_of_refresh_token(svc, token).await?,
        None => None,
    };
    let own = auth.principal().map(|p| p.session_id.clone());
    if own.is_none() && from_token.is_none() {
        // Nothing identifies a session: a bad refresh token, or no credentials at all.
        return Err(match (refresh_token, auth) {
            (None, Auth::Anonymous) => ServiceError::Unauthenticated(NOT_PROVIDED),
            _ => ServiceError::Unauthenticated(INVALID_TOKEN),
        });
    }
    for session_id in own.iter().chain(from_token.iter()) {
        revoke_session(&svc.db, session_id, RevokeReason::Logout).await?;
    }
    Ok(())
}

/// How long ended sessions are kept before the purge deletes them (for audit and so that a
/// replayed refresh token is still recognised as reuse for a while).
const PURGE_AFTER_DAYS: i64 = 7;

/// The caller's live sessions, most recently used first.
pub async fn list_sessions(svc: &Services, auth: &Auth) -> ServiceResult<Vec<session::Model>> {
    let principal = auth.require()?;
    let now = Utc::now();
    let sessions = session::Entity::find()
        .filter(session::Column::UserId.eq(principal.id()))
        .filter(session::Column::RevokedAt.is_null())
        .order_by_desc(session::Column::LastUsedAt)
        .all(&svc.db)
        .await?;
    Ok(sessions.into_iter().filter(|s| is_live(s, now)).collect())
}

/// Ends one of the caller's sessions; someone else's (or an unknown) id is NOT_FOUND.
pub async fn revoke_own_session(
    svc: &Services,
    auth: &Auth,
    session_id: &str,
) -> ServiceResult<()> {
    let principal = auth.require()?;
    if uuid::Uuid::parse_str(session_id).is_err() {
        return Err(ServiceError::NotFound("Session"));
    }
    let ended = revoke_where(
        &svc.db,
        session::Column::Id
            .eq(session_id)
            .and(session::Column::UserId.eq(principal.id())),
        RevokeReason::UserRevoked,
        Utc::now(),
    )
    .await?;
    if ended == 0 {
        return Err(ServiceError::NotFound("Session"));
    }
    Ok(())
}

/// Deletes sessions (and their refresh tokens) that ended more than a week ago.
pub async fn purge(svc: &Services) -> ServiceResult<u64> {
    let cutoff = Utc::now() - ChronoDuration::days(PURGE_AFTER_DAYS);
    let result = session::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(session::Column::RevokedAt.lt(cutoff))
                .add(session::Column::ExpiresAt.lt(cutoff)),
        )
        .exec(&svc.db)
        .await?;
    Ok(result.rows_affected)
}
