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
//!
//! Every time in these statements is the database's clock ([`clock::now`]), so instances whose
//! clocks disagree still agree on when a lease ends. A job with a singleton key is not claimed
//! while another job with that key runs under a live lease: such jobs run one after another.

use std::sync::Arc;

use sea_orm::sea_query::{Expr, LockBehavior, LockType, Order, Query, UpdateStatement};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Value as DbValue};
use serde_json::Value;
use tessera_db::Db;

use crate::clock;
use crate::queue::{col, json_text, parse_json, JobStatus, JOBS};

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
    /// Cancelled while an earlier run went on (that run was lost or released).
    pub cancel_requested: bool,
}

/// The due-job predicate: queued and due (and no job with its singleton key running), or
/// running with an expired lease.
fn due(backend: DbBackend) -> sea_orm::sea_query::Condition {
    let now = clock::now(backend);
    let no_live_twin = Expr::cust(format!(
        "(singleton_key IS NULL OR NOT EXISTS (SELECT 1 FROM {JOBS} AS twin \
         WHERE twin.singleton_key = {JOBS}.singleton_key AND twin.status = 'running' \
         AND twin.lease_until >= {now}))"
    ));
    sea_orm::sea_query::Condition::any()
        .add(
            Expr::col(col("status"))
                .eq(JobStatus::Queued.as_str())
                .and(Expr::col(col("run_at")).lte(Expr::cust(now.clone())))
                .and(no_live_twin),
        )
        .add(
            Expr::col(col("status"))
                .eq(JobStatus::Running.as_str())
                .and(Expr::col(col("lease_until")).lt(Expr::cust(now))),
        )
}

/// Whether any job of `kinds` is due: a read, so that idle polling never takes SQLite's writer.
pub(crate) async fn any_due(db: &Db, kinds: &[String]) -> Result<bool, DbErr> {
    let conn = db.conn();
    let select = Query::select()
        .column(col("id"))
        .from(col(JOBS))
        .cond_where(due(conn.get_database_backend()))
        .and_where(Expr::col(col("kind")).is_in(kinds.iter().cloned()))
        .limit(1)
        .to_owned();
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
    let txn = db.write().await?;
    let backend = txn.get_database_backend();
    let next = Query::select()
        .column(col("id"))
        .from(col(JOBS))
        .cond_where(due(backend))
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
            (col("lease_until"), clock::after(backend, lease_ms)),
            (col("updated_at"), clock::now_expr(backend)),
        ])
        .value(col("attempts"), Expr::col(col("attempts")).add(1))
        .and_where(Expr::col(col("id")).in_subquery(next))
        .returning(Query::returning().columns([
            col("id"),
            col("kind"),
            col("payload"),
            col("attempts"),
            col("max_attempts"),
            col("cancel_requested"),
        ]))
        .to_owned();
    let rows = txn.query_all(backend.build(&update)).await?;
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
                cancel_requested: row.try_get("", "cancel_requested")?,
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
    let backend = conn.get_database_backend();
    let mut update = fenced(lease);
    update.values([
        (col("lease_until"), clock::after(backend, lease_ms)),
        (col("updated_at"), clock::now_expr(backend)),
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
    /// Queued again, not before `delay_ms` from now (cancelled instead when it was asked to stop).
    Retry {
        error: &'a str,
        delay_ms: i64,
    },
    Failed(&'a str),
    Cancelled,
    /// Handed back unfinished (the worker is stopping): queued again at once, the attempt not
    /// counted.
    Released,
}

/// Records how the run ended; `false` when the lease was no longer held (nothing written).
pub(crate) async fn finish<C: ConnectionTrait>(
    conn: &C,
    lease: &Lease,
    end: End<'_>,
) -> Result<bool, DbErr> {
    let backend = conn.get_database_backend();
    let now = clock::now(backend);
    let mut update = fenced(lease);
    update.values([
        (col("updated_at"), Expr::cust(now.clone())),
        (col("lease_owner"), DbValue::String(None).into()),
        (col("lease_until"), DbValue::BigInt(None).into()),
    ]);
    let finished = |update: &mut UpdateStatement, status: JobStatus| {
        update.values([
            (col("status"), status.as_str().into()),
            (col("finished_at"), Expr::cust(now.clone())),
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
        End::Retry { error, delay_ms } => {
            update.values([
                (
                    col("status"),
                    Expr::cust("CASE WHEN cancel_requested THEN 'cancelled' ELSE 'queued' END"),
                ),
                (
                    col("finished_at"),
                    Expr::cust(format!("CASE WHEN cancel_requested THEN {now} END")),
                ),
                (col("run_at"), clock::after(backend, delay_ms)),
                (col("error"), error.into()),
            ]);
        }
        End::Released => {
            update.values([
                (col("status"), JobStatus::Queued.as_str().into()),
                (col("run_at"), Expr::cust(now.clone())),
                (col("attempts"), Expr::col(col("attempts")).sub(1)),
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
