//! Users explicitly added to a project.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::entities::project_member;

/// Adds a member unless they already are one.
pub async fn add<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let existing = project_member::Entity::find()
        .filter(project_member::Column::ProjectId.eq(project_id))
        .filter(project_member::Column::UserId.eq(user_id))
        .one(conn)
        .await?;
    if existing.is_none() {
        project_member::ActiveModel {
            project_id: Set(project_id),
            user_id: Set(user_id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// Removes a member; true when they were one.
pub async fn remove<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    user_id: i64,
) -> Result<bool, DbErr> {
    let deleted = project_member::Entity::delete_many()
        .filter(project_member::Column::ProjectId.eq(project_id))
        .filter(project_member::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// One page of a project's members' user ids (by user id) and how many there are; without a
/// limit, all of them (`offset` is then ignored).
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    offset: u64,
    limit: Option<u64>,
) -> Result<(Vec<i64>, u64), DbErr> {
    let members =
        project_member::Entity::find().filter(project_member::Column::ProjectId.eq(project_id));
    let total = members.clone().count(conn).await?;
    let mut query = members.order_by_asc(project_member::Column::UserId);
    // SQLite has no OFFSET without LIMIT.
    if let Some(limit) = limit {
        query = query.offset(offset).limit(limit);
    }
    Ok((
        query
            .all(conn)
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect(),
        total,
    ))
}
