//! Counts GraphQL operations by root field and outcome
//! (`authgraph_graphql_operations_total`). Root fields are bounded by the schema, unlike the
//! operation names clients choose, so the metric's cardinality stays small.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::{ExecutableDocument, Selection};
use async_graphql::{Response, ServerResult, Variables};

use crate::metrics::OperationLabels;
use crate::service::Services;

/// Factory of the per-request extension.
pub struct OperationMetrics;

impl ExtensionFactory for OperationMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationMetricsExtension {
            root_fields: Mutex::new(Vec::new()),
        })
    }
}

/// Root fields of each operation of the document, by operation name.
type RootFields = Vec<(Option<String>, Vec<String>)>;

struct OperationMetricsExtension {
    root_fields: Mutex<RootFields>,
}

fn root_fields(document: &ExecutableDocument) -> RootFields {
    document
        .operations
        .iter()
        .map(|(name, op)| {
            let fields = op
                .node
                .selection_set
                .node
                .items
                .iter()
                .filter_map(|item| match &item.node {
                    Selection::Field(field) => Some(field.node.name.node.to_string()),
                    _ => None,
                })
                .collect();
            (name.map(|n| n.to_string()), fields)
        })
        .collect()
}

#[async_trait::async_trait]
impl Extension for OperationMetricsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Ok(mut fields) = self.root_fields.lock() {
            *fields = root_fields(&document);
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        let Some(services) = ctx.data_opt::<Services>() else {
            return response;
        };
        let outcome = response
            .errors
            .first()
            .and_then(|error| error.extensions.as_ref())
            .and_then(|extensions| extensions.get("code"))
            .map_or_else(
                || {
                    if response.errors.is_empty() {
                        "ok".to_owned()
                    } else {
                        "error".to_owned()
                    }
                },
                |code| code.to_string().trim_matches('"').to_owned(),
            );
        let fields: Vec<String> = self
            .root_fields
            .lock()
            .map(|ops| {
                ops.iter()
                    .find(|(name, _)| operation_name.is_none() || name.as_deref() == operation_name)
                    .map(|(_, fields)| fields.clone())
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        for field in fields {
            services
                .metrics
                .graphql_operations
                .get_or_create(&OperationLabels {
                    field,
                    outcome: outcome.clone(),
                })
                .inc();
        }
        response
    }
}
