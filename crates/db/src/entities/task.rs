//! `tasks`: one item to label, with counters kept in step with its annotations and predictions.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub project_id: i64,
    pub inner_id: i64,
    /// JSON object (or array) as imported.
    pub data: String,
    /// JSON object.
    pub meta: String,
    pub is_labeled: bool,
    pub overlap: i32,
    pub total_annotations: i32,
    pub cancelled_annotations: i32,
    pub total_predictions: i32,
    pub ground_truth_annotations: i32,
    pub useful_annotations: i32,
    pub completed_at: Option<DateTimeUtc>,
    pub file_upload_id: Option<i64>,
    pub updated_by_id: Option<i64>,
    pub allow_skip: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
