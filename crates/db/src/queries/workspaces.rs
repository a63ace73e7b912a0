//! Workspaces of an organization, their members and their projects.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::entities::{project, workspace, workspace_member};

/// A workspace's editable fields.
#[derive(Debug, Clone)]
pub struct WorkspaceFields {
    pub title: String,
    pub description: String,
    pub color: String,
    pub is_personal: bool,
    pub is_archived: bool,
}

/// Creates a workspace with its creator as its first member.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    created_by: i64,
    fields: WorkspaceFields,
    now: DateTime<Utc>,
) -> Result<workspace::Model, DbErr> {
    let created = workspace::ActiveModel {
        organization_id: Set(organization_id),
        title: Set(fields.title),
        description: Set(fields.description),
        color: Set(fields.color),
        is_personal: Set(fields.is_personal),
        is_archived: Set(fields.is_archived),
        created_by_id: Set(Some(created_by)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    add_member(conn, created.id, created_by, now).await?;
    Ok(created)
}

/// A workspace of an organization.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    id: i64,
) -> Result<Option<workspace::Model>, DbErr> {
    workspace::Entity::find_by_id(id)
        .filter(workspace::Column::OrganizationId.eq(organization_id))
        .one(conn)
        .await
}

/// Which workspaces a listing shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub is_personal: Option<bool>,
    pub is_archived: Option<bool>,
    /// Other users' personal workspaces too (administrators).
    pub everyone: bool,
    /// Only workspaces the viewer created or belongs to (roles below administrator).
    pub member_only: bool,
}

/// The organization's workspaces the viewer may list: shared ones, their own personal ones.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    viewer: i64,
    filter: &ListFilter,
) -> Result<Vec<workspace::Model>, DbErr> {
    let mut query =
        workspace::Entity::find().filter(workspace::Column::OrganizationId.eq(organization_id));
    if !filter.everyone {
        query = query.filter(Expr::cust(format!(
            "(is_personal = FALSE OR created_by_id = {viewer})"
        )));
    }
    if filter.member_only {
        query = query.filter(Expr::cust(format!(
            "(created_by_id = {viewer} OR EXISTS (SELECT 1 FROM workspace_members wm WHERE wm.workspace_id = workspaces.id AND wm.user_id = {viewer}))"
        )));
    }
    if let Some(personal) = filter.is_personal {
        query = query.filter(workspace::Column::IsPersonal.eq(personal));
    }
    if let Some(archived) = filter.is_archived {
        query = query.filter(workspace::Column::IsArchived.eq(archived));
    }
    query.order_by_asc(workspace::Column::Id).all(conn).await
}

/// Saves changed fields.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    fields: WorkspaceFields,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    workspace::Entity::update_many()
        .col_expr(workspace::Column::Title, Expr::value(fields.title))
        .col_expr(
            workspace::Column::Description,
            Expr::value(fields.description),
        )
        .col_expr(workspace::Column::Color, Expr::value(fields.color))
        .col_expr(
            workspace::Column::IsPersonal,
            Expr::value(fields.is_personal),
        )
        .col_expr(
            workspace::Column::IsArchived,
            Expr::value(fields.is_archived),
        )
        .col_expr(workspace::Column::UpdatedAt, Expr::value(now))
        .filter(workspace::Column::Id.eq(id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Deletes a workspace (its memberships go with it).
pub async fn delete<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    workspace::Entity::delete_by_id(id)
        .exec(conn)
        .await
        .map(|_| ())
}

/// How many projects a workspace holds.
pub async fn project_count<C: ConnectionTrait>(conn: &C, id: i64) -> Result<u64, DbErr> {
    Ok(project_counts(conn, &[id])
        .await?
        .get(&id)
        .copied()
        .unwrap_or(0))
}

/// How many projects each of these workspaces holds (absent: none), in one query.
pub async fn project_counts<C: ConnectionTrait>(
    conn: &C,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, u64>, DbErr> {
    use sea_orm::QuerySelect;
    let rows: Vec<(Option<i64>, i64)> = project::Entity::find()
        .select_only()
        .column(project::Column::WorkspaceId)
        .column_as(project::Column::Id.count(), "n")
        .filter(project::Column::WorkspaceId.is_in(ids.iter().copied()))
        .group_by(project::Column::WorkspaceId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, n)| id.map(|id| (id, n as u64)))
        .collect())
}

/// The workspace's projects, by id.
pub async fn projects<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Vec<project::Model>, DbErr> {
    project::Entity::find()
        .filter(project::Column::WorkspaceId.eq(id))
        .order_by_asc(project::Column::Id)
        .all(conn)
        .await
}

/// Puts a project into a workspace (or takes it out with `None`).
pub async fn set_project_workspace<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    workspace_id: Option<i64>,
) -> Result<(), DbErr> {
    project::Entity::update_many()
        .col_expr(project::Column::WorkspaceId, Expr::value(workspace_id))
        .filter(project::Column::Id.eq(project_id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// The workspace's members' user ids, by id.
pub async fn member_ids<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Vec<i64>, DbErr> {
    Ok(workspace_member::Entity::find()
        .filter(workspace_member::Column::WorkspaceId.eq(id))
        .order_by_asc(workspace_member::Column::UserId)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

/// Adds a member unless they already are one; true when added.
pub async fn add_member<C: ConnectionTrait>(
    conn: &C,
    workspace_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let existing = workspace_member::Entity::find()
        .filter(workspace_member::Column::WorkspaceId.eq(workspace_id))
        .filter(workspace_member::Column::UserId.eq(user_id))
        .one(conn)
        .await?;
    if existing.is_some() {
        return Ok(false);
    }
    workspace_member::ActiveModel {
        workspace_id: Set(workspace_id),
        user_id: Set(user_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(true)
}

/// Removes a member; true when they were one.
pub async fn remove_member<C: ConnectionTrait>(
    conn: &C,
    workspace_id: i64,
    user_id: i64,
) -> Result<bool, DbErr> {
    let deleted = workspace_member::Entity::delete_many()
        .filter(workspace_member::Column::WorkspaceId.eq(workspace_id))
        .filter(workspace_member::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}
