//! The job queue: what enqueueing costs, and how many trivial jobs a second workers finish, on
//! a fresh database (a temp SQLite file, or an empty PostgreSQL database).

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde_json::json;
use tessera_db::Db;
use tessera_jobs::queue;
use tessera_jobs::{NewJob, Registry, Supervisor, WorkerConfig};

/// Jobs enqueued in one transaction, then run.
const BULK: usize = 10_000;
/// Jobs enqueued one transaction each.
const SINGLE: usize = 1_000;

fn registry() -> Registry {
    let mut registry = Registry::default();
    registry.register("noop", |ctx| async move { Ok(ctx.done(json!(null))) });
    registry
}

fn config() -> WorkerConfig {
    WorkerConfig {
        concurrency: 8,
        poll_interval: Duration::from_millis(50),
        ..WorkerConfig::default()
    }
}

async fn succeeded(db: &Db) -> Result<i64> {
    use tessera_db::sea_orm::{ConnectionTrait, Statement};
    let conn = db.conn();
    let row = conn
        .query_one(Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM jobs WHERE status = 'succeeded'",
        ))
        .await?
        .expect("a count");
    Ok(row.try_get("", "n")?)
}

/// Enqueues `count` no-op jobs in one transaction; returns the time it took.
async fn enqueue_bulk(db: &Db, count: usize) -> Result<Duration> {
    let started = Instant::now();
    let txn = db.write().await?;
    for n in 0..count {
        queue::enqueue(&*txn, NewJob::new("noop", json!({"n": n}))).await?;
    }
    txn.commit().await?;
    Ok(started.elapsed())
}

/// Runs workers on `instances` pools until `target` jobs have succeeded; returns the time.
async fn drain(url: &str, instances: usize, target: i64) -> Result<Duration> {
    let watcher = Db::connect(url, 2).await?;
    let mut supervisors = Vec::new();
    let started = Instant::now();
    for _ in 0..instances {
        let db = Db::connect(url, 8).await?;
        let mut supervisor = Supervisor::new();
        supervisor.spawn_worker(db, registry(), config());
        supervisors.push(supervisor);
    }
    while succeeded(&watcher).await? < target {
        if started.elapsed() > Duration::from_secs(600) {
            bail!("the jobs did not finish in 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    for supervisor in supervisors {
        supervisor.shutdown().await;
    }
    Ok(elapsed)
}

/// Prints the figures for the database at `url` (migrated here).
pub async fn report(backend: &str, url: &str) -> Result<()> {
    let db = Db::connect(url, 4).await?;
    db.migrate().await?;

    let bulk = enqueue_bulk(&db, BULK).await?;
    println!(
        "[{backend}] enqueue {BULK} jobs in one transaction: {:.2} s = {:.1} µs per job",
        bulk.as_secs_f64(),
        bulk.as_secs_f64() * 1e6 / BULK as f64
    );
    let started = Instant::now();
    for n in 0..SINGLE {
        let txn = db.write().await?;
        queue::enqueue(&*txn, NewJob::new("noop", json!({"n": n}))).await?;
        txn.commit().await?;
    }
    let single = started.elapsed();
    println!(
        "[{backend}] enqueue {SINGLE} jobs, one transaction each: {:.3} ms per job",
        single.as_secs_f64() * 1e3 / SINGLE as f64
    );
    let total = (BULK + SINGLE) as i64;
    let one = drain(url, 1, total).await?;
    println!(
        "[{backend}] {total} trivial jobs, one instance (8 at once): {:.2} s = {:.0} jobs/s",
        one.as_secs_f64(),
        total as f64 / one.as_secs_f64()
    );
    enqueue_bulk(&db, BULK).await?;
    let two = drain(url, 2, total + BULK as i64).await?;
    println!(
        "[{backend}] {BULK} trivial jobs, two instances (8 at once each): {:.2} s = {:.0} jobs/s",
        two.as_secs_f64(),
        BULK as f64 / two.as_secs_f64()
    );
    Ok(())
}
