//! Invitations by email: who was invited to an organization, with which role, projects and
//! workspaces, under which secret (its SHA-256) and until when.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, string, text, timestamp_with_time_zone,
};

use super::schema::{fk, id};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000005_invites"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("invites"))
                    .col(id())
                    .col(big_integer(Alias::new("organization_id")))
                    .col(string(Alias::new("email")))
                    .col(string(Alias::new("token_hash")))
                    .col(string(Alias::new("role")))
                    .col(text(Alias::new("project_ids")))
                    .col(text(Alias::new("workspace_ids")))
                    .col(big_integer_null(Alias::new("invited_by_id")))
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    .col(timestamp_with_time_zone(Alias::new("expires_at")))
                    .foreign_key(&mut fk(
                        "invites",
                        "organization_id",
                        "organizations",
                        Cascade,
                    ))
                    .foreign_key(&mut fk("invites", "invited_by_id", "users", SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invites_organization_id_email")
                    .table(Alias::new("invites"))
                    .col(Alias::new("organization_id"))
                    .col(Alias::new("email"))
                    .unique()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("invites")).to_owned())
            .await
    }
}
