//! Tasks: `/api/tasks/` (Data Manager listing and single-task CRUD) and
//! `/api/projects/{id}/tasks/` (the older bare-list view and delete-all).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_core::{dm, scope, tasks};
use tessera_db::counters::TaskSet;
use tessera_db::entities::{project, task};
use tessera_db::filters::TaskQuery;
use tessera_db::{queries, time};

use crate::api::slashed;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;
use tessera_core::payload::{
    annotation_out, dm_task, first_data_key, only_included, prediction_out, simple_task,
    CompletedBy, DmProject, DmTaskOut, SimpleTaskOut, TaskBatch, Users,
};

#[derive(Deserialize)]
struct ListParams {
    project: Option<String>,
    view: Option<String>,
    page: Option<String>,
    page_size: Option<String>,
    fields: Option<String>,
    query: Option<String>,
    include: Option<String>,
}

/// The Data Manager's task page: `{total_annotations, total_predictions, total, tasks}`.
#[derive(Serialize)]
struct TaskPage {
    total_annotations: i64,
    total_predictions: i64,
    total: i64,
    tasks: Vec<Value>,
}

/// Largest `page_size` honoured (Label Studio has no limit; this keeps paging arithmetic sane).
const MAX_PAGE_SIZE: u64 = 1_000_000;

fn positive(value: Option<&str>, default: u64) -> Option<u64> {
    match value {
        None | Some("") => Some(default),
        Some(text) => text.parse::<u64>().ok().filter(|n| *n > 0),
    }
}

async fn list_tasks(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<TaskPage>> {
    let id_of = |text: Option<&str>| text.and_then(|p| p.parse::<i64>().ok());
    if let Some(text) = params
        .project
        .as_deref()
        .filter(|p| !p.is_empty() && p.parse::<i64>().is_err())
    {
        let mut errors = crate::error::FieldErrors::new();
        errors.insert(
            "project".into(),
            Value::from(format!(
                "Incorrect value in key \"project\" = \"{text}\". It should be digit string."
            )),
        );
        return Err(ApiError::Validation(errors));
    }
    let (project_id, view_id) = (
        id_of(params.project.as_deref()),
        id_of(params.view.as_deref()),
    );
    if project_id.is_none() && view_id.is_none() {
        let detail = if params.view.is_some() {
            "View is not found"
        } else {
            "Neither project nor view id specified"
        };
        return Err(ApiError::Bare(StatusCode::NOT_FOUND, detail.into()));
    }
    let conn = state.db.conn();
    let query_text = params.query.as_deref().filter(|q| !q.is_empty());
    let selected = dm::resolve(conn, &caller, project_id, view_id, || match query_text {
        Some(text) => dm::parse_query_param(text),
        None => Ok(TaskQuery::default()),
    })
    .await?;
    let project = selected.project;
    let page = positive(params.page.as_deref(), 1)
        .ok_or_else(|| ApiError::NotFound("Invalid page.".into()))?;
    let size = positive(params.page_size.as_deref(), 100)
        .unwrap_or(100)
        .min(MAX_PAGE_SIZE);
    let offset = (page - 1).saturating_mul(size).min(i64::MAX as u64 / 2);
    let (tasks, totals) =
        queries::tasks::filtered_page(conn, &project, &selected.query, offset, size).await?;
    if tasks.is_empty() && page > 1 {
        return Err(ApiError::NotFound("Invalid page.".into()));
    }
    let batch = TaskBatch::load(conn, &tasks, caller.user.id).await?;
    let shown = DmProject::of(&project);
    let all = params.fields.as_deref() == Some("all");
    let nested = all.then_some(CompletedBy::Id);
    // Label Studio's default field set: the per-request fields only where the query asks.
    let mut evaluated: Vec<&str> = match (all, &selected.view) {
        (true, _) => dm::EVALUATED_FIELDS.to_vec(),
        (false, Some(view)) => dm::evaluated_fields(&dm::view_as_query(view)),
        (false, None) => query_text
            .and_then(|text| serde_json::from_str(text).ok())
            .map_or_else(Vec::new, |q| dm::evaluated_fields(&q)),
    };
    let included = params
        .include
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim);
    evaluated.extend(
        dm::EVALUATED_FIELDS
            .into_iter()
            .filter(|field| included.clone().any(|i| i == *field)),
    );
    let now = time::now();
    let tasks = tasks
        .into_iter()
        .map(|t| {
            let mut rendered = serde_json::to_value(dm_task(t, &batch, &shown, nested, &now))
                .map_err(anyhow::Error::from)?;
            if let Value::Object(fields) = &mut rendered {
                fields.retain(|key, _| {
                    !dm::EVALUATED_FIELDS.contains(&key.as_str())
                        || evaluated.contains(&key.as_str())
                });
            }
            Ok(only_included(rendered, params.include.as_deref()))
        })
        .collect::<ApiResult<Vec<Value>>>()?;
    Ok(Json(TaskPage {
        total_annotations: totals.total_annotations,
        total_predictions: totals.total_predictions,
        total: totals.total,
        tasks,
    }))
}

async fn get_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DmTaskOut>> {
    let (task, project) = scope::task(state.db.conn(), &caller, id).await?;
    let mut batch =
        TaskBatch::load(state.db.conn(), std::slice::from_ref(&task), caller.user.id).await?;
    if !caller.sees_others_work() {
        batch.keep_annotations_of(caller.user.id);
    }
    Ok(Json(dm_task(
        task,
        &batch,
        &DmProject::of(&project),
        Some(CompletedBy::Expanded),
        &time::now(),
    )))
}

/// The simple task shape with nested annotations (`completed_by` as id) and predictions.
async fn simple_with_nested(
    state: &AppState,
    tasks: Vec<task::Model>,
    project: &project::Model,
    viewer: i64,
) -> ApiResult<Vec<SimpleTaskOut>> {
    let batch = TaskBatch::load(state.db.conn(), &tasks, viewer).await?;
    let first_key = first_data_key(project);
    let now = time::now();
    let users = Users::load(
        state.db.conn(),
        batch
            .annotations
            .values()
            .flatten()
            .map(|a| a.completed_by_id),
    )
    .await?;
    Ok(tasks
        .into_iter()
        .map(|t| {
            let annotations = batch.annotations.get(&t.id).cloned().unwrap_or_default();
            let predictions = batch.predictions.get(&t.id).cloned().unwrap_or_default();
            let nested = (
                annotations
                    .into_iter()
                    .map(|a| annotation_out(a, &users, CompletedBy::Id, &now))
                    .collect(),
                predictions
                    .into_iter()
                    .map(|p| prediction_out(p, &now))
                    .collect(),
            );
            simple_task(t, first_key.as_deref(), Some(nested))
        })
        .collect())
}

/// `POST /api/tasks/`: one task, its data checked against the project's config as Label
/// Studio's `TaskSerializer` does (`non_field_errors`); an unknown project is a 404.
async fn create_task(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<SimpleTaskOut>)> {
    let (task, project) = tasks::create(&state.db, &caller, &body).await?;
    let first_key = first_data_key(&project);
    Ok((
        StatusCode::CREATED,
        Json(simple_task(task, first_key.as_deref(), None)),
    ))
}

async fn update_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<SimpleTaskOut>> {
    let (task, project) = tasks::update(&state.db, &caller, id, &body).await?;
    let mut rendered = simple_with_nested(&state, vec![task], &project, caller.user.id).await?;
    Ok(Json(rendered.remove(0)))
}

async fn delete_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let (task, project) = scope::task(state.db.conn(), &caller, id).await?;
    let txn = state.db.write().await?;
    tasks::delete(&txn, project.id, TaskSet::Ids(&[task.id])).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct LegacyPage {
    page: Option<String>,
    start: Option<String>,
    page_size: Option<String>,
    length: Option<String>,
}

/// `GET /api/projects/{id}/tasks/`: a bare list, newest update first, legacy paging
/// (`page`/`start`, `page_size`/`length`, default 50, `-1` = all).
async fn list_project_tasks(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<LegacyPage>,
) -> ApiResult<Json<Vec<SimpleTaskOut>>> {
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let page = positive(params.page.as_deref().or(params.start.as_deref()), 1)
        .ok_or_else(|| ApiError::NotFound("Not found.".into()))?;
    let size_text = params.page_size.as_deref().or(params.length.as_deref());
    let (offset, limit) = if size_text == Some("-1") {
        (0, None)
    } else {
        let size = positive(size_text, 50).unwrap_or(50).min(i64::MAX as u64);
        let offset = (page - 1)
            .checked_mul(size)
            .filter(|offset| i64::try_from(*offset).is_ok());
        (
            offset.ok_or_else(|| ApiError::NotFound("Not found.".into()))?,
            Some(size),
        )
    };
    let tasks = queries::tasks::page_by_updated(state.db.conn(), project.id, offset, limit).await?;
    if tasks.is_empty() && page > 1 {
        return Err(ApiError::NotFound("Not found.".into()));
    }
    Ok(Json(
        simple_with_nested(&state, tasks, &project, caller.user.id).await?,
    ))
}

/// `DELETE /api/projects/{id}/tasks/`: every task of the project.
async fn delete_project_tasks(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let txn = state.db.write().await?;
    tasks::delete(&txn, project.id, TaskSet::All).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/api/tasks/", get(list_tasks).post(create_task));
    let router = slashed(
        router,
        "/api/tasks/{id}/",
        get(get_task)
            .patch(update_task)
            .put(update_task)
            .delete(delete_task),
    );
    slashed(
        router,
        "/api/projects/{id}/tasks/",
        get(list_project_tasks).delete(delete_project_tasks),
    )
}
