//! `organizations`: the tenant every project and membership belongs to.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    /// Invite token (`/user/signup/?token=`).
    pub token: String,
    pub created_by_id: Option<i64>,
    pub contact_info: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Whether `Authorization: Token <key>` works for the members.
    pub legacy_api_tokens_enabled: bool,
    /// Whether personal access tokens (JWTs) can be made and used.
    pub api_tokens_enabled: bool,
    /// Days a new personal access token lives.
    pub api_token_ttl_days: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
