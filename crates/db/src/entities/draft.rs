//! `drafts`: a user's unsubmitted work on a task (or on one of its annotations).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "drafts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub task_id: i64,
    pub project_id: i64,
    pub annotation_id: Option<i64>,
    pub user_id: i64,
    /// JSON array of regions.
    pub result: String,
    pub lead_time: Option<f64>,
    pub was_postponed: bool,
    pub import_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
