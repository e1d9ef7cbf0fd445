//! Settings: parsed once from flags and environment (see `cli`), then passed down.
//! Nothing else in the crate reads `std::env`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use secrecy::SecretString;

/// Log output format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Every runtime setting of the server. `Default` gives the documented defaults.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "AUTHGRAPH_BIND", default_value = "127.0.0.1:8000")]
    pub bind: String,

    /// Database URL: `sqlite://file.db?mode=rwc` or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// HMAC secret for access tokens (at least 32 bytes). When unset, one is generated and
    /// persisted beside the database, with a warning.
    #[arg(long, env = "AUTHGRAPH_JWT_SECRET", hide_env_values = true, value_parser = parse_secret)]
    pub jwt_secret: Option<SecretString>,

    /// Earlier JWT secrets still accepted for verification (comma-separated), for rotating
    /// the secret without logging everyone out. Drop them after one access-token lifetime.
    #[arg(
        long,
        env = "AUTHGRAPH_JWT_PREVIOUS_SECRETS",
        hide_env_values = true,
        value_delimiter = ',',
        value_parser = parse_secret
    )]
    pub jwt_previous_secrets: Vec<SecretString>,

    /// Directory where profile pictures are stored.
    #[arg(long, env = "AUTHGRAPH_MEDIA_DIR", default_value = "./media")]
    pub media_dir: PathBuf,

    /// Lifetime of access tokens (JWT), in seconds.
    #[arg(long, env = "AUTHGRAPH_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl_secs: u64,

    /// Lifetime of a session's refresh token, in seconds; every refresh starts it anew.
    #[arg(long, env = "AUTHGRAPH_REFRESH_TOKEN_TTL", default_value_t = 1_209_600)]
    pub refresh_token_ttl_secs: u64,

    /// `iss` claim of access tokens.
    #[arg(long, env = "AUTHGRAPH_JWT_ISSUER", default_value = "authgraph")]
    pub jwt_issuer: String,

    /// `aud` claim of access tokens.
    #[arg(long, env = "AUTHGRAPH_JWT_AUDIENCE", default_value = "authgraph")]
    pub jwt_audience: String,

    /// argon2id memory cost in KiB (OWASP: 19456).
    #[arg(long, env = "AUTHGRAPH_ARGON2_MEMORY_KIB", default_value_t = 19_456)]
    pub argon2_memory_kib: u32,

    /// argon2id iterations (OWASP: 2).
    #[arg(long, env = "AUTHGRAPH_ARGON2_ITERATIONS", default_value_t = 2)]
    pub argon2_iterations: u32,

    /// argon2id lanes (OWASP: 1).
    #[arg(long, env = "AUTHGRAPH_ARGON2_PARALLELISM", default_value_t = 1)]
    pub argon2_parallelism: u32,

    /// Password hashes computed at once (threads of the hashing pool); 0 = number of CPUs.
    #[arg(long, env = "AUTHGRAPH_HASH_CONCURRENCY", default_value_t = 0)]
    pub hash_concurrency: usize,

    /// Hash requests allowed to wait for a hashing thread; beyond it requests fail fast (503).
    #[arg(long, env = "AUTHGRAPH_HASH_QUEUE", default_value_t = 256)]
    pub hash_queue: usize,

    /// Minimum password length, in characters.
    #[arg(long, env = "AUTHGRAPH_PASSWORD_MIN_LENGTH", default_value_t = 8)]
    pub password_min_length: usize,

    /// Maximum password length, in characters.
    #[arg(long, env = "AUTHGRAPH_PASSWORD_MAX_LENGTH", default_value_t = 256)]
    pub password_max_length: usize,

    /// Let every signed-in user list and read all users (default: only themselves).
    #[arg(long, env = "AUTHGRAPH_OPEN_USER_DIRECTORY", default_value_t = false)]
    pub open_user_directory: bool,

    /// Serve the GraphiQL playground on `GET /graphql`.
    #[arg(long, env = "AUTHGRAPH_GRAPHIQL", default_value_t = true, action = clap::ArgAction::Set)]
    pub graphiql: bool,

    /// Answer GraphQL introspection queries.
    #[arg(long, env = "AUTHGRAPH_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,

    /// Maximum GraphQL query depth.
    #[arg(long, env = "AUTHGRAPH_GRAPHQL_MAX_DEPTH", default_value_t = 12)]
    pub graphql_max_depth: usize,

    /// Maximum GraphQL query complexity (fields weighed by list sizes).
    #[arg(
        long,
        env = "AUTHGRAPH_GRAPHQL_MAX_COMPLEXITY",
        default_value_t = 20_000
    )]
    pub graphql_max_complexity: usize,

    /// Maximum number of aliased fields in one GraphQL document.
    #[arg(long, env = "AUTHGRAPH_GRAPHQL_MAX_ALIASES", default_value_t = 30)]
    pub graphql_max_aliases: usize,

    /// How long a DataLoader waits, in milliseconds, to collect keys into one batch.
    #[arg(long, env = "AUTHGRAPH_DATALOADER_DELAY_MS", default_value_t = 2)]
    pub dataloader_delay_ms: u64,

    /// Maximum open database connections.
    #[arg(long, env = "AUTHGRAPH_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,

    /// Seconds to wait for a database connection before failing the request with 503.
    #[arg(long, env = "AUTHGRAPH_DB_ACQUIRE_TIMEOUT", default_value_t = 5)]
    pub db_acquire_timeout_secs: u64,

    /// Legacy REST APIs to serve (comma list of djoser, simplejwt, conjugator, cookie,
    /// users_service).
    #[arg(
        long,
        env = "AUTHGRAPH_LEGACY_APIS",
        value_delimiter = ',',
        default_value = "djoser,simplejwt,conjugator,cookie,users_service"
    )]
    pub legacy_apis: Vec<String>,

    /// Mark auth cookies `Secure` (turn off only for local development over plain http).
    #[arg(long, env = "AUTHGRAPH_COOKIE_SECURE", default_value_t = true, action = clap::ArgAction::Set)]
    pub cookie_secure: bool,

    /// Origins (scheme://host[:port]) allowed to make cookie-authenticated writes and CORS
    /// requests, comma-separated. The server's own origin is always allowed.
    #[arg(long, env = "AUTHGRAPH_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Logins per minute per client IP (0: no limit).
    #[arg(long, env = "AUTHGRAPH_RATE_LIMIT_LOGIN", default_value_t = 30)]
    pub rate_limit_login: u32,

    /// Registrations per minute per client IP (0: no limit).
    #[arg(long, env = "AUTHGRAPH_RATE_LIMIT_REGISTER", default_value_t = 10)]
    pub rate_limit_register: u32,

    /// Token refreshes per minute per client IP (0: no limit).
    #[arg(long, env = "AUTHGRAPH_RATE_LIMIT_REFRESH", default_value_t = 60)]
    pub rate_limit_refresh: u32,

    /// Password changes per minute per client IP (0: no limit).
    #[arg(long, env = "AUTHGRAPH_RATE_LIMIT_PASSWORD", default_value_t = 10)]
    pub rate_limit_password: u32,

    /// Failed logins for one account name before it is locked, with a lock doubling from
    /// 15 s on every further failure (0: never lock).
    #[arg(long, env = "AUTHGRAPH_LOCKOUT_THRESHOLD", default_value_t = 5)]
    pub lockout_threshold: u32,

    /// Longest account lock, in seconds.
    #[arg(long, env = "AUTHGRAPH_LOCKOUT_MAX", default_value_t = 900)]
    pub lockout_max_secs: u64,

    /// Proxies (IPs or CIDR ranges, comma-separated) whose `X-Forwarded-For` is believed
    /// when finding the client IP for rate limits and session records.
    #[arg(long, env = "AUTHGRAPH_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Send `Strict-Transport-Security` (set when clients reach the server over HTTPS).
    #[arg(long, env = "AUTHGRAPH_HSTS", default_value_t = false, action = clap::ArgAction::Set)]
    pub hsts: bool,

    /// Seconds a request may take before it is answered with 503.
    #[arg(long, env = "AUTHGRAPH_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Largest profile picture, in bytes.
    #[arg(long, env = "AUTHGRAPH_MEDIA_MAX_BYTES", default_value_t = 5 * 1024 * 1024)]
    pub media_max_bytes: usize,

    /// Largest profile picture width or height, in pixels.
    #[arg(long, env = "AUTHGRAPH_MEDIA_MAX_PIXELS", default_value_t = 4096)]
    pub media_max_pixels: u32,

    /// Attempts to reach the database at start-up (exponential backoff between them)
    /// before giving up with an error.
    #[arg(long, env = "AUTHGRAPH_DB_CONNECT_ATTEMPTS", default_value_t = 8)]
    pub db_connect_attempts: u32,

    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "AUTHGRAPH_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,

    /// Seconds between purges of expired and revoked sessions (0: never).
    #[arg(long, env = "AUTHGRAPH_SESSION_PURGE_INTERVAL", default_value_t = 3600)]
    pub session_purge_interval_secs: u64,

    /// Log format.
    #[arg(long, env = "AUTHGRAPH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// The contract's default database: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://authgraph.db?mode=rwc";

fn parse_network(value: &str) -> Result<ipnet::IpNet, String> {
    let value = value.trim();
    value
        .parse::<ipnet::IpNet>()
        .or_else(|_| value.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{value:?} is not an IP address or CIDR range"))
}

fn parse_secret(value: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(value.to_owned()))
}

impl Default for Settings {
    fn default() -> Self {
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            settings: Settings,
        }
        // The defaults live in one place, the `#[arg]` attributes above. Parsing an empty
        // command line without the environment yields them.
        let command = <Defaults as clap::CommandFactory>::command();
        let command = command
            .get_arguments()
            .map(|arg| arg.get_id().clone())
            .fold(command.clone(), |cmd, id| {
                cmd.mut_arg(id, |arg| arg.env(None::<&str>))
            });
        let matches = command
            .try_get_matches_from(["authgraph"])
            .expect("BUG: settings defaults must parse");
        <Defaults as clap::FromArgMatches>::from_arg_matches(&matches)
            .map(|d| d.settings)
            .expect("BUG: settings defaults must parse")
    }
}

impl Settings {
    /// Hashing threads to run: the setting, or the number of CPUs when 0.
    pub fn effective_hash_concurrency(&self) -> usize {
        if self.hash_concurrency > 0 {
            self.hash_concurrency
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract() {
        let settings = Settings::default();
        assert_eq!(settings.bind, "127.0.0.1:8000");
        assert_eq!(settings.database_url, "sqlite://authgraph.db?mode=rwc");
        assert_eq!(settings.media_dir, PathBuf::from("./media"));
        assert!(settings.jwt_secret.is_none());
        assert_eq!(settings.argon2_memory_kib, 19_456);
        assert_eq!(settings.access_token_ttl_secs, 900);
        assert!(settings.graphiql);
        assert_eq!(settings.legacy_apis.len(), 5);
        assert!(settings.cookie_secure);
        assert!(settings.allowed_origins.is_empty());
    }
}
