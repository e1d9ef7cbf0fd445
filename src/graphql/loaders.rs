//! DataLoaders for `User.groups` and `Group.members`, created per request so that their
//! caches never outlive a request or leak between callers.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{group, user};

use crate::service::{groups, users, Auth, ServiceError, Services};

/// Batches `User.groups`: one statement per batch of users.
pub struct GroupsOfUsers {
    /// Service handles.
    pub services: Services,
}

impl Loader<i64> for GroupsOfUsers {
    type Value = Vec<group::Model>;
    type Error = Arc<ServiceError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        users::groups_for_users(&self.services.db, keys)
            .await
            .map_err(Arc::new)
    }
}

/// Batches `Group.members`: one statement per batch of groups, filtered to what the caller
/// may see.
pub struct MembersOfGroups {
    /// Service handles.
    pub services: Services,
    /// The caller.
    pub auth: Auth,
}

impl Loader<i64> for MembersOfGroups {
    type Value = Vec<user::Model>;
    type Error = Arc<ServiceError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        groups::members_for_groups(&self.services, &self.auth, keys)
            .await
            .map_err(Arc::new)
    }
}
