//! The auth cookies of the cookie-style API: HttpOnly, SameSite=Lax, Secure unless turned
//! off for local http, lifetimes following the tokens'.

use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue};

use crate::http::credentials::{ACCESS_COOKIE, REFRESH_COOKIE};
use crate::service::sessions::IssuedTokens;

fn cookie(name: &str, value: &str, max_age: u64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// `Set-Cookie` headers carrying fresh tokens.
pub fn set(tokens: &IssuedTokens, refresh_ttl_secs: u64, secure: bool) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let pairs = [
        (
            ACCESS_COOKIE,
            tokens.access_token.as_str(),
            tokens.expires_in,
        ),
        (
            REFRESH_COOKIE,
            tokens.refresh_token.as_str(),
            refresh_ttl_secs,
        ),
    ];
    for (name, value, max_age) in pairs {
        if let Some(value) = cookie(name, value, max_age, secure) {
            headers.append(SET_COOKIE, value);
        }
    }
    headers
}

/// `Set-Cookie` headers that delete both cookies.
pub fn clear(secure: bool) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for name in [ACCESS_COOKIE, REFRESH_COOKIE] {
        if let Some(value) = cookie(name, "", 0, secure) {
            headers.append(SET_COOKIE, value);
        }
    }
    headers
}
