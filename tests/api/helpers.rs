//! The test harness: `spawn_app()` gives every test its own database and its
//! own server on a random port, and `TestApp` wraps the HTTP calls the tests
//! make. Nothing here reaches into the server's internals except the one
//! bootstrap step GraphQL cannot do (promoting the first admin).

use std::path::Path;
use std::sync::LazyLock;

use authgraph::config::Settings;
use authgraph::startup::Application;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::distributions::Alphanumeric;
use rand::Rng;
use reqwest::header::AUTHORIZATION;
use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use serde_json::{json, Value};
use tempfile::TempDir;

/// A password that passes every rule of the password policy.
pub const PASSWORD: &str = "correct-horse-battery-9";
/// A second strong password, for password changes and resets.
pub const NEW_PASSWORD: &str = "lantern-orbit-staple-42";
/// The one message every failed login gets, whatever the reason.
pub const BAD_LOGIN_MESSAGE: &str = "Unable to log in with provided credentials.";

/// The fields of `User` that are plain values (no nested objects).
pub const USER_FIELDS: &str = "id username email firstName lastName fullName codename \
     profilePic isActive isAdmin dateJoined lastLogin";

const REGISTER: &str = "mutation Register($input: RegisterInput!) {
  register(input: $input) { id username }
}";

const LOGIN: &str = "mutation Login($input: LoginInput!) {
  login(input: $input) {
    accessToken refreshToken tokenType expiresIn
    user { id username lastLogin isAdmin }
  }
}";

/// Tracing output is wanted only when a developer asks for it with TEST_LOG.
static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var_os("TEST_LOG").is_some() {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
});

/// A running server plus what the tests need to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    /// Client with a cookie store and no redirect following, for raw HTTP.
    pub client: Client,
    /// Client without a cookie store, used by every GraphQL helper so that a
    /// call carries exactly the credentials the test passes and nothing a
    /// previous response may have set as a cookie.
    pub api_client: Client,
    /// The database URL the server was started with.
    pub database_url: String,
    /// The JWT secret the server signs with (tests forge tokens with it).
    pub jwt_secret: String,
    _media_dir: TempDir,
    _database: TestDatabase,
}

/// A user that is registered and signed in.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub access: String,
    pub refresh: String,
}

/// The per-test database; dropping it removes the database.
struct TestDatabase {
    _sqlite_dir: Option<TempDir>,
    _postgres: Option<PostgresDatabase>,
}

struct PostgresDatabase {
    server_url: String,
    name: String,
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        // Drop is synchronous and may run inside the test's runtime, so the
        // async driver gets its own thread and its own runtime.
        let server_url = self.server_url.clone();
        let name = self.name.clone();
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
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// A random string usable as a secret or a unique suffix.
pub fn random_string(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

async fn test_database() -> (String, TestDatabase) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(server_url) if !server_url.trim().is_empty() => {
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
            let database = TestDatabase {
                _sqlite_dir: None,
                _postgres: Some(PostgresDatabase { server_url, name }),
            };
            (url.to_string(), database)
        }
        _ => {
            let dir = TempDir::new().expect("cannot create a temp dir for SQLite");
            let url = sqlite_url(&dir.path().join("authgraph.db"));
            let database = TestDatabase {
                _sqlite_dir: Some(dir),
                _postgres: None,
            };
            (url, database)
        }
    }
}

/// The URL of an SQLite file, created on first connection.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Starts a server with the test settings on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like `spawn_app`, letting the test change the settings first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    LazyLock::force(&TRACING);

    let (database_url, database) = test_database().await;
    let media_dir = TempDir::new().expect("cannot create the media dir");
    let jwt_secret = random_string(48);

    let mut settings = Settings {
        database_url,
        bind: "127.0.0.1:0".into(),
        jwt_secret: Some(SecretString::from(jwt_secret.clone())),
        media_dir: media_dir.path().to_path_buf(),
        // Cheap hashing keeps the suite fast; the policy is the same.
        argon2_memory_kib: 1024,
        argon2_iterations: 1,
        // Every test client is 127.0.0.1 and many register dozens of users: the abuse
        // limits are tested on their own (tests/api/abuse.rs) with the limits switched on.
        rate_limit_login: 0,
        rate_limit_register: 0,
        rate_limit_refresh: 0,
        rate_limit_password: 0,
        lockout_threshold: 0,
        ..Default::default()
    };
    configure(&mut settings);
    let database_url = settings.database_url.clone();

    let app = Application::build(settings)
        .await
        .expect("failed to build the application");
    let port = app.port();
    let _server = tokio::spawn(app.run_until_stopped());

    let client = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("cannot build the HTTP client");
    let api_client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("cannot build the HTTP client");

    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client,
        api_client,
        database_url,
        jwt_secret,
        _media_dir: media_dir,
        _database: database,
    }
}

impl TestApp {
    /// POSTs a GraphQL request with an optional raw `Authorization` value and
    /// returns the status and the body text, without judging either.
    pub async fn post_graphql_raw(
        &self,
        authorization: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, String) {
        let mut body = json!({ "query": query });
        if !variables.is_null() {
            body["variables"] = variables;
        }
        let mut request = self
            .api_client
            .post(format!("{}/graphql", self.address))
            .json(&body);
        if let Some(value) = authorization {
            request = request.header(AUTHORIZATION, value);
        }
        let response = request.send().await.expect("POST /graphql failed");
        let status = response.status();
        let text = response.text().await.expect("cannot read the body");
        (status, text)
    }

    /// POSTs a GraphQL request with a raw `Authorization` value and returns
    /// the JSON body; GraphQL errors still come with HTTP 200.
    pub async fn graphql_with_authorization(
        &self,
        authorization: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Value {
        let (status, text) = self.post_graphql_raw(authorization, query, variables).await;
        assert_eq!(status, StatusCode::OK, "POST /graphql: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// An anonymous GraphQL request.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_with_authorization(None, query, variables)
            .await
    }

    /// A GraphQL request with `Authorization: Bearer <token>`.
    pub async fn graphql_with_token(&self, token: &str, query: &str, variables: Value) -> Value {
        self.graphql_with_authorization(Some(&format!("Bearer {token}")), query, variables)
            .await
    }

    /// Registers a user and returns their id; panics when registration fails.
    pub async fn register(&self, username: &str, email: &str, password: &str) -> String {
        let body = self
            .graphql(
                REGISTER,
                json!({ "input": { "username": username, "email": email, "password": password } }),
            )
            .await;
        data(&body)["register"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("register returned no id: {body}"))
            .to_owned()
    }

    /// Registers `username` with `<username>@example.com` and `PASSWORD`.
    pub async fn register_user(&self, username: &str) -> String {
        self.register(username, &format!("{username}@example.com"), PASSWORD)
            .await
    }

    /// Attempts a login by username and returns the whole response body.
    pub async fn try_login(&self, username: &str, password: &str) -> Value {
        self.graphql(
            LOGIN,
            json!({ "input": { "username": username, "password": password } }),
        )
        .await
    }

    /// Logs in and returns (access token, refresh token); panics on failure.
    pub async fn login(&self, username: &str, password: &str) -> (String, String) {
        let body = self.try_login(username, password).await;
        let payload = &data(&body)["login"];
        (
            payload["accessToken"]
                .as_str()
                .expect("no accessToken")
                .to_owned(),
            payload["refreshToken"]
                .as_str()
                .expect("no refreshToken")
                .to_owned(),
        )
    }

    /// Registers `username` (see `register_user`) and signs them in.
    pub async fn signed_in_user(&self, username: &str) -> TestUser {
        let id = self.register_user(username).await;
        let (access, refresh) = self.login(username, PASSWORD).await;
        TestUser {
            id,
            access,
            refresh,
        }
    }

    /// Sets `is_admin` on a registered user straight in the database: there is
    /// no GraphQL way to make the first admin.
    pub async fn promote_to_admin(&self, username: &str) {
        assert!(
            username.chars().all(|c| c.is_ascii_alphanumeric()),
            "keep test admin names plain: {username}"
        );
        let db = Database::connect(&self.database_url)
            .await
            .expect("cannot connect to the test database");
        let result = db
            .execute_unprepared(&format!(
                "UPDATE users SET is_admin = TRUE WHERE username = '{username}'"
            ))
            .await
            .expect("cannot promote the user");
        assert_eq!(result.rows_affected(), 1, "no user {username} to promote");
        db.close().await.expect("cannot close the connection");
    }

    /// Registers, promotes and signs in the admin `admin`.
    pub async fn create_admin(&self) -> TestUser {
        self.create_admin_named("admin").await
    }

    /// Registers, promotes and signs in an admin with the given name.
    pub async fn create_admin_named(&self, username: &str) -> TestUser {
        let id = self.register_user(username).await;
        self.promote_to_admin(username).await;
        // Log in only after the promotion, in case the token carries the role.
        let (access, refresh) = self.login(username, PASSWORD).await;
        TestUser {
            id,
            access,
            refresh,
        }
    }

    /// `me` with the given bearer token: the whole response body.
    pub async fn me(&self, token: &str) -> Value {
        self.graphql_with_token(token, &format!("{{ me {{ {USER_FIELDS} }} }}"), Value::Null)
            .await
    }

    /// Asserts that the token no longer (or never did) authenticate `me`.
    pub async fn assert_token_refused(&self, token: &str) {
        let body = self.me(token).await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    }

    /// Asserts that the token authenticates `me` as the given user id.
    pub async fn assert_token_works(&self, token: &str, user_id: &str) {
        let body = self.me(token).await;
        assert_eq!(data(&body)["me"]["id"], user_id, "{body}");
    }

    /// Creates a group as `admin_token` and returns its id.
    pub async fn create_group(&self, admin_token: &str, name: &str, open: bool) -> String {
        let body = self
            .graphql_with_token(
                admin_token,
                "mutation Create($input: CreateGroupInput!) { createGroup(input: $input) { id } }",
                json!({ "input": { "name": name, "openForRegistration": open } }),
            )
            .await;
        data(&body)["createGroup"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createGroup returned no id: {body}"))
            .to_owned()
    }

    /// Adds a user to a group as `admin_token`; returns the response body.
    pub async fn add_group_member(
        &self,
        admin_token: &str,
        group_id: &str,
        user_id: &str,
    ) -> Value {
        self.graphql_with_token(
            admin_token,
            "mutation Add($g: ID!, $u: ID!) {
               addGroupMember(groupId: $g, userId: $u) { id members { id } }
             }",
            json!({ "g": group_id, "u": user_id }),
        )
        .await
    }

    /// `updateUser` as `admin_token`; returns the response body.
    pub async fn update_user(&self, admin_token: &str, user_id: &str, input: Value) -> Value {
        self.graphql_with_token(
            admin_token,
            &format!(
                "mutation Update($id: ID!, $input: UpdateUserInput!) {{
                   updateUser(id: $id, input: $input) {{ {USER_FIELDS} }}
                 }}"
            ),
            json!({ "id": user_id, "input": input }),
        )
        .await
    }

    /// Deletes a user as `admin_token`; returns the response body.
    pub async fn delete_user(&self, admin_token: &str, user_id: &str) -> Value {
        self.graphql_with_token(
            admin_token,
            "mutation Delete($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": user_id }),
        )
        .await
    }

    /// `GET <path>` with the cookie client.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path} failed: {e}"))
    }

    /// Reads one unlabelled counter or gauge from `GET /metrics`.
    pub async fn metric(&self, name: &str) -> u64 {
        let response = self.get("/metrics").await;
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.expect("cannot read /metrics");
        let value = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .find_map(|line| {
                let (key, value) = line.trim().split_once(char::is_whitespace)?;
                (key == name).then(|| value.trim().to_owned())
            })
            .unwrap_or_else(|| panic!("no metric {name} in:\n{text}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|e| panic!("metric {name} = {value:?}: {e}"));
        value as u64
    }
}

/// `errors[0].extensions.code`, if the body has an error.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// `errors[0].message`, if the body has an error.
pub fn error_message(body: &Value) -> Option<&str> {
    body["errors"][0]["message"].as_str()
}

/// The messages of `errors[0].extensions.fields[field]` (empty when absent).
pub fn field_errors(body: &Value, field: &str) -> Vec<String> {
    body["errors"][0]["extensions"]["fields"][field]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .map(|m| m.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts a BAD_USER_INPUT error naming `field`, and returns its messages.
pub fn assert_bad_input(body: &Value, field: &str) -> Vec<String> {
    assert_eq!(error_code(body), Some("BAD_USER_INPUT"), "{body}");
    let messages = field_errors(body, field);
    assert!(
        !messages.is_empty(),
        "no messages for field {field}: {body}"
    );
    messages
}

/// Asserts that the body has no errors and returns its `data`.
pub fn data(body: &Value) -> &Value {
    assert!(
        body.get("errors").is_none_or(
            |errors| errors.is_null() || errors.as_array().is_some_and(|a| a.is_empty())
        ),
        "unexpected errors: {body}"
    );
    &body["data"]
}

/// The `id`s of a JSON array of objects, in order.
pub fn ids(nodes: &Value) -> Vec<String> {
    nodes
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {nodes}"))
        .iter()
        .map(|node| node["id"].as_str().expect("node without id").to_owned())
        .collect()
}

/// The decoded payload of a JWT.
pub fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("not a JWT");
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .expect("JWT payload is not base64url");
    serde_json::from_slice(&bytes).expect("JWT payload is not JSON")
}

/// The decoded header of a JWT.
pub fn jwt_header(token: &str) -> Value {
    let header = token.split('.').next().expect("not a JWT");
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .expect("JWT header is not base64url");
    serde_json::from_slice(&bytes).expect("JWT header is not JSON")
}

/// Signs `claims` with an HMAC `secret`, using the HS* algorithm named by the
/// `model` token's header (HS256 when it names something else).
pub fn sign_jwt_like(model: &str, claims: &Value, secret: &[u8]) -> String {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let alg = match jwt_header(model)["alg"].as_str() {
        Some("HS384") => Algorithm::HS384,
        Some("HS512") => Algorithm::HS512,
        _ => Algorithm::HS256,
    };
    let mut header = Header::new(alg);
    header.kid = jwt_header(model)["kid"].as_str().map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret))
        .expect("cannot sign the forged token")
}
