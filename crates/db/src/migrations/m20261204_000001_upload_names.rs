//! The name an uploaded file had on the client, kept beside its (shortened, sanitized) stored
//! name.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text_null;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000001_upload_names"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("file_uploads"))
                    .add_column(text_null(Alias::new("original_name")))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("file_uploads"))
                    .drop_column(Alias::new("original_name"))
                    .take(),
            )
            .await
    }
}
