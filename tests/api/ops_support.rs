//! Support for the production-operations tests (`ops_*`): servers started on an
//! existing database (several instances sharing one), the real binary run as a
//! child process that is killed on drop, a TCP proxy that can cut the link to
//! PostgreSQL, and a reader for the Prometheus text of `/metrics`.

use std::net::TcpListener as StdTcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authgraph::config::Settings;
use authgraph::startup::Application;
use reqwest::header::{AUTHORIZATION, USER_AGENT};
use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

use crate::helpers::{data, random_string, sqlite_url, TestApp, PASSWORD};

/// The `authgraph` binary built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_authgraph");

/// The longest any single request of these tests may take: none may hang.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// `register` of `registration(username)`.
pub const REGISTER: &str = "mutation Register($input: RegisterInput!) {
  register(input: $input) { id username }
}";

/// `login` of `credentials(username)`.
pub const LOGIN: &str = "mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken }
}";

/// `refresh` with an explicit token.
pub const REFRESH: &str = "mutation Refresh($token: String) {
  refresh(refreshToken: $token) { accessToken refreshToken }
}";

/// A port that was free a moment ago: bound on port 0, read, released.
pub fn free_port() -> u16 {
    let listener = StdTcpListener::bind("127.0.0.1:0").expect("cannot bind a free port");
    listener.local_addr().expect("no local address").port()
}

/// Whether the tests run against PostgreSQL (TEST_DATABASE_URL is set).
pub fn postgres_server_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
}

// ---------------------------------------------------------------------------
// A fresh, empty database that several servers can share
// ---------------------------------------------------------------------------

/// A fresh database made the way `spawn_app` makes one (a temp SQLite file, or
/// a uuid-named PostgreSQL database on the TEST_DATABASE_URL server); dropping
/// it removes the database.
pub struct FreshDatabase {
    /// The URL servers connect to.
    pub url: String,
    _sqlite_dir: Option<TempDir>,
    postgres: Option<(String, String)>,
}

impl FreshDatabase {
    /// Creates the database (PostgreSQL) or picks the file (SQLite).
    pub async fn create() -> Self {
        match postgres_server_url() {
            Some(server_url) => {
                let name = format!("authgraph_test_{}", uuid::Uuid::new_v4().simple());
                let db = Database::connect(&server_url)
                    .await
                    .expect("cannot connect to TEST_DATABASE_URL");
                db.execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#))
                    .await
                    .expect("cannot create the test database");
                db.close().await.expect("cannot close the admin connection");
                let mut url = url::Url::parse(&server_url).expect("TEST_DATABASE_URL is not a URL");
                url.set_path(&format!("/{name}"));
                Self {
                    url: url.to_string(),
                    _sqlite_dir: None,
                    postgres: Some((server_url, name)),
                }
            }
            None => {
                let dir = TempDir::new().expect("cannot create a temp dir for SQLite");
                Self {
                    url: sqlite_url(&dir.path().join("authgraph.db")),
                    _sqlite_dir: Some(dir),
                    postgres: None,
                }
            }
        }
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let Some((server_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop may run inside the test's runtime: the driver gets its own thread.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("BUG: cannot build a runtime to drop the test database");
            runtime.block_on(async move {
                let db = Database::connect(&server_url).await?;
                db.execute_unprepared(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
                    .await?;
                db.close().await
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop a test database: {e}");
        }
    }
}

// ---------------------------------------------------------------------------
// In-process servers on an existing database
// ---------------------------------------------------------------------------

/// The test settings of an instance on `database_url` signing with `jwt_secret`.
pub fn instance_settings(database_url: &str, jwt_secret: &str, media_dir: &Path) -> Settings {
    Settings {
        database_url: database_url.to_owned(),
        bind: "127.0.0.1:0".into(),
        jwt_secret: Some(SecretString::from(jwt_secret.to_owned())),
        media_dir: media_dir.to_path_buf(),
        argon2_memory_kib: 1024,
        argon2_iterations: 1,
        cookie_secure: false,
        // Every test client is 127.0.0.1: the abuse limits are tested in abuse.rs.
        rate_limit_login: 0,
        rate_limit_register: 0,
        rate_limit_refresh: 0,
        rate_limit_password: 0,
        lockout_threshold: 0,
        ..Default::default()
    }
}

/// One server instance running in the test's runtime; it stops with the runtime.
pub struct Instance {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    /// Client without cookies: every call carries exactly what the test passes.
    pub client: Client,
    _media_dir: TempDir,
}

/// Starts an instance on the existing database at `database_url`.
pub async fn spawn_instance(database_url: &str, jwt_secret: &str) -> Instance {
    spawn_instance_with(database_url, jwt_secret, |_| {}).await
}

/// Like `spawn_instance`, letting the test change the settings first.
pub async fn spawn_instance_with(
    database_url: &str,
    jwt_secret: &str,
    configure: impl FnOnce(&mut Settings),
) -> Instance {
    let media_dir = TempDir::new().expect("cannot create the media dir");
    let mut settings = instance_settings(database_url, jwt_secret, media_dir.path());
    configure(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("failed to build the application");
    run_instance(app, media_dir)
}

/// Serves a built application in the background.
pub fn run_instance(app: Application, media_dir: TempDir) -> Instance {
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Instance {
        address,
        client: plain_client(),
        _media_dir: media_dir,
    }
}

/// A client without a cookie store that follows no redirects.
pub fn plain_client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("cannot build the HTTP client")
}

/// Runs `request`, failing the test if it takes longer than `REQUEST_TIMEOUT`.
pub async fn within_timeout<T>(what: &str, request: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(REQUEST_TIMEOUT, request)
        .await
        .unwrap_or_else(|_| panic!("{what} hung for more than {REQUEST_TIMEOUT:?}"))
}

/// POSTs a GraphQL request to `address` and returns the status and the JSON body.
pub async fn post_graphql(
    client: &Client,
    address: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    let mut body = json!({ "query": query });
    if !variables.is_null() {
        body["variables"] = variables;
    }
    let mut request = client.post(format!("{address}/graphql")).json(&body);
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = within_timeout("POST /graphql", request.send())
        .await
        .expect("POST /graphql failed");
    let status = response.status();
    let text = within_timeout("reading the GraphQL answer", response.text())
        .await
        .expect("cannot read the GraphQL answer");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

impl Instance {
    /// `http://127.0.0.1:PORT<path>`
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A GraphQL request: the status and the JSON body.
    pub async fn graphql_raw(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        post_graphql(&self.client, &self.address, token, query, variables).await
    }

    /// A GraphQL request that must answer HTTP 200; returns the body.
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (status, body) = self.graphql_raw(token, query, variables).await;
        assert_eq!(status, StatusCode::OK, "POST /graphql: {body}");
        body
    }

    /// `GET <path>`, without credentials.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        within_timeout(
            &format!("GET {path}"),
            self.client.get(self.url(path)).send(),
        )
        .await
        .unwrap_or_else(|e| panic!("GET {path} failed: {e}"))
    }

    /// Registers `username` with `PASSWORD`; returns the id.
    pub async fn register_user(&self, username: &str) -> String {
        let body = self.graphql(None, REGISTER, registration(username)).await;
        data(&body)["register"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("register returned no id: {body}"))
            .to_owned()
    }

    /// Logs `username` in with `PASSWORD`: (access token, refresh token).
    pub async fn login(&self, username: &str) -> (String, String) {
        let body = self.graphql(None, LOGIN, credentials(username)).await;
        tokens(&data(&body)["login"])
    }

    /// `refresh` with the given token: the whole body.
    pub async fn refresh(&self, refresh_token: &str) -> Value {
        self.graphql(None, REFRESH, json!({ "token": refresh_token }))
            .await
    }

    /// `{ me { id } }` with the token: the whole body.
    pub async fn me(&self, token: &str) -> Value {
        self.graphql(Some(token), "{ me { id } }", Value::Null)
            .await
    }
}

/// The variables of `register` for `username` (`<username>@example.com`, `PASSWORD`).
pub fn registration(username: &str) -> Value {
    json!({ "input": {
        "username": username,
        "email": format!("{username}@example.com"),
        "password": PASSWORD,
    } })
}

/// The variables of `login` for `username` and `PASSWORD`.
pub fn credentials(username: &str) -> Value {
    json!({ "input": { "username": username, "password": PASSWORD } })
}

/// (accessToken, refreshToken) of a `login` or `refresh` payload.
#[track_caller]
pub fn tokens(payload: &Value) -> (String, String) {
    let field = |name: &str| {
        payload[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in {payload}"))
            .to_owned()
    };
    (field("accessToken"), field("refreshToken"))
}

/// Logs in on a `TestApp` with the given `User-Agent` (a distinct device):
/// (access token, refresh token).
pub async fn login_from_device(
    app: &TestApp,
    username: &str,
    user_agent: &str,
) -> (String, String) {
    let response = app
        .api_client
        .post(format!("{}/graphql", app.address))
        .header(USER_AGENT, user_agent)
        .json(&json!({ "query": LOGIN, "variables": credentials(username) }))
        .send()
        .await
        .expect("POST /graphql failed");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("the login answer is not JSON");
    tokens(&data(&body)["login"])
}

// ---------------------------------------------------------------------------
// The real binary as a child process
// ---------------------------------------------------------------------------

/// How to start the binary: its environment on top of a cleared one.
pub struct ServerCommand {
    envs: Vec<(String, String)>,
    dir: TempDir,
}

impl ServerCommand {
    /// `serve` on `database_url`, on a free port, with cheap hashing, no abuse
    /// limits (every test client is 127.0.0.1), JSON logs on stderr and
    /// nothing else from the caller's environment.
    pub fn new(database_url: &str) -> Self {
        let dir = TempDir::new().expect("cannot create the server's temp dir");
        let media = dir.path().join("media");
        let mut command = Self {
            envs: Vec::new(),
            dir,
        };
        command
            .env("DATABASE_URL", database_url)
            .env("AUTHGRAPH_BIND", &format!("127.0.0.1:{}", free_port()))
            .env("AUTHGRAPH_JWT_SECRET", &random_string(48))
            .env("AUTHGRAPH_MEDIA_DIR", &media.display().to_string())
            .env("AUTHGRAPH_COOKIE_SECURE", "false")
            .env("AUTHGRAPH_ARGON2_MEMORY_KIB", "1024")
            .env("AUTHGRAPH_ARGON2_ITERATIONS", "1")
            .env("AUTHGRAPH_LOG_FORMAT", "json");
        for limit in [
            "AUTHGRAPH_RATE_LIMIT_LOGIN",
            "AUTHGRAPH_RATE_LIMIT_REGISTER",
            "AUTHGRAPH_RATE_LIMIT_REFRESH",
            "AUTHGRAPH_RATE_LIMIT_PASSWORD",
            "AUTHGRAPH_LOCKOUT_THRESHOLD",
        ] {
            command.env(limit, "0");
        }
        command
    }

    /// `new` on the SQLite file `authgraph.db` in `dir` (kept by the caller, so
    /// a restart finds the same file).
    pub fn sqlite_in(dir: &Path) -> Self {
        Self::new(&sqlite_url(&dir.join("authgraph.db")))
    }

    /// Sets (or replaces) one environment variable.
    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.envs.retain(|(k, _)| k != key);
        self.envs.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The value given to `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.envs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Starts the process without waiting for it to listen.
    pub fn spawn(self) -> ServerProcess {
        let stdout = self.dir.path().join("stdout.log");
        let stderr = self.dir.path().join("stderr.log");
        let child = Command::new(BIN)
            .env_clear()
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).expect("cannot create stdout.log"))
            .stderr(std::fs::File::create(&stderr).expect("cannot create stderr.log"))
            .spawn()
            .expect("cannot start the authgraph binary");
        let address = self
            .get("AUTHGRAPH_BIND")
            .map(|bind| format!("http://{bind}"))
            .unwrap_or_default();
        ServerProcess {
            child,
            address,
            stderr,
            _dir: self.dir,
        }
    }

    /// Starts the process and waits until `/healthz` answers.
    pub async fn start(self) -> ServerProcess {
        let mut server = self.spawn();
        server.wait_until_healthy().await;
        server
    }
}

/// A running `authgraph` process; killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub address: String,
    stderr: PathBuf,
    _dir: TempDir,
}

impl ServerProcess {
    /// `http://127.0.0.1:PORT<path>`
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Polls `/healthz` for up to 60 s (a cold start migrates the database).
    pub async fn wait_until_healthy(&mut self) {
        let client = plain_client();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.try_status() {
                panic!(
                    "the server exited before answering ({status}); stderr:\n{}",
                    self.stderr()
                );
            }
            let answered = client
                .get(self.url("/healthz"))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if answered.is_ok_and(|r| r.status() == StatusCode::OK) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not answer /healthz within 60 s; stderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process id, as `kill` wants it.
    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Sends a signal by name (`TERM`, `INT`, `KILL`) with `kill(1)`.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid()])
            .status()
            .expect("cannot run kill");
        assert!(status.success(), "kill -{signal} failed: {status}");
    }

    /// The exit status, if the process has exited.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("cannot poll the child")
    }

    /// Waits up to `limit` for the process to exit; `None` when it is still running.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.try_status() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Everything the process wrote to stderr so far (its logs).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Polls stderr until it contains `needle`, for up to `limit`.
    pub async fn wait_for_log(&self, needle: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !self.stderr().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in the log within {limit:?}; stderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------
// A TCP proxy in front of the database
// ---------------------------------------------------------------------------

/// Forwards connections from a local port to the database server. `cut()`
/// breaks every live link and closes new connections at once, as a network
/// failure would; `restore()` forwards again.
pub struct DbProxy {
    /// The local port to connect to instead of the database's.
    pub port: u16,
    links: Arc<Mutex<Links>>,
    acceptor: JoinHandle<()>,
}

#[derive(Default)]
struct Links {
    cut: bool,
    live: Vec<AbortHandle>,
}

impl DbProxy {
    /// Starts forwarding to `target` (`host:port`).
    pub async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("cannot bind the proxy");
        let port = listener.local_addr().expect("no proxy address").port();
        let links = Arc::new(Mutex::new(Links::default()));
        let acceptor = tokio::spawn({
            let links = Arc::clone(&links);
            async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    // The check and the registration happen under the lock that
                    // `cut` takes, so no link slips through a cut.
                    let mut links = links.lock().expect("proxy lock poisoned");
                    if links.cut {
                        drop(inbound);
                        continue;
                    }
                    let target = target.clone();
                    let link = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(&target).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    links.live.retain(|handle| !handle.is_finished());
                    links.live.push(link.abort_handle());
                }
            }
        });
        Self {
            port,
            links,
            acceptor,
        }
    }

    /// Breaks every live link; new connections are closed at once.
    pub fn cut(&self) {
        let mut links = self.links.lock().expect("proxy lock poisoned");
        links.cut = true;
        for link in links.live.drain(..) {
            link.abort();
        }
    }

    /// Forwards new connections again.
    pub fn restore(&self) {
        self.links.lock().expect("proxy lock poisoned").cut = false;
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.acceptor.abort();
        self.cut();
    }
}

// ---------------------------------------------------------------------------
// Prometheus / OpenMetrics text
// ---------------------------------------------------------------------------

/// One sample line: `name{label="value",...} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    /// Whether the sample carries every one of `labels` (in any order, among others).
    pub fn has_labels(&self, labels: &[(&str, &str)]) -> bool {
        labels
            .iter()
            .all(|(k, v)| self.labels.iter().any(|(lk, lv)| lk == k && lv == v))
    }
}

/// Every sample of an exposition, comments skipped.
#[track_caller]
pub fn parse_samples(text: &str) -> Vec<Sample> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| parse_sample(line).unwrap_or_else(|| panic!("malformed sample: {line}")))
        .collect()
}

fn parse_sample(line: &str) -> Option<Sample> {
    let (name, labels, rest) = match line.find('{') {
        Some(open) => {
            let (labels, rest) = parse_labels(&line[open + 1..])?;
            (&line[..open], labels, rest)
        }
        None => {
            let (name, rest) = line.split_once(char::is_whitespace)?;
            (name, Vec::new(), rest)
        }
    };
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// Parses `a="x",b="y"}` (after the `{`); returns the labels and what follows `}`.
fn parse_labels(mut text: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut labels = Vec::new();
    loop {
        text = text.trim_start_matches([',', ' ']);
        if let Some(rest) = text.strip_prefix('}') {
            return Some((labels, rest));
        }
        let (key, rest) = text.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                (_, c) => value.push(c),
            }
        };
        labels.push((key.trim().to_owned(), value));
        text = &rest[end + 1..];
    }
}

/// The value of the first sample named `name` that carries `labels`.
pub fn sample_value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.name == name && s.has_labels(labels))
        .map(|s| s.value)
}

/// `GET /metrics` of a `TestApp`: asserts 200 and an OpenMetrics content
/// type, returns the text.
pub async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "unexpected content type of /metrics: {content_type}"
    );
    response.text().await.expect("cannot read /metrics")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_parsed_with_their_labels_in_any_order() {
        let text = "# HELP x y\n\
                    authgraph_http_requests_total{status=\"200\",route=\"/a{b}\",method=\"POST\"} 3\n\
                    authgraph_db_statements_total 17\n\
                    # EOF\n";

        let samples = parse_samples(text);

        assert_eq!(samples.len(), 2);
        assert_eq!(
            sample_value(
                &samples,
                "authgraph_http_requests_total",
                &[("method", "POST"), ("route", "/a{b}"), ("status", "200")]
            ),
            Some(3.0)
        );
        assert_eq!(
            sample_value(&samples, "authgraph_db_statements_total", &[]),
            Some(17.0)
        );
        assert_eq!(
            sample_value(
                &samples,
                "authgraph_http_requests_total",
                &[("status", "500")]
            ),
            None
        );
    }
}
