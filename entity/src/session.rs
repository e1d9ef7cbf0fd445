//! The `sessions` table: one row per sign-in (JWT refresh chain or legacy DRF token),
//! which is what revocation acts on.

use sea_orm::entity::prelude::*;

/// `kind` value of a session created by `login` (JWT access + refresh tokens).
pub const KIND_JWT: &str = "jwt";
/// `kind` value of a session backing a legacy 40-hex `Token` credential.
pub const KIND_LEGACY: &str = "legacy";

/// A session of a user.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// UUID v4 as text; also the `sid` claim of access tokens.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(36))"
    )]
    pub id: String,
    #[sea_orm(indexed)]
    pub user_id: i64,
    /// [`KIND_JWT`] or [`KIND_LEGACY`].
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub kind: String,
    /// SHA-256 hex of the legacy 40-hex token; set only for legacy sessions.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable, unique)]
    pub legacy_token_hash: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_used_at: DateTimeUtc,
    /// `None`: valid until revoked (legacy tokens).
    #[sea_orm(indexed)]
    pub expires_at: Option<DateTimeUtc>,
    /// Set once the session is revoked; a revoked session never becomes valid again.
    pub revoked_at: Option<DateTimeUtc>,
    /// Why it was revoked (e.g. logout, password change, refresh token reuse).
    #[sea_orm(column_type = "String(StringLen::N(32))", nullable)]
    pub revoked_reason: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(512))", nullable)]
    pub user_agent: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub client_ip: Option<String>,
}

/// The owner of the session and its refresh-token chain.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The user who signed in; deleting the user deletes the session.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    User,
    /// Refresh tokens issued in this session (the rotation chain).
    #[sea_orm(has_many = "super::refresh_token::Entity")]
    RefreshToken,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::refresh_token::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RefreshToken.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
