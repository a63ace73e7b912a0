//! The labeling stream as an annotator asks for it: the next task (in the Data Manager's
//! selection when the request carries one), rendered with the user's drafts and, when the
//! project shows them, the predictions of its model version; and the user's labeling history.

use serde::Serialize;
use serde_json::Value;
use tessera_db::filters::TaskQuery;
use tessera_db::{queries, time, Db};

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::is_falsy;
use crate::ml::predict::{self, OnOpen, Opened};
use crate::next_task;
use crate::payload::{first_data_key, next_task_out, NextTaskOut, ServedTask, Users};
use crate::storages::resolve::Resolver;
use crate::{dm, scope};

/// The Data Manager keys that, in a request body, turn `/next` into the "Data manager queue".
const DM_KEYS: [&str; 3] = ["filters", "ordering", "selectedItems"];

/// What a `/next` request names besides the project.
pub struct NextRequest<'a> {
    /// `?view=`, as given.
    pub view: Option<&'a str>,
    /// `?query=`, a Data Manager query as JSON text.
    pub query: Option<&'a str>,
    /// The request body (`null` when empty).
    pub body: &'a Value,
    /// How long the served task stays locked for the user.
    pub lock_ttl: chrono::Duration,
    /// How the served task is predicted when the project's model version is a live backend.
    pub on_open: &'a OnOpen<'a>,
}

/// Serves the actor the next task of a project (see [`next_task::serve`]); not found when
/// there is none.
pub async fn next(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    request: NextRequest<'_>,
) -> CoreResult<NextTaskOut> {
    let conn = db.conn();
    let project = scope::project(conn, actor, project_id).await?;
    let body = request.body;
    // Truthy, as Label Studio tests them.
    let dm_queue = DM_KEYS
        .iter()
        .any(|key| body.get(key).is_some_and(|v| !is_falsy(v)));
    let view_id = request.view.and_then(|v| v.parse::<i64>().ok());
    let selected = dm::resolve(conn, actor, Some(project.id), view_id, || {
        if dm_queue {
            dm::body_query(body)
        } else {
            match request.query.filter(|q| !q.is_empty()) {
                Some(text) => dm::parse_query_param(text),
                None => Ok(TaskQuery::default()),
            }
        }
    })
    .await?;
    let txn = db.write().await?;
    let served = next_task::serve(
        &txn,
        next_task::Request {
            project: &project,
            user_id: actor.user.id,
            query: &selected.query,
            dm_queue,
            lock_ttl: request.lock_ttl,
        },
    )
    .await?;
    txn.commit().await?;
    let Some(served) = served else {
        return Err(CoreError::NotFound(format!(
            "There are no tasks for {}",
            actor.user.email
        )));
    };
    let mut served = served;
    let task_id = served.task.id;
    let predictions = if project.show_collab_predictions {
        if predict::when_opened(db, request.on_open, &project, Opened::Next(task_id)).await? {
            // Again, with the counters the new prediction changed.
            if let Some(fresh) = queries::tasks::find(conn, task_id).await? {
                served.task = fresh;
            }
        }
        let version = crate::ml::predictions_version(conn, &project).await?;
        queries::predictions::of_tasks(conn, &[task_id])
            .await?
            .into_iter()
            .filter(|p| p.model_version == version)
            .collect()
    } else {
        Vec::new()
    };
    let drafts = queries::drafts::of_tasks_by_user(conn, &[task_id], actor.user.id).await?;
    let users = Users::load(conn, [Some(actor.user.id)]).await?;
    let first_key = first_data_key(&project);
    let served_task = ServedTask {
        task: served.task,
        predictions,
        drafts,
        lock_id: served.lock_id,
        queue: served.queue,
    };
    let mut out = next_task_out(served_task, first_key.as_deref(), &users, &time::now());
    Resolver::load(db, project.id)
        .await?
        .rewrite(out.id, &mut out.data);
    Ok(out)
}

/// One label-stream history entry.
#[derive(Serialize)]
pub struct HistoryOut {
    #[serde(rename = "taskId")]
    pub task_id: i64,
    #[serde(rename = "annotationId")]
    pub annotation_id: Option<i64>,
}

/// The tasks the stream served the actor in a project, and what they made of each.
pub async fn history(db: &Db, actor: &Actor, project_id: i64) -> CoreResult<Vec<HistoryOut>> {
    let project = scope::project(db.conn(), actor, project_id).await?;
    let entries = queries::stream::history(db.conn(), project.id, actor.user.id).await?;
    Ok(entries
        .into_iter()
        .map(|e| HistoryOut {
            task_id: e.task_id,
            annotation_id: e.annotation_id,
        })
        .collect())
}
