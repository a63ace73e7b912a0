//! Organizations and memberships.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entities::{organization, organization_member, user};

/// The first organization created (Label Studio's community edition has one).
pub async fn first<C: ConnectionTrait>(conn: &C) -> Result<Option<organization::Model>, DbErr> {
    organization::Entity::find().order_by_asc(organization::Column::Id).one(conn).await
}

/// Creates an organization owned by `created_by`.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    title: &str,
    token: String,
    created_by: i64,
    now: DateTime<Utc>,
) -> Result<organization::Model, DbErr> {
    organization::ActiveModel {
        title: Set(title.to_string()),
        token: Set(token),
        created_by_id: Set(Some(created_by)),
        contact_info: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// An organization by id.
pub async fn find<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<organization::Model>, DbErr> {
    organization::Entity::find_by_id(id).one(conn).await
}

/// Adds `user` to `organization` with `role` and makes it the user's active organization.
pub async fn add_member<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    user: user::Model,
    role: &str,
    now: DateTime<Utc>,
) -> Result<user::Model, DbErr> {
    organization_member::ActiveModel {
        organization_id: Set(organization_id),
        user_id: Set(user.id),
        role: Set(role.to_string()),
        deleted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let mut active: user::ActiveModel = user.into();
    active.active_organization_id = Set(Some(organization_id));
    active.update(conn).await
}

/// The user's live membership in an organization.
pub async fn membership<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    user_id: i64,
) -> Result<Option<organization_member::Model>, DbErr> {
    organization_member::Entity::find()
        .filter(organization_member::Column::OrganizationId.eq(organization_id))
        .filter(organization_member::Column::UserId.eq(user_id))
        .filter(organization_member::Column::DeletedAt.is_null())
        .one(conn)
        .await
}
