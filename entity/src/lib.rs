//! Database entities (sea-orm) for the five authgraph tables; the column spec lives in
//! DESIGN.md "Tables" and the `migration` crate creates the schema.
//!
//! The entities stay plain: no GraphQL or serde derives, because `users` holds `password_hash`.

#![forbid(unsafe_code)]

pub mod django_import_map;
pub mod group;
pub mod login_throttle;
pub mod refresh_token;
pub mod session;
pub mod user;
pub mod user_group;

/// Re-exports every entity under its table's singular name (`User`, `Group`, ...).
pub mod prelude {
    pub use super::django_import_map::Entity as DjangoImportMap;
    pub use super::group::Entity as Group;
    pub use super::refresh_token::Entity as RefreshToken;
    pub use super::session::Entity as Session;
    pub use super::user::Entity as User;
    pub use super::user_group::Entity as UserGroup;
}
