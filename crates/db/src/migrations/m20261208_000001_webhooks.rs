//! Webhooks (Label Studio's `webhooks.Webhook` and `WebhookAction`) and each delivery with its
//! attempts.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, integer, integer_null, string, text, text_null,
    timestamp_with_time_zone, timestamp_with_time_zone_null,
};

use super::schema::{created_updated, fk, id, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000001_webhooks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        let mut webhooks = Table::create();
        webhooks
            .table(Alias::new("webhooks"))
            .col(id())
            .col(big_integer(Alias::new("organization_id")))
            // Null: the organization's webhook, called for every project.
            .col(big_integer_null(Alias::new("project_id")))
            .col(text(Alias::new("url")))
            .col(boolean(Alias::new("send_payload")))
            .col(boolean(Alias::new("send_for_all_actions")))
            // JSON object of header names to values.
            .col(text(Alias::new("headers")))
            .col(boolean(Alias::new("is_active")))
            // Sealed: the key of the body's HMAC signature header, if any.
            .col(text_null(Alias::new("secret")))
            .col(integer(Alias::new("consecutive_failures")))
            .col(timestamp_with_time_zone_null(Alias::new("last_failure_at")))
            .col(text_null(Alias::new("last_failure")))
            .foreign_key(&mut fk(
                "webhooks",
                "organization_id",
                "organizations",
                Cascade,
            ))
            .foreign_key(&mut fk("webhooks", "project_id", "projects", Cascade));
        manager
            .create_table(created_updated(&mut webhooks).take())
            .await?;
        manager
            .create_index(index("webhooks", &["organization_id", "project_id"]).take())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("webhook_actions"))
                    .col(id())
                    .col(big_integer(Alias::new("webhook_id")))
                    .col(string(Alias::new("action")))
                    .foreign_key(&mut fk(
                        "webhook_actions",
                        "webhook_id",
                        "webhooks",
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("webhook_actions", &["webhook_id", "action"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("webhook_deliveries"))
                    .col(id())
                    .col(big_integer(Alias::new("webhook_id")))
                    .col(string(Alias::new("action")))
                    // The JSON body, as sent.
                    .col(text(Alias::new("body")))
                    // `pending`, `delivered` or `failed`.
                    .col(string(Alias::new("status")))
                    .col(integer(Alias::new("attempts")))
                    .col(timestamp_with_time_zone(Alias::new("next_attempt_at")))
                    .col(integer_null(Alias::new("response_status")))
                    .col(text_null(Alias::new("error")))
                    // When the event happened.
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    .col(timestamp_with_time_zone_null(Alias::new("finished_at")))
                    .foreign_key(&mut fk(
                        "webhook_deliveries",
                        "webhook_id",
                        "webhooks",
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("webhook_deliveries", &["webhook_id", "status", "id"]).take())
            .await?;
        // The sweep for due deliveries and the removal of old ones.
        manager
            .create_index(index("webhook_deliveries", &["status", "next_attempt_at"]).take())
            .await?;
        manager
            .create_index(index("webhook_deliveries", &["status", "finished_at"]).take())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["webhook_deliveries", "webhook_actions", "webhooks"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
