//! The labeling stream's state: candidate tasks for `/next`, task locks, and the per-user
//! label-stream history. Rules follow Label Studio 1.23.2 (`projects/functions/next_task.py`,
//! `tasks/models.py` `has_lock`/`set_lock`/`release_lock`, `projects/functions/stream_history.py`).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, Set,
};

use crate::entities::project::SkipQueue;
use crate::entities::{stream_history, task, task_lock};
use crate::filters::{CompiledQuery, Sql};

/// Entries kept per user and project (`LABEL_STREAM_HISTORY_LIMIT`).
pub const HISTORY_LIMIT: i64 = 100;

/// Who is asking and under which project rules.
#[derive(Debug, Clone, Copy)]
pub struct Annotator {
    pub user_id: i64,
    pub now: DateTime<Utc>,
    pub skip_queue: SkipQueue,
    /// `annotator_evaluation_enabled`: ground-truth tasks are never locked.
    pub evaluation: bool,
}

impl Annotator {
    /// ` AND <task is not locked for this user>`: other users' live locks plus the task's
    /// annotations that count stay below its overlap. Ground-truth annotations never count;
    /// skips count per the skip-queue mode.
    fn push_unlocked(&self, sql: &mut Sql) {
        let user = self.user_id;
        let now = sql.bind(self.now);
        let excluded = match self.skip_queue {
            SkipQueue::IgnoreSkipped => "1 = 0".to_string(),
            SkipQueue::RequeueForMe => {
                format!("annotations.was_cancelled = TRUE AND annotations.completed_by_id = {user}")
            }
            SkipQueue::RequeueForOthers => {
                format!("annotations.was_cancelled = TRUE AND COALESCE(annotations.completed_by_id, 0) <> {user}")
            }
        };
        let counted = format!(
            "(SELECT COUNT(*) FROM task_locks WHERE task_locks.task_id = tasks.id AND task_locks.user_id <> {user} AND task_locks.expire_at > {now}) \
             + (SELECT COUNT(*) FROM annotations WHERE annotations.task_id = tasks.id AND annotations.ground_truth = FALSE AND NOT ({excluded})) \
             < tasks.overlap"
        );
        if self.evaluation {
            sql.push(&format!(
                " AND ({counted} OR EXISTS (SELECT 1 FROM annotations WHERE annotations.task_id = tasks.id AND annotations.ground_truth = TRUE))"
            ));
        } else {
            sql.push(&format!(" AND {counted}"));
        }
    }
}

/// Which tasks of the Data Manager selection are candidates for this user: unlabeled, not
/// annotated or skipped by them, not postponed by them, optionally only (non-)overlapping ones.
#[derive(Debug, Clone, Copy)]
pub struct Pool<'a> {
    pub query: &'a CompiledQuery,
    pub annotator: Annotator,
    /// `Some(true)`: only tasks with overlap > 1; `Some(false)`: only overlap = 1.
    pub overlapping: Option<bool>,
}

/// How to pick a task from the pool.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pick<'a> {
    /// A task the user already holds a live lock on ("Task lock"); locks of others ignored.
    HeldByMe,
    /// The first unlocked task in the selection's order.
    First,
    /// The first unlocked task in the selection's order, ignoring locks ("Data manager queue").
    FirstIgnoringLocks,
    /// The first unlocked task with a ground-truth annotation.
    GroundTruth,
    /// An unlocked task at or after this id (wrapping around), with exactly this many
    /// annotations by others when given: random picks without scanning the pool.
    FromId {
        start: i64,
        annotations: Option<i64>,
    },
    /// The unlocked task whose prediction of this model version scores lowest.
    LeastConfident(&'a str),
}

impl Pool<'_> {
    fn push_pool(&self, sql: &mut Sql) {
        let user = self.annotator.user_id;
        sql.push(&format!(
            " AND tasks.is_labeled = FALSE \
             AND NOT EXISTS (SELECT 1 FROM annotations WHERE annotations.task_id = tasks.id AND annotations.completed_by_id = {user}) \
             AND NOT EXISTS (SELECT 1 FROM drafts WHERE drafts.task_id = tasks.id AND drafts.user_id = {user} AND drafts.was_postponed = TRUE)"
        ));
        match self.overlapping {
            Some(true) => sql.push(" AND tasks.overlap > 1"),
            Some(false) => sql.push(" AND tasks.overlap = 1"),
            None => sql,
        };
    }

    /// Whether any candidate has overlap > 1 (for `show_overlap_first`).
    pub async fn has_overlapping<C: ConnectionTrait>(&self, conn: &C) -> Result<bool, DbErr> {
        let pool = Pool {
            overlapping: Some(true),
            ..*self
        };
        let statement =
            self.query
                .select_where("tasks.id AS id", &|sql| pool.push_pool(sql), Some((0, 1)));
        Ok(IdRow::find_by_statement(statement)
            .one(conn)
            .await?
            .is_some())
    }

    /// The largest number of annotations (skips and ground truth included) any candidate has;
    /// they are all by other users, since the user's own tasks are not candidates.
    pub async fn most_annotations<C: ConnectionTrait>(&self, conn: &C) -> Result<i64, DbErr> {
        let statement = self.query.select_where(
            "CAST(MAX(tasks.total_annotations + tasks.cancelled_annotations) AS BIGINT) AS id",
            &|sql| self.push_pool(sql),
            None,
        );
        Ok(MaybeId::find_by_statement(statement)
            .one(conn)
            .await?
            .and_then(|r| r.id)
            .unwrap_or(0))
    }

    /// Picks one task, or `None`.
    pub async fn pick<C: ConnectionTrait>(
        &self,
        conn: &C,
        pick: Pick<'_>,
    ) -> Result<Option<task::Model>, DbErr> {
        let annotator = self.annotator;
        let user = annotator.user_id;
        let conditions = |sql: &mut Sql, from: Option<i64>| {
            self.push_pool(sql);
            match pick {
                Pick::HeldByMe => {
                    // Driven by the user's few locks, not by a scan of the pool.
                    let now = sql.bind(annotator.now);
                    let project = self.query.project_id();
                    sql.push(&format!(
                        " AND tasks.id IN (SELECT task_locks.task_id FROM task_locks WHERE task_locks.user_id = {user} \
                         AND task_locks.project_id = {project} AND task_locks.expire_at > {now})"
                    ));
                }
                Pick::FirstIgnoringLocks => {}
                _ => annotator.push_unlocked(sql),
            }
            match pick {
                Pick::GroundTruth => {
                    sql.push(" AND EXISTS (SELECT 1 FROM annotations WHERE annotations.task_id = tasks.id AND annotations.ground_truth = TRUE)");
                }
                Pick::FromId { annotations, .. } => {
                    if let Some(count) = annotations {
                        sql.push(&format!(
                            " AND tasks.total_annotations + tasks.cancelled_annotations = {count}"
                        ));
                    }
                    if let Some(from) = from {
                        sql.push(&format!(" AND tasks.id >= {from}"));
                    }
                    sql.push(" ORDER BY tasks.id");
                }
                Pick::LeastConfident(version) => {
                    let version = sql.bind(version.to_string());
                    let score = format!(
                        "(SELECT MIN(predictions.score) FROM predictions WHERE predictions.task_id = tasks.id AND predictions.model_version = {version})"
                    );
                    sql.push(&format!(
                        " AND {score} IS NOT NULL ORDER BY {score}, tasks.id"
                    ));
                }
                _ => {}
            }
        };
        let statement = |from: Option<i64>| match pick {
            Pick::FromId { .. } | Pick::LeastConfident(_) => {
                self.query
                    .select_where("tasks.*", &|sql| conditions(sql, from), Some((0, 1)))
            }
            _ => self.query.select_ordered_where(
                "tasks.*",
                &|sql| conditions(sql, from),
                Some((0, 1)),
            ),
        };
        let first = task::Model::find_by_statement(statement(match pick {
            Pick::FromId { start, .. } => Some(start),
            _ => None,
        }))
        .one(conn)
        .await?;
        match (first, pick) {
            (None, Pick::FromId { .. }) => {
                task::Model::find_by_statement(statement(None))
                    .one(conn)
                    .await
            }
            (found, _) => Ok(found),
        }
    }
}

impl Pool<'_> {
    /// Tasks of the selection the user postponed (a `was_postponed` draft) that are still
    /// unlabeled and not locked for them, oldest draft first.
    pub async fn postponed<C: ConnectionTrait>(
        &self,
        conn: &C,
    ) -> Result<Option<task::Model>, DbErr> {
        self.requeued(
            conn,
            "drafts",
            "drafts.user_id = {user} AND drafts.was_postponed = TRUE",
        )
        .await
    }

    /// Tasks of the selection the user skipped that are still unlabeled and not locked for
    /// them, oldest skip first (the `REQUEUE_FOR_ME` queue).
    pub async fn skipped<C: ConnectionTrait>(
        &self,
        conn: &C,
    ) -> Result<Option<task::Model>, DbErr> {
        self.requeued(
            conn,
            "annotations",
            "annotations.completed_by_id = {user} AND annotations.was_cancelled = TRUE",
        )
        .await
    }

    async fn requeued<C: ConnectionTrait>(
        &self,
        conn: &C,
        table: &str,
        condition: &str,
    ) -> Result<Option<task::Model>, DbErr> {
        let annotator = self.annotator;
        let project = self.query.project_id();
        let condition = condition.replace("{user}", &annotator.user_id.to_string());
        // Driven by the user's own drafts or skips, not by a scan of the project.
        let extra = |sql: &mut Sql| {
            sql.push(&format!(
                " AND tasks.is_labeled = FALSE AND tasks.id IN (SELECT {table}.task_id FROM {table} WHERE {table}.project_id = {project} AND {condition})"
            ));
            annotator.push_unlocked(sql);
            sql.push(&format!(
                " ORDER BY (SELECT MIN({table}.updated_at) FROM {table} WHERE {table}.task_id = tasks.id AND {condition}), tasks.id"
            ));
        };
        task::Model::find_by_statement(self.query.select_where("tasks.*", &extra, Some((0, 1))))
            .one(conn)
            .await
    }
}

#[derive(FromQueryResult)]
struct IdRow {
    #[allow(dead_code)]
    id: i64,
}

#[derive(FromQueryResult)]
struct MaybeId {
    id: Option<i64>,
}

/// Reserves `task` for `user` unless its live locks already reach `overlap`: an existing lock of
/// theirs is extended (keeping its id), else a new one is made. Expired locks of the task are
/// then removed. Returns the user's lock id on the task, if they have one.
pub async fn set_lock<C: ConnectionTrait>(
    conn: &C,
    task: &task::Model,
    user_id: i64,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<Option<String>, DbErr> {
    let locks = task_lock::Entity::find()
        .filter(task_lock::Column::TaskId.eq(task.id))
        .all(conn)
        .await?;
    let live = locks.iter().filter(|l| l.expire_at > now).count() as i32;
    let mine = locks.iter().find(|l| l.user_id == user_id).cloned();
    let mine = if live < task.overlap {
        Some(match mine {
            Some(lock) => {
                let mut active: task_lock::ActiveModel = lock.into();
                active.expire_at = Set(now + ttl);
                active.update(conn).await?
            }
            None => {
                task_lock::ActiveModel {
                    task_id: Set(task.id),
                    project_id: Set(task.project_id),
                    user_id: Set(user_id),
                    unique_id: Set(uuid::Uuid::new_v4().to_string()),
                    expire_at: Set(now + ttl),
                    ..Default::default()
                }
                .insert(conn)
                .await?
            }
        })
    } else {
        // Full: an expired lock of theirs is not renewed, and goes with the other expired ones.
        mine.filter(|l| l.expire_at > now)
    };
    drop_expired(conn, task.id, now).await?;
    Ok(mine.map(|l| l.unique_id))
}

async fn drop_expired<C: ConnectionTrait>(
    conn: &C,
    task_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    task_lock::Entity::delete_many()
        .filter(task_lock::Column::TaskId.eq(task_id))
        .filter(task_lock::Column::ExpireAt.lte(now))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Releases the user's lock on a task (they annotated or skipped it) and expired locks of it.
pub async fn release_lock<C: ConnectionTrait>(
    conn: &C,
    task_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    task_lock::Entity::delete_many()
        .filter(task_lock::Column::TaskId.eq(task_id))
        .filter(task_lock::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    drop_expired(conn, task_id, now).await
}

/// Records that `/next` served `task_id` to the user (once per task), keeping the newest
/// [`HISTORY_LIMIT`] entries.
pub async fn remember<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    user_id: i64,
    task_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let known = stream_history::Entity::find()
        .filter(stream_history::Column::ProjectId.eq(project_id))
        .filter(stream_history::Column::UserId.eq(user_id))
        .filter(stream_history::Column::TaskId.eq(task_id))
        .one(conn)
        .await?;
    if known.is_some() {
        return Ok(());
    }
    stream_history::ActiveModel {
        project_id: Set(project_id),
        user_id: Set(user_id),
        task_id: Set(task_id),
        annotation_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let sql = format!(
        "DELETE FROM label_stream_history WHERE project_id = {project_id} AND user_id = {user_id} AND id NOT IN \
         (SELECT id FROM (SELECT id FROM label_stream_history WHERE project_id = {project_id} AND user_id = {user_id} ORDER BY id DESC LIMIT {HISTORY_LIMIT}) AS newest)"
    );
    conn.execute(sea_orm::Statement::from_string(
        conn.get_database_backend(),
        sql,
    ))
    .await
    .map(|_| ())
}

/// Points the user's history entry for a task at the annotation they just made on it.
pub async fn record_annotation<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    user_id: i64,
    task_id: i64,
    annotation_id: i64,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    stream_history::Entity::update_many()
        .col_expr(
            stream_history::Column::AnnotationId,
            Expr::value(annotation_id),
        )
        .filter(stream_history::Column::ProjectId.eq(project_id))
        .filter(stream_history::Column::UserId.eq(user_id))
        .filter(stream_history::Column::TaskId.eq(task_id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// One history entry: the task and the user's annotation on it, if it still exists.
#[derive(Debug, Clone, FromQueryResult)]
pub struct HistoryEntry {
    pub task_id: i64,
    pub annotation_id: Option<i64>,
}

/// The user's history in a project, oldest first, without deleted tasks and with deleted
/// annotations shown as none.
pub async fn history<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    user_id: i64,
) -> Result<Vec<HistoryEntry>, DbErr> {
    let sql = format!(
        "SELECT h.task_id AS task_id, (SELECT a.id FROM annotations a WHERE a.id = h.annotation_id) AS annotation_id \
         FROM label_stream_history h WHERE h.project_id = {project_id} AND h.user_id = {user_id} \
         AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = h.task_id) ORDER BY h.id"
    );
    HistoryEntry::find_by_statement(sea_orm::Statement::from_string(
        conn.get_database_backend(),
        sql,
    ))
    .all(conn)
    .await
}

/// The user's lock id on a task, expired or not.
pub async fn lock_id<C: ConnectionTrait>(
    conn: &C,
    task_id: i64,
    user_id: i64,
) -> Result<Option<String>, DbErr> {
    Ok(task_lock::Entity::find()
        .filter(task_lock::Column::TaskId.eq(task_id))
        .filter(task_lock::Column::UserId.eq(user_id))
        .one(conn)
        .await?
        .map(|l| l.unique_id))
}
