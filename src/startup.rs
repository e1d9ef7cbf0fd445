//! `Application`: connects and migrates the database, builds the router, binds the
//! listener (port 0 works), and serves until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use axum::Router;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::password::{HasherError, PasswordHasher};
use crate::auth::policy::PasswordPolicy;
use crate::auth::tokens::JwtKeys;
use crate::config::Settings;
use crate::http::metrics::Metrics;
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
}

/// Builds the service layer (database connected and migrated) from the settings.
pub async fn build_services(
    settings: &Settings,
    metrics: &Arc<Metrics>,
) -> Result<Services, StartupError> {
    let db = db::connect(settings, metrics).await?;
    db::migrate(&db).await?;
    let secret = secret::resolve(settings.jwt_secret.as_ref(), &settings.database_url)?;
    let jwt = JwtKeys::new(
        secret.expose_secret().as_bytes(),
        &settings.jwt_issuer,
        &settings.jwt_audience,
        Duration::from_secs(settings.access_token_ttl_secs),
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
        image_limits: crate::media::ImageLimits {
            max_bytes: settings.media_max_bytes,
            max_pixels_per_side: settings.media_max_pixels,
        },
    })
}

/// The HTTP routes over `state`.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route(
            "/graphql",
            get(graphql::graphql_get).post(graphql::graphql_post),
        )
        .route("/healthz", get(http::health::healthz))
        .route("/readyz", get(http::health::readyz))
        .route("/metrics", get(http::metrics::metrics))
        .merge(rest::routes(&state.settings))
        .fallback(rest::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::csrf::guard,
        ))
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
            router: router(state),
            port,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(port = self.port, "listening");
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
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
