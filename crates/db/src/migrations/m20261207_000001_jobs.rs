//! The durable job queue (`tessera-jobs`): one row per job, claimed under a lease.
//!
//! Times are milliseconds since the Unix epoch in BIGINT columns, so that claiming compares
//! plain integers on both backends. A partial unique index makes `singleton_key` unique among
//! waiting jobs (the claim keeps jobs of one key from running at once): one storage sync at a
//! time with at most one more waiting, one statistics refresh after a burst of imports.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, integer, string, string_null, text, text_null,
};

use super::schema::{fk, id, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000001_jobs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let col = |name: &str| Alias::new(name);
        manager
            .create_table(
                Table::create()
                    .table(col("jobs"))
                    .col(id())
                    .col(string(col("kind")))
                    .col(text(col("payload")))
                    .col(string(col("status")))
                    .col(integer(col("attempts")).default(0))
                    .col(integer(col("max_attempts")))
                    .col(big_integer(col("run_at")))
                    .col(string_null(col("lease_owner")))
                    .col(big_integer_null(col("lease_until")))
                    .col(boolean(col("cancel_requested")).default(false))
                    .col(text_null(col("progress")))
                    .col(text_null(col("result")))
                    .col(text_null(col("error")))
                    .col(string_null(col("singleton_key")))
                    .col(big_integer_null(col("organization_id")))
                    .col(big_integer_null(col("project_id")))
                    .col(big_integer(col("created_at")))
                    .col(big_integer(col("updated_at")))
                    .col(big_integer_null(col("finished_at")))
                    .foreign_key(&mut fk(
                        "jobs",
                        "project_id",
                        "projects",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("jobs", &["status", "run_at"]))
            .await?;
        manager.create_index(index("jobs", &["project_id"])).await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_jobs_queued_singleton_key ON jobs (singleton_key) \
                 WHERE status = 'queued'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("jobs")).take())
            .await
    }
}
