//! Export snapshots (Label Studio's `data_export.Export`): a project's exports made by a
//! background job into a stored file, and the other formats each was converted to.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, string, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

use super::schema::{fk, id, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000003_export_snapshots"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("export_snapshots"))
                    .col(id())
                    .col(big_integer(Alias::new("project_id")))
                    .col(text(Alias::new("title")))
                    .col(big_integer_null(Alias::new("created_by_id")))
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    .col(timestamp_with_time_zone_null(Alias::new("finished_at")))
                    // `created`, `in_progress`, `failed` or `completed`.
                    .col(string(Alias::new("status")))
                    .col(string(Alias::new("md5")))
                    // JSON object: `{"task_number": N}` once written.
                    .col(text(Alias::new("counters")))
                    // JSON object: the task, annotation and serialization options asked for.
                    .col(text(Alias::new("options")))
                    // The media key of the file, once written.
                    .col(text_null(Alias::new("file")))
                    .col(text_null(Alias::new("traceback")))
                    .foreign_key(&mut fk(
                        "export_snapshots",
                        "project_id",
                        "projects",
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "export_snapshots",
                        "created_by_id",
                        "users",
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("export_snapshots", &["project_id"]).take())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("export_conversions"))
                    .col(id())
                    .col(big_integer(Alias::new("snapshot_id")))
                    .col(string(Alias::new("export_type")))
                    // `created`, `in_progress`, `failed` or `completed`.
                    .col(string(Alias::new("status")))
                    .col(text_null(Alias::new("file")))
                    .col(text_null(Alias::new("traceback")))
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    .foreign_key(&mut fk(
                        "export_conversions",
                        "snapshot_id",
                        "export_snapshots",
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("export_conversions", &["snapshot_id"]).take())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["export_conversions", "export_snapshots"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
