//! Machine-learning backends (Label Studio's `ml.MLBackend`): a project's model servers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, boolean, double, string, text, text_null};

use super::schema::{created_updated, fk, id, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000002_ml_backends"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(Alias::new("ml_backends"))
            .col(id())
            .col(big_integer(Alias::new("project_id")))
            .col(text(Alias::new("url")))
            .col(text(Alias::new("title")))
            .col(text(Alias::new("description")))
            // `CO`, `DI`, `ER`, `TR` or `PR` (Label Studio's codes).
            .col(string(Alias::new("state")))
            .col(text_null(Alias::new("error_message")))
            .col(boolean(Alias::new("is_interactive")))
            // `NONE` or `BASIC_AUTH`.
            .col(string(Alias::new("auth_method")))
            .col(text(Alias::new("basic_auth_user")))
            // Sealed.
            .col(text_null(Alias::new("basic_auth_pass")))
            // JSON text of any value.
            .col(text_null(Alias::new("extra_params")))
            .col(text(Alias::new("model_version")))
            .col(double(Alias::new("timeout")))
            .col(boolean(Alias::new("auto_update")))
            .foreign_key(&mut fk(
                "ml_backends",
                "project_id",
                "projects",
                ForeignKeyAction::Cascade,
            ));
        manager
            .create_table(created_updated(&mut table).take())
            .await?;
        manager
            .create_index(index("ml_backends", &["project_id"]).take())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("ml_backends")).to_owned())
            .await
    }
}
