//! `users`: accounts, with their argon2 password hash and legacy API token.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub email: String,
    pub username: String,
    /// Argon2 PHC string; empty when the account cannot log in with a password.
    pub password: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub avatar: Option<String>,
    pub is_active: bool,
    pub is_superuser: bool,
    pub active_organization_id: Option<i64>,
    pub allow_newsletters: Option<bool>,
    /// JSON object.
    pub custom_hotkeys: String,
    /// Legacy `Authorization: Token` key.
    pub api_token: String,
    pub date_joined: DateTimeUtc,
    pub last_activity: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
