//! `Application`: connects and migrates the database, builds the router, binds the
//! listener (port 0 works), and serves until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::routing::get;
use axum::Router;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::password::{HasherError, PasswordHasher};
use crate::auth::policy::PasswordPolicy;
use crate::auth::tokens::JwtKeys;
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::service::Services;
use crate::state::AppState;
use crate::{db, graphql, http, rest, secret};

/// Largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database is unreachable or a migration failed.
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// No usable JWT secret.
    #[error(transparent)]
    Secret(#[from] secret::SecretError),
    /// The hashing pool could not start.
    #[error(transparent)]
    Hasher(#[from] HasherError),
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    port: u16,
    state: AppState,
}

/// Builds the service layer (database connected and migrated) from the settings.
pub async fn build_services(
    settings: &Settings,
    metrics: &Arc<Metrics>,
) -> Result<Services, StartupError> {
    let db = db::connect_with_retry(settings, metrics).await?;
    db::migrate(&db, &settings.database_url).await?;
    let secret = secret::resolve(settings.jwt_secret.as_ref(), &settings.database_url)?;
    let jwt = JwtKeys::new(
        secret.expose_secret().as_bytes(),
        &settings.jwt_issuer,
        &settings.jwt_audience,
        Duration::from_secs(settings.access_token_ttl_secs),
    )
    .with_previous(
        settings
            .jwt_previous_secrets
            .iter()
            .map(|s| s.expose_secret().as_bytes()),
    );
    let hasher = PasswordHasher::new(
        settings.argon2_memory_kib,
        settings.argon2_iterations,
        settings.argon2_parallelism,
        settings.effective_hash_concurrency(),
        settings.hash_queue,
    )?;
    Ok(Services {
        db,
        hasher,
        jwt,
        policy: PasswordPolicy {
            min_length: settings.password_min_length,
            max_length: settings.password_max_length,
        },
        refresh_ttl: Duration::from_secs(settings.refresh_token_ttl_secs),
        open_user_directory: settings.open_user_directory,
        media_dir: settings.media_dir.clone(),
        metrics: Arc::clone(metrics),
        rate_limits: Arc::new(crate::service::limits::RateLimits::new(
            crate::service::limits::RateLimitSettings {
                login: settings.rate_limit_login,
                register: settings.rate_limit_register,
                refresh: settings.rate_limit_refresh,
                change_password: settings.rate_limit_password,
            },
        )),
        lockout: crate::service::limits::LockoutSettings {
            threshold: settings.lockout_threshold,
            max_lock_secs: settings.lockout_max_secs,
        },
        image_limits: crate::media::ImageLimits {
            max_bytes: settings.media_max_bytes,
            max_pixels_per_side: settings.media_max_pixels,
        },
    })
}

/// The HTTP routes over `state`.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let settings = Arc::clone(&state.settings);
    let router = Router::new()
        .route(
            "/graphql",
            get(graphql::graphql_get).post(graphql::graphql_post),
        )
        .route("/healthz", get(http::health::healthz))
        .route("/readyz", get(http::health::readyz))
        .route("/metrics", get(http::metrics::metrics))
        .merge(rest::routes(&settings))
        .fallback(rest::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::csrf::guard,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::metrics::track,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(settings.request_timeout_secs),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::security::headers,
        ));
    let router = match http::security::cors(&settings) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = %id,
                    graphql.operation = tracing::field::Empty,
                )
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

impl Application {
    /// Connects, migrates, and binds `settings.bind`.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let metrics = Metrics::new();
        let services = build_services(&settings, &metrics).await?;
        let schema = graphql::build_schema(&settings, Some(services.clone()));
        let listener =
            TcpListener::bind(&settings.bind)
                .await
                .map_err(|source| StartupError::Bind {
                    address: settings.bind.clone(),
                    source,
                })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                address: settings.bind.clone(),
                source,
            })?
            .port();
        let state = AppState {
            services,
            schema,
            settings: Arc::new(settings),
            metrics,
        };
        Ok(Self {
            listener,
            router: router(state.clone()),
            port,
            state,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting, gives in-flight requests up to
    /// `shutdown_timeout_secs` to finish, and closes the database pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Like `run_until_stopped`, with the shutdown trigger given by the caller.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(port = self.port, "listening");
        let settings = Arc::clone(&self.state.settings);
        let services = self.state.services.clone();
        let purge = tokio::spawn(purge_sessions_periodically(
            services.clone(),
            settings.session_purge_interval_secs,
        ));
        let (stopping_tx, stopping_rx) = tokio::sync::watch::channel(false);
        let server = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            stop.await;
            let _ = stopping_tx.send(true);
        });
        let drain_bound = async move {
            let mut stopping = stopping_rx;
            if stopping.wait_for(|stopping| *stopping).await.is_err() {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(Duration::from_secs(settings.shutdown_timeout_secs)).await;
        };
        let result = tokio::select! {
            result = server => result,
            () = drain_bound => {
                tracing::warn!("in-flight requests did not finish in time; stopping anyway");
                Ok(())
            }
        };
        purge.abort();
        if let Err(error) = services.db.close_by_ref().await {
            tracing::warn!(%error, "closing the database pool failed");
        }
        tracing::info!("stopped");
        result
    }
}

async fn purge_sessions_periodically(services: Services, interval_secs: u64) {
    if interval_secs == 0 {
        return;
    }
    let period = Duration::from_secs(interval_secs);
    // The first purge waits a full period: start-up is busy enough.
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        ticker.tick().await;
        services.rate_limits.shrink();
        if let Err(error) = crate::service::limits::purge_throttles(&services).await {
            tracing::warn!(error = %error, "login throttle purge failed");
        }
        match crate::service::sessions::purge(&services).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "expired and revoked sessions purged"),
            Err(error) => tracing::warn!(error = %error, "session purge failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
