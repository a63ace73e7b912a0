//! Deleting tasks with everything that depends on them: project counters (by the query) and the
//! project summary (the annotation kinds and labels of the deleted tasks are forgotten; at zero
//! tasks the summary starts over, as Label Studio resets it) and the overlap cohort.

use serde_json::Value;
use tessera_db::counters::TaskSet;
use tessera_db::{queries, WriteTxn};

use crate::error::CoreResult;
use crate::overlap;
use crate::summary::Summary;

/// Deletes `tasks` of a project; returns how many went.
pub async fn delete(txn: &WriteTxn, project_id: i64, tasks: TaskSet<'_>) -> CoreResult<u64> {
    let (created_annotations, created_labels) =
        queries::projects::lock_summary(&**txn, project_id).await?;
    if let TaskSet::Ids(ids) = tasks {
        let mut summary = Summary::load(&created_annotations, &created_labels);
        for annotation in queries::annotations::of_tasks_by(&**txn, ids, None).await? {
            if let Some(result) = annotation
                .result
                .as_deref()
                .and_then(|text| serde_json::from_str::<Value>(text).ok())
            {
                summary.count_result(&result, -1);
            }
        }
        let (annotations, labels) = summary.to_json();
        queries::projects::set_summary(&**txn, project_id, &annotations, &labels).await?;
    }
    let deleted = queries::tasks::delete(&**txn, project_id, tasks).await?;
    let Some(project) = queries::projects::find_by_id(&**txn, project_id).await? else {
        return Ok(deleted);
    };
    if project.task_number == 0 {
        queries::projects::reset_summary(&**txn, project_id).await?;
    }
    let changed = overlap::Changed {
        task_number: true,
        ..overlap::Changed::default()
    };
    overlap::update(txn, &project, changed).await?;
    Ok(deleted)
}
