//! Claiming a job under a lease, and the transitions only the lease holder may make.
//!
//! A claim takes the oldest due job — queued and due, or running under a lease that expired
//! (its worker died) — and stamps it with the worker's id, a lease end and one more attempt. The
//! pair (owner, attempt) is the fencing token: every later write of the run matches on it, so a
//! worker that lost its lease (paused past it, then woke up) can no longer change the job, and
//! whatever it does inside a transaction that also records the job's end rolls back.
//!
//! PostgreSQL: several instances claim concurrently; `FOR UPDATE SKIP LOCKED` in the sub-select
//! hands each a different row. SQLite: one statement inside the writer gate (in-process) and
//! SQLite's write lock (across processes) make the claim exclusive.

use std::sync::Arc;

use sea_orm::sea_query::{Expr, LockBehavior, LockType, Order, Query, UpdateStatement};
use sea_orm::{ConnectionTrait, DbErr, Value as DbValue};
use serde_json::Value;
use tessera_db::Db;

use crate::queue::{col, json_text, now_ms, parse_json, JobStatus, JOBS};

/// A worker's hold on one run of a job.
#[derive(Debug, Clone)]
pub(crate) struct Lease {
    pub id: i64,
    pub attempt: u32,
    pub owner: Arc<str>,
}

/// A job a worker has just claimed.
pub(crate) struct Claimed {
    pub lease: Lease,
    pub kind: String,
    pub payload: Value,
    pub max_attempts: u32,
}

/// The due-job predicate: queued and due, or running with an expired lease.
fn due(now: i64) -> sea_orm::sea_query::Condition {
    sea_orm::sea_query::Condition::any()
        .add(
            Expr::col(col("status"))
                .eq(JobStatus::Queued.as_str())
                .and(Expr::col(col("run_at")).lte(now)),
        )
        .add(
            Expr::col(col("status"))
                .eq(JobStatus::Running.as_str())
                .and(Expr::col(col("lease_until")).lt(now)),
        )
}

/// Whether any job of `kinds` is due: a read, so that idle polling never takes SQLite's writer.
pub(crate) async fn any_due(db: &Db, kinds: &[String]) -> Result<bool, DbErr> {
    let select = Query::select()
        .column(col("id"))
        .from(col(JOBS))
        .cond_where(due(now_ms()))
        .and_where(Expr::col(col("kind")).is_in(kinds.iter().cloned()))
        .limit(1)
        .to_owned();
    let conn = db.conn();
    Ok(conn
        .query_one(conn.get_database_backend().build(&select))
        .await?
        .is_some())
}

/// Claims the oldest due jobs of `kinds` (at most `limit`) for `owner` until `lease_ms` from
/// now, in one statement.
pub(crate) async fn claim(
    db: &Db,
    owner: &Arc<str>,
    kinds: &[String],
    lease_ms: i64,
    limit: u64,
) -> Result<Vec<Claimed>, DbErr> {
    let now = now_ms();
    let next = Query::select()
        .column(col("id"))
        .from(col(JOBS))
        .cond_where(due(now))
        .and_where(Expr::col(col("kind")).is_in(kinds.iter().cloned()))
        .order_by(col("run_at"), Order::Asc)
        .order_by(col("id"), Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let update = Query::update()
        .table(col(JOBS))
        .values([
            (col("status"), JobStatus::Running.as_str().into()),
            (col("lease_owner"), owner.to_string().into()),
            (col("lease_until"), (now + lease_ms).into()),
            (col("updated_at"), now.into()),
        ])
        .value(col("attempts"), Expr::col(col("attempts")).add(1))
        .and_where(Expr::col(col("id")).in_subquery(next))
        .returning(Query::returning().columns([
            col("id"),
            col("kind"),
            col("payload"),
            col("attempts"),
            col("max_attempts"),
        ]))
        .to_owned();
    let txn = db.write().await?;
    let rows = txn
        .query_all(txn.get_database_backend().build(&update))
        .await?;
    txn.commit().await?;
    rows.iter()
        .map(|row| {
            let attempt: i32 = row.try_get("", "attempts")?;
            let max_attempts: i32 = row.try_get("", "max_attempts")?;
            Ok(Claimed {
                lease: Lease {
                    id: row.try_get("", "id")?,
                    attempt: attempt.max(0) as u32,
                    owner: owner.clone(),
                },
                kind: row.try_get("", "kind")?,
                payload: parse_json(&row.try_get::<String>("", "payload")?)?,
                max_attempts: max_attempts.max(0) as u32,
            })
        })
        .collect()
}

/// An update of the leased run only: matches the job, its owner and its attempt.
fn fenced(lease: &Lease) -> UpdateStatement {
    Query::update()
        .table(col(JOBS))
        .and_where(Expr::col(col("id")).eq(lease.id))
        .and_where(Expr::col(col("lease_owner")).eq(lease.owner.to_string()))
        .and_where(Expr::col(col("attempts")).eq(lease.attempt as i32))
        .and_where(Expr::col(col("status")).eq(JobStatus::Running.as_str()))
        .to_owned()
}

/// The lease's state after a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Held {
    /// Still ours; whether someone asked the job to stop.
    Yes { cancel_requested: bool },
    /// Taken over, finished or deleted: the run must stop without writing.
    Lost,
}

/// Extends the lease to `lease_ms` from now, storing `progress` when given.
pub(crate) async fn renew<C: ConnectionTrait>(
    conn: &C,
    lease: &Lease,
    lease_ms: i64,
    progress: Option<&Value>,
) -> Result<Held, DbErr> {
    let now = now_ms();
    let mut update = fenced(lease);
    update.values([
        (col("lease_until"), (now + lease_ms).into()),
        (col("updated_at"), now.into()),
    ]);
    if progress.is_some() {
        update.value(col("progress"), json_text(progress));
    }
    update.returning_col(col("cancel_requested"));
    match conn
        .query_one(conn.get_database_backend().build(&update))
        .await?
    {
        Some(row) => Ok(Held::Yes {
            cancel_requested: row.try_get("", "cancel_requested")?,
        }),
        None => Ok(Held::Lost),
    }
}

/// How a run ended.
#[derive(Clone, Copy)]
pub(crate) enum End<'a> {
    Succeeded(&'a Value),
    /// Queued again, not before `run_at`.
    Retry {
        error: &'a str,
        run_at: i64,
    },
    Failed(&'a str),
    Cancelled,
}

/// Records how the run ended; `false` when the lease was no longer held (nothing written).
pub(crate) async fn finish<C: ConnectionTrait>(
    conn: &C,
    lease: &Lease,
    end: End<'_>,
) -> Result<bool, DbErr> {
    let now = now_ms();
    let mut update = fenced(lease);
    update.value(col("updated_at"), now);
    let finished = |update: &mut UpdateStatement, status: JobStatus| {
        update.values([
            (col("status"), status.as_str().into()),
            (col("finished_at"), now.into()),
            (col("lease_owner"), DbValue::String(None).into()),
            (col("lease_until"), DbValue::BigInt(None).into()),
        ]);
    };
    match end {
        End::Succeeded(result) => {
            finished(&mut update, JobStatus::Succeeded);
            update.values([
                (col("result"), json_text(Some(result)).into()),
                (col("error"), DbValue::String(None).into()),
            ]);
        }
        End::Retry { error, run_at } => {
            update.values([
                (col("status"), JobStatus::Queued.as_str().into()),
                (col("run_at"), run_at.into()),
                (col("error"), error.into()),
                (col("lease_owner"), DbValue::String(None).into()),
                (col("lease_until"), DbValue::BigInt(None).into()),
            ]);
        }
        End::Failed(error) => {
            finished(&mut update, JobStatus::Failed);
            update.value(col("error"), error);
        }
        End::Cancelled => finished(&mut update, JobStatus::Cancelled),
    }
    let done = conn
        .execute(conn.get_database_backend().build(&update))
        .await?;
    Ok(done.rows_affected() == 1)
}
