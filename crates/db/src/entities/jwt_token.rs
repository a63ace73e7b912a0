//! `jwt_tokens`: issued personal access (refresh) tokens, so they can be listed and blacklisted.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "jwt_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub jti: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub blacklisted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
