//! Enqueueing inside the caller's transaction, singletons, cancelling queued jobs, cleanup.

use std::time::Duration;

use serde_json::json;
use tessera_jobs::queue::{self, now_ms};
use tessera_jobs::{Enqueued, JobStatus, NewJob, Registry};

use crate::harness::{quick, wait_finished, worker, TestDb};

#[tokio::test]
async fn a_job_exists_exactly_when_the_enqueueing_transaction_commits() {
    let test = TestDb::new().await;
    let db = test.connect().await;

    let txn = db.write().await.unwrap();
    let rolled_back = queue::enqueue(&*txn, NewJob::new("noop", json!({"n": 1})))
        .await
        .unwrap()
        .id();
    drop(txn);
    assert_eq!(queue::get(db.conn(), rolled_back).await.unwrap(), None);

    let txn = db.write().await.unwrap();
    let committed = queue::enqueue(
        &*txn,
        NewJob::new("noop", json!({"n": "ü"})).max_attempts(3),
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    let job = queue::get(db.conn(), committed.id())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(committed, Enqueued::New(_)));
    assert_eq!(job.kind, "noop");
    assert_eq!(job.payload, json!({"n": "ü"}));
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!((job.attempts, job.max_attempts), (0, 3));
    assert!(job.run_at <= now_ms() && job.finished_at.is_none());
    test.drop_schema().await;
}

#[tokio::test]
async fn a_singleton_key_has_one_waiting_job_and_a_new_one_once_it_is_gone() {
    let test = TestDb::new().await;
    let db = test.connect().await;
    let first = queue::enqueue(
        db.conn(),
        NewJob::new("sync", json!(1)).singleton("storage:7"),
    )
    .await
    .unwrap();
    let again = queue::enqueue(
        db.conn(),
        NewJob::new("sync", json!(2)).singleton("storage:7"),
    )
    .await
    .unwrap();
    let other = queue::enqueue(
        db.conn(),
        NewJob::new("sync", json!(3)).singleton("storage:8"),
    )
    .await
    .unwrap();
    assert!(matches!(first, Enqueued::New(_)));
    assert_eq!(again, Enqueued::Existing(first.id()));
    assert!(matches!(other, Enqueued::New(id) if id != first.id()));

    // Inside a transaction too (PostgreSQL must not abort it on the conflict).
    let txn = db.write().await.unwrap();
    let inside = queue::enqueue(&*txn, NewJob::new("sync", json!(4)).singleton("storage:7"))
        .await
        .unwrap();
    assert_eq!(inside, Enqueued::Existing(first.id()));
    queue::get(&*txn, first.id()).await.unwrap().unwrap();
    txn.commit().await.unwrap();

    assert_eq!(
        queue::cancel(db.conn(), first.id()).await.unwrap(),
        Some(JobStatus::Cancelled)
    );
    let after = queue::enqueue(
        db.conn(),
        NewJob::new("sync", json!(5)).singleton("storage:7"),
    )
    .await
    .unwrap();
    assert!(matches!(after, Enqueued::New(id) if id != first.id()));
    test.drop_schema().await;
}

#[tokio::test]
async fn cancelling_a_queued_job_finishes_it_and_unknown_or_finished_jobs_stay() {
    let test = TestDb::new().await;
    let db = test.connect().await;
    let id = queue::enqueue(db.conn(), NewJob::new("noop", json!(null)))
        .await
        .unwrap()
        .id();
    assert_eq!(
        queue::cancel(db.conn(), id).await.unwrap(),
        Some(JobStatus::Cancelled)
    );
    let job = queue::get(db.conn(), id).await.unwrap().unwrap();
    assert!(job.cancel_requested && job.finished_at.is_some());
    // Cancelling again changes nothing; an unknown id is None.
    assert_eq!(
        queue::cancel(db.conn(), id).await.unwrap(),
        Some(JobStatus::Cancelled)
    );
    assert_eq!(queue::cancel(db.conn(), id + 1000).await.unwrap(), None);
    test.drop_schema().await;
}

#[tokio::test]
async fn cleanup_removes_only_jobs_finished_before_the_cutoff() {
    let test = TestDb::new().await;
    let db = test.connect().await;
    let finished = queue::enqueue(db.conn(), NewJob::new("noop", json!(1)))
        .await
        .unwrap()
        .id();
    let waiting = queue::enqueue(db.conn(), NewJob::new("noop", json!(2)))
        .await
        .unwrap()
        .id();
    queue::cancel(db.conn(), finished).await.unwrap();
    assert_eq!(
        queue::delete_finished(db.conn(), now_ms() - 60_000)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        queue::delete_finished(db.conn(), now_ms() + 1)
            .await
            .unwrap(),
        1
    );
    assert_eq!(queue::get(db.conn(), finished).await.unwrap(), None);
    assert!(queue::get(db.conn(), waiting).await.unwrap().is_some());
    test.drop_schema().await;
}

/// A transaction that joins a waiting singleton job holds that job until it commits: no worker
/// starts it earlier, so the job sees what the transaction wrote (an export storage's job
/// joined by an annotation's deletion once ran before the deletion committed, and kept the
/// annotation's file).
#[tokio::test]
async fn a_joined_singleton_job_waits_for_the_joining_transaction() {
    let test = TestDb::new().await;
    let db = test.connect().await;
    let id = queue::enqueue(
        db.conn(),
        NewJob::new("sync", json!(1)).singleton("storage:9"),
    )
    .await
    .unwrap()
    .id();
    let txn = db.write().await.unwrap();
    let joined = queue::enqueue(&*txn, NewJob::new("sync", json!(2)).singleton("storage:9"))
        .await
        .unwrap();
    assert_eq!(joined.id(), id);
    let mut registry = Registry::default();
    registry.register("sync", |ctx| async move { Ok(ctx.done(json!(null))) });
    let supervisor = worker(&db, registry, quick());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let waiting = queue::get(db.conn(), id).await.unwrap().unwrap();
    assert_eq!(
        waiting.status,
        JobStatus::Queued,
        "started before the join committed"
    );
    txn.commit().await.unwrap();
    let job = wait_finished(&db, id).await;
    assert_eq!(job.status, JobStatus::Succeeded);
    supervisor.shutdown().await;
    test.drop_schema().await;
}
