//! Abuse limits: per-client-IP rate limits (in memory, per instance) on the operations
//! attackers hammer, and per-account growing back-off after failed logins (in the database,
//! so every instance sees it).

use std::net::IpAddr;
use std::num::NonZeroU32;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use entity::login_throttle;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::context::{ClientInfo, Services};
use super::error::{ServiceError, ServiceResult};

/// Operations limited per client IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `login` and the legacy logins.
    Login,
    /// `register` and the legacy registrations.
    Register,
    /// Refresh-token exchanges.
    Refresh,
    /// Password changes (they verify the old password: a brute-force oracle).
    ChangePassword,
}

/// Requests per minute allowed per client IP for each action; 0 turns a limit off.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitSettings {
    /// Logins per minute.
    pub login: u32,
    /// Registrations per minute.
    pub register: u32,
    /// Refreshes per minute.
    pub refresh: u32,
    /// Password changes per minute.
    pub change_password: u32,
}

/// Growing back-off after failed logins for one account name.
#[derive(Debug, Clone, Copy)]
pub struct LockoutSettings {
    /// Failures allowed before the first lock (0 turns locking off).
    pub threshold: u32,
    /// Longest lock, in seconds.
    pub max_lock_secs: u64,
}

/// First lock, doubled for every further failure.
const FIRST_LOCK_SECS: u64 = 15;

/// The in-memory per-IP limiters of one instance.
pub struct RateLimits {
    login: Option<DefaultKeyedRateLimiter<IpAddr>>,
    register: Option<DefaultKeyedRateLimiter<IpAddr>>,
    refresh: Option<DefaultKeyedRateLimiter<IpAddr>>,
    change_password: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits").finish_non_exhaustive()
    }
}

fn limiter(per_minute: u32) -> Option<DefaultKeyedRateLimiter<IpAddr>> {
    NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

impl RateLimits {
    /// Limiters for the given rates.
    pub fn new(settings: RateLimitSettings) -> Self {
        Self {
            login: limiter(settings.login),
            register: limiter(settings.register),
            refresh: limiter(settings.refresh),
            change_password: limiter(settings.change_password),
        }
    }

    /// `RateLimited` when `client` has used up its allowance for `action`. Requests without
    /// a known client address (command line, tests in-process) are not limited.
    pub fn check(&self, action: Action, client: &ClientInfo) -> ServiceResult<()> {
        let limiter = match action {
            Action::Login => &self.login,
            Action::Register => &self.register,
            Action::Refresh => &self.refresh,
            Action::ChangePassword => &self.change_password,
        };
        let (Some(limiter), Some(ip)) = (limiter, client.ip.as_deref()) else {
            return Ok(());
        };
        let Ok(ip) = ip.parse::<IpAddr>() else {
            return Ok(());
        };
        limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            tracing::warn!(%ip, ?action, "rate limit reached");
            ServiceError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }

    /// Forgets idle clients (called by the periodic purge).
    pub fn shrink(&self) {
        for limiter in [
            &self.login,
            &self.register,
            &self.refresh,
            &self.change_password,
        ]
        .into_iter()
        .flatten()
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn lock_secs(settings: LockoutSettings, failures: u32) -> Option<u64> {
    if settings.threshold == 0 || failures < settings.threshold {
        return None;
    }
    let doublings = (failures - settings.threshold).min(20);
    Some((FIRST_LOCK_SECS << doublings).min(settings.max_lock_secs))
}

/// `RateLimited` while the account name `key` is locked after failed logins.
pub async fn check_lockout(svc: &Services, key: &str, now: DateTime<Utc>) -> ServiceResult<()> {
    if svc.lockout.threshold == 0 {
        return Ok(());
    }
    let row = login_throttle::Entity::find_by_id(key).one(&svc.db).await?;
    match row.and_then(|row| row.locked_until) {
        Some(until) if until > now => Err(ServiceError::RateLimited {
            retry_after_secs: u64::try_from((until - now).num_seconds())
                .unwrap_or(0)
                .max(1),
        }),
        _ => Ok(()),
    }
}

/// Counts a failed login for `key` and locks it once past the threshold.
pub async fn record_failure(svc: &Services, key: &str, now: DateTime<Utc>) -> ServiceResult<()> {
    if svc.lockout.threshold == 0 {
        return Ok(());
    }
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(1),
        locked_until: Set(None),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(login_throttle::Column::Key)
            .value(
                login_throttle::Column::Failures,
                Expr::cust("login_throttles.failures + 1"),
            )
            .value(login_throttle::Column::UpdatedAt, Expr::value(now))
            .to_owned(),
    )
    .exec_without_returning(&svc.db)
    .await?;
    let failures = login_throttle::Entity::find_by_id(key)
        .one(&svc.db)
        .await?
        .map_or(1, |row| u32::try_from(row.failures).unwrap_or(u32::MAX));
    if let Some(secs) = lock_secs(svc.lockout, failures) {
        let until = now + ChronoDuration::seconds(i64::try_from(secs).unwrap_or(i64::MAX));
        login_throttle::Entity::update_many()
            .col_expr(
                login_throttle::Column::LockedUntil,
                Expr::value(Some(until)),
            )
            .filter(login_throttle::Column::Key.eq(key))
            .exec(&svc.db)
            .await?;
        tracing::warn!(
            failures,
            lock_secs = secs,
            "account locked after failed logins"
        );
    }
    Ok(())
}

/// Forgets the failures of `key` after a successful login.
pub async fn clear_failures(svc: &Services, key: &str) -> ServiceResult<()> {
    if svc.lockout.threshold == 0 {
        return Ok(());
    }
    login_throttle::Entity::delete_by_id(key)
        .exec(&svc.db)
        .await?;
    Ok(())
}

/// Deletes failure records untouched for a day.
pub async fn purge_throttles(svc: &Services) -> ServiceResult<u64> {
    let cutoff = Utc::now() - ChronoDuration::days(1);
    let result = login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::UpdatedAt.lt(cutoff))
        .exec(&svc.db)
        .await?;
    Ok(result.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_off_starts_at_the_threshold_doubles_and_is_capped() {
        let settings = LockoutSettings {
            threshold: 5,
            max_lock_secs: 900,
        };
        assert_eq!(lock_secs(settings, 4), None);
        assert_eq!(lock_secs(settings, 5), Some(15));
        assert_eq!(lock_secs(settings, 6), Some(30));
        assert_eq!(lock_secs(settings, 9), Some(240));
        assert_eq!(lock_secs(settings, 40), Some(900));
        let off = LockoutSettings {
            threshold: 0,
            max_lock_secs: 900,
        };
        assert_eq!(lock_secs(off, 100), None);
    }

    #[test]
    fn an_ip_over_its_allowance_is_rate_limited_and_others_are_not() {
        let limits = RateLimits::new(RateLimitSettings {
            login: 2,
            register: 0,
            refresh: 0,
            change_password: 0,
        });
        let a = ClientInfo {
            ip: Some("203.0.113.7".into()),
            user_agent: None,
        };
        let b = ClientInfo {
            ip: Some("198.51.100.1".into()),
            user_agent: None,
        };
        assert!(limits.check(Action::Login, &a).is_ok());
        assert!(limits.check(Action::Login, &a).is_ok());
        assert!(matches!(
            limits.check(Action::Login, &a),
            Err(ServiceError::RateLimited { retry_after_secs }) if retry_after_secs >= 1
        ));
        assert!(limits.check(Action::Login, &b).is_ok());
        // A limit of 0 is off.
        for _ in 0..100 {
            assert!(limits.check(Action::Register, &a).is_ok());
        }
    }
}
