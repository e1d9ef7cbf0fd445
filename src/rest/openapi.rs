//! `GET /api/openapi.json`: the OpenAPI 3.1 description of the legacy routes.
//!
//! The document is built from the same settings as the router (`rest::routes`): only the
//! paths of the APIs enabled in `AUTHGRAPH_LEGACY_APIS` appear, shared paths when any of their
//! APIs is on. Paths are given in their canonical form (with the trailing slash where the
//! route has one); every path also answers without it. The tests below check the document
//! against the real router, both ways.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::enabled;
use crate::config::Settings;
use crate::http::credentials::{ACCESS_COOKIE, REFRESH_COOKIE};
use crate::service::types::{EMAIL_MAX, NAME_MAX, USERNAME_MAX};
use crate::state::AppState;

/// Where the document is served.
pub const PATH: &str = "/api/openapi.json";

/// The OpenAPI route.
pub fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(openapi))
}

async fn openapi(State(state): State<AppState>) -> Json<Value> {
    Json(document(&state.settings))
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// No credentials needed (a bad token header is ignored).
    Public,
    /// Access token in a header or the access cookie; 401 without.
    User,
    /// Credentials used when present (logout).
    Optional,
    /// The refresh cookie.
    RefreshCookie,
}

/// One operation, assembled step by step.
struct Op {
    id: &'static str,
    summary: &'static str,
    description: Option<String>,
    tags: Vec<&'static str>,
    access: Access,
    parameters: Vec<Value>,
    body: Option<Value>,
    responses: Map<String, Value>,
    /// The handler reaches the database (so it can fail with 500/503).
    backend: bool,
}

/// Operations that can answer 429: logins, registrations, refreshes, password changes.
const RATE_LIMITED_OPERATIONS: &[&str] = &[
    "djoser_users_create",
    "djoser_token_login",
    "simplejwt_refresh",
    "cookie_token_obtain",
    "cookie_token_refresh",
    "cookie_change_password",
    "users_service_login",
    "users_service_register",
    "users_service_refresh",
    "register",
    "login",
];

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn response_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

fn array_of(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

fn json_response(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn set_cookie_header(description: &str) -> Value {
    json!({ "Set-Cookie": { "description": description, "schema": { "type": "string" } } })
}

/// Content types of a picture upload.
const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

impl Op {
    fn new(id: &'static str, summary: &'static str, tags: &[&'static str]) -> Self {
        Self {
            id,
            summary,
            description: None,
            tags: tags.to_vec(),
            access: Access::Public,
            parameters: Vec::new(),
            body: None,
            responses: Map::new(),
            backend: true,
        }
    }

    fn access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    fn param(mut self, parameter: Value) -> Self {
        self.parameters.push(parameter);
        self
    }

    fn static_content(mut self) -> Self {
        self.backend = false;
        self
    }

    /// A body read by `LegacyBody`: JSON, form-urlencoded or multipart, all with `schema`.
    fn body(self, schema: &str, required: bool) -> Self {
        let content = json!({
            "application/json": { "schema": schema_ref(schema) },
            "application/x-www-form-urlencoded": { "schema": schema_ref(schema) },
            "multipart/form-data": { "schema": schema_ref(schema) },
        });
        self.body_content(content, required)
    }

    /// A body whose multipart form may carry a `profile_pic` file.
    fn upload_body(self, schema: &str, multipart_schema: &str, required: bool) -> Self {
        let content = json!({
            "application/json": { "schema": schema_ref(schema) },
            "application/x-www-form-urlencoded": { "schema": schema_ref(schema) },
            "multipart/form-data": {
                "schema": schema_ref(multipart_schema),
                "encoding": { "profile_pic": { "contentType": IMAGE_TYPES.join(", ") } },
            },
        });
        self.body_content(content, required)
    }

    fn body_content(mut self, content: Value, required: bool) -> Self {
        self.body = Some(json!({ "required": required, "content": content }));
        self.respond("400", response_ref("ValidationError"))
            .respond("413", response_ref("PayloadTooLarge"))
            .respond("415", response_ref("UnsupportedMediaType"))
    }

    fn respond(mut self, status: &str, response: Value) -> Self {
        self.responses.insert(status.to_owned(), response);
        self
    }

    fn ok(self, status: &str, description: &str, schema: Value) -> Self {
        self.respond(status, json_response(description, schema))
    }

    fn no_content(self, description: &str) -> Self {
        self.respond("204", json!({ "description": description }))
    }

    fn build(mut self, method: &str) -> Value {
        if matches!(self.access, Access::User | Access::Optional) {
            self.responses
                .entry("401")
                .or_insert_with(|| response_ref("Unauthorized"));
        }
        if method != "get" {
            // The CSRF guard: cookie-authenticated writes from a foreign Origin.
            self.responses
                .entry("403")
                .or_insert_with(|| response_ref("Forbidden"));
        }
        if RATE_LIMITED_OPERATIONS.contains(&self.id) {
            // Per-IP rate limits and the per-account login back-off (service::limits).
            self.responses
                .entry("429")
                .or_insert_with(|| response_ref("TooManyRequests"));
        }
        if self.backend {
            self.responses
                .insert("500".into(), response_ref("InternalError"));
            self.responses
                .insert("503".into(), response_ref("ServiceUnavailable"));
        }
        let user = [
            json!({ "bearerAuth": [] }),
            json!({ "jwtHeader": [] }),
            json!({ "tokenHeader": [] }),
            json!({ "accessCookie": [] }),
        ];
        let security: Option<Vec<Value>> = match self.access {
            Access::Public => None,
            Access::User => Some(user.to_vec()),
            Access::Optional => Some(
                std::iter::once(json!({}))
                    .chain(user)
                    .chain(std::iter::once(json!({ "refreshCookie": [] })))
                    .collect(),
            ),
            Access::RefreshCookie => Some(vec![json!({ "refreshCookie": [] })]),
        };
        let mut op = Map::new();
        op.insert("operationId".into(), json!(self.id));
        op.insert("summary".into(), json!(self.summary));
        if let Some(description) = self.description {
            op.insert("description".into(), json!(description));
        }
        op.insert("tags".into(), json!(self.tags));
        if !self.parameters.is_empty() {
            op.insert("parameters".into(), Value::Array(self.parameters));
        }
        if let Some(body) = self.body {
            op.insert("requestBody".into(), body);
        }
        op.insert("responses".into(), Value::Object(self.responses));
        if let Some(security) = security {
            op.insert("security".into(), Value::Array(security));
        }
        Value::Object(op)
    }
}

/// The `paths` object being filled.
#[derive(Default)]
struct Paths(Map<String, Value>);

impl Paths {
    fn add(&mut self, path: &str, method: &str, op: Op) {
        let item = self.0.entry(path.to_owned()).or_insert_with(|| json!({}));
        if let Value::Object(item) = item {
            item.insert(method.to_owned(), op.build(method));
        }
    }
}

fn id_param(what: &str) -> Value {
    json!({
        "name": "id",
        "in": "path",
        "required": true,
        "description": format!("The {what}'s id."),
        "schema": { "type": "integer", "format": "int64", "minimum": 1 },
    })
}

fn djoser(paths: &mut Paths) {
    let tags = &["djoser"];
    paths.add(
        "/auth/users/",
        "post",
        Op::new("djoser_users_create", "Register a user", tags)
            .body("DjoserRegisterRequest", true)
            .ok("201", "The new user.", schema_ref("DjoserUser")),
    );
    paths.add(
        "/auth/users/",
        "get",
        Op::new(
            "djoser_users_list",
            "List the users the caller may see",
            tags,
        )
        .access(Access::User)
        .ok(
            "200",
            "The visible users.",
            array_of(schema_ref("DjoserUser")),
        ),
    );
    for (method, id) in [("get", "djoser_me_get"), ("post", "djoser_me_post")] {
        paths.add(
            "/auth/users/me/",
            method,
            Op::new(id, "The signed-in user", tags)
                .access(Access::User)
                .ok("200", "The signed-in user.", schema_ref("DjoserUser")),
        );
    }
    for (method, id) in [("put", "djoser_me_put"), ("patch", "djoser_me_patch")] {
        paths.add(
            "/auth/users/me/",
            method,
            Op::new(id, "Update the signed-in user", tags)
                .access(Access::User)
                .body("DjoserUserUpdate", false)
                .ok("200", "The updated user.", schema_ref("DjoserUser")),
        );
    }
    paths.add(
        "/auth/users/me/",
        "delete",
        Op::new("djoser_me_delete", "Delete the signed-in user", tags)
            .access(Access::User)
            .describe("Wrong or missing `current_password`: 400 `{\"current_password\": [...]}`.")
            .body("DjoserDeleteRequest", true)
            .no_content("The account is deleted."),
    );
    paths.add(
        "/auth/token/login/",
        "post",
        Op::new("djoser_token_login", "Obtain a DRF token", tags)
            .describe(
                "Use the key as `Authorization: Token <key>`. Bad credentials: 400 \
                 `{\"non_field_errors\": [\"Unable to log in with provided credentials.\"]}`.",
            )
            .body("Credentials", true)
            .ok("200", "The token.", schema_ref("DjoserToken")),
    );
    paths.add(
        "/auth/token/logout/",
        "post",
        Op::new("djoser_token_logout", "End the caller's session", tags)
            .access(Access::User)
            .no_content("The token no longer works."),
    );
}

fn simplejwt(paths: &mut Paths) {
    let tags = &["simplejwt"];
    paths.add(
        "/api/refresh/",
        "post",
        Op::new("simplejwt_refresh", "Rotate the refresh token", tags)
            .describe("The old refresh token is refused afterwards.")
            .body("RefreshRequest", true)
            .ok("200", "New tokens.", schema_ref("RefreshedTokens"))
            .respond("401", response_ref("Unauthorized")),
    );
    paths.add(
        "/api/me/",
        "get",
        Op::new("simplejwt_me_get", "The signed-in user", tags)
            .access(Access::User)
            .ok("200", "The signed-in user.", schema_ref("SimpleJwtUser")),
    );
    for (method, id) in [("put", "simplejwt_me_put"), ("patch", "simplejwt_me_patch")] {
        paths.add(
            "/api/me/",
            method,
            Op::new(id, "Update the signed-in user", tags)
                .access(Access::User)
                .body("SimpleJwtUserUpdate", false)
                .ok("200", "The updated user.", schema_ref("SimpleJwtUser")),
        );
    }
}

fn conjugator(paths: &mut Paths) {
    let tags = &["conjugator"];
    paths.add(
        "/api/user/",
        "get",
        Op::new("conjugator_user_get", "The signed-in user", tags)
            .access(Access::User)
            .ok("200", "The signed-in user.", schema_ref("ConjugatorUser")),
    );
    for (method, id) in [
        ("put", "conjugator_user_put"),
        ("patch", "conjugator_user_patch"),
    ] {
        paths.add(
            "/api/user/",
            method,
            Op::new(id, "Update the signed-in user", tags)
                .access(Access::User)
                .body("ConjugatorUserUpdate", false)
                .ok("200", "The updated user.", schema_ref("ConjugatorUser")),
        );
    }
    paths.add(
        "/api/admin/users",
        "get",
        Op::new(
            "conjugator_admin_users_list",
            "List users (admins only)",
            tags,
        )
        .access(Access::User)
        .ok("200", "The users.", array_of(schema_ref("ConjugatorUser")))
        .respond("403", response_ref("Forbidden")),
    );
}

fn cookie(paths: &mut Paths, settings: &Settings) {
    let tags = &["cookie"];
    let secure = if settings.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let set_cookies = format!(
        "`{ACCESS_COOKIE}` and `{REFRESH_COOKIE}`, both `HttpOnly; SameSite=Lax; Path=/{secure}`, \
         with `Max-Age` the access token's and the session's lifetime ({} s)",
        settings.refresh_token_ttl_secs
    );
    let mut signed_in = json_response("Signed in; the cookies are set.", schema_ref("CookieLogin"));
    signed_in["headers"] = set_cookie_header(&set_cookies);
    paths.add(
        "/api/token/",
        "post",
        Op::new("cookie_token_obtain", "Sign in with cookies", tags)
            .body("Credentials", true)
            .respond("200", signed_in)
            .ok("401", "Bad credentials.", schema_ref("CookieLoginFailed")),
    );
    let mut refreshed = json_response("New cookies are set.", schema_ref("CookieRefreshed"));
    refreshed["headers"] = set_cookie_header(&set_cookies);
    let mut refused = json_response(
        "Missing, invalid or expired refresh cookie (an invalid one is cleared).",
        schema_ref("CookieRefreshed"),
    );
    refused["headers"] = set_cookie_header("Clears both cookies (`Max-Age=0`).");
    paths.add(
        "/api/token/refresh/",
        "post",
        Op::new("cookie_token_refresh", "Refresh the auth cookies", tags)
            .access(Access::RefreshCookie)
            .respond("200", refreshed)
            .respond("401", refused),
    );
    paths.add(
        "/api/change-password/",
        "post",
        Op::new(
            "cookie_change_password",
            "Change the caller's password",
            tags,
        )
        .access(Access::User)
        .describe("Wrong old password: 400 `{\"old_password\": [\"Wrong password.\"]}`.")
        .body("ChangePasswordRequest", true)
        .ok(
            "200",
            "The password is changed.",
            schema_ref("PasswordChanged"),
        ),
    );
    paths.add(
        "/users/",
        "get",
        Op::new(
            "cookie_users_list",
            "List the users the caller may see",
            tags,
        )
        .access(Access::User)
        .ok(
            "200",
            "The visible users.",
            array_of(schema_ref("HyperlinkedUser")),
        ),
    );
    let not_found = "Unknown or not visible: `{\"detail\": \"No User matches the given query.\"}`.";
    paths.add(
        "/users/{id}/",
        "get",
        Op::new("cookie_user_get", "One user", tags)
            .access(Access::User)
            .param(id_param("user"))
            .ok("200", "The user.", schema_ref("HyperlinkedUser"))
            .respond("404", response_ref("NotFound"))
            .describe(not_found),
    );
    for (method, id) in [("put", "cookie_user_put"), ("patch", "cookie_user_patch")] {
        paths.add(
            "/users/{id}/",
            method,
            Op::new(id, "Update a user (self or admin)", tags)
                .access(Access::User)
                .param(id_param("user"))
                .describe(format!(
                    "Only admins may change `is_active` (403 otherwise); another user's account \
                     is 403 when visible to the caller, else 404. {not_found}"
                ))
                .body("HyperlinkedUserUpdate", false)
                .ok("200", "The updated user.", schema_ref("HyperlinkedUser"))
                .respond("404", response_ref("NotFound")),
        );
    }
    paths.add(
        "/users/{id}/",
        "delete",
        Op::new("cookie_user_delete", "Delete a user (self or admin)", tags)
            .access(Access::User)
            .param(id_param("user"))
            .describe(not_found)
            .no_content("The account is deleted.")
            .respond("404", response_ref("NotFound")),
    );
    paths.add(
        "/groups/",
        "get",
        Op::new("cookie_groups_list", "List the groups", tags)
            .access(Access::User)
            .ok("200", "The groups, by name.", array_of(schema_ref("Group"))),
    );
    paths.add(
        "/groups/{id}/",
        "get",
        Op::new("cookie_group_get", "One group", tags)
            .access(Access::User)
            .param(id_param("group"))
            .ok("200", "The group.", schema_ref("Group"))
            .respond("404", response_ref("NotFound")),
    );
}

fn users_service(paths: &mut Paths, settings: &Settings) {
    let tags = &["users_service"];
    paths.add(
        "/api/user/login/",
        "post",
        Op::new("users_service_login", "Sign in", tags)
            .describe(
                "Use `data.tokens.access` as `Authorization: JWT <access>`. Bad credentials: 400 \
                 `{\"non_field_errors\": [...]}`.",
            )
            .body("Credentials", true)
            .ok(
                "200",
                "Tokens and the user.",
                schema_ref("UsersServiceLogin"),
            ),
    );
    let picture_rules = format!(
        "`profile_pic`: PNG, JPEG, GIF or WebP (by content), at most {} bytes and {} pixels a \
         side; refused pictures are 400 `{{\"profile_pic\": [...]}}`.",
        settings.media_max_bytes, settings.media_max_pixels
    );
    paths.add(
        "/api/user/register/",
        "post",
        Op::new("users_service_register", "Register a user", tags)
            .describe(picture_rules.clone())
            .upload_body(
                "UsersServiceRegisterRequest",
                "UsersServiceRegisterUpload",
                true,
            )
            .ok("201", "The new user.", schema_ref("UsersServiceUser")),
    );
    paths.add(
        "/api/user/me/",
        "get",
        Op::new("users_service_me", "The signed-in user", tags)
            .access(Access::User)
            .ok("200", "The signed-in user.", schema_ref("UsersServiceUser")),
    );
    for (method, id) in [
        ("put", "users_service_update_put"),
        ("patch", "users_service_update_patch"),
    ] {
        paths.add(
            "/api/user/update/",
            method,
            Op::new(id, "Update the signed-in user", tags)
                .access(Access::User)
                .describe(format!(
                    "{picture_rules} `profile_pic: null` (JSON) deletes the picture; `password` \
                     sets a new password."
                ))
                .upload_body(
                    "UsersServiceUpdateRequest",
                    "UsersServiceUpdateUpload",
                    false,
                )
                .ok("200", "The updated user.", schema_ref("UsersServiceUser")),
        );
    }
    paths.add(
        "/api/user/refresh/",
        "post",
        Op::new("users_service_refresh", "Rotate the refresh token", tags)
            .body("UsersServiceRefreshRequest", true)
            .ok("200", "New tokens.", schema_ref("UsersServiceTokens"))
            .respond("401", response_ref("Unauthorized")),
    );
    let image_content: Map<String, Value> = IMAGE_TYPES
        .iter()
        .map(|t| {
            (
                (*t).to_owned(),
                json!({ "schema": { "type": "string", "format": "binary" } }),
            )
        })
        .collect();
    let header =
        |description: &str| json!({ "description": description, "schema": { "type": "string" } });
    paths.add(
        "/api/user/media/{name}",
        "get",
        Op::new("users_service_media_get", "A profile picture", tags)
            .param(json!({
                "name": "name",
                "in": "path",
                "required": true,
                "description": "The stored name, as in a `profile_pic` URL.",
                "schema": { "type": "string", "pattern": "^[0-9a-f]{32}\\.(png|jpg|gif|webp)$" },
            }))
            .static_content()
            .respond(
                "200",
                json!({
                    "description": "The picture, typed by its stored format.",
                    "headers": {
                        "X-Content-Type-Options": header("`nosniff`"),
                        "Cache-Control": header("`public, max-age=31536000, immutable`"),
                        "Content-Security-Policy": header("`default-src 'none'`"),
                    },
                    "content": image_content,
                }),
            )
            .respond("404", response_ref("NotFound")),
    );
}

fn shared(paths: &mut Paths, on: &dyn Fn(&str) -> bool) {
    let apis = |names: &[&'static str]| -> Vec<&'static str> {
        names.iter().copied().filter(|name| on(name)).collect()
    };
    let register = apis(&["simplejwt", "conjugator", "cookie"]);
    if !register.is_empty() {
        paths.add(
            "/api/register/",
            "post",
            Op::new("register", "Register a user", &register)
                .describe(
                    "Duplicates: 400 `{\"username\": [\"A user with that username already \
                     exists.\"]}` (or `email`). `groups` must be open groups.",
                )
                .body("RegisterRequest", true)
                .ok("201", "The new user.", schema_ref("RegisterResponse")),
        );
    }
    let login = apis(&["simplejwt", "conjugator"]);
    if !login.is_empty() {
        paths.add(
            "/api/login/",
            "post",
            Op::new("login", "Sign in", &login)
                .describe(
                    "One session: the access JWT, the refresh token and the DRF `token` (used \
                     as `Authorization: Token <key>`) all end with logout. Bad credentials: 400 \
                     `{\"non_field_errors\": [\"Unable to login with provided credentials.\"]}`.",
                )
                .body("Credentials", true)
                .ok("200", "The session's tokens.", schema_ref("LoginTokens")),
        );
    }
    let logout = apis(&["simplejwt", "cookie"]);
    if !logout.is_empty() {
        let mut ended = json_response("Logged out.", schema_ref("LogoutResult"));
        ended["headers"] = set_cookie_header(
            "Cookie-authenticated calls (`{\"success\": true}`): clears both cookies.",
        );
        paths.add(
            "/api/logout/",
            "post",
            Op::new("logout", "End a session", &logout)
                .access(Access::Optional)
                .describe(
                    "With `refresh_token` in the body: ends that session. Cookie-authenticated \
                     (no `Authorization` header): ends the cookies' session and clears them. \
                     Header-authenticated: ends the caller's session. Nothing: 401.",
                )
                .body("LogoutRequest", false)
                .respond("200", ended),
        );
    }
}

/// An optional string field: `null` counts as absent.
fn optional_string(max: usize) -> Value {
    json!({ "type": ["string", "null"], "maxLength": max })
}

/// A nullable field whose `null` clears the stored value.
fn clearable_string(max: usize, what: &str) -> Value {
    json!({ "type": ["string", "null"], "maxLength": max, "description": format!("`null` clears the {what}.") })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

/// A response object: exactly these fields.
fn closed(properties: Value) -> Value {
    let required: Vec<String> = properties
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    json!({ "type": "object", "required": required, "properties": properties, "additionalProperties": false })
}

fn components(settings: &Settings) -> Value {
    let id = json!({ "type": "integer", "format": "int64", "minimum": 1 });
    let text = json!({ "type": "string" });
    let nullable_text = json!({ "type": ["string", "null"] });
    let uri = json!({ "type": "string", "format": "uri" });
    let password = json!({
        "type": "string",
        "minLength": 1,
        "maxLength": settings.password_max_length,
        "format": "password",
    });
    let new_password = json!({
        "type": "string",
        "minLength": settings.password_min_length,
        "maxLength": settings.password_max_length,
        "format": "password",
        "description": "Checked by the password policy (length, common and similar passwords).",
    });
    let username = optional_string(USERNAME_MAX);
    let email = optional_string(EMAIL_MAX);
    let name = optional_string(NAME_MAX);
    let name_or_email = json!([{ "required": ["username"] }, { "required": ["email"] }]);
    let profile_pic_file = json!({
        "type": "string",
        "format": "binary",
        "description": "PNG, JPEG, GIF or WebP picture.",
    });
    let users_service_register = json!({
        "email": email,
        "full_name": name,
        "password": new_password,
    });
    let mut register_upload = users_service_register.clone();
    register_upload["profile_pic"] = profile_pic_file.clone();
    let update_password = json!({
        "type": ["string", "null"],
        "maxLength": settings.password_max_length,
        "format": "password",
        "description": "A new password (blank or null: unchanged).",
    });
    let users_service_update = json!({
        "email": clearable_string(EMAIL_MAX, "email address"),
        "full_name": name,
        "password": update_password,
    });
    let mut update_json = users_service_update.clone();
    update_json["profile_pic"] =
        json!({ "type": "null", "description": "`null` deletes the picture." });
    let mut update_upload = users_service_update;
    update_upload["profile_pic"] = profile_pic_file;
    let detail = json!({
        "type": "object",
        "required": ["detail"],
        "properties": { "detail": { "type": "string" } },
        "additionalProperties": false,
    });
    let security_schemes = json!({
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "`Authorization: Bearer <access JWT>`.",
            },
            "jwtHeader": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Authorization: JWT <access JWT>` (the value includes the `JWT ` prefix).",
            },
            "tokenHeader": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Authorization: Token <40-hex key>` (DRF token; the value includes the `Token ` prefix).",
            },
            "accessCookie": {
                "type": "apiKey",
                "in": "cookie",
                "name": ACCESS_COOKIE,
                "description": "The access JWT cookie set by `POST /api/token/`. Cookie-authenticated writes must come from the server's own or an allowed origin.",
            },
            "refreshCookie": {
                "type": "apiKey",
                "in": "cookie",
                "name": REFRESH_COOKIE,
                "description": "The refresh-token cookie set by `POST /api/token/`.",
            },
    });
    let responses = json!({
            "ValidationError": {
                "description": "Invalid request: field errors (`non_field_errors` for the whole request), or a `detail` for an unparsable body.",
                "content": { "application/json": { "schema": { "anyOf": [schema_ref("FieldErrors"), schema_ref("DrfDetail")] } } },
            },
            "Unauthorized": {
                "description": "No credentials (`{\"detail\": \"Authentication credentials were not provided.\"}`), or a bad, expired or revoked token (`code: token_not_valid`).",
                "headers": { "WWW-Authenticate": { "description": "`Bearer realm=\"api\"`", "schema": { "type": "string" } } },
                "content": { "application/json": { "schema": { "oneOf": [schema_ref("TokenNotValid"), schema_ref("DrfDetail")] } } },
            },
            "Forbidden": json_response(
                "Not allowed (`You do not have permission to perform this action.`), or a cookie-authenticated write from a foreign origin (`Origin not allowed.`).",
                schema_ref("DrfDetail"),
            ),
            "NotFound": json_response("Not found.", schema_ref("DrfDetail")),
            "PayloadTooLarge": json_response("The body is too large.", schema_ref("DrfDetail")),
            "UnsupportedMediaType": json_response(
                "The body is neither JSON, form-urlencoded nor multipart.",
                schema_ref("DrfDetail"),
            ),
            "InternalError": json_response("A server error occurred.", schema_ref("DrfDetail")),
            "TooManyRequests": {
                "description": "Rate limited (per client IP) or the account is locked after failed logins; retry after `Retry-After` seconds.",
                "headers": { "Retry-After": { "schema": { "type": "integer", "minimum": 1 } } },
                "content": { "application/json": { "schema": schema_ref("DrfDetail") } },
            },
            "ServiceUnavailable": json_response(
                "A dependency (database, password hashing) is unavailable; retry later.",
                schema_ref("DrfDetail"),
            ),
    });
    let mut schemas = json!({
            "DrfDetail": detail,
            "TokenNotValid": {
                "type": "object",
                "required": ["detail", "code"],
                "properties": {
                    "detail": { "type": "string" },
                    "code": { "const": "token_not_valid" },
                },
                "additionalProperties": false,
            },
            "FieldErrors": {
                "type": "object",
                "description": "Messages by snake_case field name; `non_field_errors` for the request as a whole.",
                "additionalProperties": array_of(json!({ "type": "string" })),
            },
            "DjoserUser": closed(json!({
                "first_name": text,
                "last_name": text,
                "codename": nullable_text,
                "id": id,
                "email": text,
            })),
            "SimpleJwtUser": closed(json!({ "id": id, "username": text, "email": text })),
            "ConjugatorUser": closed(json!({
                "id": id,
                "first_name": text,
                "last_name": text,
                "email": text,
            })),
            "CookieUser": closed(json!({
                "username": text,
                "first_name": text,
                "last_name": text,
                "email": text,
                "is_active": { "type": "boolean" },
                "groups": array_of(id.clone()),
            })),
            "HyperlinkedUser": closed(json!({
                "url": uri,
                "id": id,
                "username": text,
                "first_name": text,
                "last_name": text,
                "email": text,
                "is_active": { "type": "boolean" },
                "groups": array_of(uri.clone()),
            })),
            "UsersServiceUser": closed(json!({
                "id": { "type": "string", "pattern": "^[1-9][0-9]*$" },
                "full_name": text,
                "email": text,
                "profile_pic": { "type": ["string", "null"], "format": "uri" },
            })),
            "RegisterResponse": closed(json!({
                "id": id,
                "username": text,
                "email": text,
                "first_name": text,
                "last_name": text,
                "is_active": { "type": "boolean" },
                "groups": array_of(id.clone()),
            })),
            "Group": closed(json!({ "url": uri, "id": id, "name": text })),
            "DjoserToken": closed(json!({
                "auth_token": { "type": "string", "pattern": "^[0-9a-f]{40}$" },
            })),
            "LoginTokens": closed(json!({
                "access_token": text,
                "refresh_token": text,
                "token": { "type": "string", "pattern": "^[0-9a-f]{40}$" },
            })),
            "RefreshedTokens": closed(json!({ "access_token": text, "refresh_token": text })),
            "LogoutResult": closed(json!({
                "success": { "anyOf": [{ "const": "User logged out." }, { "const": true }] },
            })),
            "CookieLogin": closed(json!({
                "success": { "const": true },
                "user": schema_ref("CookieUser"),
            })),
            "CookieLoginFailed": closed(json!({ "success": { "const": false } })),
            "CookieRefreshed": closed(json!({ "refreshed": { "type": "boolean" } })),
            "PasswordChanged": closed(json!({ "message": { "const": "Password updated successfully" } })),
            "UsersServiceLogin": closed(json!({
                "tokens": closed(json!({ "refresh": text, "access": text })),
                "data": schema_ref("UsersServiceUser"),
            })),
            "UsersServiceTokens": closed(json!({ "access": text, "refresh": text })),
    });
    let requests = json!({
            "Credentials": {
                "type": "object",
                "description": "A username or an email address, and the password.",
                "required": ["password"],
                "anyOf": name_or_email,
                "properties": { "username": username, "email": email, "password": password },
            },
            "DjoserRegisterRequest": {
                "type": "object",
                "description": "A username or an email address is needed (the email then serves as the username).",
                "required": ["password"],
                "anyOf": name_or_email,
                "properties": {
                    "email": email,
                    "username": username,
                    "password": new_password,
                    "first_name": name,
                    "last_name": name,
                    "codename": name,
                },
            },
            "RegisterRequest": {
                "type": "object",
                "description": "A username or an email address is needed (the email then serves as the username).",
                "required": ["password"],
                "anyOf": name_or_email,
                "properties": {
                    "username": username,
                    "email": email,
                    "password": new_password,
                    "first_name": name,
                    "last_name": name,
                    "groups": { "type": ["array", "null"], "items": id, "description": "Ids of open groups to join." },
                },
            },
            "DjoserUserUpdate": object(&[], json!({
                "username": username,
                "first_name": name,
                "last_name": name,
                "codename": clearable_string(NAME_MAX, "codename"),
                "email": clearable_string(EMAIL_MAX, "email address"),
            })),
            "DjoserDeleteRequest": object(&["current_password"], json!({ "current_password": password })),
            "SimpleJwtUserUpdate": object(&[], json!({
                "username": username,
                "email": clearable_string(EMAIL_MAX, "email address"),
            })),
            "ConjugatorUserUpdate": object(&[], json!({
                "first_name": name,
                "last_name": name,
                "email": clearable_string(EMAIL_MAX, "email address"),
            })),
            "HyperlinkedUserUpdate": object(&[], json!({
                "first_name": name,
                "last_name": name,
                "email": clearable_string(EMAIL_MAX, "email address"),
                "is_active": { "type": ["boolean", "null"], "description": "Admins only." },
            })),
            "ChangePasswordRequest": object(
                &["old_password", "new_password"],
                json!({ "old_password": password, "new_password": new_password }),
            ),
            "RefreshRequest": object(&["refresh_token"], json!({ "refresh_token": { "type": "string", "minLength": 1 } })),
            "LogoutRequest": object(&[], json!({ "refresh_token": { "type": ["string", "null"] } })),
            "UsersServiceRegisterRequest": object(&["email", "password"], users_service_register),
            "UsersServiceRegisterUpload": object(&["email", "password"], register_upload),
            "UsersServiceUpdateRequest": object(&[], update_json),
            "UsersServiceUpdateUpload": object(&[], update_upload),
            "UsersServiceRefreshRequest": object(&["refresh"], json!({ "refresh": { "type": "string", "minLength": 1 } })),
    });
    if let (Value::Object(schemas), Value::Object(requests)) = (&mut schemas, requests) {
        schemas.extend(requests);
    }
    json!({ "securitySchemes": security_schemes, "responses": responses, "schemas": schemas })
}

/// What each legacy API reproduces, for the tag descriptions.
fn api_description(name: &str) -> &'static str {
    match name {
        "djoser" => "djoser-style users and DRF tokens (`Authorization: Token <key>`).",
        "simplejwt" => "simplejwt-style JWT access and refresh tokens (`Authorization: Bearer`).",
        "conjugator" => "Conjugator's user endpoints and admin user list (DRF tokens).",
        "cookie" => "HttpOnly cookie sessions and hyperlinked users and groups.",
        "users_service" => {
            "users-service JWTs (`Authorization: JWT <access>`) and profile pictures."
        }
        _ => "",
    }
}

/// The OpenAPI 3.1 document of the legacy routes enabled in `settings`, mirroring
/// `rest::routes(settings)`.
pub fn document(settings: &Settings) -> Value {
    let on = |name: &str| enabled(settings, name);
    let mut paths = Paths::default();
    if on("djoser") {
        djoser(&mut paths);
    }
    if on("simplejwt") {
        simplejwt(&mut paths);
    }
    if on("conjugator") {
        conjugator(&mut paths);
    }
    if on("cookie") {
        cookie(&mut paths, settings);
    }
    if on("users_service") {
        users_service(&mut paths, settings);
    }
    shared(&mut paths, &on);
    paths.add(
        PATH,
        "get",
        Op::new("openapi_document", "This document", &["openapi"])
            .static_content()
            .ok(
                "200",
                "The OpenAPI 3.1 description of the enabled legacy routes.",
                json!({ "type": "object" }),
            ),
    );
    let enabled_apis: Vec<&str> = super::API_NAMES.into_iter().filter(|n| on(n)).collect();
    let mut tags: Vec<Value> = enabled_apis
        .iter()
        .map(|name| json!({ "name": name, "description": api_description(name) }))
        .collect();
    tags.push(json!({ "name": "openapi", "description": "The API description itself." }));
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "authgraph legacy REST",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "Compatibility routes reproducing the Django REST Framework APIs that authgraph \
                 replaces, over the same accounts and sessions as the GraphQL API at `/graphql` \
                 (use that for new integrations). Enabled APIs: {}.\n\n\
                 Every path also answers without its trailing slash. Another method on a \
                 documented path answers 405 `{{\"detail\": \"Method \\\"GET\\\" not allowed.\"}}`; \
                 an unknown path 404 `{{\"detail\": \"Not found.\"}}`. Request bodies may be JSON, \
                 form-urlencoded or multipart; an empty body is an empty object. Authenticated \
                 routes accept any of the security schemes.",
                if enabled_apis.is_empty() { "none".to_owned() } else { enabled_apis.join(", ") }
            ),
        },
        "tags": tags,
        "paths": Value::Object(paths.0),
        "components": components(settings),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{header, Method, Request, StatusCode};
    use secrecy::SecretString;
    use tempfile::TempDir;
    use tower::ServiceExt;

    use super::*;
    use crate::metrics::Metrics;

    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
    const MEDIA_NAME: &str = "0123456789abcdef0123456789abcdef.png";

    fn settings_with(apis: &[&str]) -> Settings {
        Settings {
            legacy_apis: apis.iter().map(|a| (*a).to_owned()).collect(),
            ..Settings::default()
        }
    }

    fn paths(doc: &Value) -> Vec<String> {
        doc["paths"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut ops = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if METHODS.contains(&method.as_str()) {
                    ops.push((path.clone(), method.clone(), op.clone()));
                }
            }
        }
        ops
    }

    fn collect_refs(value: &Value, refs: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    match (key.as_str(), child) {
                        ("$ref", Value::String(target)) => refs.push(target.clone()),
                        _ => collect_refs(child, refs),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| collect_refs(item, refs)),
            _ => {}
        }
    }

    fn concrete(path: &str) -> String {
        path.replace("{id}", "1").replace("{name}", MEDIA_NAME)
    }

    #[test]
    fn the_document_is_valid_looking_openapi_3_1() {
        let doc = document(&Settings::default());
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        assert!(doc["info"]["title"].is_string());
        assert!(doc.get("servers").is_none());

        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(refs.len() > 50, "suspiciously few $refs: {}", refs.len());
        for target in &refs {
            let pointer = target
                .strip_prefix("#/components/")
                .unwrap_or_else(|| panic!("$ref outside components: {target}"));
            assert!(
                doc["components"].pointer(&format!("/{pointer}")).is_some(),
                "dangling $ref {target}"
            );
        }

        let schemes = doc["components"]["securitySchemes"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut ids = HashSet::new();
        for (path, method, op) in operations(&doc) {
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            assert!(ids.insert(id.clone()), "duplicate operationId {id}");
            assert!(op["summary"].is_string(), "{id} has no summary");
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{id} has no tags"
            );
            let responses = op["responses"].as_object().cloned().unwrap_or_default();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{id} has no success response"
            );
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415"] {
                    assert!(responses.contains_key(status), "{id} lacks {status}");
                }
                let content = &op["requestBody"]["content"];
                for media in [
                    "application/json",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data",
                ] {
                    assert!(content.get(media).is_some(), "{id} lacks {media}");
                }
            }
            for requirement in op["security"].as_array().into_iter().flatten() {
                for scheme in requirement.as_object().into_iter().flatten().map(|s| s.0) {
                    assert!(
                        schemes.contains_key(scheme),
                        "{id}: unknown scheme {scheme}"
                    );
                }
            }
            // Every templated segment has its path parameter.
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            let templated: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            assert_eq!(declared, templated, "{id}: path parameters");
        }
        for scheme in ["bearerAuth", "jwtHeader", "tokenHeader", "accessCookie"] {
            assert!(schemes.contains_key(scheme), "missing scheme {scheme}");
        }
        for name in [
            "DjoserUser",
            "SimpleJwtUser",
            "ConjugatorUser",
            "CookieUser",
            "HyperlinkedUser",
            "UsersServiceUser",
            "RegisterResponse",
            "Group",
            "DrfDetail",
            "TokenNotValid",
            "FieldErrors",
        ] {
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "missing schema {name}"
            );
        }
        let multipart = &doc["components"]["schemas"]["UsersServiceRegisterUpload"];
        assert_eq!(multipart["properties"]["profile_pic"]["format"], "binary");
        let username = &doc["components"]["schemas"]["RegisterRequest"]["properties"]["username"];
        assert_eq!(username["maxLength"], USERNAME_MAX);
    }

    #[test]
    fn only_enabled_apis_are_described() {
        let doc = document(&settings_with(&["djoser"]));
        let listed = paths(&doc);
        assert!(listed.contains(&"/auth/users/".to_owned()));
        for path in &listed {
            assert!(
                path.starts_with("/auth/") || path == PATH,
                "{path} listed with only djoser on"
            );
        }

        let doc = document(&settings_with(&["cookie"]));
        let listed = paths(&doc);
        for path in ["/api/register/", "/api/logout/", "/users/{id}/"] {
            assert!(listed.contains(&path.to_owned()), "{path} missing");
        }
        assert!(!listed.contains(&"/api/login/".to_owned()));
        let tags = &doc["paths"]["/api/register/"]["post"]["tags"];
        assert_eq!(tags, &json!(["cookie"]));

        let everything = document(&Settings::default());
        let tags = &everything["paths"]["/api/register/"]["post"]["tags"];
        assert_eq!(tags, &json!(["simplejwt", "conjugator", "cookie"]));
    }

    /// The real app (startup::router) over a fresh SQLite database.
    async fn app(settings: Settings) -> (axum::Router, Settings, TempDir) {
        let dir = TempDir::new().expect("temp dir");
        let settings = Settings {
            database_url: format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()),
            jwt_secret: Some(SecretString::from("openapi-test-secret-".repeat(3))),
            media_dir: dir.path().join("media"),
            argon2_memory_kib: 1024,
            argon2_iterations: 1,
            cookie_secure: false,
            ..settings
        };
        let metrics = Metrics::new();
        let services = crate::startup::build_services(&settings, &metrics)
            .await
            .expect("services");
        let schema = crate::graphql::build_schema(&settings, Some(services.clone()));
        let state = AppState {
            services,
            schema,
            settings: Arc::new(settings.clone()),
            metrics,
        };
        (crate::startup::router(state), settings, dir)
    }

    async fn call(app: &axum::Router, method: &str, path: &str) -> (StatusCode, Value) {
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "localhost")
            .body(Body::empty())
            .expect("request");
        let response = app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn route_miss(status: StatusCode, body: &Value) -> bool {
        status == StatusCode::NOT_FOUND && *body == json!({ "detail": "Not found." })
    }

    /// Every documented (path, method) is served, with a documented status, with and without
    /// the trailing slash; every other method on a documented path is 405.
    async fn check_against_router(settings: Settings) {
        let (app, settings, _dir) = app(settings).await;
        let doc = document(&settings);
        let mut served = 0;
        for path in paths(&doc) {
            let item = &doc["paths"][&path];
            let url = concrete(&path);
            let bare = url.trim_end_matches('/').to_owned();
            for method in METHODS {
                for target in [&url, &bare] {
                    let (status, body) = call(&app, method, target).await;
                    let Some(op) = item.get(method) else {
                        assert_eq!(
                            status,
                            StatusCode::METHOD_NOT_ALLOWED,
                            "{method} {target} is served but not documented"
                        );
                        continue;
                    };
                    assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {target}");
                    served += 1;
                    if path.starts_with("/api/user/media/") {
                        continue; // an unknown picture is a 404 like a route miss
                    }
                    assert!(
                        !route_miss(status, &body),
                        "{method} {target} is documented but not routed"
                    );
                    assert!(
                        op["responses"].get(status.as_str()).is_some(),
                        "{method} {target} answered undocumented {status}: {body}"
                    );
                }
            }
        }
        assert_eq!(
            served,
            2 * operations(&doc).len(),
            "every operation was called"
        );
    }

    #[tokio::test]
    async fn the_document_matches_the_router() {
        let settings = Settings::default();
        let doc = document(&settings);
        let listed = paths(&doc);
        for known in [
            "/auth/users/",
            "/api/login/",
            "/api/token/",
            "/api/user/login/",
            "/groups/",
            "/api/admin/users",
            "/users/{id}/",
            "/api/user/media/{name}",
        ] {
            assert!(listed.contains(&known.to_owned()), "{known} missing");
        }
        check_against_router(settings).await;
    }

    #[tokio::test]
    async fn disabled_apis_are_neither_routed_nor_described() {
        let everything = document(&Settings::default());
        for apis in [&["djoser"][..], &["cookie", "users_service"][..]] {
            let (app, settings, _dir) = app(settings_with(apis)).await;
            let doc = document(&settings);
            for path in paths(&everything) {
                if doc["paths"].get(&path).is_some() {
                    continue;
                }
                for method in METHODS {
                    let (status, body) = call(&app, method, &concrete(&path)).await;
                    assert!(
                        route_miss(status, &body),
                        "{apis:?}: {method} {path} is routed ({status}) but not described"
                    );
                }
            }
            check_against_router(settings_with(apis)).await;
        }
    }

    #[tokio::test]
    async fn the_route_serves_the_document() {
        let (app, settings, _dir) = app(settings_with(&["simplejwt", "cookie"])).await;
        let expected = document(&settings);
        let request = Request::builder()
            .uri(PATH)
            .body(Body::empty())
            .expect("request");
        let response = app.oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let served: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(served, expected);
    }
}
