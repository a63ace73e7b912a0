//! A substring index over task data, so that Data Manager `contains` filters on `data.<key>`
//! read the few matching tasks instead of every task of a project.
//!
//! - PostgreSQL: a `pg_trgm` GIN index on `tasks.data`, kept by the database itself and used by
//!   the planner for the raw-text `LIKE`/`ILIKE` prefilter. Where the extension cannot be
//!   installed (a managed server without the privilege) the index is skipped and searches read
//!   every task, as before.
//! - SQLite: a contentless FTS5 trigram table `task_search` (rowid = task id) that a background
//!   indexer fills behind imports (`queries::search`), so that imports and deletions keep their
//!   speed. Tasks up to `task_search_state.indexed_through` are in it; a trigger lists the ones
//!   whose data changed since in `task_search_dirty`. Searches take the index's matches, the
//!   dirty tasks and the not-yet-indexed tail as candidates and test each exactly, so deleted
//!   tasks' entries (ids are never reused) and edited tasks' old entries do no harm; the indexer
//!   rebuilds the index when they pile up.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, FromQueryResult};
use sea_orm_migration::SchemaManagerConnection;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000003_task_search"
    }
}

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE task_search USING fts5(data, content='', tokenize='trigram', detail=none)",
    "CREATE TABLE task_search_state (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_through BIGINT NOT NULL, indexed_rows BIGINT NOT NULL)",
    "INSERT INTO task_search_state (id, indexed_through, indexed_rows) VALUES (1, 0, 0)",
    "CREATE TABLE task_search_dirty (task_id INTEGER PRIMARY KEY)",
    "CREATE TRIGGER task_search_edited AFTER UPDATE OF data ON tasks \
     WHEN old.id <= (SELECT indexed_through FROM task_search_state) AND new.data IS NOT old.data \
     BEGIN INSERT OR IGNORE INTO task_search_dirty (task_id) VALUES (old.id); END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS task_search_edited",
    "DROP TABLE IF EXISTS task_search_dirty",
    "DROP TABLE IF EXISTS task_search_state",
    "DROP TABLE IF EXISTS task_search",
];

/// The schema holding `pg_trgm`, installing it into `public` when it is missing. Extensions are
/// per database while Tessera may live in any schema (tests use one each), hence `public`. A
/// refused install (no privilege, no contrib package, another migration racing this one) rolls
/// back to a savepoint: PostgreSQL migrations share one transaction.
async fn trigram_schema(conn: &SchemaManagerConnection<'_>) -> Result<Option<String>, DbErr> {
    #[derive(FromQueryResult)]
    struct Installed {
        schema: String,
    }
    let installed = || async {
        let query = "SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'";
        let statement =
            sea_orm_migration::sea_orm::Statement::from_string(DbBackend::Postgres, query);
        Ok::<_, DbErr>(
            Installed::find_by_statement(statement)
                .one(conn)
                .await?
                .map(|i| i.schema),
        )
    };
    if let Some(schema) = installed().await? {
        return Ok(Some(schema));
    }
    conn.execute_unprepared("SAVEPOINT task_search").await?;
    match conn
        .execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        .await
    {
        Ok(_) => {
            conn.execute_unprepared("RELEASE SAVEPOINT task_search")
                .await?
        }
        Err(err) => {
            tracing::warn!(error = %err, "installing pg_trgm failed");
            conn.execute_unprepared("ROLLBACK TO SAVEPOINT task_search")
                .await?
        }
    };
    installed().await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => match trigram_schema(conn).await? {
                Some(schema) => {
                    let index = format!("CREATE INDEX idx_tasks_data_trgm ON tasks USING gin (data \"{schema}\".gin_trgm_ops)");
                    conn.execute_unprepared(&index).await?;
                }
                None => tracing::warn!(
                    "pg_trgm cannot be installed: Data Manager text searches will read every task"
                ),
            },
            _ => {
                for statement in SQLITE_UP {
                    conn.execute_unprepared(statement).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                conn.execute_unprepared("DROP INDEX IF EXISTS idx_tasks_data_trgm")
                    .await?;
            }
            _ => {
                for statement in SQLITE_DOWN {
                    conn.execute_unprepared(statement).await?;
                }
            }
        }
        Ok(())
    }
}
