//! `webhooks`: a URL called when things happen in an organization or one of its projects.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    /// `None`: the organization's webhook, called for every project.
    pub project_id: Option<i64>,
    pub url: String,
    pub send_payload: bool,
    pub send_for_all_actions: bool,
    /// JSON object of header names to values.
    pub headers: String,
    pub is_active: bool,
    /// Sealed signing key of the signature header.
    pub secret: Option<String>,
    /// Deliveries that failed in a row (reset by a delivered one).
    pub consecutive_failures: i32,
    pub last_failure_at: Option<DateTimeUtc>,
    pub last_failure: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
