//! Failed-login counts per account name, for the growing back-off shared by all instances.

use sea_orm::entity::prelude::*;

/// One account name's recent failures.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttles")]
pub struct Model {
    /// SHA-256 (hex) of the comparison key of the attempted name (username or email), known
    /// account or not, so that unknown names behave like known ones.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// Consecutive failures.
    pub failures: i32,
    /// No attempt is checked before this instant.
    pub locked_until: Option<DateTimeUtc>,
    /// Last failure.
    pub updated_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
