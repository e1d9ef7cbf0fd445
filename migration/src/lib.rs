//! Schema migrations for authgraph. `Migrator::up` runs at startup (`serve`) and from
//! `migrate`; every migration must work unchanged on SQLite and PostgreSQL.

#![forbid(unsafe_code)]

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_tables;
mod m20261122_000002_django_import;
mod m20261122_000003_login_throttles;

/// The ordered list of every migration of the project.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_tables::Migration),
            Box::new(m20261122_000002_django_import::Migration),
            Box::new(m20261122_000003_login_throttles::Migration),
        ]
    }
}
