//! A migrated test database, and workers on it.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use tessera_db::Db;
use tessera_jobs::{Job, Registry, Supervisor, WorkerConfig};

/// A database of its own for one test.
pub struct TestDb {
    pub url: String,
    /// PostgreSQL: the server's URL and the schema to drop at the end.
    schema: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    /// A migrated database; on PostgreSQL a new schema of `TEST_DATABASE_URL`.
    pub async fn new() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, schema) = match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(base) => {
                let name = format!("test_{}", uuid::Uuid::new_v4().simple());
                let db = Db::connect(&base, 1).await.expect("connect");
                db.conn()
                    .execute_unprepared(&format!("CREATE SCHEMA {name}"))
                    .await
                    .expect("create schema");
                db.close().await.ok();
                let separator = if base.contains('?') { '&' } else { '?' };
                (
                    format!("{base}{separator}options=-c%20search_path%3D{name}"),
                    Some((base, name)),
                )
            }
            None => (
                format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("jobs.sqlite3").display()
                ),
                None,
            ),
        };
        let db = Db::connect(&url, 2).await.expect("connect");
        db.migrate().await.expect("migrate");
        db.conn()
            .execute_unprepared(
                "CREATE TABLE job_effects (job_id BIGINT PRIMARY KEY, worker TEXT NOT NULL)",
            )
            .await
            .expect("effects table");
        db.close().await.ok();
        TestDb {
            url,
            schema,
            _dir: dir,
        }
    }

    /// A new pool on the database: another "instance".
    pub async fn connect(&self) -> Db {
        Db::connect(&self.url, 4).await.expect("connect")
    }

    /// Drops the PostgreSQL schema.
    pub async fn drop_schema(self) {
        if let Some((base, name)) = &self.schema {
            let db = Db::connect(base, 1).await.expect("connect");
            db.conn()
                .execute_unprepared(&format!("DROP SCHEMA {name} CASCADE"))
                .await
                .expect("drop schema");
            db.close().await.ok();
        }
    }
}

/// A worker configuration with short delays, for tests.
pub fn quick() -> WorkerConfig {
    WorkerConfig {
        concurrency: 4,
        lease: Duration::from_secs(30),
        poll_interval: Duration::from_millis(20),
        retry_base: Duration::from_millis(30),
        retry_cap: Duration::from_millis(200),
        shutdown_grace: Duration::from_millis(100),
    }
}

/// A supervisor running one worker with `registry`.
pub fn worker(db: &Db, registry: Registry, config: WorkerConfig) -> Supervisor {
    let mut supervisor = Supervisor::new();
    supervisor.spawn_worker(db.clone(), registry, config);
    supervisor
}

/// Waits (up to `limit`) until job `id` satisfies `done`; returns it.
pub async fn wait_for(db: &Db, id: i64, limit: Duration, done: impl Fn(&Job) -> bool) -> Job {
    let started = std::time::Instant::now();
    loop {
        let job = tessera_jobs::queue::get(db.conn(), id)
            .await
            .expect("read job")
            .expect("job exists");
        if done(&job) {
            return job;
        }
        assert!(
            started.elapsed() < limit,
            "job {id} did not get there in {limit:?}: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until job `id` is finished; returns it.
pub async fn wait_finished(db: &Db, id: i64) -> Job {
    wait_for(db, id, Duration::from_secs(30), |job| {
        job.status.is_finished()
    })
    .await
}

/// How many effect rows job `id` left.
pub async fn effects(db: &Db, id: i64) -> i64 {
    count(
        db,
        &format!("SELECT COUNT(*) AS n FROM job_effects WHERE job_id = {id}"),
    )
    .await
}

/// Runs a `SELECT COUNT(*) AS n ...`.
pub async fn count(db: &Db, sql: &str) -> i64 {
    let conn = db.conn();
    let row = conn
        .query_one(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get("", "n").expect("n")
}
