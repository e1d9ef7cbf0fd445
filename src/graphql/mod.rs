//! The GraphQL API: schema construction, the HTTP handlers, and per-request context.

pub mod error;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod observe;
pub mod query;
pub mod types;

use async_graphql::dataloader::DataLoader;
use async_graphql::http::GraphiQLSource;
use async_graphql::http::MultipartOptions;
use async_graphql::ParseRequestError;
use async_graphql::{Context, EmptySubscription, MergedObject, Schema};
use async_graphql_axum::GraphQLResponse;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use http_body_util::{BodyExt, Limited};

use crate::config::Settings;
use crate::http::credentials::{CredentialsRejection, RequestCredentials};
use crate::service::context::ClientInfo;
use crate::service::{Auth, Services};
use crate::state::AppState;
use loaders::{GroupsOfUsers, MembersOfGroups};

/// Every query root.
#[derive(MergedObject, Default)]
pub struct Query(query::UserQuery, query::GroupQuery);

/// Every mutation root.
#[derive(MergedObject, Default)]
pub struct Mutation(mutation::AccountMutation, mutation::AdminMutation);

/// The authgraph schema.
pub type AuthSchema = Schema<Query, Mutation, EmptySubscription>;

/// Per-request facts besides credentials, for resolvers that need them.
#[derive(Debug, Clone, Default)]
pub struct RequestExtras {
    /// Where the request came from.
    pub client: ClientInfo,
    /// The refresh cookie, used by `refresh(refreshToken: null)`.
    pub refresh_cookie: Option<String>,
}

/// The schema with its limits; `services` is absent only for printing the SDL.
pub fn build_schema(settings: &Settings, services: Option<Services>) -> AuthSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(settings.graphql_max_depth)
        .limit_complexity(settings.graphql_max_complexity)
        .limit_recursive_depth(32)
        .limit_directives(16)
        .extension(limits::DocumentLimits {
            max_aliases: settings.graphql_max_aliases,
        })
        .extension(observe::OperationMetrics);
    if !settings.introspection {
        builder = builder.disable_introspection();
    }
    if let Some(services) = services {
        builder = builder.data(services);
    }
    builder.finish()
}

/// Services and the caller's auth state, from a resolver's context.
pub(crate) fn request_auth<'a>(
    ctx: &Context<'a>,
) -> async_graphql::Result<(&'a Services, &'a Auth)> {
    Ok((ctx.data::<Services>()?, ctx.data::<Auth>()?))
}

fn with_request_data(
    state: &AppState,
    request: async_graphql::Request,
    credentials: RequestCredentials,
) -> async_graphql::Request {
    let services = state.services.clone();
    let groups = DataLoader::new(
        GroupsOfUsers {
            services: services.clone(),
        },
        tokio::spawn,
    )
    .delay(std::time::Duration::from_millis(
        state.settings.dataloader_delay_ms,
    ));
    let members = DataLoader::new(
        MembersOfGroups {
            services,
            auth: credentials.auth.clone(),
        },
        tokio::spawn,
    )
    .delay(std::time::Duration::from_millis(
        state.settings.dataloader_delay_ms,
    ));
    request
        .data(credentials.auth)
        .data(RequestExtras {
            client: credentials.client,
            refresh_cookie: credentials.refresh_cookie,
        })
        .data(groups)
        .data(members)
}

async fn execute(
    state: &AppState,
    request: async_graphql::Request,
    credentials: Result<RequestCredentials, crate::service::ServiceError>,
) -> Response {
    let response = match credentials {
        Ok(credentials) => {
            let request = with_request_data(state, request, credentials);
            if let Some(name) = request.operation_name.as_deref() {
                tracing::Span::current().record("graphql.operation", name);
            }
            state.schema.execute(request).await
        }
        // The credentials could not be checked (database down): answer in GraphQL's shape.
        Err(error) => {
            async_graphql::Response::from_errors(vec![async_graphql::ErrorExtensions::extend(
                &error,
            )
            .into_server_error(Default::default())])
        }
    };
    GraphQLResponse::from(response).into_response()
}

/// `POST /graphql`: JSON, or a GraphQL multipart request (file uploads). The body is read
/// with an explicit limit: 1 MiB, or the picture limit for multipart requests.
pub async fn graphql_post(
    State(state): State<AppState>,
    credentials: Result<RequestCredentials, CredentialsRejection>,
    request: axum::extract::Request,
) -> Response {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let multipart = content_type
        .as_deref()
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let media_max = state.settings.media_max_bytes;
    let limit = if multipart {
        media_max.saturating_add(64 * 1024)
    } else {
        crate::startup::BODY_LIMIT
    };
    let body = match Limited::new(request.into_body(), limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return request_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large.",
            )
        }
    };
    let options = MultipartOptions::default()
        .max_num_files(1)
        .max_file_size(media_max);
    let request = match async_graphql::http::receive_body(content_type, &body[..], options).await {
        Ok(request) => request,
        Err(ParseRequestError::PayloadTooLarge) => {
            return request_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The uploaded file is too large.",
            )
        }
        Err(error) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                &format!("Invalid GraphQL request: {error}"),
            )
        }
    };
    execute(
        &state,
        request,
        credentials.map_err(|rejection| rejection.0),
    )
    .await
}

/// A GraphQL-shaped error for requests that could not even be parsed.
fn request_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }]
    });
    (status, axum::Json(body)).into_response()
}

/// `GET /graphql`: GraphiQL for browsers, queries (never mutations) for clients.
pub async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    credentials: Result<RequestCredentials, CredentialsRejection>,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let query = query.unwrap_or_default();
    if wants_html && !query.contains("query=") {
        if !state.settings.graphiql {
            return StatusCode::NOT_FOUND.into_response();
        }
        return Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response();
    }
    let request = match async_graphql::http::parse_query_string(&query) {
        Ok(request) => request.data(limits::OverGet),
        Err(error) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("Invalid GraphQL request: {error}"),
            )
                .into_response()
        }
    };
    execute(
        &state,
        request,
        credentials.map_err(|rejection| rejection.0),
    )
    .await
}
