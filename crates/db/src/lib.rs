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
pub mod regex_cost;
pub mod time;

use std::ops::Deref;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};
use sea_orm_migration::MigratorTrait;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The indexer indexes in big batches once no write has begun for this long.
const INDEXER_QUIET_MS: u64 = 1_000;
/// Tasks per indexer transaction while writes are quiet (about 30 ms of writer time).
const INDEXER_BATCH: u64 = 2_000;
/// Tasks per indexer transaction, one a second, while writes go on.
const INDEXER_BUSY_BATCH: u64 = 250;
/// How often a caught-up indexer asks whether the index needs a rebuild.
const INDEXER_STALENESS_CHECK: Duration = Duration::from_secs(60);

pub use sea_orm;

/// A connection pool plus, on SQLite, the process-wide writer gate.
///
/// SQLite allows one writer at a time; a deferred transaction that reads and then writes can fail
/// with `SQLITE_BUSY` when another writer got in between, and `busy_timeout` does not help there.
/// Serializing our own write transactions in-process avoids that class of error entirely, while
/// readers keep running concurrently under WAL.
#[derive(Clone)]
pub struct Db {
    /// Reads (with the statement timeout).
    conn: DatabaseConnection,
    /// Write transactions and migrations: on SQLite a pool of its own whose deadline is the
    /// current write transaction's (see [`WriteDeadline`]), on PostgreSQL the same pool as `conn`.
    writer: DatabaseConnection,
    write_gate: Option<Arc<Mutex<()>>>,
    /// The statement timeout of request work (`DbOptions::statement_timeout`).
    statement_timeout: Option<Duration>,
    /// SQLite: the deadline of the write transaction holding the gate.
    write_deadline: WriteDeadline,
    /// When the last write transaction began or ended, as milliseconds since `opened`.
    last_write: Arc<AtomicU64>,
    /// When the search indexer last checked whether the index is stale, as milliseconds since
    /// `opened`.
    search_checked: Arc<AtomicU64>,
    opened: Instant,
}

/// A write transaction; on SQLite it also holds the writer gate until commit or drop.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    // Dropped in this order: the end is stamped before the gate lets the next writer in.
    _stamp: Option<WriteStamp>,
    _gate: Option<OwnedMutexGuard<()>>,
}

/// Records when a write transaction ended (see [`Db::index_search_step`]).
struct WriteStamp {
    last_write: Arc<AtomicU64>,
    opened: Instant,
}

impl WriteStamp {
    fn stamp(&self) {
        self.last_write
            .store(self.opened.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

impl Drop for WriteStamp {
    fn drop(&mut self) {
        self.stamp();
    }
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
    if url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://")
    {
        Ok(())
    } else {
        Err(format!(
            "unsupported database URL (expected sqlite: or postgres://): {}",
            redact_url(url)
        ))
    }
}

/// The URL with any password replaced, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// How to open the database.
#[derive(Debug, Clone, Copy)]
pub struct DbOptions {
    pub max_connections: u32,
    /// The longest request work may run before the database cancels it: on PostgreSQL each
    /// statement (`statement_timeout`); on SQLite each read from the moment its connection is
    /// handed out, and each write transaction from the moment it holds the writer gate (an
    /// interrupt from the progress handler). [`Db::write_unbounded`] transactions and
    /// migrations are not limited. `None`: no limit.
    pub statement_timeout: Option<Duration>,
}

/// A millisecond clock for SQLite's progress handlers, which run every few hundred virtual-
/// machine steps: reading the system clock there doubled the cost of heavy reads on a machine
/// whose clock read is a system call, so a thread advances this one every few milliseconds and
/// the handlers read an atomic.
mod coarse_clock {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{LazyLock, Once};
    use std::time::{Duration, Instant};

    static START: LazyLock<Instant> = LazyLock::new(Instant::now);
    static NOW_MS: AtomicU64 = AtomicU64::new(0);
    static TICKER: Once = Once::new();
    /// How often the clock advances (the deadlines' granularity).
    const TICK: Duration = Duration::from_millis(5);

    /// Starts the clock's thread, once per process.
    pub fn start() {
        TICKER.call_once(|| {
            LazyLock::force(&START);
            std::thread::Builder::new()
                .name("tessera-clock".into())
                .spawn(|| loop {
                    NOW_MS.store(START.elapsed().as_millis() as u64, Ordering::Relaxed);
                    std::thread::sleep(TICK);
                })
                .expect("start the deadline clock");
        });
    }

    /// Milliseconds since the clock started, as of its last tick.
    pub fn now_ms() -> u64 {
        NOW_MS.load(Ordering::Relaxed)
    }

    /// The clock's reading `limit` from now.
    pub fn deadline_ms(limit: Duration) -> u64 {
        (START.elapsed() + limit).as_millis() as u64
    }
}

/// The deadline of SQLite's one write transaction at a time, which the writer connections'
/// progress handler enforces: the writer gate lets one transaction in at a time, so one value
/// serves them all. A [`coarse_clock`] reading; `u64::MAX` for none.
#[derive(Clone)]
struct WriteDeadline {
    at: Arc<AtomicU64>,
}

impl WriteDeadline {
    fn set(&self, limit: Option<Duration>) {
        self.at.store(
            limit.map_or(u64::MAX, coarse_clock::deadline_ms),
            Ordering::Relaxed,
        );
    }

    fn passed(&self) -> bool {
        coarse_clock::now_ms() >= self.at.load(Ordering::Relaxed)
    }
}

/// How long a request waits for a free connection before it is told the server is busy.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// SQLite virtual-machine steps between two looks at a deadline: a few dozen rows of a scan
/// (one step may be a slow function call, a `REGEXP` on a long text, that cannot be
/// interrupted inside). A look is one atomic read of the [`coarse_clock`], but calling the
/// handler every 100 steps still cost heavy reads (export, filtered pages) a third of their
/// speed; every 1,000 it costs a few percent.
const PROGRESS_STEPS: i32 = 1_000;

impl Db {
    /// Opens a pool without a statement timeout (tools, tests, migrations).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbErr> {
        Db::connect_with(
            url,
            DbOptions {
                max_connections,
                statement_timeout: None,
            },
        )
        .await
    }

    /// Opens the pools. SQLite gets WAL, `synchronous=NORMAL`, foreign keys, a busy timeout,
    /// and a reader pool (each connection armed with a deadline as it is handed out) apart from
    /// its gated writer connections (armed with the current write transaction's deadline);
    /// PostgreSQL gets one pool whose sessions carry `statement_timeout`, lifted inside
    /// [`Db::write_unbounded`] transactions and migrations.
    pub async fn connect_with(url: &str, options: DbOptions) -> Result<Db, DbErr> {
        check_url(url).map_err(DbErr::Custom)?;
        let opened = Instant::now();
        let write_deadline = WriteDeadline {
            at: Arc::new(AtomicU64::new(u64::MAX)),
        };
        if options.statement_timeout.is_some() {
            coarse_clock::start();
        }
        let sqlx_err = |err: sea_orm::sqlx::Error| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(err));
        let (conn, writer) = if url.starts_with("sqlite:") {
            use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
            use sea_orm::sqlx::ConnectOptions as _;
            let connect = SqliteConnectOptions::from_str(url)
                .map_err(sqlx_err)?
                .create_if_missing(true)
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
                .disable_statement_logging();
            let pool = || {
                SqlitePoolOptions::new()
                    .min_connections(1)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
            };
            let mut readers = pool().max_connections(options.max_connections);
            if let Some(limit) = options.statement_timeout {
                readers = readers
                    .after_connect(move |conn, _| {
                        Box::pin(async move { arm_read_deadline(conn, limit).await })
                    })
                    .before_acquire(move |conn, _| {
                        Box::pin(async move { arm_read_deadline(conn, limit).await.map(|()| true) })
                    });
            }
            let readers = readers
                .connect_with(connect.clone())
                .await
                .map_err(sqlx_err)?;
            // Writers are serialized by the gate: one connection is all they use.
            let deadline = write_deadline.clone();
            let writers = pool()
                .max_connections(1)
                .after_connect(move |conn, _| {
                    let deadline = deadline.clone();
                    Box::pin(async move {
                        conn.lock_handle()
                            .await?
                            .set_progress_handler(PROGRESS_STEPS, move || !deadline.passed());
                        Ok(())
                    })
                })
                .connect_with(connect)
                .await
                .map_err(sqlx_err)?;
            (
                sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(readers),
                Some(sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(writers)),
            )
        } else {
            use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
            use sea_orm::sqlx::ConnectOptions as _;
            let mut connect = PgConnectOptions::from_str(url)
                .map_err(sqlx_err)?
                .disable_statement_logging();
            if let Some(limit) = options.statement_timeout {
                connect =
                    connect.options([("statement_timeout", format!("{}ms", limit.as_millis()))]);
            }
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .min_connections(1)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(connect)
                .await
                .map_err(sqlx_err)?;
            (
                sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
                None,
            )
        };
        let write_gate = writer.is_some().then(|| Arc::new(Mutex::new(())));
        Ok(Db {
            writer: writer.unwrap_or_else(|| conn.clone()),
            conn,
            write_gate,
            statement_timeout: options.statement_timeout,
            write_deadline,
            last_write: Arc::new(AtomicU64::new(0)),
            search_checked: Arc::new(AtomicU64::new(0)),
            opened,
        })
    }

    /// On SQLite, copies the write-ahead log back into the database file every second (a
    /// passive checkpoint never blocks readers or writers). No-op on PostgreSQL.
    pub fn spawn_checkpointer(&self) {
        if self.write_gate.is_none() {
            return;
        }
        // On a reader connection: a passive checkpoint needs no write lock.
        let conn = self.conn.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                if let Err(err) = conn
                    .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                    .await
                {
                    tracing::warn!(error = %err, "WAL checkpoint failed");
                }
            }
        });
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        if self.write_gate.is_none() && self.statement_timeout.is_some() {
            // One transaction (PostgreSQL's DDL is transactional) without the sessions' limit:
            // building an index on a big table takes as long as it takes.
            let txn = self.writer.begin().await?;
            txn.execute_unprepared("SET LOCAL statement_timeout = 0")
                .await?;
            migrations::Migrator::up(&txn, None).await?;
            return txn.commit().await;
        }
        migrations::Migrator::up(&self.writer, None).await
    }

    /// The pool, for reads.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Whether the substring index is filled in the background ([`Db::index_search_step`]):
    /// on SQLite; PostgreSQL indexes as it writes.
    pub fn indexes_search_in_background(&self) -> bool {
        self.write_gate.is_some()
    }

    /// One step of the SQLite substring indexer (`queries::search`), to run in a loop: adds
    /// newly imported tasks in big batches once writes have paused for a moment, a small batch
    /// a second while they go on, so that imports and labeling keep their speed; once caught
    /// up, it checks now and then whether deletions and edits call for a rebuild. Returns the
    /// pause before the next step.
    pub async fn index_search_step(&self) -> Duration {
        match self.index_search_batch().await {
            Ok((added, quiet)) if quiet && added == INDEXER_BATCH => Duration::ZERO,
            Ok((0, true)) if self.staleness_check_due() => {
                match self.rebuild_search_index_if_stale().await {
                    Ok(true) => Duration::ZERO,
                    Ok(false) => Duration::from_millis(500),
                    Err(err) => {
                        tracing::warn!(error = %err, "search index check failed");
                        Duration::from_secs(5)
                    }
                }
            }
            Ok((0, _)) => Duration::from_millis(500),
            Ok(_) => Duration::from_secs(1),
            Err(err) => {
                tracing::warn!(error = %err, "search indexing failed");
                Duration::from_secs(5)
            }
        }
    }

    /// Whether [`INDEXER_STALENESS_CHECK`] has passed since the last staleness check; if so,
    /// the check is now.
    fn staleness_check_due(&self) -> bool {
        let now = self.opened.elapsed().as_millis() as u64;
        let last = self.search_checked.load(Ordering::Relaxed);
        now.saturating_sub(last) >= INDEXER_STALENESS_CHECK.as_millis() as u64
            && self
                .search_checked
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// One indexer batch in its own write transaction, which does not count as a write: a big
    /// one when no other write has begun or ended for a moment (decided once holding the writer
    /// gate), else a small one. Returns how many tasks it added and whether writes were quiet.
    async fn index_search_batch(&self) -> Result<(u64, bool), DbErr> {
        let txn = self.begin_write(None).await?;
        let since_write = (self.opened.elapsed().as_millis() as u64)
            .saturating_sub(self.last_write.load(Ordering::Relaxed));
        let quiet = since_write >= INDEXER_QUIET_MS;
        let added = queries::search::index_batch(
            &*txn,
            if quiet {
                INDEXER_BATCH
            } else {
                INDEXER_BUSY_BATCH
            },
        )
        .await?;
        txn.commit().await?;
        Ok((added, quiet))
    }

    async fn rebuild_search_index_if_stale(&self) -> Result<bool, DbErr> {
        let txn = self.begin_write(None).await?;
        let rebuilding = queries::search::rebuild_if_stale(&*txn).await?;
        txn.commit().await?;
        if rebuilding {
            tracing::info!("rebuilding the task search index after many deletions or edits");
        }
        Ok(rebuilding)
    }

    /// Begins a write transaction for a request (waiting for the writer gate on SQLite): its
    /// statements are held to the statement timeout, as reads are, so a client's slow filter
    /// inside it cannot hold the writer for long.
    pub async fn write(&self) -> Result<WriteTxn, DbErr> {
        self.stamped(self.statement_timeout).await
    }

    /// Begins a write transaction without the statement timeout, for bulk work whose
    /// statements may legitimately run long (imports, deleting a project) and take no filter
    /// from the client.
    pub async fn write_unbounded(&self) -> Result<WriteTxn, DbErr> {
        self.stamped(None).await
    }

    async fn stamped(&self, limit: Option<Duration>) -> Result<WriteTxn, DbErr> {
        let stamp = WriteStamp {
            last_write: self.last_write.clone(),
            opened: self.opened,
        };
        stamp.stamp();
        let mut txn = self.begin_write(limit).await?;
        txn._stamp = Some(stamp);
        Ok(txn)
    }

    /// A write transaction that does not count as one for the search indexer, with `limit` on
    /// its statements. Waiting for SQLite's writer gate is bounded like waiting for a pooled
    /// connection.
    async fn begin_write(&self, limit: Option<Duration>) -> Result<WriteTxn, DbErr> {
        let gate = match &self.write_gate {
            Some(gate) => Some(
                tokio::time::timeout(ACQUIRE_TIMEOUT, gate.clone().lock_owned())
                    .await
                    .map_err(|_| DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout))?,
            ),
            None => None,
        };
        if gate.is_some() {
            self.write_deadline.set(limit);
        }
        let txn = self.writer.begin().await?;
        if gate.is_none() && limit.is_none() && self.statement_timeout.is_some() {
            txn.execute_unprepared("SET LOCAL statement_timeout = 0")
                .await?;
        }
        Ok(WriteTxn {
            txn,
            _stamp: None,
            _gate: gate,
        })
    }

    /// Closes the pools.
    pub async fn close(self) -> Result<(), DbErr> {
        if self.write_gate.is_some() {
            self.writer.close().await?;
        }
        self.conn.close().await
    }
}

/// Gives a SQLite read connection, as it is handed out, a deadline `limit` from now: past it,
/// the progress handler interrupts the running statement (`SQLITE_INTERRUPT`).
async fn arm_read_deadline(
    conn: &mut sea_orm::sqlx::SqliteConnection,
    limit: Duration,
) -> Result<(), sea_orm::sqlx::Error> {
    let deadline = coarse_clock::deadline_ms(limit);
    conn.lock_handle()
        .await?
        .set_progress_handler(PROGRESS_STEPS, move || coarse_clock::now_ms() < deadline);
    Ok(())
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
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Whether the database gave up on a statement: it ran past the statement timeout
/// (PostgreSQL's `query_canceled`, SQLite's interrupt) or no connection came free in time.
pub fn is_timeout(err: &DbErr) -> bool {
    let runtime = match err {
        DbErr::Query(runtime) | DbErr::Exec(runtime) | DbErr::Conn(runtime) => runtime,
        DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout) => return true,
        _ => return false,
    };
    match runtime {
        sea_orm::RuntimeErr::SqlxError(sea_orm::sqlx::Error::PoolTimedOut) => true,
        sea_orm::RuntimeErr::SqlxError(sea_orm::sqlx::Error::Database(db)) => {
            matches!(db.code().as_deref(), Some("57014") | Some("9"))
        }
        _ => false,
    }
}

/// Whether the database refused a regular expression (PostgreSQL's `invalid_regular_expression`,
/// for patterns Rust's engine, which checks them first, accepts and PostgreSQL's does not).
pub fn is_invalid_regex(err: &DbErr) -> bool {
    let runtime = match err {
        DbErr::Query(runtime) | DbErr::Exec(runtime) | DbErr::Conn(runtime) => runtime,
        _ => return false,
    };
    match runtime {
        sea_orm::RuntimeErr::SqlxError(sea_orm::sqlx::Error::Database(db)) => {
            db.code().as_deref() == Some("2201B")
        }
        _ => false,
    }
}
