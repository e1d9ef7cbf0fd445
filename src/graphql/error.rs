//! ServiceError -> GraphQL error with `extensions.code` (and `extensions.fields`), mapped in
//! this one place. A bare `?` on a ServiceError would drop the code, so resolvers call `.gql()`.

use async_graphql::{ErrorExtensions, Value};

use crate::service::ServiceError;

/// `first_name` -> `firstName`: GraphQL input fields are camelCase.
fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

impl ErrorExtensions for ServiceError {
    fn extend(&self) -> async_graphql::Error {
        if let Self::Internal(source) | Self::Unavailable(source) = self {
            // Logged once here, inside the request's span (which carries the request id).
            tracing::error!(error = %source, code = self.code(), "request failed");
        }
        async_graphql::Error::new(self.to_string()).extend_with(|_, extensions| {
            extensions.set("code", self.code());
            match self {
                Self::InvalidInput(fields) => {
                    let map: async_graphql::indexmap::IndexMap<async_graphql::Name, Value> = fields
                        .iter()
                        .map(|(field, messages)| {
                            (
                                async_graphql::Name::new(camel_case(field)),
                                Value::List(
                                    messages.iter().map(|m| Value::from(m.as_str())).collect(),
                                ),
                            )
                        })
                        .collect();
                    extensions.set("fields", Value::Object(map));
                }
                Self::RateLimited { retry_after_secs } => {
                    extensions.set("retryAfter", *retry_after_secs);
                }
                _ => {}
            }
        })
    }
}

/// Converts service results into GraphQL results with the error extensions set.
pub trait GqlResult<T> {
    /// Maps the error through [`ErrorExtensions`].
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, ServiceError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|error| error.extend())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_fields_become_camel_case() {
        assert_eq!(camel_case("old_password"), "oldPassword");
        assert_eq!(camel_case("non_field_errors"), "nonFieldErrors");
        assert_eq!(camel_case("email"), "email");
    }
}
