//! `ml_backends`: a project's model server.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ml_backends")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub project_id: i64,
    pub url: String,
    pub title: String,
    pub description: String,
    /// `CO`, `DI`, `ER`, `TR` or `PR` (Label Studio's codes).
    pub state: String,
    pub error_message: Option<String>,
    pub is_interactive: bool,
    /// `NONE` or `BASIC_AUTH`.
    pub auth_method: String,
    pub basic_auth_user: String,
    /// Sealed.
    pub basic_auth_pass: Option<String>,
    /// JSON text of any value.
    pub extra_params: Option<String>,
    pub model_version: String,
    pub timeout: f64,
    pub auto_update: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
