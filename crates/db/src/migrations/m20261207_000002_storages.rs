//! Cloud storages (Label Studio's `io_storages`): a project's import and export storages of
//! every type in one table, the objects an import storage turned into tasks, and the objects an
//! export storage wrote for annotations.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, integer, integer_null, string, string_null, text, text_null,
    timestamp_with_time_zone, timestamp_with_time_zone_null,
};

use super::schema::{created_updated, fk, id, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000002_storages"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        let mut storages = Table::create();
        storages
            .table(Alias::new("storages"))
            .col(id())
            .col(big_integer(Alias::new("project_id")))
            // `import` or `export`.
            .col(string(Alias::new("direction")))
            // `s3`, `gcs`, `azure`, `redis` or `localfiles`.
            .col(string(Alias::new("kind")))
            .col(text_null(Alias::new("title")))
            .col(text_null(Alias::new("description")))
            // JSON object: the type's settings other than secrets.
            .col(text(Alias::new("settings")))
            // The type's secrets as a JSON object, sealed with the server's secret.
            .col(text_null(Alias::new("secrets")))
            .col(string(Alias::new("status")))
            .col(timestamp_with_time_zone_null(Alias::new("last_sync")))
            .col(integer_null(Alias::new("last_sync_count")))
            .col(string_null(Alias::new("last_sync_job")))
            .col(text_null(Alias::new("traceback")))
            // JSON object: the last sync's counters and timings.
            .col(text(Alias::new("meta")))
            .foreign_key(&mut fk("storages", "project_id", "projects", Cascade));
        manager
            .create_table(created_updated(&mut storages).take())
            .await?;
        manager
            .create_index(index("storages", &["project_id", "direction", "kind"]).take())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("storage_objects"))
                    .col(id())
                    .col(big_integer(Alias::new("storage_id")))
                    .col(big_integer(Alias::new("task_id")))
                    .col(text(Alias::new("key")))
                    // The task's place in its object (0 for an object that is one task).
                    .col(integer(Alias::new("row_index")))
                    // What the object was when the task was made of it (ETag or version).
                    .col(text_null(Alias::new("version")))
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    .foreign_key(&mut fk(
                        "storage_objects",
                        "storage_id",
                        "storages",
                        Cascade,
                    ))
                    .foreign_key(&mut fk("storage_objects", "task_id", "tasks", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("storage_objects", &["storage_id", "key", "row_index"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index("storage_objects", &["task_id"]).take())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("storage_exports"))
                    .col(id())
                    .col(big_integer(Alias::new("storage_id")))
                    // No foreign key: the link outlives a deleted annotation until its object
                    // is removed.
                    .col(big_integer(Alias::new("annotation_id")))
                    .col(text(Alias::new("key")))
                    // The annotation's `updated_at` when it was written.
                    .col(timestamp_with_time_zone(Alias::new("exported_at")))
                    .foreign_key(&mut fk(
                        "storage_exports",
                        "storage_id",
                        "storages",
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("storage_exports", &["storage_id", "annotation_id"])
                    .unique()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["storage_exports", "storage_objects", "storages"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
