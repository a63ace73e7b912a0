//! The labeling stream: `/api/projects/{id}/next` and `/api/projects/{id}/label-stream-history/`.

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tessera_core::fields::is_falsy;
use tessera_core::next_task;
use tessera_core::{dm, scope};
use tessera_db::filters::TaskQuery;
use tessera_db::queries;
use tessera_db::queries::stream;

use crate::api::slashed;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{parse_json, ApiPath, ApiQuery};
use crate::state::AppState;
use tessera_core::payload::{first_data_key, next_task_out, NextTaskOut, ServedTask, Users};

#[derive(Deserialize)]
struct NextParams {
    view: Option<String>,
    query: Option<String>,
}

/// The Data Manager keys that, in a request body, turn `/next` into the "Data manager queue".
const DM_KEYS: [&str; 3] = ["filters", "ordering", "selectedItems"];

async fn next(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<NextParams>,
    body: Bytes,
) -> ApiResult<Json<NextTaskOut>> {
    let conn = state.db.conn();
    let project = scope::project(conn, &caller, id).await?;
    let body = parse_json(&body)?;
    // Truthy, as Label Studio tests them.
    let dm_queue = DM_KEYS
        .iter()
        .any(|key| body.get(key).is_some_and(|v| !is_falsy(v)));
    let view_id = params.view.as_deref().and_then(|v| v.parse::<i64>().ok());
    let selected = dm::resolve(conn, &caller, Some(project.id), view_id, || {
        if dm_queue {
            dm::body_query(&body)
        } else {
            match params.query.as_deref().filter(|q| !q.is_empty()) {
                Some(text) => dm::parse_query_param(text),
                None => Ok(TaskQuery::default()),
            }
        }
    })
    .await?;
    let ttl = chrono::Duration::seconds(state.config.task_lock_ttl as i64);
    let txn = state.db.write().await?;
    let request = next_task::Request {
        project: &project,
        user_id: caller.user.id,
        query: &selected.query,
        dm_queue,
        lock_ttl: ttl,
    };
    let served = next_task::serve(&txn, request).await?;
    txn.commit().await?;
    let Some(served) = served else {
        return Err(ApiError::NotFound(format!(
            "There are no tasks for {}",
            caller.user.email
        )));
    };
    let task = &served.task;
    let predictions = if project.show_collab_predictions {
        queries::predictions::of_tasks(conn, &[task.id])
            .await?
            .into_iter()
            .filter(|p| p.model_version == project.model_version)
            .collect()
    } else {
        Vec::new()
    };
    let drafts = queries::drafts::of_tasks_by_user(conn, &[task.id], caller.user.id).await?;
    let users = Users::load(conn, [Some(caller.user.id)]).await?;
    let now = tessera_db::time::now();
    let first_key = first_data_key(&project);
    let served_task = ServedTask {
        task: served.task,
        predictions,
        drafts,
        lock_id: served.lock_id,
        queue: served.queue,
    };
    Ok(Json(next_task_out(
        served_task,
        first_key.as_deref(),
        &users,
        &now,
    )))
}

/// One label-stream history entry.
#[derive(Serialize)]
struct HistoryOut {
    #[serde(rename = "taskId")]
    task_id: i64,
    #[serde(rename = "annotationId")]
    annotation_id: Option<i64>,
}

async fn history(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<HistoryOut>>> {
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let entries = stream::history(state.db.conn(), project.id, caller.user.id).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| HistoryOut {
                task_id: e.task_id,
                annotation_id: e.annotation_id,
            })
            .collect(),
    ))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/api/projects/{id}/next/", get(next));
    slashed(
        router,
        "/api/projects/{id}/label-stream-history/",
        get(history),
    )
}
