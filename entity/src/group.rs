//! The `groups` table: named groups of users, some open to self-registration.

use sea_orm::entity::prelude::*;

/// A group of users.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "groups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique, compared exactly.
    #[sea_orm(column_type = "String(StringLen::N(150))", unique)]
    pub name: String,
    /// Whether `register` may put a new user in this group (via `groupIds`).
    pub open_for_registration: bool,
    pub created_at: DateTimeUtc,
}

/// Foreign keys pointing at `groups`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Membership rows (`user_groups`) of this group.
    #[sea_orm(has_many = "super::user_group::Entity")]
    UserGroup,
}

impl Related<super::user_group::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UserGroup.def()
    }
}

/// Many-to-many: groups -> user_groups -> users.
impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        super::user_group::Relation::User.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::user_group::Relation::Group.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
