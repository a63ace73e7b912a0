//! Pending invitations by email.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::entities::invite;

/// What an invitation grants.
pub struct NewInvite<'a> {
    pub organization_id: i64,
    pub email: &'a str,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub role: &'a str,
    pub project_ids: &'a [i64],
    pub workspace_ids: &'a [i64],
    pub invited_by: i64,
}

/// Records an invitation, replacing an earlier one for the same email.
pub async fn upsert<C: ConnectionTrait>(
    conn: &C,
    new: NewInvite<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = invite::ActiveModel {
        organization_id: Set(new.organization_id),
        email: Set(new.email.to_string()),
        token_hash: Set(new.token_hash),
        expires_at: Set(new.expires_at),
        role: Set(new.role.to_string()),
        project_ids: Set(serde_json::to_string(new.project_ids).expect("ids")),
        workspace_ids: Set(serde_json::to_string(new.workspace_ids).expect("ids")),
        invited_by_id: Set(Some(new.invited_by)),
        created_at: Set(now),
        ..Default::default()
    };
    invite::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([invite::Column::OrganizationId, invite::Column::Email])
                .update_columns([
                    invite::Column::TokenHash,
                    invite::Column::ExpiresAt,
                    invite::Column::Role,
                    invite::Column::ProjectIds,
                    invite::Column::WorkspaceIds,
                    invite::Column::InvitedById,
                    invite::Column::CreatedAt,
                ])
                .to_owned(),
        )
        .exec(conn)
        .await?;
    Ok(())
}

/// The live invitation of `email` to an organization whose secret hashes to `token_hash`,
/// taken (deleted) as it is read; `None` for a wrong secret or an expired invitation.
pub async fn take<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    email: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<invite::Model>, DbErr> {
    let found = invite::Entity::find()
        .filter(invite::Column::OrganizationId.eq(organization_id))
        .filter(invite::Column::Email.eq(email))
        // A hash of a random secret: comparing it in SQL leaks nothing about the secret.
        .filter(invite::Column::TokenHash.eq(token_hash))
        .filter(invite::Column::ExpiresAt.gt(now))
        .one(conn)
        .await?;
    if let Some(found) = &found {
        invite::Entity::delete_by_id(found.id).exec(conn).await?;
    }
    Ok(found)
}

/// Withdraws the pending invitation of `email`; false when there was none.
pub async fn revoke<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    email: &str,
) -> Result<bool, DbErr> {
    let result = invite::Entity::delete_many()
        .filter(invite::Column::OrganizationId.eq(organization_id))
        .filter(invite::Column::Email.eq(email))
        .exec(conn)
        .await?;
    Ok(result.rows_affected > 0)
}
