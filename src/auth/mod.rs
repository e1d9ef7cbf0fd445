//! Security primitives: password hashing, password rules, token formats.

pub mod django;
pub mod password;
pub mod policy;
pub mod tokens;
