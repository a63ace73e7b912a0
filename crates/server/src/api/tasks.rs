//! Tasks: `/api/tasks/` (Data Manager listing and single-task CRUD) and
//! `/api/projects/{id}/tasks/` (the older bare-list view and delete-all).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use tessera_core::payload::{first_data_key, simple_task, DmTaskOut, SimpleTaskOut};
use tessera_core::task_lists::{self, PageRequest, TaskPage};
use tessera_core::tasks;

use crate::api::slashed;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

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
    let page = positive(params.page.as_deref(), 1)
        .ok_or_else(|| ApiError::NotFound("Invalid page.".into()))?;
    let size = positive(params.page_size.as_deref(), 100)
        .unwrap_or(100)
        .min(MAX_PAGE_SIZE);
    let offset = (page - 1).saturating_mul(size).min(i64::MAX as u64 / 2);
    let request = PageRequest {
        project: project_id,
        view: view_id,
        query: params.query.as_deref(),
        all_fields: params.fields.as_deref() == Some("all"),
        include: params.include.as_deref(),
    };
    let on_open = state.on_open();
    let listed = task_lists::dm_page(&state.db, &caller, request, offset, size, &on_open).await?;
    if listed.tasks.is_empty() && page > 1 {
        return Err(ApiError::NotFound("Invalid page.".into()));
    }
    Ok(Json(listed))
}

async fn get_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DmTaskOut>> {
    let on_open = state.on_open();
    Ok(Json(
        task_lists::get(&state.db, &caller, id, &on_open).await?,
    ))
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
    let mut rendered =
        task_lists::simple_with_nested(&state.db, vec![task], &project, caller.user.id).await?;
    Ok(Json(rendered.remove(0)))
}

async fn delete_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    tasks::delete_one(&state.db, &caller, id).await?;
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
    let tasks = task_lists::by_update(&state.db, &caller, id, offset, limit).await?;
    if tasks.is_empty() && page > 1 {
        return Err(ApiError::NotFound("Not found.".into()));
    }
    Ok(Json(tasks))
}

/// `DELETE /api/projects/{id}/tasks/`: every task of the project.
async fn delete_project_tasks(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    tasks::delete_all(&state.db, &caller, id).await?;
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
