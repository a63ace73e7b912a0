//! Drafts: a user's unsubmitted work on a task or on one of its annotations.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::entities::draft;

/// A draft to create.
#[derive(Debug, Clone)]
pub struct NewDraft {
    pub task_id: i64,
    pub project_id: i64,
    pub annotation_id: Option<i64>,
    pub user_id: i64,
    /// JSON text of the result list.
    pub result: String,
    pub lead_time: Option<f64>,
    pub was_postponed: bool,
}

/// Inserts a draft.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    new: NewDraft,
    now: DateTime<Utc>,
) -> Result<draft::Model, DbErr> {
    draft::ActiveModel {
        task_id: Set(new.task_id),
        project_id: Set(new.project_id),
        annotation_id: Set(new.annotation_id),
        user_id: Set(new.user_id),
        result: Set(new.result),
        lead_time: Set(new.lead_time),
        was_postponed: Set(new.was_postponed),
        import_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// A draft by id (callers check its project's organization).
pub async fn find<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<draft::Model>, DbErr> {
    draft::Entity::find_by_id(id).one(conn).await
}

/// Every draft of a task, oldest first.
pub async fn of_task<C: ConnectionTrait>(
    conn: &C,
    task_id: i64,
) -> Result<Vec<draft::Model>, DbErr> {
    draft::Entity::find()
        .filter(draft::Column::TaskId.eq(task_id))
        .order_by_asc(draft::Column::Id)
        .all(conn)
        .await
}

/// Everyone's drafts on these tasks, oldest first.
pub async fn of_tasks<C: ConnectionTrait>(
    conn: &C,
    task_ids: &[i64],
) -> Result<Vec<draft::Model>, DbErr> {
    if task_ids.is_empty() {
        return Ok(Vec::new());
    }
    draft::Entity::find()
        .filter(draft::Column::TaskId.is_in(task_ids.iter().copied()))
        .order_by_asc(draft::Column::Id)
        .all(conn)
        .await
}

/// One user's drafts on these tasks, oldest first.
pub async fn of_tasks_by_user<C: ConnectionTrait>(
    conn: &C,
    task_ids: &[i64],
    user_id: i64,
) -> Result<Vec<draft::Model>, DbErr> {
    draft::Entity::find()
        .filter(draft::Column::TaskId.is_in(task_ids.iter().copied()))
        .filter(draft::Column::UserId.eq(user_id))
        .order_by_asc(draft::Column::Id)
        .all(conn)
        .await
}

/// Which of these tasks have a draft by anyone.
pub async fn tasks_with_drafts<C: ConnectionTrait>(
    conn: &C,
    task_ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    draft::Entity::find()
        .select_only()
        .column(draft::Column::TaskId)
        .distinct()
        .filter(draft::Column::TaskId.is_in(task_ids.iter().copied()))
        .into_tuple()
        .all(conn)
        .await
}

/// What a draft update changes; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct DraftChanges {
    pub result: Option<String>,
    pub lead_time: Option<Option<f64>>,
    pub was_postponed: Option<bool>,
}

/// Applies `changes` to a draft.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    changes: DraftChanges,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = draft::Entity::update_many()
        .col_expr(draft::Column::UpdatedAt, Expr::value(now))
        .filter(draft::Column::Id.eq(id));
    if let Some(result) = changes.result {
        update = update.col_expr(draft::Column::Result, Expr::value(result));
    }
    if let Some(lead_time) = changes.lead_time {
        update = update.col_expr(draft::Column::LeadTime, Expr::value(lead_time));
    }
    if let Some(postponed) = changes.was_postponed {
        update = update.col_expr(draft::Column::WasPostponed, Expr::value(postponed));
    }
    update.exec(conn).await.map(|_| ())
}

/// Deletes one draft.
pub async fn delete<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    draft::Entity::delete_by_id(id).exec(conn).await.map(|_| ())
}

/// Deletes the drafts made on an annotation (it was saved).
pub async fn delete_of_annotation<C: ConnectionTrait>(
    conn: &C,
    annotation_id: i64,
) -> Result<(), DbErr> {
    draft::Entity::delete_many()
        .filter(draft::Column::AnnotationId.eq(annotation_id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Deletes the drafts on these tasks, all users' or one user's.
pub async fn delete_of_tasks<C: ConnectionTrait>(
    conn: &C,
    task_ids: &[i64],
    user_id: Option<i64>,
) -> Result<u64, DbErr> {
    let mut query =
        draft::Entity::delete_many().filter(draft::Column::TaskId.is_in(task_ids.iter().copied()));
    if let Some(user_id) = user_id {
        query = query.filter(draft::Column::UserId.eq(user_id));
    }
    Ok(query.exec(conn).await?.rows_affected)
}
