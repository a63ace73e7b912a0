//! A worker process killed with SIGKILL in the middle of a job: nothing is lost, and the job's
//! effect happens once.
//!
//! The worker is this test binary run again as a child (`child_worker`, ignored in normal runs),
//! so the kill is a real `kill -9` of a real process holding a lease.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use tessera_jobs::queue;
use tessera_jobs::{JobStatus, NewJob, Registry, WorkerConfig};

use crate::harness::{count, effects, TestDb};

const CHILD_DB: &str = "TESSERA_JOBS_CHILD_DATABASE_URL";
const JOBS: i64 = 4;

/// A worker process, killed with SIGKILL and reaped at the latest when dropped.
struct ChildWorker(Child);

impl ChildWorker {
    /// Starts a worker process on the database at `url`.
    fn spawn(url: &str) -> ChildWorker {
        let child = Command::new(std::env::current_exe().expect("test binary"))
            .args(["crash::child_worker", "--exact", "--ignored", "--nocapture"])
            .env(CHILD_DB, url)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn child worker");
        ChildWorker(child)
    }

    /// `kill -9`, then reap.
    fn kill_9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for ChildWorker {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// The child: a worker whose "slow" jobs note each run (committed at once), take 600 ms, then
/// write their effect in the transaction that ends them. Runs until killed.
#[tokio::test]
#[ignore = "a worker process for kill_9_mid_job_loses_nothing_and_the_effect_happens_once"]
async fn child_worker() {
    let Ok(url) = std::env::var(CHILD_DB) else {
        return;
    };
    let db = tessera_db::Db::connect(&url, 4).await.expect("connect");
    let mut registry = Registry::default();
    registry.register("slow", |ctx| async move {
        let sql = |sql: String| Statement::from_string(ctx.db().conn().get_database_backend(), sql);
        ctx.db()
            .conn()
            .execute(sql(format!(
                "INSERT INTO job_runs (job_id, attempt) VALUES ({}, {})",
                ctx.id(),
                ctx.attempt()
            )))
            .await?;
        tokio::time::sleep(Duration::from_millis(600)).await;
        let txn = ctx.db().write().await?;
        txn.execute(sql(format!(
            "INSERT INTO job_effects (job_id, worker) VALUES ({}, 'child')",
            ctx.id()
        )))
        .await?;
        let done = ctx.done_in(&*txn, json!("ok")).await?;
        txn.commit().await?;
        Ok(done)
    });
    let config = WorkerConfig {
        concurrency: 1,
        lease: Duration::from_millis(900),
        poll_interval: Duration::from_millis(50),
        ..WorkerConfig::default()
    };
    tessera_jobs::worker::run(db, registry, config, Default::default()).await;
}

#[tokio::test]
async fn kill_9_mid_job_loses_nothing_and_the_effect_happens_once() {
    let test = TestDb::new().await;
    let db = test.connect().await;
    db.conn()
        .execute_unprepared(
            "CREATE TABLE job_runs (job_id BIGINT NOT NULL, attempt INTEGER NOT NULL)",
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..JOBS {
        ids.push(
            queue::enqueue(db.conn(), NewJob::new("slow", json!(n)))
                .await
                .unwrap()
                .id(),
        );
    }

    // Kill the first worker while a job is between its start and its end.
    let mut first = ChildWorker::spawn(&test.url);
    let started = std::time::Instant::now();
    let interrupted = loop {
        let mid = count(&db, "SELECT COUNT(*) AS n FROM jobs WHERE status = 'running' AND id IN (SELECT job_id FROM job_runs) AND id NOT IN (SELECT job_id FROM job_effects)").await;
        if mid > 0 {
            first.kill_9();
            break count(
                &db,
                "SELECT MIN(id) AS n FROM jobs WHERE status = 'running'",
            )
            .await;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the child never started a job"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let job = queue::get(db.conn(), interrupted).await.unwrap().unwrap();
    assert_eq!(
        job.status,
        JobStatus::Running,
        "left running under the dead worker's lease"
    );
    assert_eq!(effects(&db, interrupted).await, 0);

    // A new worker takes it again once the lease expires, and finishes everything.
    let second = ChildWorker::spawn(&test.url);
    let started = std::time::Instant::now();
    while count(
        &db,
        "SELECT COUNT(*) AS n FROM jobs WHERE status = 'succeeded'",
    )
    .await
        < JOBS
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "jobs were lost after the kill"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(second);

    for id in ids {
        assert_eq!(effects(&db, id).await, 1, "job {id}'s effect happened once");
    }
    let job = queue::get(db.conn(), interrupted).await.unwrap().unwrap();
    assert_eq!(job.attempts, 2, "the interrupted job ran a second time");
    assert_eq!(
        count(
            &db,
            &format!("SELECT COUNT(*) AS n FROM job_runs WHERE job_id = {interrupted}")
        )
        .await,
        2
    );
    test.drop_schema().await;
}
