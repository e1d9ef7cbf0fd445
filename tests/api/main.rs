//! The one integration-test binary: black-box tests of authgraph over HTTP
//! (and of the `authgraph` binary), each against its own fresh database.
//!
//! Run against PostgreSQL by setting TEST_DATABASE_URL, e.g.
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test`;
//! otherwise each test uses a temporary SQLite file. TEST_LOG=1 prints the
//! server's tracing output.

mod abuse;
mod admin;
mod bad_input;
mod cli;
mod graphql_uploads;
mod groups;
mod helpers;
mod http;
mod import_django;
mod login;
mod me;
mod ops_durability;
mod ops_faults;
mod ops_instances;
mod ops_metrics;
mod ops_sessions;
mod ops_shutdown;
mod ops_support;
mod register;
mod rest_common;
mod rest_conjugator;
mod rest_cookie;
mod rest_djoser;
mod rest_simplejwt;
mod rest_users_service;
mod tokens;
mod users;
