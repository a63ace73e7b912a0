//! `invites`: a pending invitation by email to an organization, with the role and the projects
//! and workspaces (JSON lists of ids) the invitee gets on signing up.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "invites")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub email: String,
    /// SHA-256 of the secret in the invitation's link.
    pub token_hash: String,
    pub role: String,
    pub project_ids: String,
    pub workspace_ids: String,
    pub invited_by_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
