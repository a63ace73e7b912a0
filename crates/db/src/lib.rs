//! Tessera's persistence: SeaORM entities, the migration set and query functions, one code path
//! for SQLite (embedded default) and PostgreSQL.
//!
//! Query functions take `&impl ConnectionTrait`, so the same function runs on the pool or inside a
//! write transaction. Errors stay `DbErr` here; the server maps them to HTTP.

pub mod counters;
pub mod dialect;
pub mod entities;
pub mod filters;
pub mod migrations;
pub mod queries;
pub mod time;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use sea_orm;

/// A connection pool plus, on SQLite, the process-wide writer gate.
///
/// SQLite allows one writer at a time; a deferred transaction that reads and then writes can fail
/// with `SQLITE_BUSY` when another writer got in between, and `busy_timeout` does not help there.
/// Serializing our own write transactions in-process avoids that class of error entirely, while
/// readers keep running concurrently under WAL.
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    write_gate: Option<Arc<Mutex<()>>>,
}

/// A write transaction; on SQLite it also holds the writer gate until commit or drop.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _gate: Option<OwnedMutexGuard<()>>,
}

impl WriteTxn {
    /// Commits the transaction and releases the writer gate.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

/// Refuses URLs that are neither SQLite nor PostgreSQL instead of guessing.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(())
    } else {
        Err(format!("unsupported database URL (expected sqlite: or postgres://): {}", redact_url(url)))
    }
}

/// The URL with any password replaced, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &creds[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Db {
    /// Opens a pool. SQLite gets WAL, `synchronous=NORMAL`, foreign keys and a busy timeout.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbErr> {
        check_url(url).map_err(DbErr::Custom)?;
        let mut options = ConnectOptions::new(url.to_string());
        options
            .max_connections(max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("cache_size", "-16384")
                    .pragma("temp_store", "memory")
                    // Checkpoints run in the background (`spawn_checkpointer`), not inside the
                    // commit of whichever request crossed the WAL threshold.
                    .pragma("wal_autocheckpoint", "0")
                    .with_regexp()
            });
        let conn = Database::connect(options).await?;
        let write_gate = (conn.get_database_backend() == DbBackend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Db { conn, write_gate })
    }

    /// On SQLite, copies the write-ahead log back into the database file every second (a
    /// passive checkpoint never blocks readers or writers). No-op on PostgreSQL.
    pub fn spawn_checkpointer(&self) {
        if self.write_gate.is_none() {
            return;
        }
        let conn = self.conn.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                if let Err(err) = conn.execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)").await {
                    tracing::warn!(error = %err, "WAL checkpoint failed");
                }
            }
        });
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        migrations::Migrator::up(&self.conn, None).await
    }

    /// The pool, for reads.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Begins a write transaction (waiting for the writer gate on SQLite).
    pub async fn write(&self) -> Result<WriteTxn, DbErr> {
        let gate = match &self.write_gate {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        };
        let txn = self.conn.begin().await?;
        Ok(WriteTxn { txn, _gate: gate })
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }
}

/// Runs a statement built with sea-query on any connection.
pub async fn exec<C: ConnectionTrait, S: sea_orm::StatementBuilder>(
    conn: &C,
    stmt: &S,
) -> Result<sea_orm::ExecResult, DbErr> {
    conn.execute(conn.get_database_backend().build(stmt)).await
}

/// True when the error is a unique-constraint violation.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}
