//! Token formats: JWT access tokens, opaque refresh tokens, DRF-style legacy tokens.
//!
//! Key rotation: tokens are signed with one key and carry its `kid` (the first 16 hex digits
//! of the key's SHA-256); verification accepts the signing key and any previous keys still
//! configured, chosen by `kid`. Rotating = make the new secret the signing one, keep the old
//! one as previous for one access-token lifetime, then drop it.
//!
//! Only hashes of refresh and legacy tokens are stored (SHA-256, hex): a database leak does
//! not yield usable tokens. Access tokens are verified with the algorithm pinned to HS256,
//! issuer and audience checked, and carry `sid`, the session that must still be live.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// User id.
    pub sub: String,
    /// Session id; the session must be live for the token to be accepted.
    pub sid: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// Why an access token was refused. Deliberately coarse: callers answer all of them alike.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Malformed, forged, expired, or for another issuer or audience.
    #[error("token is invalid or expired")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    /// Signed with a key that is not (or no longer) configured, or without a `kid`.
    #[error("token is signed with an unknown key")]
    UnknownKey,
}

/// The `kid` of a secret: the first 16 hex digits of its SHA-256 (names the key without
/// revealing it).
pub fn key_id(secret: &[u8]) -> String {
    hex::encode(&Sha256::digest(secret)[..8])
}

/// The keys and rules for access tokens, built once at startup. Cheap to clone: it is part
/// of `Services`, which handlers and middleware clone several times per request.
#[derive(Clone)]
pub struct JwtKeys(Arc<Keys>);

#[derive(Clone)]
struct Keys {
    encoding: EncodingKey,
    kid: String,
    /// Verification keys by `kid`: the signing key first, then previous keys.
    decoding: Vec<(String, DecodingKey)>,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("kid", &self.0.kid)
            .field("issuer", &self.0.issuer)
            .field("audience", &self.0.audience)
            .field("ttl", &self.0.ttl)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Keys for HS256 with `secret`.
    pub fn new(secret: &[u8], issuer: &str, audience: &str, ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        let kid = key_id(secret);
        Self(Arc::new(Keys {
            encoding: EncodingKey::from_secret(secret),
            decoding: vec![(kid.clone(), DecodingKey::from_secret(secret))],
            kid,
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl,
        }))
    }

    /// Also accepts tokens signed with these earlier secrets (key rotation).
    pub fn with_previous<'a>(mut self, secrets: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let keys = Arc::make_mut(&mut self.0);
        for secret in secrets {
            let kid = key_id(secret);
            if keys.decoding.iter().all(|(known, _)| *known != kid) {
                keys.decoding.push((kid, DecodingKey::from_secret(secret)));
            }
        }
        self
    }

    /// `kid` of the signing key.
    pub fn kid(&self) -> &str {
        &self.0.kid
    }

    /// Lifetime of the tokens this issues.
    pub fn ttl(&self) -> Duration {
        self.0.ttl
    }

    /// Signs an access token for `user_id` in session `session_id`.
    pub fn issue(
        &self,
        user_id: i64,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<String, TokenError> {
        let keys = &*self.0;
        let iat = now.timestamp();
        let claims = AccessClaims {
            iss: keys.issuer.clone(),
            aud: keys.audience.clone(),
            sub: user_id.to_string(),
            sid: session_id.to_owned(),
            iat,
            exp: iat.saturating_add(i64::try_from(keys.ttl.as_secs()).unwrap_or(i64::MAX)),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(keys.kid.clone());
        Ok(jsonwebtoken::encode(&header, &claims, &keys.encoding)?)
    }

    /// Checks signature (HS256 only, with the key named by `kid`), expiry, issuer and
    /// audience; returns the claims.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token)?;
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.0.decoding.iter().find(|(known, _)| known == kid))
            .map(|(_, key)| key)
            .ok_or(TokenError::UnknownKey)?;
        Ok(jsonwebtoken::decode::<AccessClaims>(token, key, &self.0.validation)?.claims)
    }
}

/// A new refresh token: 256 random bits, URL-safe base64 (43 characters).
pub fn generate_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new legacy token as DRF makes them: 40 lowercase hex characters (160 random bits).
pub fn generate_legacy_token() -> String {
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// True when `token` has the shape of a legacy token (40 hex characters).
pub fn looks_like_legacy_token(token: &str) -> bool {
    token.len() == 40 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The stored form of a refresh or legacy token: SHA-256, hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a-test-secret-that-is-at-least-32-bytes-long";

    fn keys() -> JwtKeys {
        JwtKeys::new(SECRET, "authgraph", "authgraph", Duration::from_secs(900))
    }

    fn b64(value: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    fn valid_claims() -> serde_json::Value {
        let now = Utc::now().timestamp();
        serde_json::json!({"iss": "authgraph", "aud": "authgraph", "sub": "1", "sid": "s",
                           "iat": now, "exp": now + 900})
    }

    #[test]
    fn an_issued_token_verifies_and_carries_user_and_session() {
        let token = keys().issue(42, "session-1", Utc::now()).unwrap();
        let claims = keys().verify(&token).unwrap();
        assert_eq!(claims.sub, "42");
        assert_eq!(claims.sid, "session-1");
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn a_token_with_alg_none_is_refused() {
        let header = b64(&serde_json::json!({"alg": "none", "typ": "JWT", "kid": keys().kid()}));
        let token = format!("{header}.{}.", b64(&valid_claims()));
        assert!(keys().verify(&token).is_err());
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let other = JwtKeys::new(
            b"another-secret-another-secret-another",
            "authgraph",
            "authgraph",
            Duration::from_secs(900),
        );
        let token = other.issue(1, "s", Utc::now()).unwrap();
        assert!(keys().verify(&token).is_err());
    }

    #[test]
    fn an_expired_token_is_refused() {
        let token = keys()
            .issue(1, "s", Utc::now() - chrono::Duration::seconds(901))
            .unwrap();
        assert!(keys().verify(&token).is_err());
    }

    #[test]
    fn a_token_for_another_audience_or_issuer_is_refused() {
        let ttl = Duration::from_secs(900);
        let wrong_aud = JwtKeys::new(SECRET, "authgraph", "other-app", ttl);
        let wrong_iss = JwtKeys::new(SECRET, "someone-else", "authgraph", ttl);
        assert!(keys()
            .verify(&wrong_aud.issue(1, "s", Utc::now()).unwrap())
            .is_err());
        assert!(keys()
            .verify(&wrong_iss.issue(1, "s", Utc::now()).unwrap())
            .is_err());
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let token = keys().issue(1, "s", Utc::now()).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let mut claims = valid_claims();
        claims["sub"] = serde_json::json!("2");
        let forged = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
        assert!(keys().verify(&forged).is_err());
    }

    #[test]
    fn tokens_signed_with_a_previous_key_verify_after_rotation_until_it_is_dropped() {
        let ttl = Duration::from_secs(900);
        let old = JwtKeys::new(
            b"old-secret-old-secret-old-secret-old",
            "authgraph",
            "authgraph",
            ttl,
        );
        let old_token = old.issue(1, "s", Utc::now()).unwrap();
        let rotated = JwtKeys::new(SECRET, "authgraph", "authgraph", ttl)
            .with_previous([b"old-secret-old-secret-old-secret-old".as_slice()]);
        assert_eq!(rotated.verify(&old_token).unwrap().sub, "1");
        let new_token = rotated.issue(2, "s", Utc::now()).unwrap();
        assert_eq!(
            jsonwebtoken::decode_header(&new_token)
                .unwrap()
                .kid
                .as_deref(),
            Some(rotated.kid())
        );
        // Without the previous key, old tokens are refused.
        assert!(keys().verify(&old_token).is_err());
    }

    #[test]
    fn a_token_without_a_kid_is_refused() {
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &valid_claims(),
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(matches!(keys().verify(&token), Err(TokenError::UnknownKey)));
    }

    #[test]
    fn a_token_signed_with_another_hmac_algorithm_is_refused() {
        let mut header = Header::new(Algorithm::HS512);
        header.kid = Some(keys().kid().to_owned());
        let token =
            jsonwebtoken::encode(&header, &valid_claims(), &EncodingKey::from_secret(SECRET))
                .unwrap();
        assert!(keys().verify(&token).is_err());
    }

    #[test]
    fn garbage_is_refused() {
        for token in ["", "abc", "a.b.c", "....", "\u{0}"] {
            assert!(keys().verify(token).is_err(), "{token:?}");
        }
    }

    #[test]
    fn generated_tokens_have_their_documented_shapes() {
        let refresh = generate_refresh_token();
        assert_eq!(refresh.len(), 43);
        assert_ne!(refresh, generate_refresh_token());
        let legacy = generate_legacy_token();
        assert!(looks_like_legacy_token(&legacy));
        assert_eq!(hash_token(&legacy).len(), 64);
        assert_ne!(hash_token(&legacy), legacy);
    }
}
