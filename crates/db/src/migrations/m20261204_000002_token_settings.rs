//! An organization's API-token settings (`/api/jwt/settings`, Label Studio Enterprise's):
//! whether legacy tokens and personal access tokens work, and how long new access tokens live.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, integer};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000002_token_settings"
    }
}

/// Days a personal access token lives unless the organization says otherwise (200 years, as
/// Tessera's tokens lived before the setting existed).
pub const DEFAULT_TOKEN_TTL_DAYS: i32 = 365 * 200;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        let organizations = || Table::alter().table(Alias::new("organizations")).to_owned();
        manager
            .alter_table(
                organizations()
                    .add_column(boolean(Alias::new("legacy_api_tokens_enabled")).default(true))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                organizations()
                    .add_column(boolean(Alias::new("api_tokens_enabled")).default(true))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                organizations()
                    .add_column(
                        integer(Alias::new("api_token_ttl_days")).default(DEFAULT_TOKEN_TTL_DAYS),
                    )
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            "legacy_api_tokens_enabled",
            "api_tokens_enabled",
            "api_token_ttl_days",
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("organizations"))
                        .drop_column(Alias::new(column))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
