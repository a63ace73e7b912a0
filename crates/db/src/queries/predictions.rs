//! Predictions: bulk creation for imports, CRUD, and batch loading.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::dialect::{insert_json_rows, Kind, RowWriter, Source};
use crate::entities::prediction;

/// A prediction to insert.
#[derive(Debug, Clone)]
pub struct NewPrediction {
    pub task_id: i64,
    /// JSON text of the result list.
    pub result: String,
    pub model_version: String,
    pub score: Option<f64>,
}

/// Inserts many predictions.
pub async fn insert_many<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    rows: Vec<NewPrediction>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let columns = [
        ("task_id", Source::Row(Kind::Int)),
        ("project_id", Source::Same(project_id.into())),
        ("result", Source::Row(Kind::Text)),
        ("model_version", Source::Row(Kind::Text)),
        ("score", Source::Row(Kind::Float)),
        ("mislabeling", Source::Same(0.0f64.into())),
        ("created_at", Source::Same(now.into())),
        ("updated_at", Source::Same(now.into())),
    ];
    insert_json_rows(conn, "predictions", &columns, rows.len(), |i, out| {
        let p = &rows[i];
        RowWriter::new(out)
            .value(&p.task_id)
            .value(&p.result)
            .value(&p.model_version)
            .value(&p.score)
            .end();
    })
    .await
}

/// Inserts one prediction and returns it.
pub async fn insert_one<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    new: NewPrediction,
    now: DateTime<Utc>,
) -> Result<prediction::Model, DbErr> {
    use sea_orm::Set;
    prediction::ActiveModel {
        task_id: Set(new.task_id),
        project_id: Set(project_id),
        result: Set(new.result),
        model_version: Set(new.model_version),
        score: Set(new.score),
        cluster: Set(None),
        neighbors: Set(None),
        mislabeling: Set(0.0),
        model_id: Set(None),
        model_run_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// A prediction by id.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Option<prediction::Model>, DbErr> {
    prediction::Entity::find_by_id(id).one(conn).await
}

/// Predictions of these tasks, ordered by id.
pub async fn of_tasks<C: ConnectionTrait>(
    conn: &C,
    task_ids: &[i64],
) -> Result<Vec<prediction::Model>, DbErr> {
    if task_ids.is_empty() {
        return Ok(Vec::new());
    }
    prediction::Entity::find()
        .filter(prediction::Column::TaskId.is_in(task_ids.iter().copied()))
        .order_by_asc(prediction::Column::Id)
        .all(conn)
        .await
}

/// Predictions of an organization's projects, optionally narrowed to a task or project.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    project_ids: &[i64],
    task: Option<i64>,
    project: Option<i64>,
) -> Result<Vec<prediction::Model>, DbErr> {
    let mut query = prediction::Entity::find()
        .filter(prediction::Column::ProjectId.is_in(project_ids.iter().copied()));
    if let Some(task) = task {
        query = query.filter(prediction::Column::TaskId.eq(task));
    }
    if let Some(project) = project {
        query = query.filter(prediction::Column::ProjectId.eq(project));
    }
    query.order_by_asc(prediction::Column::Id).all(conn).await
}

/// Saves a changed prediction.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    model: prediction::ActiveModel,
) -> Result<prediction::Model, DbErr> {
    model.update(conn).await
}

/// Deletes a prediction.
pub async fn delete<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    prediction::Entity::delete_by_id(id)
        .exec(conn)
        .await
        .map(|_| ())
}

/// `(task_id, prediction_id)` pairs of these tasks, ordered by id (exports list ids only).
pub async fn ids_of_tasks<C: ConnectionTrait>(
    conn: &C,
    task_ids: &[i64],
) -> Result<Vec<(i64, i64)>, DbErr> {
    use sea_orm::QuerySelect;
    if task_ids.is_empty() {
        return Ok(Vec::new());
    }
    prediction::Entity::find()
        .select_only()
        .column(prediction::Column::TaskId)
        .column(prediction::Column::Id)
        .filter(prediction::Column::TaskId.is_in(task_ids.iter().copied()))
        .order_by_asc(prediction::Column::Id)
        .into_tuple()
        .all(conn)
        .await
}

/// The model versions of a project's predictions, most recently used first.
pub async fn model_versions<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
) -> Result<Vec<String>, DbErr> {
    use sea_orm::sea_query::{Expr, Func, Order, SimpleExpr};
    use sea_orm::QuerySelect;
    let latest: SimpleExpr = Func::max(Expr::col(prediction::Column::Id)).into();
    prediction::Entity::find()
        .select_only()
        .column(prediction::Column::ModelVersion)
        .filter(prediction::Column::ProjectId.eq(project_id))
        .group_by(prediction::Column::ModelVersion)
        .order_by(latest, Order::Desc)
        .into_tuple()
        .all(conn)
        .await
}

/// How many predictions of a project carry one model version, and when the latest was made.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct VersionCount {
    pub model_version: String,
    pub count: i64,
    pub latest: DateTime<Utc>,
}

/// A project's model versions with their prediction counts, most recently predicted first.
pub async fn version_counts<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
) -> Result<Vec<VersionCount>, DbErr> {
    use sea_orm::sea_query::{Expr, Func, Order, SimpleExpr};
    use sea_orm::QuerySelect;
    let latest: SimpleExpr = Func::max(Expr::col(prediction::Column::CreatedAt)).into();
    prediction::Entity::find()
        .select_only()
        .column(prediction::Column::ModelVersion)
        .column_as(prediction::Column::Id.count(), "count")
        .column_as(latest.clone(), "latest")
        .filter(prediction::Column::ProjectId.eq(project_id))
        .group_by(prediction::Column::ModelVersion)
        .order_by(latest, Order::Desc)
        .into_model::<VersionCount>()
        .all(conn)
        .await
}

/// A project's predictions of one model version.
pub(crate) fn of_version(project_id: i64, version: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(prediction::Column::ProjectId.eq(project_id))
        .add(prediction::Column::ModelVersion.eq(version))
}

/// The tasks of a project that have predictions of `version`.
pub async fn tasks_with_version<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    version: &str,
) -> Result<Vec<i64>, DbErr> {
    use sea_orm::QuerySelect;
    prediction::Entity::find()
        .select_only()
        .column(prediction::Column::TaskId)
        .distinct()
        .filter(of_version(project_id, version))
        .into_tuple()
        .all(conn)
        .await
}

/// Deletes a project's predictions of `version`; returns how many went.
pub async fn delete_of_version<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    version: &str,
) -> Result<u64, DbErr> {
    Ok(prediction::Entity::delete_many()
        .filter(of_version(project_id, version))
        .exec(conn)
        .await?
        .rows_affected)
}

/// Deletes the predictions of these tasks; returns how many went.
pub async fn delete_of_tasks<C: ConnectionTrait>(conn: &C, task_ids: &[i64]) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Expr;
    let mut deleted = 0;
    for chunk in task_ids.chunks(crate::counters::ID_CHUNK) {
        let condition = Expr::cust(format!("task_id IN ({})", crate::counters::join_ids(chunk)));
        deleted += prediction::Entity::delete_many()
            .filter(condition)
            .exec(conn)
            .await?
            .rows_affected;
    }
    Ok(deleted)
}

/// Predictions of these tasks that no annotation was made from yet, optionally only of some
/// model versions, oldest first.
pub async fn without_annotations<C: ConnectionTrait>(
    conn: &C,
    task_ids: &[i64],
    versions: Option<&[String]>,
) -> Result<Vec<prediction::Model>, DbErr> {
    use sea_orm::sea_query::Expr;
    let mut out = Vec::new();
    for chunk in task_ids.chunks(crate::counters::ID_CHUNK) {
        let mut query = prediction::Entity::find()
            .filter(Expr::cust(format!("task_id IN ({})", crate::counters::join_ids(chunk))))
            .filter(Expr::cust("NOT EXISTS (SELECT 1 FROM annotations a WHERE a.parent_prediction_id = predictions.id)"));
        if let Some(versions) = versions {
            query = query.filter(prediction::Column::ModelVersion.is_in(versions.iter().cloned()));
        }
        out.extend(query.order_by_asc(prediction::Column::Id).all(conn).await?);
    }
    Ok(out)
}
