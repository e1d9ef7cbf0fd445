//! The request body of a legacy route, as DRF's parsers read it: JSON, form-urlencoded or
//! multipart (files kept apart); an empty body is an empty object. Typed access helpers
//! collect DRF-style field errors.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};
use serde_json::{json, Map, Value};

use super::error::RestError;
use crate::service::types::Patch;
use crate::service::FieldErrors;

/// DRF's message for a missing required field.
pub const REQUIRED: &str = "This field is required.";

/// A parsed legacy request body.
#[derive(Debug, Default)]
pub struct LegacyBody {
    /// Plain fields.
    pub fields: Map<String, Value>,
    /// Uploaded files by field name (multipart only).
    pub files: HashMap<String, Vec<u8>>,
}

fn parse_error(message: impl std::fmt::Display) -> RestError {
    RestError::bad_request(format!("JSON parse error - {message}"))
}

impl<S: Send + Sync> FromRequest<S> for LegacyBody {
    type Rejection = RestError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            return from_multipart(request, state).await;
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                RestError::Body(
                    rejection.status(),
                    json!({ "detail": rejection.body_text() }),
                )
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        let fields = if content_type.starts_with("application/x-www-form-urlencoded") {
            form_fields(&bytes)
        } else if content_type.is_empty() || content_type.starts_with("application/json") {
            match serde_json::from_slice::<Value>(&bytes).map_err(parse_error)? {
                Value::Object(map) => map,
                other => {
                    let kind = match other {
                        Value::Array(_) => "list",
                        Value::String(_) => "str",
                        Value::Number(_) => "int",
                        Value::Bool(_) => "bool",
                        _ => "NoneType",
                    };
                    return Err(RestError::Body(
                        StatusCode::BAD_REQUEST,
                        json!({ "non_field_errors": [format!("Invalid data. Expected a dictionary, but got {kind}.")] }),
                    ));
                }
            }
        } else {
            return Err(RestError::Body(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                json!({ "detail": format!("Unsupported media type \"{content_type}\" in request.") }),
            ));
        };
        Ok(Self {
            fields,
            files: HashMap::new(),
        })
    }
}

/// Repeated keys (`groups=1&groups=2`) become lists, as DRF's QueryDict offers them.
fn form_fields(bytes: &[u8]) -> Map<String, Value> {
    let mut fields = Map::new();
    for (key, value) in url::form_urlencoded::parse(bytes) {
        let value = Value::String(value.into_owned());
        match fields.get_mut(key.as_ref()) {
            Some(Value::Array(list)) => list.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                fields.insert(key.into_owned(), value);
            }
        }
    }
    fields
}

async fn from_multipart<S: Send + Sync>(
    request: Request,
    state: &S,
) -> Result<LegacyBody, RestError> {
    let bad = |error: axum::extract::multipart::MultipartError| {
        RestError::Body(
            error.status(),
            json!({ "detail": format!("Multipart form parse error - {}", error.body_text()) }),
        )
    };
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|rejection| {
            RestError::Body(
                rejection.status(),
                json!({ "detail": rejection.body_text() }),
            )
        })?;
    let mut body = LegacyBody::default();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if field.file_name().is_some() {
            let bytes = field.bytes().await.map_err(bad)?;
            body.files.insert(name, bytes.to_vec());
        } else {
            let text = field.text().await.map_err(bad)?;
            body.fields.insert(name, Value::String(text));
        }
    }
    Ok(body)
}

impl LegacyBody {
    /// True when the field is present (even if null).
    pub fn has(&self, key: &str) -> bool {
        self.fields.contains_key(key) || self.files.contains_key(key)
    }

    /// An optional string field: absent or null is `None`; numbers are taken as text (as
    /// DRF's CharField does); other types are a field error.
    pub fn string(&self, key: &str, errors: &mut FieldErrors) -> Option<String> {
        match self.fields.get(key)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => {
                errors.add(key, "Not a valid string.");
                None
            }
        }
    }

    /// A required, non-blank string field.
    pub fn required(&self, key: &str, errors: &mut FieldErrors) -> Option<String> {
        match self.string(key, errors) {
            Some(value) if !value.trim().is_empty() => Some(value),
            Some(_) => {
                errors.add(key, "This field may not be blank.");
                None
            }
            None if self.fields.get(key).is_some_and(Value::is_null) => {
                errors.add(key, "This field may not be null.");
                None
            }
            None if errors.get(key).is_none() => {
                errors.add(key, REQUIRED);
                None
            }
            None => None,
        }
    }

    /// A field that can be left out (`Keep`), nulled (`Clear`) or set.
    pub fn patch(&self, key: &str, errors: &mut FieldErrors) -> Patch<String> {
        match self.fields.get(key) {
            None => Patch::Keep,
            Some(Value::Null) => Patch::Clear,
            Some(_) => self.string(key, errors).map_or(Patch::Keep, Patch::Set),
        }
    }

    /// An optional boolean (JSON bool, or "true"/"false" in forms).
    pub fn boolean(&self, key: &str, errors: &mut FieldErrors) -> Option<bool> {
        match self.fields.get(key)? {
            Value::Null => None,
            Value::Bool(b) => Some(*b),
            Value::String(s) if matches!(s.to_ascii_lowercase().as_str(), "true" | "1" | "on") => {
                Some(true)
            }
            Value::String(s)
                if matches!(s.to_ascii_lowercase().as_str(), "false" | "0" | "off") =>
            {
                Some(false)
            }
            _ => {
                errors.add(key, "Must be a valid boolean.");
                None
            }
        }
    }

    /// A list of integer ids (a JSON list, a single value, or repeated form keys).
    pub fn ids(&self, key: &str, errors: &mut FieldErrors) -> Vec<i64> {
        let items = match self.fields.get(key) {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(single) => vec![single.clone()],
        };
        let mut ids = Vec::with_capacity(items.len());
        for item in items {
            let id = match &item {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            match id {
                Some(id) if id > 0 => ids.push(id),
                _ => errors.add(
                    key,
                    format!("Incorrect type. Expected pk value, received {item}."),
                ),
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_form_keys_become_lists() {
        let fields = form_fields(b"groups=1&groups=2&name=a+b");
        assert_eq!(fields["groups"], json!(["1", "2"]));
        assert_eq!(fields["name"], json!("a b"));
    }

    #[test]
    fn typed_access_collects_drf_errors() {
        let body = LegacyBody {
            fields: json!({"a": 5, "b": [1], "c": "", "d": null, "ids": [1, "2", "x"]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            files: HashMap::new(),
        };
        let mut errors = FieldErrors::new();
        assert_eq!(body.string("a", &mut errors), Some("5".into()));
        assert_eq!(body.string("b", &mut errors), None);
        assert_eq!(body.required("c", &mut errors), None);
        assert_eq!(body.required("missing", &mut errors), None);
        assert_eq!(body.patch("d", &mut errors), Patch::Clear);
        assert_eq!(body.ids("ids", &mut errors), vec![1, 2]);
        assert_eq!(errors.get("b").map(Vec::len), Some(1));
        assert_eq!(
            errors.get("c"),
            Some(&vec!["This field may not be blank.".to_owned()])
        );
        assert_eq!(errors.get("missing"), Some(&vec![REQUIRED.to_owned()]));
        assert!(errors.get("ids").is_some());
    }
}
