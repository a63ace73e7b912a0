//! SCIM provisioning tokens (stored as SHA-256 hashes, one organization each).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::entities::scim_token;

/// Stores a new token's hash for an organization.
pub async fn insert_token<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    token_hash: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    scim_token::ActiveModel {
        organization_id: Set(organization_id),
        token_hash: Set(token_hash),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map(|_| ())
}

/// The organization a token hash belongs to.
pub async fn organization_of<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
) -> Result<Option<i64>, DbErr> {
    Ok(scim_token::Entity::find()
        .filter(scim_token::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await?
        .map(|t| t.organization_id))
}

/// Revokes every token of an organization; returns how many there were.
pub async fn revoke_tokens<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
) -> Result<u64, DbErr> {
    Ok(scim_token::Entity::delete_many()
        .filter(scim_token::Column::OrganizationId.eq(organization_id))
        .exec(conn)
        .await?
        .rows_affected)
}
