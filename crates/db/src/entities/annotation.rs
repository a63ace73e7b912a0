//! `annotations`: a user's (or an import's) labeling result for a task; a skip is `was_cancelled`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "annotations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub task_id: i64,
    pub project_id: i64,
    pub completed_by_id: Option<i64>,
    /// JSON array of regions, or NULL.
    pub result: Option<String>,
    pub was_cancelled: bool,
    pub ground_truth: bool,
    pub draft_created_at: Option<DateTimeUtc>,
    pub lead_time: Option<f64>,
    pub import_id: Option<i64>,
    pub last_action: Option<String>,
    pub bulk_created: bool,
    pub updated_by_id: Option<i64>,
    pub parent_prediction_id: Option<i64>,
    pub parent_annotation_id: Option<i64>,
    pub last_created_by_id: Option<i64>,
    /// JSON snapshot of the prediction the annotation started from, `{}` if none.
    pub prediction: String,
    pub result_count: i32,
    pub unique_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
