//! Labels of any length on PostgreSQL: a B-tree entry holds at most about 2.7 kB, so the unique
//! index on `(organization_id, value)` refused long labels (a taxonomy path, a pasted sentence)
//! with an internal error. On PostgreSQL the index keys on the value's MD5 instead; SQLite has
//! no such limit and keeps the plain index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000001_label_value_index"
    }
}

const INDEX: &str = "idx_labels_organization_id_value";

/// Rebuilds the unique index on PostgreSQL over `(organization_id, <value>)`.
async fn unique_on(manager: &SchemaManager<'_>, value: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let conn = manager.get_connection();
    conn.execute_unprepared(&format!("DROP INDEX {INDEX}"))
        .await?;
    conn.execute_unprepared(&format!(
        "CREATE UNIQUE INDEX {INDEX} ON labels (organization_id, {value})"
    ))
    .await
    .map(drop)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        unique_on(manager, "md5(value)").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        unique_on(manager, "value").await
    }
}
