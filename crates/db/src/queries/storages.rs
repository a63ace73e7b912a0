//! Cloud storages of projects, the objects import storages made tasks of, and the objects export
//! storages wrote.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::entities::{annotation, storage, storage_export, storage_object};

/// A storage to create.
#[derive(Debug, Clone)]
pub struct NewStorage<'a> {
    pub project_id: i64,
    pub direction: &'a str,
    pub kind: &'a str,
    pub title: Option<String>,
    pub description: Option<String>,
    /// JSON object text.
    pub settings: String,
    pub secrets: Option<String>,
}

/// Inserts a storage, `initialized` with empty `meta`.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    new: NewStorage<'_>,
    now: DateTime<Utc>,
) -> Result<storage::Model, DbErr> {
    storage::ActiveModel {
        project_id: Set(new.project_id),
        direction: Set(new.direction.to_string()),
        kind: Set(new.kind.to_string()),
        title: Set(new.title),
        description: Set(new.description),
        settings: Set(new.settings),
        secrets: Set(new.secrets),
        status: Set("initialized".into()),
        last_sync: Set(None),
        last_sync_count: Set(None),
        last_sync_job: Set(None),
        traceback: Set(None),
        meta: Set("{}".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// A storage by id (callers check its project).
pub async fn find<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<storage::Model>, DbErr> {
    storage::Entity::find_by_id(id).one(conn).await
}

/// A project's storages of one direction (and type, when given), by id.
pub async fn of_project<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    direction: &str,
    kind: Option<&str>,
) -> Result<Vec<storage::Model>, DbErr> {
    let mut select = storage::Entity::find()
        .filter(storage::Column::ProjectId.eq(project_id))
        .filter(storage::Column::Direction.eq(direction));
    if let Some(kind) = kind {
        select = select.filter(storage::Column::Kind.eq(kind));
    }
    select.order_by_asc(storage::Column::Id).all(conn).await
}

/// What a change sets (`None`: left as it is).
#[derive(Debug, Clone, Default)]
pub struct StorageChanges {
    pub project_id: Option<i64>,
    pub title: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub settings: Option<String>,
    pub secrets: Option<Option<String>>,
    pub status: Option<String>,
    pub traceback: Option<Option<String>>,
    pub meta: Option<String>,
    pub last_sync: Option<Option<DateTime<Utc>>>,
    pub last_sync_count: Option<Option<i32>>,
    pub last_sync_job: Option<Option<String>>,
}

/// Applies `changes` to storage `id`; the storage as saved.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    changes: StorageChanges,
    now: DateTime<Utc>,
) -> Result<storage::Model, DbErr> {
    let current = find(conn, id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("No Storage matches the given query.".into()))?;
    let mut model = current.into_active_model();
    if let Some(project_id) = changes.project_id {
        model.project_id = Set(project_id);
    }
    if let Some(title) = changes.title {
        model.title = Set(title);
    }
    if let Some(description) = changes.description {
        model.description = Set(description);
    }
    if let Some(settings) = changes.settings {
        model.settings = Set(settings);
    }
    if let Some(secrets) = changes.secrets {
        model.secrets = Set(secrets);
    }
    if let Some(status) = changes.status {
        model.status = Set(status);
    }
    if let Some(traceback) = changes.traceback {
        model.traceback = Set(traceback);
    }
    if let Some(meta) = changes.meta {
        model.meta = Set(meta);
    }
    if let Some(last_sync) = changes.last_sync {
        model.last_sync = Set(last_sync);
    }
    if let Some(count) = changes.last_sync_count {
        model.last_sync_count = Set(count);
    }
    if let Some(job) = changes.last_sync_job {
        model.last_sync_job = Set(job);
    }
    model.updated_at = Set(now);
    model.update(conn).await
}

/// Deletes a storage (its links go with it; tasks stay).
pub async fn delete<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    storage::Entity::delete_by_id(id).exec(conn).await?;
    Ok(())
}

/// For each of `keys` that an import storage already made tasks of: how many tasks, and the
/// object's version then.
pub async fn linked_keys<C: ConnectionTrait>(
    conn: &C,
    storage_id: i64,
    keys: &[String],
) -> Result<HashMap<String, (u64, Option<String>)>, DbErr> {
    let rows: Vec<(String, Option<String>)> = storage_object::Entity::find()
        .select_only()
        .column(storage_object::Column::Key)
        .column(storage_object::Column::Version)
        .filter(storage_object::Column::StorageId.eq(storage_id))
        .filter(storage_object::Column::Key.is_in(keys.iter().cloned()))
        .into_tuple()
        .all(conn)
        .await?;
    let mut linked: HashMap<String, (u64, Option<String>)> = HashMap::new();
    for (key, version) in rows {
        let entry = linked.entry(key).or_insert((0, version));
        entry.0 += 1;
    }
    Ok(linked)
}

/// A task made of an object (its `row_index`-th task).
#[derive(Debug, Clone)]
pub struct NewLink {
    pub task_id: i64,
    pub key: String,
    pub row_index: i32,
    pub version: Option<String>,
}

/// Records which objects tasks were made of.
pub async fn link<C: ConnectionTrait>(
    conn: &C,
    storage_id: i64,
    links: Vec<NewLink>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in links.chunks(500) {
        let rows = chunk.iter().map(|link| storage_object::ActiveModel {
            storage_id: Set(storage_id),
            task_id: Set(link.task_id),
            key: Set(link.key.clone()),
            row_index: Set(link.row_index),
            version: Set(link.version.clone()),
            created_at: Set(now),
            ..Default::default()
        });
        storage_object::Entity::insert_many(rows).exec(conn).await?;
    }
    Ok(())
}

/// The tasks an import storage made of objects whose keys are not in `present`.
pub async fn tasks_of_vanished<C: ConnectionTrait>(
    conn: &C,
    storage_id: i64,
    present: &std::collections::HashSet<String>,
) -> Result<Vec<i64>, DbErr> {
    let rows: Vec<(i64, String)> = storage_object::Entity::find()
        .select_only()
        .column(storage_object::Column::TaskId)
        .column(storage_object::Column::Key)
        .filter(storage_object::Column::StorageId.eq(storage_id))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, key)| !present.contains(key))
        .map(|(task, _)| task)
        .collect())
}

/// The object key each of `task_ids` was made of (the first storage's, when several).
pub async fn keys_of_tasks<C: ConnectionTrait>(
    conn: &C,
    task_ids: &[i64],
) -> Result<HashMap<i64, String>, DbErr> {
    let rows: Vec<(i64, String)> = storage_object::Entity::find()
        .select_only()
        .column(storage_object::Column::TaskId)
        .column(storage_object::Column::Key)
        .filter(storage_object::Column::TaskId.is_in(task_ids.iter().copied()))
        .order_by_asc(storage_object::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    let mut keys = HashMap::new();
    for (task, key) in rows {
        keys.entry(task).or_insert(key);
    }
    Ok(keys)
}

/// A storage's status.
pub async fn status_of<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<String>, DbErr> {
    storage::Entity::find_by_id(id)
        .select_only()
        .column(storage::Column::Status)
        .into_tuple()
        .one(conn)
        .await
}

/// The ids of a project's export storages.
pub async fn export_storage_ids<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
) -> Result<Vec<i64>, DbErr> {
    storage::Entity::find()
        .select_only()
        .column(storage::Column::Id)
        .filter(storage::Column::ProjectId.eq(project_id))
        .filter(storage::Column::Direction.eq("export"))
        .into_tuple()
        .all(conn)
        .await
}

/// The next annotations of a project (by id, after `after`) an export storage must write: all
/// of them when `all`, else those it never wrote or wrote before their last change.
pub async fn annotations_to_export<C: ConnectionTrait>(
    conn: &C,
    storage_id: i64,
    project_id: i64,
    all: bool,
    after: i64,
    limit: u64,
) -> Result<Vec<annotation::Model>, DbErr> {
    let mut select = annotation::Entity::find()
        .filter(annotation::Column::ProjectId.eq(project_id))
        .filter(annotation::Column::Id.gt(after));
    if !all {
        select = select.filter(Expr::cust(format!(
            "NOT EXISTS (SELECT 1 FROM storage_exports WHERE storage_exports.storage_id = {storage_id} \
             AND storage_exports.annotation_id = annotations.id \
             AND storage_exports.exported_at >= annotations.updated_at)"
        )));
    }
    select
        .order_by_asc(annotation::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Records that an export storage wrote `key` for an annotation as it was at `exported_at`
/// (one statement, so that a sync and an export job writing the same annotation at once both
/// succeed).
pub async fn record_export<C: ConnectionTrait>(
    conn: &C,
    storage_id: i64,
    annotation_id: i64,
    key: &str,
    exported_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    storage_export::Entity::insert(storage_export::ActiveModel {
        storage_id: Set(storage_id),
        annotation_id: Set(annotation_id),
        key: Set(key.to_string()),
        exported_at: Set(exported_at),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            storage_export::Column::StorageId,
            storage_export::Column::AnnotationId,
        ])
        .update_columns([
            storage_export::Column::Key,
            storage_export::Column::ExportedAt,
        ])
        .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}

/// The objects an export storage wrote for annotations that are gone.
pub async fn exports_of_deleted<C: ConnectionTrait>(
    conn: &C,
    storage_id: i64,
) -> Result<Vec<storage_export::Model>, DbErr> {
    storage_export::Entity::find()
        .filter(storage_export::Column::StorageId.eq(storage_id))
        .filter(Expr::cust(
            "NOT EXISTS (SELECT 1 FROM annotations WHERE annotations.id = storage_exports.annotation_id)",
        ))
        .all(conn)
        .await
}

/// Forgets an export link.
pub async fn forget_export<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    storage_export::Entity::delete_by_id(id).exec(conn).await?;
    Ok(())
}

/// The tasks an import storage made of one object: `(task id, row index)`.
pub async fn tasks_of_key<C: ConnectionTrait>(
    conn: &C,
    storage_id: i64,
    key: &str,
) -> Result<Vec<(i64, i32)>, DbErr> {
    storage_object::Entity::find()
        .select_only()
        .column(storage_object::Column::TaskId)
        .column(storage_object::Column::RowIndex)
        .filter(storage_object::Column::StorageId.eq(storage_id))
        .filter(storage_object::Column::Key.eq(key))
        .into_tuple()
        .all(conn)
        .await
}

/// Records the version of an object whose tasks were brought up to date.
pub async fn set_version<C: ConnectionTrait>(
    conn: &C,
    storage_id: i64,
    key: &str,
    version: Option<&str>,
) -> Result<(), DbErr> {
    storage_object::Entity::update_many()
        .col_expr(storage_object::Column::Version, Expr::value(version))
        .filter(storage_object::Column::StorageId.eq(storage_id))
        .filter(storage_object::Column::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(())
}
