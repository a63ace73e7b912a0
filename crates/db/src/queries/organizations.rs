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

/// The organization whose invite token this is.
pub async fn by_token<C: ConnectionTrait>(conn: &C, token: &str) -> Result<Option<organization::Model>, DbErr> {
    organization::Entity::find().filter(organization::Column::Token.eq(token)).one(conn).await
}

/// Replaces an organization's invite token (the old invite link stops working).
pub async fn set_token<C: ConnectionTrait>(conn: &C, id: i64, token: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    organization::Entity::update_many()
        .col_expr(organization::Column::Token, Expr::value(token))
        .col_expr(organization::Column::UpdatedAt, Expr::value(now))
        .filter(organization::Column::Id.eq(id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Changes an organization's title and contact info (`None` keeps a value).
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    title: Option<String>,
    contact_info: Option<Option<String>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    let mut update = organization::Entity::update_many().col_expr(organization::Column::UpdatedAt, Expr::value(now));
    if let Some(title) = title {
        update = update.col_expr(organization::Column::Title, Expr::value(title));
    }
    if let Some(contact_info) = contact_info {
        update = update.col_expr(organization::Column::ContactInfo, Expr::value(contact_info));
    }
    update.filter(organization::Column::Id.eq(id)).exec(conn).await.map(|_| ())
}

/// The organizations a user is a live member of, oldest first.
pub async fn of_user<C: ConnectionTrait>(conn: &C, user_id: i64) -> Result<Vec<organization::Model>, DbErr> {
    use sea_orm::sea_query::Expr;
    organization::Entity::find()
        .filter(Expr::cust(format!(
            "id IN (SELECT organization_id FROM organization_members WHERE user_id = {user_id} AND deleted_at IS NULL)"
        )))
        .order_by_asc(organization::Column::Id)
        .all(conn)
        .await
}

/// Ids of an organization's live members, by id.
pub async fn member_ids<C: ConnectionTrait>(conn: &C, organization_id: i64) -> Result<Vec<i64>, DbErr> {
    use sea_orm::QuerySelect;
    organization_member::Entity::find()
        .select_only()
        .column(organization_member::Column::UserId)
        .filter(organization_member::Column::OrganizationId.eq(organization_id))
        .filter(organization_member::Column::DeletedAt.is_null())
        .order_by_asc(organization_member::Column::UserId)
        .into_tuple()
        .all(conn)
        .await
}
