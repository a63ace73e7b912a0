//! Access hardening: failed sign-in counters (login throttling) and SCIM provisioning tokens.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, integer, string, string_uniq, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

use super::schema::{fk, id, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000004_access"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("login_attempts"))
                    .col(string(Alias::new("key")).primary_key())
                    .col(integer(Alias::new("failures")))
                    .col(timestamp_with_time_zone(Alias::new("window_started_at")))
                    .col(timestamp_with_time_zone_null(Alias::new("locked_until")))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("scim_tokens"))
                    .col(id())
                    .col(big_integer(Alias::new("organization_id")))
                    .col(string_uniq(Alias::new("token_hash")))
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    .foreign_key(&mut fk(
                        "scim_tokens",
                        "organization_id",
                        "organizations",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("scim_tokens", &["organization_id"]).take())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["scim_tokens", "login_attempts"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
