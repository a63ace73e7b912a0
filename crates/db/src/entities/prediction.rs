//! `predictions`: model output attached to a task.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "predictions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub task_id: i64,
    pub project_id: i64,
    /// JSON array of regions.
    pub result: String,
    pub model_version: String,
    pub score: Option<f64>,
    pub cluster: Option<i64>,
    /// JSON, or NULL.
    pub neighbors: Option<String>,
    pub mislabeling: f64,
    pub model_id: Option<i64>,
    pub model_run_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
