//! The labeling stream: `/api/projects/{id}/next` and `/api/projects/{id}/label-stream-history/`.

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
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
use tessera_core::render::{
    draft_out, first_data_key, json_of, prediction_out, task_data, DraftOut, PredictionOut,
    UpdatedBy, Users,
};

/// `NextTaskSerializer` output plus the queue the task came from.
#[derive(Serialize)]
struct NextTaskOut {
    id: i64,
    predictions: Vec<PredictionOut>,
    annotations: Vec<Value>,
    drafts: Vec<DraftOut>,
    updated_by: Vec<UpdatedBy>,
    unique_lock_id: Option<String>,
    data: Value,
    meta: Value,
    created_at: String,
    updated_at: String,
    is_labeled: bool,
    overlap: i32,
    inner_id: i64,
    total_annotations: i32,
    cancelled_annotations: i32,
    total_predictions: i32,
    comment_count: i32,
    unresolved_comment_count: i32,
    last_comment_updated_at: Option<String>,
    project: i64,
    file_upload: Option<i64>,
    comment_authors: Vec<i64>,
    queue: &'static str,
}

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
    let task = served.task;
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
    Ok(Json(NextTaskOut {
        id: task.id,
        predictions: predictions
            .into_iter()
            .map(|p| prediction_out(p, &now))
            .collect(),
        annotations: Vec::new(),
        drafts: drafts
            .into_iter()
            .map(|d| draft_out(d, &users, &now))
            .collect(),
        updated_by: task
            .updated_by_id
            .map(|user_id| vec![UpdatedBy { user_id }])
            .unwrap_or_default(),
        unique_lock_id: served.lock_id,
        data: task_data(&task.data, first_key.as_deref()),
        meta: json_of(&task.meta),
        created_at: tessera_db::time::format(&task.created_at),
        updated_at: tessera_db::time::format(&task.updated_at),
        is_labeled: task.is_labeled,
        overlap: task.overlap,
        inner_id: task.inner_id,
        total_annotations: task.total_annotations,
        cancelled_annotations: task.cancelled_annotations,
        total_predictions: task.total_predictions,
        comment_count: 0,
        unresolved_comment_count: 0,
        last_comment_updated_at: None,
        project: task.project_id,
        file_upload: task.file_upload_id,
        comment_authors: Vec::new(),
        queue: served.queue,
    }))
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
