//! authgraph: user accounts and authentication over GraphQL, with REST routes compatible
//! with five Django REST Framework auth APIs.
//!
//! - [`service`]: every operation and rule (the one core both front doors call)
//! - [`graphql`]: the GraphQL schema and handlers
//! - [`http`]: credentials extractor, health, metrics
//! - [`auth`]: password hashing and rules, token formats
//! - [`startup`]: building and running the server; [`config`] and [`cli`]: settings
//! - [`import`]: `import-django`, accounts moved over from a Django project
#![forbid(unsafe_code)]

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod graphql;
pub mod http;
pub mod import;
pub mod media;
pub mod metrics;
pub mod rest;
pub mod secret;
pub mod service;
pub mod startup;
pub mod state;
pub mod telemetry;
