//! The `refresh_tokens` table: the rotation chain of a session. Only hashes are stored.

use sea_orm::entity::prelude::*;

/// One refresh token ever issued in a session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    /// SHA-256 hex of the opaque token handed to the client.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub token_hash: String,
    #[sea_orm(column_type = "String(StringLen::N(36))", indexed)]
    pub session_id: String,
    pub created_at: DateTimeUtc,
    /// Set when the token is rotated. Presenting a token whose `used_at` is set is reuse,
    /// which revokes the whole session.
    pub used_at: Option<DateTimeUtc>,
}

/// The session this token belongs to.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Deleting the session deletes its tokens.
    #[sea_orm(
        belongs_to = "super::session::Entity",
        from = "Column::SessionId",
        to = "super::session::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    Session,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
