//! Annotations: bulk creation for imports, CRUD, and batch loading for task views and exports.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::bulk::insert_rows;
use crate::entities::annotation;

/// An annotation to insert.
#[derive(Debug, Clone)]
pub struct NewAnnotation {
    pub task_id: i64,
    pub completed_by_id: Option<i64>,
    /// JSON text of the result list, or None.
    pub result: Option<String>,
    pub was_cancelled: bool,
    pub ground_truth: bool,
    pub lead_time: Option<f64>,
    pub import_id: Option<i64>,
    pub result_count: i32,
    pub bulk_created: bool,
    pub prediction: String,
    pub parent_prediction_id: Option<i64>,
    pub parent_annotation_id: Option<i64>,
    pub unique_id: Option<String>,
    pub draft_created_at: Option<DateTime<Utc>>,
    pub last_action: Option<String>,
    pub updated_by_id: Option<i64>,
}

const COLUMNS: &[&str] = &[
    "task_id",
    "project_id",
    "completed_by_id",
    "result",
    "was_cancelled",
    "ground_truth",
    "lead_time",
    "import_id",
    "result_count",
    "bulk_created",
    "prediction",
    "parent_prediction_id",
    "parent_annotation_id",
    "unique_id",
    "draft_created_at",
    "last_action",
    "updated_by_id",
    "created_at",
    "updated_at",
];

fn row(project_id: i64, a: NewAnnotation, now: DateTime<Utc>) -> Vec<SimpleExpr> {
    vec![
        a.task_id.into(),
        project_id.into(),
        a.completed_by_id.into(),
        a.result.into(),
        a.was_cancelled.into(),
        a.ground_truth.into(),
        a.lead_time.into(),
        a.import_id.into(),
        a.result_count.into(),
        a.bulk_created.into(),
        a.prediction.into(),
        a.parent_prediction_id.into(),
        a.parent_annotation_id.into(),
        a.unique_id.into(),
        a.draft_created_at.into(),
        a.last_action.into(),
        a.updated_by_id.into(),
        now.into(),
        now.into(),
    ]
}

/// Inserts many annotations (no ids returned).
pub async fn insert_many<C: ConnectionTrait>(conn: &C, project_id: i64, rows: Vec<NewAnnotation>, now: DateTime<Utc>) -> Result<(), DbErr> {
    insert_rows(conn, "annotations", COLUMNS, rows.into_iter().map(|a| row(project_id, a, now)).collect()).await
}

/// Inserts one annotation and returns it.
pub async fn insert_one<C: ConnectionTrait>(conn: &C, project_id: i64, new: NewAnnotation, now: DateTime<Utc>) -> Result<annotation::Model, DbErr> {
    use sea_orm::Set;
    annotation::ActiveModel {
        task_id: Set(new.task_id),
        project_id: Set(project_id),
        completed_by_id: Set(new.completed_by_id),
        result: Set(new.result),
        was_cancelled: Set(new.was_cancelled),
        ground_truth: Set(new.ground_truth),
        draft_created_at: Set(new.draft_created_at),
        lead_time: Set(new.lead_time),
        import_id: Set(new.import_id),
        last_action: Set(new.last_action),
        bulk_created: Set(new.bulk_created),
        updated_by_id: Set(new.updated_by_id),
        parent_prediction_id: Set(new.parent_prediction_id),
        parent_annotation_id: Set(new.parent_annotation_id),
        last_created_by_id: Set(None),
        prediction: Set(new.prediction),
        result_count: Set(new.result_count),
        unique_id: Set(new.unique_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// An annotation by id.
pub async fn find<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<annotation::Model>, DbErr> {
    annotation::Entity::find_by_id(id).one(conn).await
}

/// Annotations of these tasks, ordered by id.
pub async fn of_tasks<C: ConnectionTrait>(conn: &C, task_ids: &[i64]) -> Result<Vec<annotation::Model>, DbErr> {
    if task_ids.is_empty() {
        return Ok(Vec::new());
    }
    annotation::Entity::find()
        .filter(annotation::Column::TaskId.is_in(task_ids.iter().copied()))
        .order_by_asc(annotation::Column::Id)
        .all(conn)
        .await
}

/// Saves a changed annotation.
pub async fn update<C: ConnectionTrait>(conn: &C, model: annotation::ActiveModel) -> Result<annotation::Model, DbErr> {
    model.update(conn).await
}

/// Clears `ground_truth` on the task's other annotations.
pub async fn unset_ground_truth<C: ConnectionTrait>(conn: &C, task_id: i64, except: i64) -> Result<(), DbErr> {
    annotation::Entity::update_many()
        .col_expr(annotation::Column::GroundTruth, sea_orm::sea_query::Expr::value(false))
        .filter(annotation::Column::TaskId.eq(task_id))
        .filter(annotation::Column::Id.ne(except))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Deletes an annotation.
pub async fn delete<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    annotation::Entity::delete_by_id(id).exec(conn).await.map(|_| ())
}
