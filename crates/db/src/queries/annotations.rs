//! Annotations: bulk creation for imports, CRUD, and batch loading for task views and exports.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::dialect::{insert_json_rows, Kind, RowWriter, Source};
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

/// Inserts many annotations (no ids returned).
pub async fn insert_many<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    rows: Vec<NewAnnotation>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let columns = [
        ("task_id", Source::Row(Kind::Int)),
        ("project_id", Source::Same(project_id.into())),
        ("completed_by_id", Source::Row(Kind::Int)),
        ("result", Source::Row(Kind::Text)),
        ("was_cancelled", Source::Row(Kind::Bool)),
        ("ground_truth", Source::Row(Kind::Bool)),
        ("lead_time", Source::Row(Kind::Float)),
        ("import_id", Source::Row(Kind::Int)),
        ("result_count", Source::Row(Kind::Int)),
        ("bulk_created", Source::Row(Kind::Bool)),
        ("prediction", Source::Row(Kind::Text)),
        ("parent_prediction_id", Source::Row(Kind::Int)),
        ("parent_annotation_id", Source::Row(Kind::Int)),
        ("unique_id", Source::Row(Kind::Text)),
        ("draft_created_at", Source::Row(Kind::Timestamp)),
        ("last_action", Source::Row(Kind::Text)),
        ("updated_by_id", Source::Row(Kind::Int)),
        ("created_at", Source::Same(now.into())),
        ("updated_at", Source::Same(now.into())),
    ];
    insert_json_rows(conn, "annotations", &columns, rows.len(), |i, out| {
        let a = &rows[i];
        RowWriter::new(out)
            .value(&a.task_id)
            .value(&a.completed_by_id)
            .value(&a.result)
            .value(&a.was_cancelled)
            .value(&a.ground_truth)
            .value(&a.lead_time)
            .value(&a.import_id)
            .value(&a.result_count)
            .value(&a.bulk_created)
            .value(&a.prediction)
            .value(&a.parent_prediction_id)
            .value(&a.parent_annotation_id)
            .value(&a.unique_id)
            .time(a.draft_created_at.as_ref())
            .value(&a.last_action)
            .value(&a.updated_by_id)
            .end();
    })
    .await
}

/// Inserts one annotation and returns it.
pub async fn insert_one<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    new: NewAnnotation,
    now: DateTime<Utc>,
) -> Result<annotation::Model, DbErr> {
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
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Option<annotation::Model>, DbErr> {
    annotation::Entity::find_by_id(id).one(conn).await
}

/// Annotations by id, in id order (any project; callers check).
pub async fn find_many<C: ConnectionTrait>(
    conn: &C,
    ids: &[i64],
) -> Result<Vec<annotation::Model>, DbErr> {
    annotation::Entity::find()
        .filter(annotation::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(annotation::Column::Id)
        .all(conn)
        .await
}

/// Ids of the annotations made from these predictions, in id order.
pub async fn ids_from_predictions<C: ConnectionTrait>(
    conn: &C,
    prediction_ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    let mut ids = Vec::new();
    for chunk in prediction_ids.chunks(crate::counters::ID_CHUNK) {
        ids.extend(
            annotation::Entity::find()
                .select_only()
                .column(annotation::Column::Id)
                .filter(annotation::Column::ParentPredictionId.is_in(chunk.iter().copied()))
                .order_by_asc(annotation::Column::Id)
                .into_tuple::<i64>()
                .all(conn)
                .await?,
        );
    }
    Ok(ids)
}

/// How many annotations a project has (all of them, cancelled ones too).
pub async fn count_of_project<C: ConnectionTrait>(conn: &C, project_id: i64) -> Result<i64, DbErr> {
    use sea_orm::PaginatorTrait;
    Ok(annotation::Entity::find()
        .filter(annotation::Column::ProjectId.eq(project_id))
        .count(conn)
        .await? as i64)
}

/// Annotations of these tasks, ordered by id.
pub async fn of_tasks<C: ConnectionTrait>(
    conn: &C,
    task_ids: &[i64],
) -> Result<Vec<annotation::Model>, DbErr> {
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
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    model: annotation::ActiveModel,
) -> Result<annotation::Model, DbErr> {
    model.update(conn).await
}

/// Clears `ground_truth` on the task's other annotations.
pub async fn unset_ground_truth<C: ConnectionTrait>(
    conn: &C,
    task_id: i64,
    except: i64,
) -> Result<(), DbErr> {
    annotation::Entity::update_many()
        .col_expr(
            annotation::Column::GroundTruth,
            sea_orm::sea_query::Expr::value(false),
        )
        .filter(annotation::Column::TaskId.eq(task_id))
        .filter(annotation::Column::Id.ne(except))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Deletes an annotation.
pub async fn delete<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    crate::queries::drafts::delete_of_annotation(conn, id).await?;
    annotation::Entity::delete_by_id(id)
        .exec(conn)
        .await
        .map(|_| ())
}

/// `(task_id, annotation JSON)` of these tasks, ordered by id: the export's annotations, rendered
/// by the database (see [`crate::dialect::export_annotation_json`]).
pub async fn export_json_of_tasks<C: ConnectionTrait>(
    conn: &C,
    task_ids: &[i64],
    only_id: bool,
) -> Result<Vec<(i64, String)>, DbErr> {
    use sea_orm::{FromQueryResult, Statement};
    #[derive(FromQueryResult)]
    struct Row {
        task_id: i64,
        doc: String,
    }
    if task_ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    let sql = format!(
        "SELECT a.task_id AS task_id, {} AS doc FROM annotations a LEFT JOIN users u ON u.id = a.completed_by_id \
         WHERE a.task_id IN ({}) ORDER BY a.id",
        crate::dialect::export_annotation_json(backend, only_id),
        crate::counters::join_ids(task_ids)
    );
    let rows = Row::find_by_statement(Statement::from_string(backend, sql))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.task_id, r.doc)).collect())
}

/// The annotations of these tasks (any number of them), optionally only one user's.
pub async fn of_tasks_by<C: ConnectionTrait>(
    conn: &C,
    task_ids: &[i64],
    completed_by: Option<i64>,
) -> Result<Vec<annotation::Model>, DbErr> {
    use sea_orm::sea_query::Expr;
    let mut out = Vec::new();
    for chunk in task_ids.chunks(crate::counters::ID_CHUNK) {
        let mut query = annotation::Entity::find().filter(Expr::cust(format!(
            "task_id IN ({})",
            crate::counters::join_ids(chunk)
        )));
        if let Some(user) = completed_by {
            query = query.filter(annotation::Column::CompletedById.eq(user));
        }
        out.extend(query.order_by_asc(annotation::Column::Id).all(conn).await?);
    }
    Ok(out)
}

/// Deletes annotations by id (any number of them) with the drafts made on them.
pub async fn delete_many<C: ConnectionTrait>(conn: &C, ids: &[i64]) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Expr;
    let mut deleted = 0;
    for chunk in ids.chunks(crate::counters::ID_CHUNK) {
        let listed = crate::counters::join_ids(chunk);
        let drafts = format!("DELETE FROM drafts WHERE annotation_id IN ({listed})");
        conn.execute(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            drafts,
        ))
        .await?;
        deleted += annotation::Entity::delete_many()
            .filter(Expr::cust(format!("id IN ({listed})")))
            .exec(conn)
            .await?
            .rows_affected;
    }
    Ok(deleted)
}

/// Clears the ground-truth mark of every annotation of these tasks; returns how many had it.
pub async fn clear_ground_truth<C: ConnectionTrait>(
    conn: &C,
    task_ids: &[i64],
) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Expr;
    let mut changed = 0;
    for chunk in task_ids.chunks(crate::counters::ID_CHUNK) {
        changed += annotation::Entity::update_many()
            .col_expr(annotation::Column::GroundTruth, Expr::value(false))
            .filter(Expr::cust(format!(
                "task_id IN ({})",
                crate::counters::join_ids(chunk)
            )))
            .filter(annotation::Column::GroundTruth.eq(true))
            .exec(conn)
            .await?
            .rows_affected;
    }
    Ok(changed)
}

/// Moves every annotation of task `from` to task `to` (merging duplicates).
pub async fn move_to_task<C: ConnectionTrait>(conn: &C, from: i64, to: i64) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    annotation::Entity::update_many()
        .col_expr(annotation::Column::TaskId, Expr::value(to))
        .filter(annotation::Column::TaskId.eq(from))
        .exec(conn)
        .await
        .map(|_| ())
}
