//! Saved Data Manager views (tabs) of a project.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::entities::view;

/// A view to create.
#[derive(Debug, Clone)]
pub struct NewView {
    pub project_id: i64,
    pub user_id: Option<i64>,
    /// Position among the project's tabs.
    pub order: i32,
    /// JSON text of `data` without `filters` and `ordering`.
    pub data: String,
    pub filters: Option<String>,
    pub ordering: String,
    pub selected_items: Option<String>,
}

/// Inserts a view.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    new: NewView,
    now: DateTime<Utc>,
) -> Result<view::Model, DbErr> {
    view::ActiveModel {
        project_id: Set(new.project_id),
        user_id: Set(new.user_id),
        order: Set(new.order),
        data: Set(new.data),
        filters: Set(new.filters),
        ordering: Set(new.ordering),
        selected_items: Set(new.selected_items),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// A view by id (callers check its project's organization).
pub async fn find<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<view::Model>, DbErr> {
    view::Entity::find_by_id(id).one(conn).await
}

/// The views of a project (or of every project in `project_ids`), by `order`, then id.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    project_ids: &[i64],
) -> Result<Vec<view::Model>, DbErr> {
    view::Entity::find()
        .filter(view::Column::ProjectId.is_in(project_ids.iter().copied()))
        .order_by_asc(view::Column::Order)
        .order_by_asc(view::Column::Id)
        .all(conn)
        .await
}

/// What an update changes; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct ViewChanges {
    pub project_id: Option<i64>,
    pub data: Option<String>,
    pub filters: Option<Option<String>>,
    pub ordering: Option<String>,
}

/// Applies `changes` to a view.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    changes: ViewChanges,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = view::Entity::update_many()
        .col_expr(view::Column::UpdatedAt, Expr::value(now))
        .filter(view::Column::Id.eq(id));
    if let Some(project_id) = changes.project_id {
        update = update.col_expr(view::Column::ProjectId, Expr::value(project_id));
    }
    if let Some(data) = changes.data {
        update = update.col_expr(view::Column::Data, Expr::value(data));
    }
    if let Some(filters) = changes.filters {
        update = update.col_expr(view::Column::Filters, Expr::value(filters));
    }
    if let Some(ordering) = changes.ordering {
        update = update.col_expr(view::Column::Ordering, Expr::value(ordering));
    }
    update.exec(conn).await.map(|_| ())
}

/// Deletes one view.
pub async fn delete<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    view::Entity::delete_by_id(id).exec(conn).await.map(|_| ())
}

/// Deletes every view of a project.
pub async fn delete_all<C: ConnectionTrait>(conn: &C, project_id: i64) -> Result<u64, DbErr> {
    Ok(view::Entity::delete_many()
        .filter(view::Column::ProjectId.eq(project_id))
        .exec(conn)
        .await?
        .rows_affected)
}

/// Sets `order` of the project's views to their position in `ids` (other ids are ignored).
pub async fn set_order<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    ids: &[i64],
) -> Result<(), DbErr> {
    for (position, id) in ids.iter().enumerate() {
        view::Entity::update_many()
            .col_expr(view::Column::Order, Expr::value(position as i32))
            .filter(view::Column::Id.eq(*id))
            .filter(view::Column::ProjectId.eq(project_id))
            .exec(conn)
            .await?;
    }
    Ok(())
}
