//! The labeling stream: which task `/api/projects/{id}/next` hands to an annotator, following
//! Label Studio 1.23.2 (`label_studio/projects/functions/next_task.py`): the user's live lock
//! first, then ground truth (annotator evaluation), breadth-first for overlapping projects, the
//! project's sampling, the user's postponed drafts and, under `REQUEUE_FOR_ME`, their skips.
//!
//! The whole choice runs in one write transaction holding the project lock, so two annotators
//! asking at once are served one after the other and never both get a task with overlap 1.

use chrono::Duration;
use rand::Rng;
use tessera_db::entities::project::{Sampling, SkipQueue};
use tessera_db::entities::{project, task};
use tessera_db::filters::CompiledQuery;
use tessera_db::queries::stream::{self, Annotator, Pick, Pool};
use tessera_db::{queries, time, WriteTxn};

use crate::error::CoreResult;

/// A served task, the queue it came from and the user's lock id on it.
pub struct Served {
    pub task: task::Model,
    pub queue: &'static str,
    pub lock_id: Option<String>,
}

/// Where the request asked for tasks.
pub struct Request<'a> {
    pub project: &'a project::Model,
    pub user_id: i64,
    /// The Data Manager selection (a view's or the `query`'s filters and ordering).
    pub query: &'a CompiledQuery,
    /// Filters came in the request body: take the selection's first unsolved task, locks ignored.
    pub dm_queue: bool,
    pub lock_ttl: Duration,
}

/// The first available task from a random id on (Label Studio's uniform sampling), with
/// exactly `annotations` annotations when given.
async fn random_pick(
    txn: &WriteTxn,
    pool: &Pool<'_>,
    project_id: i64,
    annotations: Option<i64>,
) -> CoreResult<Option<task::Model>> {
    let start = match queries::tasks::id_range(&**txn, project_id).await? {
        Some((low, high)) => rand::thread_rng().gen_range(low..=high),
        None => 0,
    };
    let pick = Pick::FromId { start, annotations };
    Ok(pool.pick(&**txn, pick).await?)
}

/// Chooses the next task for the user, locks it for them and records it in their history.
pub async fn serve(txn: &WriteTxn, request: Request<'_>) -> CoreResult<Option<Served>> {
    let project = request.project;
    queries::projects::lock(&**txn, project.id).await?;
    let now = time::now();
    let annotator = Annotator {
        user_id: request.user_id,
        now,
        skip_queue: project.skip_queue,
        evaluation: project.annotator_evaluation_enabled,
    };
    let mut pool = Pool {
        query: request.query,
        annotator,
        overlapping: None,
    };
    if project.show_overlap_first {
        pool.overlapping = Some(pool.has_overlapping(&**txn).await?);
    }

    let mut found: Option<(task::Model, &'static str)> = None;
    if !request.dm_queue {
        if let Some(task) = pool.pick(&**txn, Pick::HeldByMe).await? {
            found = Some((task, "Task lock"));
        } else if project.annotator_evaluation_enabled {
            found = pool
                .pick(&**txn, Pick::GroundTruth)
                .await?
                .map(|t| (t, "Onboarding ground truth queue"));
        }
        if found.is_none() && project.maximum_annotations > 1 {
            let most = pool.most_annotations(&**txn).await?;
            if most > 0 {
                found = random_pick(txn, &pool, project.id, Some(most))
                    .await?
                    .map(|t| (t, "Breadth first queue"));
            }
        }
    }
    if found.is_none() {
        found = if request.dm_queue {
            pool.pick(&**txn, Pick::FirstIgnoringLocks)
                .await?
                .map(|t| (t, "Data manager queue"))
        } else {
            match project.sampling {
                Sampling::Uniform => random_pick(txn, &pool, project.id, None)
                    .await?
                    .map(|t| (t, "Uniform random queue")),
                Sampling::Uncertainty => {
                    let version = crate::ml::predictions_version(&**txn, project).await?;
                    let least = match version.as_str() {
                        "" => None,
                        version => pool.pick(&**txn, Pick::LeastConfident(version)).await?,
                    };
                    let task = match least {
                        Some(task) => Some(task),
                        None => random_pick(txn, &pool, project.id, None).await?,
                    };
                    task.map(|t| (t, "Active learning or random queue"))
                }
                Sampling::Sequential => pool
                    .pick(&**txn, Pick::First)
                    .await?
                    .map(|t| (t, "Sequence queue")),
            }
        };
    }
    if found.is_none() {
        found = pool
            .postponed(&**txn)
            .await?
            .map(|t| (t, "Postponed draft queue"));
    }
    if found.is_none() && annotator.skip_queue == SkipQueue::RequeueForMe {
        found = pool.skipped(&**txn).await?.map(|t| (t, "Skipped queue"));
    }
    let Some((task, queue)) = found else {
        return Ok(None);
    };
    let lock_id = if queue == "Task lock" {
        stream::lock_id(&**txn, task.id, request.user_id).await?
    } else {
        stream::set_lock(&**txn, &task, request.user_id, now, request.lock_ttl).await?
    };
    stream::remember(&**txn, project.id, request.user_id, task.id, now).await?;
    Ok(Some(Served {
        task,
        queue,
        lock_id,
    }))
}
