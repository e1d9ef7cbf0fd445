//! The `users` table: one row per account, including its credentials and admin flag.

use sea_orm::entity::prelude::*;

/// A user account. Holds `password_hash`, so it must never be exposed as-is.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Display form of the username, NFKC-normalised (case preserved).
    #[sea_orm(column_type = "String(StringLen::N(150))")]
    pub username: String,
    /// NFKC + case-folded username; the unique key used for lookups and duplicate checks.
    #[sea_orm(column_type = "String(StringLen::N(150))", unique)]
    pub username_key: String,
    /// Email as entered (display form); `None` when the account has no email.
    #[sea_orm(column_type = "String(StringLen::N(254))", nullable)]
    pub email: Option<String>,
    /// NFKC + lowercased email; unique when present, several accounts may have `None`.
    #[sea_orm(column_type = "String(StringLen::N(254))", nullable, unique)]
    pub email_key: Option<String>,
    /// Empty string when not given.
    #[sea_orm(column_type = "String(StringLen::N(150))")]
    pub first_name: String,
    /// Empty string when not given.
    #[sea_orm(column_type = "String(StringLen::N(150))")]
    pub last_name: String,
    #[sea_orm(column_type = "String(StringLen::N(150))", nullable)]
    pub codename: Option<String>,
    /// File name inside the media dir, not a path or URL.
    #[sea_orm(column_type = "Text", nullable)]
    pub profile_pic: Option<String>,
    /// Inactive users cannot log in and have no live sessions.
    pub is_active: bool,
    pub is_admin: bool,
    /// PHC string (argon2); a value starting with `!` marks an unusable password.
    #[sea_orm(column_type = "Text")]
    pub password_hash: String,
    pub date_joined: DateTimeUtc,
    pub last_login: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

/// Foreign keys pointing at `users`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Group memberships (`user_groups` rows) of this user.
    #[sea_orm(has_many = "super::user_group::Entity")]
    UserGroup,
    /// Sessions (JWT and legacy token) of this user.
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
}

impl Related<super::user_group::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UserGroup.def()
    }
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

/// Many-to-many: users -> user_groups -> groups.
impl Related<super::group::Entity> for Entity {
    fn to() -> RelationDef {
        super::user_group::Relation::Group.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::user_group::Relation::User.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
