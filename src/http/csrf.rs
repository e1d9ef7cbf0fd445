//! Cross-site request forgery guard for cookie-authenticated writes (REST and GraphQL).
//!
//! Cookies ride along with cross-site requests; bearer headers do not. A state-changing
//! request (POST, PUT, PATCH, DELETE) that carries an auth cookie and no `Authorization`
//! header must come from the server's own origin or an allowed one. Browsers always send
//! `Origin` on such requests; requests without `Origin` or `Referer` come from non-browser
//! clients and pass.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::credentials::{ACCESS_COOKIE, REFRESH_COOKIE};
use crate::state::AppState;

fn carries_auth_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, _)| name == ACCESS_COOKIE || name == REFRESH_COOKIE)
}

/// `scheme://host[:port]` of an Origin or Referer value.
fn origin_of(value: &str) -> Option<String> {
    let url = url::Url::parse(value).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

fn allowed(headers: &HeaderMap, allowed_origins: &[String]) -> bool {
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(source) = source else {
        return true;
    };
    let Some(origin) = origin_of(source) else {
        return false; // "null" or garbage: a sandboxed or forged context
    };
    let own_host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let same_host = url::Url::parse(&origin)
        .ok()
        .and_then(|url| {
            let host = url.host_str()?.to_owned();
            Some(match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .is_some_and(|authority| Some(authority.as_str()) == own_host);
    same_host
        || allowed_origins.iter().any(|allowed| {
            allowed
                .trim()
                .trim_end_matches('/')
                .eq_ignore_ascii_case(&origin)
        })
}

/// Middleware refusing cookie-authenticated writes from foreign origins with 403.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let headers = request.headers();
    if writes
        && !headers.contains_key(header::AUTHORIZATION)
        && carries_auth_cookie(headers)
        && !allowed(headers, &state.settings.allowed_origins)
    {
        tracing::warn!("cookie-authenticated write from a foreign origin refused");
        return (
            StatusCode::FORBIDDEN,
            Json(serde_json::json!({ "detail": "Origin not allowed." })),
        )
            .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn own_and_listed_origins_pass_and_others_do_not() {
        let list = vec!["https://app.example".to_owned()];
        let own = headers(&[
            ("host", "auth.example:8000"),
            ("origin", "http://auth.example:8000"),
        ]);
        let listed = headers(&[("host", "auth.example"), ("origin", "https://app.example")]);
        let foreign = headers(&[("host", "auth.example"), ("origin", "https://evil.example")]);
        let null = headers(&[("host", "auth.example"), ("origin", "null")]);
        let none = headers(&[("host", "auth.example")]);
        assert!(allowed(&own, &list));
        assert!(allowed(&listed, &list));
        assert!(!allowed(&foreign, &list));
        assert!(!allowed(&null, &list));
        assert!(allowed(&none, &list));
    }
}
