//! Workers: claim due jobs of the kinds they have handlers for, run them under a lease kept
//! alive by heartbeats, and record how each run ended.
//!
//! A run ends in one of four ways: success (the handler's result is stored), a retryable error
//! (queued again after an exponential backoff until its attempts run out), a permanent error
//! (failed), or cancellation (asked for through [`crate::queue::cancel`], noticed at the next
//! heartbeat or progress report; the handler's future is dropped). A handler that panics counts
//! as a retryable error. A worker that dies (`kill -9`) leaves its job running under a lease
//! that expires; another worker then claims it again, with one more attempt.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::Value;
use tessera_db::Db;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::lease::{self, End, Held, Lease};

/// Why a run did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// A transient failure: try again later, while attempts remain.
    Retry(String),
    /// A permanent failure: do not try again.
    Fatal(String),
    /// The lease was lost (another worker has the job, or it was deleted): stop, write nothing.
    LeaseLost,
    /// Someone cancelled the job: stop; the worker records the cancellation.
    Cancelled,
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::Retry(message) | JobError::Fatal(message) => f.write_str(message),
            JobError::LeaseLost => f.write_str("the job's lease was lost"),
            JobError::Cancelled => f.write_str("the job was cancelled"),
        }
    }
}

impl std::error::Error for JobError {}

impl From<DbErr> for JobError {
    fn from(err: DbErr) -> JobError {
        JobError::Retry(format!("database error: {err}"))
    }
}

/// A successful end of a run, made only by [`JobContext::done`] or [`JobContext::done_in`].
#[derive(Debug)]
pub struct Done {
    /// The result still to record; `None` when `done_in` recorded it already.
    result: Option<Value>,
}

/// What a handler gets: the job's input and the means to report on it.
pub struct JobContext {
    db: Db,
    lease: Lease,
    lease_ms: i64,
    payload: Value,
}

impl JobContext {
    /// The job's id.
    pub fn id(&self) -> i64 {
        self.lease.id
    }

    /// This run's number: 1 for the first run, more after retries or a lost worker.
    pub fn attempt(&self) -> u32 {
        self.lease.attempt
    }

    /// The input given at enqueue.
    pub fn payload(&self) -> &Value {
        &self.payload
    }

    /// The database the job runs against.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Stores `progress` for whoever started the job to read, and renews the lease. Fails with
    /// [`JobError::Cancelled`] when the job was cancelled and [`JobError::LeaseLost`] when it is
    /// no longer this run's: return the error with `?`.
    pub async fn progress(&self, progress: Value) -> Result<(), JobError> {
        let txn = self.db.write().await?;
        let held = lease::renew(&*txn, &self.lease, self.lease_ms, Some(&progress)).await?;
        txn.commit().await?;
        match held {
            Held::Yes {
                cancel_requested: false,
            } => Ok(()),
            Held::Yes {
                cancel_requested: true,
            } => Err(JobError::Cancelled),
            Held::Lost => Err(JobError::LeaseLost),
        }
    }

    /// Success with `result`, recorded by the worker after the handler returns.
    pub fn done(self, result: Value) -> Done {
        Done {
            result: Some(result),
        }
    }

    /// Success with `result`, recorded inside the handler's own transaction `conn`: the job's
    /// last effect and its end commit together or not at all, so a run that is cut short and
    /// taken again never applies that effect twice. Fails with [`JobError::LeaseLost`] (roll
    /// back) when the run no longer holds the job.
    pub async fn done_in<C: ConnectionTrait>(
        self,
        conn: &C,
        result: Value,
    ) -> Result<Done, JobError> {
        if lease::finish(conn, &self.lease, End::Succeeded(&result)).await? {
            Ok(Done { result: None })
        } else {
            Err(JobError::LeaseLost)
        }
    }
}

type Handler = Arc<dyn Fn(JobContext) -> BoxFuture<'static, Result<Done, JobError>> + Send + Sync>;

/// The job kinds a worker runs, each with its handler.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
}

impl Registry {
    /// Runs jobs of `kind` with `handler`.
    pub fn register<F, Fut>(&mut self, kind: &str, handler: F) -> &mut Registry
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Done, JobError>> + Send + 'static,
    {
        self.handlers
            .insert(kind.to_string(), Arc::new(move |ctx| handler(ctx).boxed()));
        self
    }

    fn kinds(&self) -> Vec<String> {
        self.handlers.keys().cloned().collect()
    }
}

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs run at once.
    pub concurrency: usize,
    /// How long a claim holds without a heartbeat; heartbeats come every third of it.
    pub lease: Duration,
    /// How often an idle worker looks for due jobs.
    pub poll_interval: Duration,
    /// The first retry's delay; each later one doubles it, up to `retry_cap`.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// When the worker stops, how long runs in progress may go on before they are handed back
    /// (queued again, the attempt not counted) for another worker.
    pub shutdown_grace: Duration,
}

impl Default for WorkerConfig {
    fn default() -> WorkerConfig {
        WorkerConfig {
            concurrency: 2,
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
            retry_base: Duration::from_secs(2),
            retry_cap: Duration::from_secs(600),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl WorkerConfig {
    /// The delay before the retry that follows run number `attempt`.
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(20);
        self.retry_base.saturating_mul(factor).min(self.retry_cap)
    }
}

/// Claims and runs jobs until `stop` is cancelled; then waits for the runs in progress.
pub async fn run(db: Db, registry: Registry, config: WorkerConfig, stop: CancellationToken) {
    let kinds = registry.kinds();
    if kinds.is_empty() || config.concurrency == 0 {
        return;
    }
    let owner: Arc<str> =
        format!("{}:{}", std::process::id(), uuid::Uuid::new_v4().simple()).into();
    let slots = Arc::new(Semaphore::new(config.concurrency));
    let registry = Arc::new(registry);
    let config = Arc::new(config);
    let lease_ms = config.lease.as_millis() as i64;
    // Errors are logged once per streak, not once per poll.
    let mut failing = false;
    // While claims find jobs, the next claim skips the read that checks for due jobs.
    let mut busy = false;
    loop {
        let first = tokio::select! {
            () = stop.cancelled() => break,
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        // Every free slot is filled by one claim.
        let mut permits = vec![first];
        while let Ok(permit) = slots.clone().try_acquire_owned() {
            permits.push(permit);
        }
        let wanted = permits.len() as u64;
        let due = if busy {
            Ok(true)
        } else {
            lease::any_due(&db, &kinds).await
        };
        let claimed = match due {
            Ok(true) => lease::claim(&db, &owner, &kinds, lease_ms, wanted).await,
            Ok(false) => Ok(Vec::new()),
            Err(err) => Err(err),
        };
        match claimed {
            Ok(claimed) if !claimed.is_empty() => {
                failing = false;
                busy = true;
                let mut permits = permits.into_iter();
                for claimed in claimed {
                    // A claim returns at most as many jobs as it asked for; should a plan ever
                    // return more, the extra ones go back at once.
                    let Some(permit) = permits.next() else {
                        record(&db, &claimed.lease, Outcome::Released).await;
                        continue;
                    };
                    let (db, registry, config) = (db.clone(), registry.clone(), config.clone());
                    let stop = stop.clone();
                    tokio::spawn(async move {
                        run_one(db, &registry, &config, claimed, &stop).await;
                        drop(permit);
                    });
                }
                continue;
            }
            Ok(_) => {
                failing = false;
                busy = false;
            }
            Err(err) => {
                if !failing {
                    tracing::warn!(error = %err, "claiming a job failed");
                }
                failing = true;
                busy = false;
            }
        }
        drop(permits);
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(config.poll_interval) => {}
        }
    }
    // Runs in progress end within the grace or are handed back (each holds a permit until it
    // has recorded its end); past that, a run's lease expires and another worker takes it.
    let _ = tokio::time::timeout(
        config.shutdown_grace + RECORD_TIME,
        slots.acquire_many(config.concurrency as u32),
    )
    .await;
}

/// Time a stopping worker allows for writing the ends of runs handed back.
const RECORD_TIME: Duration = Duration::from_secs(5);

/// Runs one claimed job to its recorded end.
async fn run_one(
    db: Db,
    registry: &Registry,
    config: &WorkerConfig,
    claimed: lease::Claimed,
    stop: &CancellationToken,
) {
    let lease = claimed.lease;
    let lease_ms = config.lease.as_millis() as i64;
    let end = if claimed.cancel_requested {
        // Cancelled while an earlier run was lost or handed back.
        Outcome::Cancelled
    } else if lease.attempt > claimed.max_attempts {
        // Claimed again after its worker was lost on the last allowed attempt.
        Outcome::Failed(format!(
            "gave up after {} attempts (the last worker stopped while running it)",
            claimed.max_attempts
        ))
    } else {
        let handler = registry.handlers[&claimed.kind].clone();
        let ctx = JobContext {
            db: db.clone(),
            lease: lease.clone(),
            lease_ms,
            payload: claimed.payload,
        };
        // The handler runs in a task of its own, so a panic is caught and the future can be
        // dropped (aborted) when the heartbeat learns the run must stop.
        let mut task = tokio::spawn(handler(ctx));
        let heartbeat = heartbeats(&db, &lease, config.lease);
        tokio::select! {
            joined = &mut task => match joined {
                Ok(Ok(Done { result: Some(result) })) => Outcome::Succeeded(result),
                Ok(Ok(Done { result: None })) | Ok(Err(JobError::LeaseLost)) => Outcome::Recorded,
                Ok(Err(JobError::Cancelled)) => Outcome::Cancelled,
                Ok(Err(JobError::Fatal(error))) => Outcome::Failed(error),
                Ok(Err(JobError::Retry(error))) => retry_or_fail(config, &lease, claimed.max_attempts, error),
                Err(join) => retry_or_fail(config, &lease, claimed.max_attempts, format!("the job panicked: {join}")),
            },
            end = heartbeat => {
                task.abort();
                end
            }
            () = handed_back(stop, config.shutdown_grace) => {
                task.abort();
                Outcome::Released
            }
        }
    };
    record(&db, &lease, end).await;
}

/// Resolves `grace` after the worker was told to stop.
async fn handed_back(stop: &CancellationToken, grace: Duration) {
    stop.cancelled().await;
    tokio::time::sleep(grace).await;
}

/// The end of a run, before it is written.
enum Outcome {
    Succeeded(Value),
    Retry {
        error: String,
        delay_ms: i64,
    },
    Failed(String),
    Cancelled,
    /// Handed back unfinished because the worker is stopping.
    Released,
    /// Already recorded (by `done_in`), or not ours to record (lease lost).
    Recorded,
}

fn retry_or_fail(
    config: &WorkerConfig,
    lease: &Lease,
    max_attempts: u32,
    error: String,
) -> Outcome {
    if lease.attempt < max_attempts {
        let delay_ms = config.backoff(lease.attempt).as_millis() as i64;
        Outcome::Retry { error, delay_ms }
    } else {
        Outcome::Failed(error)
    }
}

/// Renews the lease every third of its length; resolves only when the run must stop: the job
/// was cancelled, or the lease is lost.
async fn heartbeats(db: &Db, lease: &Lease, length: Duration) -> Outcome {
    let lease_ms = length.as_millis() as i64;
    let mut tick = tokio::time::interval(length / 3);
    tick.tick().await;
    loop {
        tick.tick().await;
        let renewed = async {
            let txn = db.write().await?;
            let held = lease::renew(&*txn, lease, lease_ms, None).await?;
            txn.commit().await?;
            Ok::<_, DbErr>(held)
        };
        match renewed.await {
            Ok(Held::Yes {
                cancel_requested: false,
            }) => {}
            Ok(Held::Yes {
                cancel_requested: true,
            }) => return Outcome::Cancelled,
            Ok(Held::Lost) => return Outcome::Recorded,
            // A missed heartbeat is not fatal: the lease holds until it expires.
            Err(err) => tracing::warn!(job = lease.id, error = %err, "job heartbeat failed"),
        }
    }
}

/// Writes the end of a run, retrying briefly when the database is unavailable; a run whose
/// end cannot be written is taken again once its lease expires.
async fn record(db: &Db, lease: &Lease, outcome: Outcome) {
    let end = match &outcome {
        Outcome::Recorded => return,
        Outcome::Succeeded(result) => End::Succeeded(result),
        Outcome::Retry { error, delay_ms } => End::Retry {
            error,
            delay_ms: *delay_ms,
        },
        Outcome::Failed(error) => End::Failed(error),
        Outcome::Cancelled => End::Cancelled,
        Outcome::Released => End::Released,
    };
    for attempt in 0..5u32 {
        let written = async {
            let txn = db.write().await?;
            let held = lease::finish(&*txn, lease, end).await?;
            txn.commit().await?;
            Ok::<_, DbErr>(held)
        };
        match written.await {
            Ok(true) => return,
            Ok(false) => {
                tracing::info!(
                    job = lease.id,
                    "a job's end was not recorded: its lease had passed to another run"
                );
                return;
            }
            Err(err) => {
                tracing::warn!(job = lease.id, error = %err, "recording a job's end failed");
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
        }
    }
}
