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
    pub sampling: Sampling,
    pub show_ground_truth_first: bool,
    pub show_overlap_first: bool,
    pub overlap_cohort_percentage: i32,
    pub task_data_login: Option<String>,
    pub task_data_password: Option<String>,
    /// JSON object.
    pub control_weights: String,
    pub evaluate_predictions_automatically: bool,
    pub skip_queue: SkipQueue,
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

/// The order the labeling stream serves tasks in (Label Studio's `sampling` choices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, serde::Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Sampling {
    /// By task id.
    #[sea_orm(string_value = "Sequential sampling")]
    #[serde(rename = "Sequential sampling")]
    Sequential,
    /// At random.
    #[sea_orm(string_value = "Uniform sampling")]
    #[serde(rename = "Uniform sampling")]
    Uniform,
    /// The tasks whose predictions are least certain first.
    #[sea_orm(string_value = "Uncertainty sampling")]
    #[serde(rename = "Uncertainty sampling")]
    Uncertainty,
}

/// Which skips count against a task's overlap (Label Studio's `skip_queue` choices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, serde::Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum SkipQueue {
    /// A skipped task comes back to the one who skipped it.
    #[sea_orm(string_value = "REQUEUE_FOR_ME")]
    #[serde(rename = "REQUEUE_FOR_ME")]
    RequeueForMe,
    /// A skipped task goes to others (the default).
    #[sea_orm(string_value = "REQUEUE_FOR_OTHERS")]
    #[serde(rename = "REQUEUE_FOR_OTHERS")]
    RequeueForOthers,
    /// A skip completes the task.
    #[sea_orm(string_value = "IGNORE_SKIPPED")]
    #[serde(rename = "IGNORE_SKIPPED")]
    IgnoreSkipped,
}
