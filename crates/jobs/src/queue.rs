//! The queue's rows: enqueue (inside the caller's transaction), read, cancel, clean up.
//!
//! Every function takes `&impl ConnectionTrait`, so a feature enqueues its job in the same
//! transaction as the write that calls for it: the job exists exactly when that write committed.

use sea_orm::sea_query::{Alias, Expr, OnConflict, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value as DbValue};

use crate::clock;
use serde_json::Value;

/// The table and its columns.
pub(crate) const JOBS: &str = "jobs";

/// A column of `jobs`.
pub(crate) fn col(name: &'static str) -> Alias {
    Alias::new(name)
}

/// Milliseconds since the Unix epoch: the unit of every time column of `jobs`.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for a worker (also between retries, until `run_at`).
    Queued,
    /// Held by a worker under a lease.
    Running,
    /// Finished; `result` holds what the job returned.
    Succeeded,
    /// Gave up: a permanent error, or its attempts ran out; `error` says why.
    Failed,
    /// Cancelled before or while it ran.
    Cancelled,
}

impl JobStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    fn parse(name: &str) -> Result<JobStatus, DbErr> {
        Ok(match name {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "succeeded" => JobStatus::Succeeded,
            "failed" => JobStatus::Failed,
            "cancelled" => JobStatus::Cancelled,
            other => return Err(DbErr::Custom(format!("unknown job status {other:?}"))),
        })
    }

    /// Whether the job will not run again.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    kind: String,
    payload: Value,
    max_attempts: u32,
    delay_ms: i64,
    singleton_key: Option<String>,
    organization_id: Option<i64>,
    project_id: Option<i64>,
}

/// Attempts a job gets unless the feature says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

impl NewJob {
    /// A job of `kind` (the name its handler is registered under) with its input.
    pub fn new(kind: &str, payload: Value) -> NewJob {
        NewJob {
            kind: kind.to_string(),
            payload,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            delay_ms: 0,
            singleton_key: None,
            organization_id: None,
            project_id: None,
        }
    }

    /// At most `attempts` runs (at least one) before it is failed.
    pub fn max_attempts(mut self, attempts: u32) -> NewJob {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Not before `delay_ms` milliseconds from now.
    pub fn delay_ms(mut self, delay_ms: i64) -> NewJob {
        self.delay_ms = delay_ms.max(0);
        self
    }

    /// At most one waiting job with this key: enqueueing another while one waits returns the
    /// waiting one ([`Enqueued::Existing`]); jobs with the same key never run at the same time,
    /// so one enqueued while another runs follows it.
    pub fn singleton(mut self, key: &str) -> NewJob {
        self.singleton_key = Some(key.to_string());
        self
    }

    /// Belongs to `project` of `organization`: deleted with the project, found by it.
    pub fn for_project(mut self, organization_id: i64, project_id: i64) -> NewJob {
        self.organization_id = Some(organization_id);
        self.project_id = Some(project_id);
        self
    }
}

/// What [`enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// A new job, with its id.
    New(i64),
    /// A waiting job with the same singleton key was already there; its id.
    Existing(i64),
}

impl Enqueued {
    /// The job's id, new or existing.
    pub fn id(self) -> i64 {
        match self {
            Enqueued::New(id) | Enqueued::Existing(id) => id,
        }
    }
}

/// How often [`enqueue`] tries again when the waiting job of its singleton key started between
/// its insert and its look-up.
const SINGLETON_TRIES: usize = 3;

/// Adds a job. Inside a transaction, the job appears when (and only if) it commits.
pub async fn enqueue<C: ConnectionTrait>(conn: &C, job: NewJob) -> Result<Enqueued, DbErr> {
    for _ in 0..SINGLETON_TRIES {
        if let Some(enqueued) = try_enqueue(conn, &job).await? {
            return Ok(enqueued);
        }
    }
    Err(DbErr::Custom(
        "the waiting job of this singleton key kept starting while enqueueing".into(),
    ))
}

/// One try of [`enqueue`]: `None` when a waiting job with the same singleton key refused the
/// insert and was gone (started) by the time it was looked up.
async fn try_enqueue<C: ConnectionTrait>(
    conn: &C,
    job: &NewJob,
) -> Result<Option<Enqueued>, DbErr> {
    let backend = conn.get_database_backend();
    let now = || clock::now_expr(backend);
    let mut insert = Query::insert();
    insert
        .into_table(col(JOBS))
        .columns([
            col("kind"),
            col("payload"),
            col("status"),
            col("attempts"),
            col("max_attempts"),
            col("run_at"),
            col("cancel_requested"),
            col("singleton_key"),
            col("organization_id"),
            col("project_id"),
            col("created_at"),
            col("updated_at"),
        ])
        .values_panic([
            job.kind.clone().into(),
            job.payload.to_string().into(),
            JobStatus::Queued.as_str().into(),
            0i32.into(),
            (job.max_attempts as i32).into(),
            clock::after(backend, job.delay_ms),
            false.into(),
            job.singleton_key.clone().into(),
            job.organization_id.into(),
            job.project_id.into(),
            now(),
            now(),
        ])
        .returning_col(col("id"));
    if job.singleton_key.is_some() {
        insert.on_conflict(
            OnConflict::column(col("singleton_key"))
                .target_and_where(waiting())
                .do_nothing()
                .to_owned(),
        );
    }
    if let Some(row) = conn.query_one(backend.build(&insert)).await? {
        return Ok(Some(Enqueued::New(row.try_get("", "id")?)));
    }
    let key = job.singleton_key.clone().unwrap_or_default();
    let mut existing = Query::select()
        .column(col("id"))
        .from(col(JOBS))
        .and_where(Expr::col(col("singleton_key")).eq(key))
        .and_where(waiting())
        .to_owned();
    // Joining the waiting job locks it until the caller's transaction ends, so that no worker
    // (claims skip locked rows) starts it before the work it was queued for is committed. SQLite
    // needs no lock: its one writer commits before any claim.
    if backend == sea_orm::DbBackend::Postgres {
        existing.lock(sea_orm::sea_query::LockType::Update);
    }
    match conn.query_one(backend.build(&existing)).await? {
        Some(row) => Ok(Some(Enqueued::Existing(row.try_get("", "id")?))),
        None => Ok(None),
    }
}

/// `status = 'queued'`: the predicate of the waiting-singleton index, as literal SQL (SQLite
/// matches an upsert's target to a partial index only by the same literal predicate).
fn waiting() -> SimpleExpr {
    Expr::cust("status = 'queued'")
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: Value,
    pub status: JobStatus,
    /// Runs begun so far (a run cut short by a lost worker counts).
    pub attempts: u32,
    pub max_attempts: u32,
    /// Not run before this time (ms since the epoch).
    pub run_at: i64,
    /// What the job last reported while running.
    pub progress: Option<Value>,
    /// What the job returned, once succeeded.
    pub result: Option<Value>,
    /// The last error: kept while a retry waits, and when the job failed.
    pub error: Option<String>,
    pub cancel_requested: bool,
    pub organization_id: Option<i64>,
    pub project_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(FromQueryResult)]
struct JobRow {
    id: i64,
    kind: String,
    payload: String,
    status: String,
    attempts: i32,
    max_attempts: i32,
    run_at: i64,
    progress: Option<String>,
    result: Option<String>,
    error: Option<String>,
    cancel_requested: bool,
    organization_id: Option<i64>,
    project_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
}

/// Parses a stored JSON column.
pub(crate) fn parse_json(text: &str) -> Result<Value, DbErr> {
    serde_json::from_str(text).map_err(|err| DbErr::Json(err.to_string()))
}

impl TryFrom<JobRow> for Job {
    type Error = DbErr;
    fn try_from(row: JobRow) -> Result<Job, DbErr> {
        let json = |text: Option<String>| text.as_deref().map(parse_json).transpose();
        Ok(Job {
            id: row.id,
            kind: row.kind,
            payload: parse_json(&row.payload)?,
            status: JobStatus::parse(&row.status)?,
            attempts: row.attempts.max(0) as u32,
            max_attempts: row.max_attempts.max(0) as u32,
            run_at: row.run_at,
            progress: json(row.progress)?,
            result: json(row.result)?,
            error: row.error,
            cancel_requested: row.cancel_requested,
            organization_id: row.organization_id,
            project_id: row.project_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
        })
    }
}

/// One job by id.
pub async fn get<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<Job>, DbErr> {
    let select = Query::select()
        .expr(Expr::col(sea_orm::sea_query::Asterisk))
        .from(col(JOBS))
        .and_where(Expr::col(col("id")).eq(id))
        .to_owned();
    let backend = conn.get_database_backend();
    match conn.query_one(backend.build(&select)).await? {
        Some(row) => Ok(Some(JobRow::from_query_result(&row, "")?.try_into()?)),
        None => Ok(None),
    }
}

/// Cancels a job: a queued one at once; a running one is asked to stop (its worker sees the
/// request at its next heartbeat or progress report and records the cancellation). Returns
/// `Cancelled` for a queued job, `Running` for a running one that was asked to stop (its worker
/// may record the cancellation at any moment after), the status of a finished job (which stays as
/// it is), and `None` for an unknown id.
pub async fn cancel<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<JobStatus>, DbErr> {
    let backend = conn.get_database_backend();
    let now = || clock::now_expr(backend);
    let queued = Query::update()
        .table(col(JOBS))
        .values([
            (col("status"), JobStatus::Cancelled.as_str().into()),
            (col("cancel_requested"), true.into()),
            (col("finished_at"), now()),
            (col("updated_at"), now()),
        ])
        .and_where(Expr::col(col("id")).eq(id))
        .and_where(Expr::col(col("status")).eq(JobStatus::Queued.as_str()))
        .to_owned();
    if conn.execute(backend.build(&queued)).await?.rows_affected() > 0 {
        return Ok(Some(JobStatus::Cancelled));
    }
    let running = Query::update()
        .table(col(JOBS))
        .values([
            (col("cancel_requested"), true.into()),
            (col("updated_at"), now()),
        ])
        .and_where(Expr::col(col("id")).eq(id))
        .and_where(Expr::col(col("status")).eq(JobStatus::Running.as_str()))
        .to_owned();
    if conn.execute(backend.build(&running)).await?.rows_affected() > 0 {
        return Ok(Some(JobStatus::Running));
    }
    Ok(get(conn, id).await?.map(|job| job.status))
}

/// Deletes jobs that finished before `before_ms`; returns how many.
pub async fn delete_finished<C: ConnectionTrait>(conn: &C, before_ms: i64) -> Result<u64, DbErr> {
    let delete = Query::delete()
        .from_table(col(JOBS))
        .and_where(Expr::col(col("status")).is_in([
            JobStatus::Succeeded.as_str(),
            JobStatus::Failed.as_str(),
            JobStatus::Cancelled.as_str(),
        ]))
        .and_where(Expr::col(col("finished_at")).lt(before_ms))
        .to_owned();
    let backend = conn.get_database_backend();
    Ok(conn.execute(backend.build(&delete)).await?.rows_affected())
}

/// A `DbValue` for an optional JSON document stored as text.
pub(crate) fn json_text(value: Option<&Value>) -> DbValue {
    value.map(Value::to_string).into()
}
