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
        // The test server speaks plain http: Secure cookies would never come back.
        cookie_secure: false,
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

// ---------------------------------------------------------------------------
// Legacy REST routes (the five Django REST Framework APIs of shared/seeds/)
// ---------------------------------------------------------------------------

/// DRF's body for a request that carries no credentials at all.
pub const NOT_PROVIDED: &str = "Authentication credentials were not provided.";
/// DRF's message for a missing required field.
pub const REQUIRED: &str = "This field is required.";
/// DRF's 403 detail.
pub const NO_PERMISSION: &str = "You do not have permission to perform this action.";
/// The 404 detail of the cookie API's `/users/<id>/`.
pub const NO_USER_MATCHES: &str = "No User matches the given query.";
/// The names of the auth cookies.
pub const ACCESS_COOKIE: &str = "ag_access";
pub const REFRESH_COOKIE: &str = "ag_refresh";

/// A REST request being built; `send` runs it and checks that the answer
/// leaks no password and no hash.
pub struct RestCall {
    label: String,
    request: reqwest::RequestBuilder,
    check_secrets: bool,
}

impl RestCall {
    /// A raw `Authorization` header value.
    pub fn auth(mut self, value: &str) -> Self {
        self.request = self.request.header(AUTHORIZATION, value);
        self
    }

    /// `Authorization: Token <key>` (djoser, conjugator).
    pub fn token(self, key: &str) -> Self {
        self.auth(&format!("Token {key}"))
    }

    /// `Authorization: Bearer <jwt>` (simplejwt).
    pub fn bearer(self, jwt: &str) -> Self {
        self.auth(&format!("Bearer {jwt}"))
    }

    /// `Authorization: JWT <jwt>` (users-service).
    pub fn jwt(self, jwt: &str) -> Self {
        self.auth(&format!("JWT {jwt}"))
    }

    /// Sends the auth cookies by hand, in a `Cookie` header.
    pub fn cookies(self, cookies: &AuthCookies) -> Self {
        self.header(
            "cookie",
            &format!(
                "{ACCESS_COOKIE}={}; {REFRESH_COOKIE}={}",
                cookies.access, cookies.refresh
            ),
        )
    }

    /// Sends one cookie by hand.
    pub fn cookie(self, name: &str, value: &str) -> Self {
        self.header("cookie", &format!("{name}={value}"))
    }

    /// Any header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.header(name, value);
        self
    }

    /// A JSON body.
    pub fn json(mut self, body: Value) -> Self {
        self.request = self.request.json(&body);
        self
    }

    /// A body of the given content type.
    pub fn body(mut self, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.request = self
            .request
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes.into());
        self
    }

    /// A multipart/form-data body.
    pub fn multipart(self, form: MultipartForm) -> Self {
        let (content_type, bytes) = form.finish();
        self.body(&content_type, bytes)
    }

    /// Skips the no-secrets check (for documents that may legitimately name
    /// the hashing algorithm, such as the OpenAPI description).
    pub fn unchecked(mut self) -> Self {
        self.check_secrets = false;
        self
    }

    /// Sends the request and reads the whole answer.
    pub async fn send(self) -> RestResponse {
        let response = self
            .request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{} failed: {e}", self.label));
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{}: cannot read the body: {e}", self.label))
            .to_vec();
        let answer = RestResponse {
            label: self.label,
            status,
            headers,
            bytes,
        };
        if self.check_secrets {
            answer.assert_no_secrets();
        }
        answer
    }
}

/// A whole REST answer.
#[derive(Debug)]
pub struct RestResponse {
    /// `METHOD path`, for messages.
    pub label: String,
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl RestResponse {
    /// The body as text (lossy for binary bodies).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// The body as JSON; panics when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| {
            panic!(
                "{}: body is not JSON ({e}), status {}: {}",
                self.label,
                self.status,
                self.text()
            )
        })
    }

    /// Asserts the status.
    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) -> &Self {
        assert_eq!(
            self.status,
            status,
            "{}: unexpected status, body: {}",
            self.label,
            self.text()
        );
        self
    }

    /// Asserts the status and returns the JSON body.
    #[track_caller]
    pub fn assert_json(&self, status: StatusCode) -> Value {
        self.assert_status(status);
        self.json()
    }

    /// Asserts the status and the exact JSON body.
    #[track_caller]
    pub fn assert_body(&self, status: StatusCode, expected: Value) {
        let body = self.assert_json(status);
        assert_eq!(body, expected, "{}: unexpected body", self.label);
    }

    /// Asserts 401 with DRF's "no credentials" body.
    #[track_caller]
    pub fn assert_not_provided(&self) {
        self.assert_body(StatusCode::UNAUTHORIZED, json!({ "detail": NOT_PROVIDED }));
    }

    /// Asserts 401 with `"code": "token_not_valid"` and a `detail` message.
    #[track_caller]
    pub fn assert_token_not_valid(&self) {
        let body = self.assert_json(StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "token_not_valid", "{}: {body}", self.label);
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}: no detail: {body}",
            self.label
        );
    }

    /// One header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("header is not text").to_owned())
    }

    /// Every `Set-Cookie` of the answer, parsed.
    pub fn set_cookies(&self) -> Vec<SetCookie> {
        self.headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .map(|v| SetCookie::parse(v.to_str().expect("Set-Cookie is not text")))
            .collect()
    }

    /// The `Set-Cookie` of the named cookie, if any.
    pub fn set_cookie(&self, name: &str) -> Option<SetCookie> {
        self.set_cookies().into_iter().find(|c| c.name == name)
    }

    /// The auth cookies this answer sets; panics when one is missing.
    #[track_caller]
    pub fn auth_cookies(&self) -> AuthCookies {
        let access = self
            .set_cookie(ACCESS_COOKIE)
            .unwrap_or_else(|| panic!("{}: no {ACCESS_COOKIE} cookie set", self.label));
        let refresh = self
            .set_cookie(REFRESH_COOKIE)
            .unwrap_or_else(|| panic!("{}: no {REFRESH_COOKIE} cookie set", self.label));
        AuthCookies {
            access: access.value,
            refresh: refresh.value,
        }
    }

    /// No password, no hash, no mention of the hashing algorithm.
    #[track_caller]
    pub fn assert_no_secrets(&self) {
        let text = self.text();
        for secret in [PASSWORD, NEW_PASSWORD] {
            assert!(
                !text.contains(secret),
                "{}: the answer contains a password: {text}",
                self.label
            );
        }
        assert!(
            !text.to_ascii_lowercase().contains("argon2"),
            "{}: the answer contains a password hash: {text}",
            self.label
        );
    }
}

/// One parsed `Set-Cookie` header.
#[derive(Debug, Clone)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    /// The raw header, for messages.
    pub raw: String,
    /// Attributes, names lowercased (`httponly`, `max-age`, ...), values as sent.
    pub attributes: Vec<(String, Option<String>)>,
}

impl SetCookie {
    fn parse(raw: &str) -> Self {
        let mut parts = raw.split(';');
        let (name, value) = parts
            .next()
            .and_then(|pair| pair.split_once('='))
            .unwrap_or_else(|| panic!("malformed Set-Cookie: {raw}"));
        let attributes = parts
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| match part.split_once('=') {
                Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.trim().to_owned())),
                None => (part.to_ascii_lowercase(), None),
            })
            .collect();
        Self {
            name: name.trim().to_owned(),
            value: value.trim().trim_matches('"').to_owned(),
            raw: raw.to_owned(),
            attributes,
        }
    }

    /// Whether the flag or attribute is present (case-insensitive name).
    pub fn has(&self, attribute: &str) -> bool {
        let attribute = attribute.to_ascii_lowercase();
        self.attributes.iter().any(|(k, _)| *k == attribute)
    }

    /// The value of an attribute (case-insensitive name).
    pub fn attribute(&self, attribute: &str) -> Option<&str> {
        let attribute = attribute.to_ascii_lowercase();
        self.attributes
            .iter()
            .find(|(k, _)| *k == attribute)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// The two auth cookies of the cookie API.
#[derive(Debug, Clone)]
pub struct AuthCookies {
    pub access: String,
    pub refresh: String,
}

/// The answer of the shared `POST /api/login/`.
#[derive(Debug, Clone)]
pub struct ApiLogin {
    pub access_token: String,
    pub refresh_token: String,
    /// The 40-hex legacy token (conjugator's `token`).
    pub token: String,
}

/// The tokens of users-service's `POST /api/user/login/`, and its `data`.
#[derive(Debug, Clone)]
pub struct UsersServiceLogin {
    pub access: String,
    pub refresh: String,
    pub data: Value,
}

impl TestApp {
    /// `http://127.0.0.1:PORT<path>`
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A fresh client with its own cookie store (a second browser).
    pub fn new_cookie_client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("cannot build the HTTP client")
    }

    /// A REST request with the cookie-less client: it carries exactly the
    /// credentials the test adds.
    pub fn rest(&self, method: reqwest::Method, path: &str) -> RestCall {
        self.rest_with(&self.api_client, method, path)
    }

    /// A REST request with the given client (e.g. one with a cookie store).
    pub fn rest_with(&self, client: &Client, method: reqwest::Method, path: &str) -> RestCall {
        RestCall {
            label: format!("{method} {path}"),
            request: client.request(method, self.url(path)),
            check_secrets: true,
        }
    }

    /// `POST /api/register/` (shared path); asserts 201 and returns the body.
    pub async fn rest_register(&self, body: Value) -> Value {
        self.rest(reqwest::Method::POST, "/api/register/")
            .json(body)
            .send()
            .await
            .assert_json(StatusCode::CREATED)
    }

    /// djoser `POST /auth/token/login/` with an email; returns the auth token.
    pub async fn djoser_login(&self, email: &str, password: &str) -> String {
        let body = self
            .rest(reqwest::Method::POST, "/auth/token/login/")
            .json(json!({ "email": email, "password": password }))
            .send()
            .await
            .assert_json(StatusCode::OK);
        body["auth_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no auth_token: {body}"))
            .to_owned()
    }

    /// Shared `POST /api/login/` with the given body; asserts 200.
    pub async fn api_login_with(&self, body: Value) -> ApiLogin {
        let body = self
            .rest(reqwest::Method::POST, "/api/login/")
            .json(body)
            .send()
            .await
            .assert_json(StatusCode::OK);
        let field = |name: &str| {
            body[name]
                .as_str()
                .unwrap_or_else(|| panic!("no {name}: {body}"))
                .to_owned()
        };
        ApiLogin {
            access_token: field("access_token"),
            refresh_token: field("refresh_token"),
            token: field("token"),
        }
    }

    /// Shared `POST /api/login/` by email (simplejwt's documented form).
    pub async fn api_login(&self, email: &str, password: &str) -> ApiLogin {
        self.api_login_with(json!({ "email": email, "password": password }))
            .await
    }

    /// Cookie API `POST /api/token/` with the cookie-less client; returns the
    /// cookies it sets.
    pub async fn cookie_login(&self, username: &str, password: &str) -> AuthCookies {
        self.rest(reqwest::Method::POST, "/api/token/")
            .json(json!({ "username": username, "password": password }))
            .send()
            .await
            .assert_status(StatusCode::OK)
            .auth_cookies()
    }

    /// users-service `POST /api/user/login/`; asserts 200.
    pub async fn users_service_login(&self, email: &str, password: &str) -> UsersServiceLogin {
        let body = self
            .rest(reqwest::Method::POST, "/api/user/login/")
            .json(json!({ "email": email, "password": password }))
            .send()
            .await
            .assert_json(StatusCode::OK);
        let token = |name: &str| {
            body["tokens"][name]
                .as_str()
                .unwrap_or_else(|| panic!("no tokens.{name}: {body}"))
                .to_owned()
        };
        UsersServiceLogin {
            access: token("access"),
            refresh: token("refresh"),
            data: body["data"].clone(),
        }
    }
}

/// Asserts that `value` is an object with exactly these keys.
#[track_caller]
pub fn assert_keys(value: &Value, keys: &[&str]) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"));
    let mut actual: Vec<&str> = object.keys().map(String::as_str).collect();
    actual.sort_unstable();
    let mut expected = keys.to_vec();
    expected.sort_unstable();
    assert_eq!(actual, expected, "unexpected keys in {value}");
}

/// A REST id (a JSON integer) as i64.
#[track_caller]
pub fn int_id(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("id is not a JSON integer: {value}"))
}

/// A GraphQL `ID` (a string of digits) as the integer REST uses.
#[track_caller]
pub fn graphql_id(id: &str) -> i64 {
    id.parse()
        .unwrap_or_else(|e| panic!("GraphQL id {id:?} is not an integer: {e}"))
}

/// Whether `s` is a 40-character lowercase hex string (a DRF token key).
pub fn is_legacy_token(s: &str) -> bool {
    s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// Whether `s` looks like a JWT (three base64url parts).
pub fn is_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// A multipart/form-data body built by hand (reqwest's `multipart` feature is
/// not enabled).
pub struct MultipartForm {
    boundary: String,
    body: Vec<u8>,
}

impl Default for MultipartForm {
    fn default() -> Self {
        Self::new()
    }
}

impl MultipartForm {
    pub fn new() -> Self {
        Self {
            boundary: format!("----authgraph-test-{}", random_string(24)),
            body: Vec::new(),
        }
    }

    /// A plain text field.
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self
    }

    /// A file field.
    pub fn file(mut self, name: &str, filename: &str, content_type: &str, bytes: &[u8]) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                 Content-Type: {content_type}\r\n\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(bytes);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    /// (`Content-Type` header value, body bytes).
    pub fn finish(mut self) -> (String, Vec<u8>) {
        self.body
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        (
            format!("multipart/form-data; boundary={}", self.boundary),
            self.body,
        )
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A PNG whose IHDR claims `width` x `height` (8-bit RGB) and whose IDAT
/// holds `rows` x `columns` pixels of the given colour, zlib "stored".
fn build_png(width: u32, height: u32, columns: u32, rows: u32, rgb: [u8; 3]) -> Vec<u8> {
    // Each row: filter byte 0 ("none"), then the pixels.
    let row: Vec<u8> = std::iter::once(0)
        .chain(rgb.iter().copied().cycle().take(3 * columns as usize))
        .collect();
    let raw = row.repeat(rows as usize);
    assert!(raw.len() <= 65_535, "keep test PNGs small");
    let mut zlib = vec![0x78, 0x01, 0x01];
    let len = raw.len() as u16;
    zlib.extend_from_slice(&len.to_le_bytes());
    zlib.extend_from_slice(&(!len).to_le_bytes());
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());

    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, RGB, deflate, no filter, no interlace

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(&mut png, b"IDAT", &zlib);
    png_chunk(&mut png, b"IEND", &[]);
    png
}

/// A small valid PNG of one colour.
pub fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    build_png(width, height, width, height, rgb)
}

/// A "decompression bomb": a PNG header claiming 100000 x 100000 pixels
/// (the data is a single pixel; a server that checks the header never reads it).
pub fn png_bomb() -> Vec<u8> {
    build_png(100_000, 100_000, 1, 1, [255, 0, 0])
}
