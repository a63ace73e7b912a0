//! `projects`: settings, label config, derived config data, maintained counters and summary.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub created_by_id: Option<i64>,
    pub workspace_id: Option<i64>,
    pub title: Option<String>,
    pub description: String,
    pub label_config: String,
    pub expert_instruction: String,
    pub show_instruction: bool,
    pub show_skip_button: bool,
    pub enable_empty_annotation: bool,
    pub show_annotation_history: bool,
    pub color: String,
    pub maximum_annotations: i32,
    pub is_published: bool,
    pub model_version: String,
    pub is_draft: bool,
    pub min_annotations_to_start_training: i32,
    pub show_collab_predictions: bool,
    pub sampling: String,
    pub show_ground_truth_first: bool,
    pub show_overlap_first: bool,
    pub overlap_cohort_percentage: i32,
    pub task_data_login: Option<String>,
    pub task_data_password: Option<String>,
    /// JSON object.
    pub control_weights: String,
    pub evaluate_predictions_automatically: bool,
    pub skip_queue: String,
    pub reveal_preannotations_interactively: bool,
    pub annotator_evaluation_enabled: bool,
    pub pinned_at: Option<DateTimeUtc>,
    /// JSON object: data key → object tag name, in config order.
    pub data_types: String,
    pub task_number: i64,
    pub finished_task_number: i64,
    pub total_annotations_number: i64,
    pub skipped_annotations_number: i64,
    pub ground_truth_number: i64,
    pub useful_annotation_number: i64,
    pub num_tasks_with_annotations: i64,
    pub total_predictions_number: i64,
    /// Highest `inner_id` handed out; bumped atomically to allocate new ones.
    pub last_inner_id: i64,
    /// JSON object: data key → number of tasks seen with it.
    pub summary_all_data_columns: String,
    /// JSON array: keys common to every imported task.
    pub summary_common_data_columns: String,
    /// JSON object: `from|to|type` → annotation count.
    pub summary_created_annotations: String,
    /// JSON object: from_name → label → count.
    pub summary_created_labels: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
