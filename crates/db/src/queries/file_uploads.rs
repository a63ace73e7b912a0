//! Uploaded files of a project.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::entities::file_upload;

/// A file received for a project: where it is stored and what it was called.
pub struct NewUpload<'a> {
    pub project_id: i64,
    pub user_id: i64,
    /// Path relative to the media root.
    pub file: &'a str,
    pub original_name: &'a str,
    pub size: i64,
}

/// Records an uploaded file.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    upload: NewUpload<'_>,
    now: DateTime<Utc>,
) -> Result<file_upload::Model, DbErr> {
    file_upload::ActiveModel {
        project_id: Set(upload.project_id),
        user_id: Set(Some(upload.user_id)),
        file: Set(upload.file.to_string()),
        original_name: Set(Some(upload.original_name.to_string())),
        size: Set(upload.size),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// An upload by id.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Option<file_upload::Model>, DbErr> {
    file_upload::Entity::find_by_id(id).one(conn).await
}

/// An upload by stored path (`upload/<project>/<name>`).
pub async fn find_by_file<C: ConnectionTrait>(
    conn: &C,
    file: &str,
) -> Result<Option<file_upload::Model>, DbErr> {
    file_upload::Entity::find()
        .filter(file_upload::Column::File.eq(file))
        .order_by_desc(file_upload::Column::Id)
        .one(conn)
        .await
}

/// Uploads of a project, optionally only these ids, oldest first.
pub async fn of_project<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    ids: Option<&[i64]>,
) -> Result<Vec<file_upload::Model>, DbErr> {
    let mut query =
        file_upload::Entity::find().filter(file_upload::Column::ProjectId.eq(project_id));
    if let Some(ids) = ids {
        query = query.filter(file_upload::Column::Id.is_in(ids.iter().copied()));
    }
    query.order_by_asc(file_upload::Column::Id).all(conn).await
}

/// The stored paths of a project's uploads.
pub async fn stored_files<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
) -> Result<Vec<String>, DbErr> {
    use sea_orm::QuerySelect;
    file_upload::Entity::find()
        .select_only()
        .column(file_upload::Column::File)
        .filter(file_upload::Column::ProjectId.eq(project_id))
        .into_tuple()
        .all(conn)
        .await
}

/// Uploads by id (any project; callers scope them).
pub async fn find_many<C: ConnectionTrait>(
    conn: &C,
    ids: &[i64],
) -> Result<Vec<file_upload::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    file_upload::Entity::find()
        .filter(file_upload::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await
}

/// Deletes uploads by id; returns how many.
pub async fn delete<C: ConnectionTrait>(conn: &C, ids: &[i64]) -> Result<u64, DbErr> {
    Ok(file_upload::Entity::delete_many()
        .filter(file_upload::Column::Id.is_in(ids.iter().copied()))
        .exec(conn)
        .await?
        .rows_affected)
}
