//! Task and project counters, kept in the same transaction as the writes that change them.
//!
//! A task stores its own counters (`total_annotations`, `cancelled_annotations`,
//! `total_predictions`, `is_labeled`, `completed_at`, plus the hidden `ground_truth_annotations`
//! and `useful_annotations`). A project stores the sums of those over its tasks. When a write
//! touches some tasks, [`recount_tasks`] recomputes exactly those tasks from their annotations and
//! predictions and moves the project's sums by the difference, so list endpoints never recount a
//! million rows. Rules follow Label Studio 1.23.2 (`label_studio/tasks/mixins.py`,
//! `label_studio/projects/functions/__init__.py`).

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};

use crate::entities::project::SkipQueue;

/// Which tasks of a project to recount.
#[derive(Debug, Clone)]
pub enum TaskSet<'a> {
    /// These task ids (all of the project).
    Ids(&'a [i64]),
    /// Every task of the project.
    All,
}

impl TaskSet<'_> {
    fn condition(&self, project_id: i64) -> String {
        match self {
            TaskSet::Ids(ids) => format!("project_id = {project_id} AND id IN ({})", join_ids(ids)),
            TaskSet::All => format!("project_id = {project_id}"),
        }
    }
}

/// `1,2,3` for an id list (integers only, so inlining them into SQL is safe).
pub fn join_ids(ids: &[i64]) -> String {
    if ids.is_empty() {
        return "NULL".to_string();
    }
    let mut out = String::with_capacity(ids.len() * 8);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&id.to_string());
    }
    out
}

/// The project-level sums that depend on tasks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, FromQueryResult)]
pub struct ProjectSums {
    pub task_number: i64,
    pub finished_task_number: i64,
    pub total_annotations_number: i64,
    pub skipped_annotations_number: i64,
    pub ground_truth_number: i64,
    pub useful_annotation_number: i64,
    pub num_tasks_with_annotations: i64,
    pub total_predictions_number: i64,
}

impl ProjectSums {
    /// `self - other`, field by field.
    pub fn minus(&self, other: &ProjectSums) -> ProjectSums {
        ProjectSums {
            task_number: self.task_number - other.task_number,
            finished_task_number: self.finished_task_number - other.finished_task_number,
            total_annotations_number: self.total_annotations_number
                - other.total_annotations_number,
            skipped_annotations_number: self.skipped_annotations_number
                - other.skipped_annotations_number,
            ground_truth_number: self.ground_truth_number - other.ground_truth_number,
            useful_annotation_number: self.useful_annotation_number
                - other.useful_annotation_number,
            num_tasks_with_annotations: self.num_tasks_with_annotations
                - other.num_tasks_with_annotations,
            total_predictions_number: self.total_predictions_number
                - other.total_predictions_number,
        }
    }

    /// Adds one task's counters (used by bulk import, which computes them in memory).
    pub fn add_task(&mut self, task: &TaskTally) {
        self.task_number += 1;
        self.finished_task_number += i64::from(task.is_labeled);
        self.total_annotations_number += i64::from(task.total);
        self.skipped_annotations_number += i64::from(task.cancelled);
        self.ground_truth_number += i64::from(task.ground_truth);
        self.useful_annotation_number += i64::from(task.useful);
        self.num_tasks_with_annotations += i64::from(task.useful > 0);
        self.total_predictions_number += i64::from(task.predictions);
    }

    fn is_zero(&self) -> bool {
        *self == ProjectSums::default()
    }
}

/// One annotation as far as counters care.
#[derive(Debug, Clone, Copy)]
pub struct AnnotationFacts {
    pub was_cancelled: bool,
    pub ground_truth: bool,
    pub has_result: bool,
    pub completed_by: Option<i64>,
}

/// A task's counters computed in memory (bulk import).
#[derive(Debug, Default, Clone, Copy)]
pub struct TaskTally {
    pub total: i32,
    pub cancelled: i32,
    pub ground_truth: i32,
    pub useful: i32,
    pub predictions: i32,
    pub is_labeled: bool,
}

impl TaskTally {
    /// Counters of a new task with these annotations and `predictions` predictions.
    pub fn of(
        annotations: &[AnnotationFacts],
        predictions: usize,
        overlap: i32,
        skip_queue: SkipQueue,
    ) -> TaskTally {
        let mut tally = TaskTally {
            predictions: predictions as i32,
            ..TaskTally::default()
        };
        let mut completers: Vec<Option<i64>> = Vec::new();
        for a in annotations {
            if a.was_cancelled {
                tally.cancelled += 1;
            } else {
                tally.total += 1;
            }
            if a.ground_truth {
                tally.ground_truth += 1;
            }
            if !a.was_cancelled && !a.ground_truth && a.has_result {
                tally.useful += 1;
            }
            let completed =
                skip_queue == SkipQueue::IgnoreSkipped || (!a.was_cancelled && a.has_result);
            if completed && a.completed_by.is_some() && !completers.contains(&a.completed_by) {
                completers.push(a.completed_by);
            }
        }
        tally.is_labeled = completers.len() as i64 >= i64::from(overlap);
        tally
    }
}

async fn sums<C: ConnectionTrait>(conn: &C, condition: &str) -> Result<ProjectSums, DbErr> {
    let sql = format!(
        "SELECT COUNT(*) AS task_number, \
         COALESCE(SUM(CASE WHEN is_labeled THEN 1 ELSE 0 END), 0) AS finished_task_number, \
         COALESCE(SUM(total_annotations), 0) AS total_annotations_number, \
         COALESCE(SUM(cancelled_annotations), 0) AS skipped_annotations_number, \
         COALESCE(SUM(ground_truth_annotations), 0) AS ground_truth_number, \
         COALESCE(SUM(useful_annotations), 0) AS useful_annotation_number, \
         COALESCE(SUM(CASE WHEN useful_annotations > 0 THEN 1 ELSE 0 END), 0) AS num_tasks_with_annotations, \
         COALESCE(SUM(total_predictions), 0) AS total_predictions_number \
         FROM tasks WHERE {condition}"
    );
    let backend = conn.get_database_backend();
    let row = conn.query_one(Statement::from_string(backend, sql)).await?;
    match row {
        Some(row) => ProjectSums::from_query_result(&row, ""),
        None => Ok(ProjectSums::default()),
    }
}

/// Moves the project's stored sums by `delta`.
pub async fn apply_project_delta<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    delta: &ProjectSums,
) -> Result<(), DbErr> {
    if delta.is_zero() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE projects SET task_number = task_number + ({}), \
         finished_task_number = finished_task_number + ({}), \
         total_annotations_number = total_annotations_number + ({}), \
         skipped_annotations_number = skipped_annotations_number + ({}), \
         ground_truth_number = ground_truth_number + ({}), \
         useful_annotation_number = useful_annotation_number + ({}), \
         num_tasks_with_annotations = num_tasks_with_annotations + ({}), \
         total_predictions_number = total_predictions_number + ({}) WHERE id = {project_id}",
        delta.task_number,
        delta.finished_task_number,
        delta.total_annotations_number,
        delta.skipped_annotations_number,
        delta.ground_truth_number,
        delta.useful_annotation_number,
        delta.num_tasks_with_annotations,
        delta.total_predictions_number,
    );
    conn.execute(Statement::from_string(conn.get_database_backend(), sql))
        .await?;
    Ok(())
}

/// Who changed the tasks, when: recorded as their `updated_by`/`updated_at` by the recount.
pub type Touch = (i64, chrono::DateTime<chrono::Utc>);

/// Recomputes the counters of `tasks` from their annotations and predictions, and moves the
/// project's sums by the change. `skip_queue` decides whether skips complete a task; `touch`
/// also stamps the tasks as updated.
///
/// The caller holds the project lock (`queries::projects::lock`, taken first by every writer,
/// so writers always lock project then tasks and cannot deadlock on PostgreSQL).
pub async fn recount_tasks<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    skip_queue: SkipQueue,
    tasks: TaskSet<'_>,
    touch: Option<Touch>,
) -> Result<(), DbErr> {
    let condition = tasks.condition(project_id);
    // Lock the task rows first: on PostgreSQL a concurrent writer of the same tasks waits here,
    // and every statement after it sees that writer's committed annotations.
    crate::dialect::lock_rows(conn, "tasks", &condition).await?;
    let before = sums(conn, &condition).await?;
    let completed = if skip_queue == SkipQueue::IgnoreSkipped {
        "1 = 1"
    } else {
        "NOT a.was_cancelled AND a.result IS NOT NULL"
    };
    let stamp = match (touch, conn.get_database_backend()) {
        (Some((user, _)), sea_orm::DbBackend::Postgres) => {
            format!(", updated_by_id = {user}, updated_at = $1")
        }
        (Some((user, _)), _) => format!(", updated_by_id = {user}, updated_at = ?"),
        (None, _) => String::new(),
    };
    let completers = format!(
        "(SELECT COUNT(DISTINCT a.completed_by_id) FROM annotations a WHERE a.task_id = tasks.id AND {completed})"
    );
    let sql = format!(
        "UPDATE tasks SET \
         total_annotations = (SELECT COUNT(*) FROM annotations a WHERE a.task_id = tasks.id AND NOT a.was_cancelled), \
         cancelled_annotations = (SELECT COUNT(*) FROM annotations a WHERE a.task_id = tasks.id AND a.was_cancelled), \
         ground_truth_annotations = (SELECT COUNT(*) FROM annotations a WHERE a.task_id = tasks.id AND a.ground_truth), \
         useful_annotations = (SELECT COUNT(*) FROM annotations a WHERE a.task_id = tasks.id AND NOT a.was_cancelled \
             AND NOT a.ground_truth AND a.result IS NOT NULL), \
         total_predictions = (SELECT COUNT(*) FROM predictions p WHERE p.task_id = tasks.id), \
         is_labeled = ({completers} >= tasks.overlap), \
         completed_at = CASE WHEN {completers} >= tasks.overlap \
             THEN (SELECT MAX(a.created_at) FROM annotations a WHERE a.task_id = tasks.id) ELSE NULL END{stamp} \
         WHERE {condition}"
    );
    let backend = conn.get_database_backend();
    match touch {
        // The timestamp is the only value not inlined; it is bound as the one parameter.
        Some((_, at)) => {
            conn.execute(Statement::from_sql_and_values(backend, sql, [at.into()]))
                .await?
        }
        None => conn.execute(Statement::from_string(backend, sql)).await?,
    };
    let after = sums(conn, &condition).await?;
    apply_project_delta(conn, project_id, &after.minus(&before)).await
}

/// Subtracts `tasks` from the project's sums; call right before deleting them.
pub async fn forget_tasks<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    tasks: TaskSet<'_>,
) -> Result<(), DbErr> {
    let gone = sums(conn, &tasks.condition(project_id)).await?;
    apply_project_delta(conn, project_id, &ProjectSums::default().minus(&gone)).await
}

/// Recomputes every counter of a project from scratch (after settings that change `is_labeled`).
pub async fn recount_project<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    skip_queue: SkipQueue,
) -> Result<(), DbErr> {
    recount_tasks(conn, project_id, skip_queue, TaskSet::All, None).await
}

/// Id lists are inlined in chunks of this many (integers only), staying far below both
/// backends' statement limits.
pub const ID_CHUNK: usize = 10_000;
