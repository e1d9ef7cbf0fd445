//! The service layer: every operation of authgraph, called alike by GraphQL resolvers and
//! legacy REST adapters. Permission checks and business rules live here and nowhere else.

pub mod accounts;
pub mod context;
pub mod error;
pub mod groups;
pub mod limits;
pub mod principal;
pub mod sessions;
pub mod types;
pub mod users;

pub use context::Services;
pub use error::{FieldErrors, ServiceError, ServiceResult};
pub use principal::{Auth, Principal};
