//! Task overlap (how many annotators a task needs) after a change of `maximum_annotations`,
//! `overlap_cohort_percentage` or the number of tasks, as Label Studio's
//! `Project._update_tasks_states` decides it (`label_studio/projects/models.py`).

use tessera_db::counters::{self, TaskSet};
use tessera_db::entities::project;
use tessera_db::{queries, WriteTxn};

use crate::error::CoreResult;

/// What changed; several may have.
#[derive(Debug, Clone, Copy, Default)]
pub struct Changed {
    pub maximum_annotations: bool,
    pub cohort_percentage: bool,
    pub task_number: bool,
}

/// Rewrites task overlap for `project` (as saved) and recounts what that affects. The caller
/// holds the project lock.
pub async fn update(txn: &WriteTxn, project: &project::Model, changed: Changed) -> CoreResult<()> {
    let (id, maximum, percentage) = (
        project.id,
        project.maximum_annotations,
        project.overlap_cohort_percentage,
    );
    let conn = &**txn;
    let rearranged = if changed.maximum_annotations && !changed.cohort_percentage {
        // Only the overlapping cohort follows a new maximum, unless the maximum drops to 1.
        let only_cohort = maximum > 1 && queries::projects::any_overlap_above_one(conn, id).await?;
        if only_cohort || maximum <= 1 || percentage >= 100 {
            queries::projects::set_task_overlap(conn, id, maximum, only_cohort).await?;
        } else {
            queries::projects::rearrange_overlap_cohort(conn, id, maximum, percentage).await?;
        }
        true
    } else if changed.cohort_percentage {
        if maximum > 1 {
            queries::projects::rearrange_overlap_cohort(conn, id, maximum, percentage).await?;
            true
        } else if changed.maximum_annotations {
            queries::projects::set_task_overlap(conn, id, 1, false).await?;
            true
        } else {
            false
        }
    } else if changed.task_number && percentage < 100 && maximum > 1 {
        queries::projects::rearrange_overlap_cohort(conn, id, maximum, percentage).await?;
        true
    } else {
        false
    };
    if rearranged {
        counters::recount_tasks(conn, id, project.skip_queue, TaskSet::All, None).await?;
    }
    Ok(())
}
