//! Machine-learning backends of projects.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::entities::ml_backend;

/// A project's backends (`interactive`: only those that are, or are not), oldest first.
pub async fn of_project<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    interactive: Option<bool>,
) -> Result<Vec<ml_backend::Model>, DbErr> {
    let mut select =
        ml_backend::Entity::find().filter(ml_backend::Column::ProjectId.eq(project_id));
    if let Some(interactive) = interactive {
        select = select.filter(ml_backend::Column::IsInteractive.eq(interactive));
    }
    select.order_by_asc(ml_backend::Column::Id).all(conn).await
}

/// A backend by id (callers check its project).
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Option<ml_backend::Model>, DbErr> {
    ml_backend::Entity::find_by_id(id).one(conn).await
}

/// Inserts a backend.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    model: ml_backend::ActiveModel,
) -> Result<ml_backend::Model, DbErr> {
    model.insert(conn).await
}

/// Saves a backend's changed fields.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    model: ml_backend::ActiveModel,
) -> Result<ml_backend::Model, DbErr> {
    model.update(conn).await
}

/// Deletes a backend.
pub async fn delete<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    ml_backend::Entity::delete_by_id(id).exec(conn).await?;
    Ok(())
}
