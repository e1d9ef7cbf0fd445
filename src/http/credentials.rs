//! The one credentials extractor: `Authorization: Bearer|JWT <access>`, `Token <legacy>`,
//! or the access cookie, resolved to `Auth` for every route, REST and GraphQL alike.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::service::context::ClientInfo;
use crate::service::{sessions, Auth, ServiceError};
use crate::state::AppState;

/// Cookie holding the access JWT (set by the cookie-style legacy API).
pub const ACCESS_COOKIE: &str = "ag_access";
/// Cookie holding the refresh token.
pub const REFRESH_COOKIE: &str = "ag_refresh";

/// A request's credentials, checked, plus where it came from.
#[derive(Debug, Clone, Default)]
pub struct RequestCredentials {
    /// Who is calling.
    pub auth: Auth,
    /// Client address and user agent.
    pub client: ClientInfo,
    /// The refresh cookie, if sent.
    pub refresh_cookie: Option<String>,
    /// The caller was authenticated by the access cookie (CSRF rules apply).
    pub via_cookie: bool,
}

/// The credentials could not be checked (database unavailable).
#[derive(Debug)]
pub struct CredentialsRejection(pub ServiceError);

impl IntoResponse for CredentialsRejection {
    fn into_response(self) -> Response {
        tracing::error!(error = ?self.0, "credentials check failed");
        let status = match self.0 {
            ServiceError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (
            status,
            Json(serde_json::json!({ "detail": self.0.to_string() })),
        )
            .into_response()
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

/// The client's address: the peer, unless the peer is a trusted proxy; then the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy (entries further left are
/// whatever the client claimed, and cannot be believed).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(forwarded.first())
        .copied()
        .unwrap_or(peer)
}

impl FromRequestParts<AppState> for RequestCredentials {
    type Rejection = CredentialsRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let services = &state.services;
        let mut via_cookie = false;
        let auth = match parts.headers.get(header::AUTHORIZATION) {
            Some(value) => {
                let value = value.to_str().unwrap_or_default().trim();
                match value.split_once(' ') {
                    Some((scheme, token)) if !token.trim().is_empty() => {
                        let token = token.trim();
                        if scheme.eq_ignore_ascii_case("bearer")
                            || scheme.eq_ignore_ascii_case("jwt")
                        {
                            sessions::authenticate_access(services, token).await
                        } else if scheme.eq_ignore_ascii_case("token") {
                            sessions::authenticate_legacy(services, token).await
                        } else {
                            Ok(Auth::Invalid)
                        }
                    }
                    _ => Ok(Auth::Invalid),
                }
            }
            None => match cookie(parts, ACCESS_COOKIE) {
                Some(token) => {
                    via_cookie = true;
                    sessions::authenticate_access(services, token).await
                }
                None => Ok(Auth::Anonymous),
            },
        }
        .map_err(CredentialsRejection)?;
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let client = ClientInfo {
            ip: peer
                .map(|peer| client_ip(peer, &parts.headers, &state.settings.trusted_proxies))
                .map(|ip| ip.to_string()),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        };
        Ok(Self {
            auth,
            client,
            refresh_cookie: cookie(parts, REFRESH_COOKIE).map(str::to_owned),
            via_cookie,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert("x-forwarded-for", xff.parse().unwrap());
        map
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let spoofed = headers("1.2.3.4, 203.0.113.9, 10.0.0.2");
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let stranger: IpAddr = "198.51.100.7".parse().unwrap();
        // Through the proxies: the right-most untrusted hop, not the client's claim.
        assert_eq!(
            client_ip(proxy, &spoofed, &trusted),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        // Straight from the internet: the header is ignored.
        assert_eq!(client_ip(stranger, &spoofed, &trusted), stranger);
        // Nothing trusted: the peer.
        assert_eq!(client_ip(proxy, &spoofed, &[]), proxy);
    }

    proptest::proptest! {
        #[test]
        fn forwarded_for_never_yields_a_trusted_proxy_or_panics(
            header in "[0-9a-f:., ]{0,80}",
            peer_trusted in proptest::bool::ANY,
        ) {
            let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
            let peer: IpAddr = if peer_trusted { "10.1.2.3".parse().unwrap() } else { "198.51.100.9".parse().unwrap() };
            let mut headers = HeaderMap::new();
            if let Ok(value) = header.parse() {
                headers.insert("x-forwarded-for", value);
            }
            let ip = client_ip(peer, &headers, &trusted);
            if !peer_trusted {
                proptest::prop_assert_eq!(ip, peer);
            }
        }
    }
}
