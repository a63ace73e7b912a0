//! One worker: success, retries with backoff, permanent failures, panics, progress, cancelling
//! a running job.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tessera_jobs::queue;
use tessera_jobs::{JobError, JobStatus, NewJob, Registry};

use crate::harness::{quick, wait_finished, wait_for, worker, TestDb};

#[tokio::test]
async fn a_job_that_fails_twice_is_retried_after_a_backoff_and_then_succeeds() {
    let test = TestDb::new().await;
    let db = test.connect().await;
    let runs = Arc::new(AtomicU32::new(0));
    let mut registry = Registry::default();
    let counter = runs.clone();
    registry.register("flaky", move |ctx| {
        let counter = counter.clone();
        async move {
            let run = counter.fetch_add(1, Ordering::SeqCst) + 1;
            assert_eq!(ctx.attempt(), run);
            if run < 3 {
                return Err(JobError::Retry(format!("try {run} failed")));
            }
            let input = ctx.payload().clone();
            Ok(ctx.done(json!({"runs": run, "input": input})))
        }
    });
    let id = queue::enqueue(db.conn(), NewJob::new("flaky", json!("x")))
        .await
        .unwrap()
        .id();
    let started = std::time::Instant::now();
    let supervisor = worker(&db, registry, quick());

    let job = wait_finished(&db, id).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{job:?}");
    assert_eq!(job.attempts, 3);
    assert_eq!(job.result, Some(json!({"runs": 3, "input": "x"})));
    assert_eq!(job.error, None, "a success clears the last error");
    // Backoff: 30 ms after the first failure, 60 ms after the second.
    assert!(started.elapsed() >= Duration::from_millis(90));
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    supervisor.shutdown().await;
    test.drop_schema().await;
}

#[tokio::test]
async fn the_last_error_is_kept_while_a_retry_waits() {
    let test = TestDb::new().await;
    let db = test.connect().await;
    let mut registry = Registry::default();
    registry.register("down", |_ctx| async {
        Err(JobError::Retry("service down".into()))
    });
    let id = queue::enqueue(db.conn(), NewJob::new("down", json!({})))
        .await
        .unwrap()
        .id();
    let mut config = quick();
    config.retry_base = Duration::from_secs(60);
    config.retry_cap = Duration::from_secs(600);
    let supervisor = worker(&db, registry, config);
    let job = wait_for(&db, id, Duration::from_secs(10), |job| {
        job.attempts == 1 && job.status == JobStatus::Queued
    })
    .await;
    assert_eq!(job.error.as_deref(), Some("service down"));
    assert!(
        job.run_at >= queue::now_ms() + 50_000,
        "waits for its backoff"
    );
    supervisor.shutdown().await;
    test.drop_schema().await;
}

#[tokio::test]
async fn attempts_run_out_and_permanent_errors_and_panics_are_recorded() {
    let test = TestDb::new().await;
    let db = test.connect().await;
    let mut registry = Registry::default();
    registry
        .register("always_down", |_ctx| async {
            Err(JobError::Retry("still down".into()))
        })
        .register("bad_input", |_ctx| async {
            Err(JobError::Fatal("no such bucket".into()))
        })
        .register("panics", |ctx| async move {
            if ctx.attempt() == 1 {
                panic!("first run blows up");
            }
            Ok(ctx.done(json!("recovered")))
        });
    let exhausted = queue::enqueue(
        db.conn(),
        NewJob::new("always_down", json!(1)).max_attempts(3),
    )
    .await
    .unwrap()
    .id();
    let fatal = queue::enqueue(db.conn(), NewJob::new("bad_input", json!(2)))
        .await
        .unwrap()
        .id();
    let panics = queue::enqueue(db.conn(), NewJob::new("panics", json!(3)))
        .await
        .unwrap()
        .id();
    let supervisor = worker(&db, registry, quick());

    let job = wait_finished(&db, exhausted).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Failed, 3));
    assert_eq!(job.error.as_deref(), Some("still down"));
    let job = wait_finished(&db, fatal).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Failed, 1));
    assert_eq!(job.error.as_deref(), Some("no such bucket"));
    let job = wait_finished(&db, panics).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 2));
    assert_eq!(job.result, Some(json!("recovered")));
    supervisor.shutdown().await;
    test.drop_schema().await;
}

#[tokio::test]
async fn progress_is_readable_while_a_job_runs_and_cancelling_stops_it() {
    let test = TestDb::new().await;
    let db = test.connect().await;
    let steps = Arc::new(AtomicU32::new(0));
    let mut registry = Registry::default();
    let counter = steps.clone();
    registry.register("long", move |ctx| {
        let counter = counter.clone();
        async move {
            for step in 1..=1000 {
                counter.store(step, Ordering::SeqCst);
                ctx.progress(json!({"done": step, "total": 1000})).await?;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok(ctx.done(json!("finished")))
        }
    });
    let id = queue::enqueue(db.conn(), NewJob::new("long", json!(null)))
        .await
        .unwrap()
        .id();
    let supervisor = worker(&db, registry, quick());
    let job = wait_for(&db, id, Duration::from_secs(10), |job| {
        job.progress
            .as_ref()
            .is_some_and(|p| p["done"].as_u64() >= Some(3))
    })
    .await;
    assert_eq!(job.status, JobStatus::Running);
    assert_eq!(job.progress.as_ref().unwrap()["total"], 1000);

    assert_eq!(
        queue::cancel(db.conn(), id).await.unwrap(),
        Some(JobStatus::Running),
        "a running job is asked to stop"
    );
    let job = wait_finished(&db, id).await;
    assert_eq!(job.status, JobStatus::Cancelled);
    assert!(job.result.is_none());
    let stopped_at = steps.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(steps.load(Ordering::SeqCst), stopped_at, "the run stopped");
    assert!(stopped_at < 1000);
    supervisor.shutdown().await;
    test.drop_schema().await;
}

#[tokio::test]
async fn a_running_job_that_never_reports_is_cancelled_at_its_heartbeat() {
    let test = TestDb::new().await;
    let db = test.connect().await;
    let mut registry = Registry::default();
    registry.register("silent", |ctx| async move {
        tokio::time::sleep(Duration::from_secs(600)).await;
        Ok(ctx.done(json!("too late")))
    });
    let id = queue::enqueue(db.conn(), NewJob::new("silent", json!(null)))
        .await
        .unwrap()
        .id();
    let mut config = quick();
    config.lease = Duration::from_millis(300);
    let supervisor = worker(&db, registry, config);
    wait_for(&db, id, Duration::from_secs(10), |job| {
        job.status == JobStatus::Running
    })
    .await;
    queue::cancel(db.conn(), id).await.unwrap();
    let job = wait_for(&db, id, Duration::from_secs(5), |job| {
        job.status.is_finished()
    })
    .await;
    assert_eq!(job.status, JobStatus::Cancelled);
    supervisor.shutdown().await;
    test.drop_schema().await;
}

#[tokio::test]
async fn a_job_cancelled_while_its_run_fails_retryably_is_cancelled_not_retried() {
    let test = TestDb::new().await;
    let db = test.connect().await;
    let runs = Arc::new(AtomicU32::new(0));
    let counter = runs.clone();
    let mut registry = Registry::default();
    registry.register("flaky", move |_ctx| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(300)).await;
            Err(JobError::Retry("upstream down".into()))
        }
    });
    let id = queue::enqueue(db.conn(), NewJob::new("flaky", json!(null)))
        .await
        .unwrap()
        .id();
    let supervisor = worker(&db, registry, quick());
    wait_for(&db, id, Duration::from_secs(10), |job| {
        job.status == JobStatus::Running
    })
    .await;
    queue::cancel(db.conn(), id).await.unwrap();
    let job = wait_finished(&db, id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Cancelled, 1));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1, "not run again");
    supervisor.shutdown().await;
    test.drop_schema().await;
}

#[tokio::test]
async fn a_stopping_worker_hands_its_runs_back_without_spending_an_attempt() {
    let test = TestDb::new().await;
    let db = test.connect().await;
    let runs = Arc::new(AtomicU32::new(0));
    let registry = || {
        let counter = runs.clone();
        let mut registry = Registry::default();
        registry.register("long", move |ctx| {
            let counter = counter.clone();
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    tokio::time::sleep(Duration::from_secs(600)).await;
                }
                Ok(ctx.done(json!("done")))
            }
        });
        registry
    };
    let id = queue::enqueue(db.conn(), NewJob::new("long", json!(null)).max_attempts(1))
        .await
        .unwrap()
        .id();
    let first = worker(&db, registry(), quick());
    wait_for(&db, id, Duration::from_secs(10), |job| {
        job.status == JobStatus::Running
    })
    .await;
    first.shutdown().await;
    let job = queue::get(db.conn(), id).await.unwrap().unwrap();
    assert_eq!(
        (job.status, job.attempts),
        (JobStatus::Queued, 0),
        "{job:?}"
    );
    // Another worker takes it at once, on its one allowed attempt.
    let second = worker(&db, registry(), quick());
    let job = wait_finished(&db, id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 1));
    second.shutdown().await;
    test.drop_schema().await;
}

#[tokio::test]
async fn jobs_of_one_singleton_key_run_one_after_another() {
    let test = TestDb::new().await;
    let db = test.connect().await;
    let spans = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = spans.clone();
    let mut registry = Registry::default();
    registry.register("sync", move |ctx| {
        let log = log.clone();
        async move {
            let started = std::time::Instant::now();
            tokio::time::sleep(Duration::from_millis(300)).await;
            log.lock()
                .unwrap()
                .push((started, std::time::Instant::now()));
            Ok(ctx.done(json!(null)))
        }
    });
    let first = queue::enqueue(
        db.conn(),
        NewJob::new("sync", json!(1)).singleton("storage:1"),
    )
    .await
    .unwrap()
    .id();
    let supervisor = worker(&db, registry, quick());
    wait_for(&db, first, Duration::from_secs(10), |job| {
        job.status == JobStatus::Running
    })
    .await;
    // While it runs, another is queued (not merged into the running one) and waits for it.
    let second = queue::enqueue(
        db.conn(),
        NewJob::new("sync", json!(2)).singleton("storage:1"),
    )
    .await
    .unwrap();
    assert!(matches!(second, tessera_jobs::Enqueued::New(id) if id != first));
    let again = queue::enqueue(
        db.conn(),
        NewJob::new("sync", json!(3)).singleton("storage:1"),
    )
    .await
    .unwrap();
    assert_eq!(again, tessera_jobs::Enqueued::Existing(second.id()));
    wait_finished(&db, second.id()).await;
    let spans = spans.lock().unwrap().clone();
    assert_eq!(spans.len(), 2);
    assert!(
        spans[1].0 >= spans[0].1,
        "the second started after the first ended"
    );
    supervisor.shutdown().await;
    test.drop_schema().await;
}
