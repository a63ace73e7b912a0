//! `/api/projects/`: list, create, get, update, delete, config validation and summary.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tessera_core::fields::Fields;
use tessera_core::payload::{only_included, Users};
use tessera_core::payload::{project_out, Counters, ProjectResponse};
use tessera_core::projects;
use tessera_core::scope;
use tessera_core::summary::Summary;
use tessera_core::CoreError;
use tessera_db::entities::project;
use tessera_db::{queries, time};
use tessera_labelconfig::{ConfigError, ConfigProblem, LabelConfig};

use crate::api::pagination::{page_window, Page, PageParams, Window};
use crate::api::slashed;
use crate::auth::access::Action;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

/// The per-user queue fields, which cost a count over the caller's annotations.
const QUEUE_FIELDS: [&str; 2] = ["queue_total", "queue_done"];

/// Whether an `include` list (every field when absent) names one of `fields`.
fn includes_any(include: Option<&str>, fields: &[&str]) -> bool {
    include.is_none_or(|list| {
        list.split(',')
            .map(str::trim)
            .any(|field| fields.contains(&field))
    })
}

/// Renders projects for the caller, loading their creators (and queues) in one query each; the
/// queue fields are counted only when `queues` (else they read 0 and the caller drops them with
/// `include`).
pub(crate) async fn respond_all(
    state: &AppState,
    caller: &Caller,
    list: Vec<project::Model>,
    counters: Counters,
    queues: bool,
) -> ApiResult<Vec<ProjectResponse>> {
    let conn = state.db.conn();
    let creators = Users::load(conn, list.iter().map(|p| p.created_by_id)).await?;
    let queues = if queues {
        queries::projects::queue_counts(conn, &list, caller.user.id).await?
    } else {
        Default::default()
    };
    // The password for task media is a setting: only those who may change settings read it.
    let sees_secrets = Action::ManageProjects.allows(caller.role);
    Ok(list
        .into_iter()
        .map(|project| {
            let queue = queues.get(&project.id).copied().unwrap_or_default();
            let created_by = project.created_by_id.and_then(|id| creators.get(id));
            let mut rendered = project_out(project, created_by, queue, counters);
            if !sees_secrets {
                rendered.task_data_password = None;
            }
            rendered
        })
        .collect())
}

pub(crate) async fn respond(
    state: &AppState,
    caller: &Caller,
    project: project::Model,
    counters: Counters,
) -> ApiResult<ProjectResponse> {
    let mut rendered = respond_all(state, caller, vec![project], counters, true).await?;
    Ok(rendered.remove(0))
}

#[derive(Deserialize)]
struct ListParams {
    ids: Option<String>,
    title: Option<String>,
    filter: Option<String>,
    ordering: Option<String>,
    include: Option<String>,
}

fn ordering(spec: &str) -> Option<(project::Column, bool)> {
    use sea_orm::Iterable;
    let (name, ascending) = match spec.strip_prefix('-') {
        Some(name) => (name, false),
        None => (spec, true),
    };
    project::Column::iter()
        .find(|c| sea_orm::IdenStatic::as_str(c) == name)
        .map(|c| (c, ascending))
}

/// Renders items, keeping only the `include`d keys of each.
fn restricted<T: Serialize>(items: Vec<T>, include: Option<&str>) -> ApiResult<Vec<Value>> {
    items
        .into_iter()
        .map(|item| {
            Ok(only_included(
                serde_json::to_value(item).map_err(|e| ApiError::Internal(e.into()))?,
                include,
            ))
        })
        .collect()
}

/// One page of the caller's projects under the list filters (shared by the list and `counts`).
async fn page_of_projects(
    state: &AppState,
    caller: &Caller,
    page: &PageParams,
    params: &ListParams,
) -> ApiResult<(Window, u64, Vec<project::Model>)> {
    let window = page_window(page, 30, 100)?;
    let filter = queries::projects::ListFilter {
        ids: params.ids.as_deref().map(|ids| {
            ids.split(',')
                .filter_map(|id| id.trim().parse().ok())
                .collect()
        }),
        title: params.title.clone().filter(|t| !t.is_empty()),
        pinned: params.filter.clone(),
        ordering: params.ordering.as_deref().and_then(ordering),
    };
    let (count, rows) = queries::projects::list(
        state.db.conn(),
        caller.viewer(),
        &filter,
        window.offset,
        window.limit,
    )
    .await?;
    if rows.is_empty() && window.page > 1 {
        return Err(ApiError::NotFound("Invalid page.".into()));
    }
    Ok((window, count, rows))
}

async fn list_projects(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<Value>>> {
    let (window, count, rows) = page_of_projects(&state, &caller, &page, &params).await?;
    let include = params.include.as_deref();
    let results = restricted(
        respond_all(
            &state,
            &caller,
            rows,
            Counters::Shown,
            includes_any(include, &QUEUE_FIELDS),
        )
        .await?,
        include,
    )?;
    Ok(Json(Page::new(&headers, &uri, window, count, results)))
}

/// `ProjectCountsSerializer`: a project's id and its counters.
#[derive(Serialize)]
struct ProjectCounts {
    id: i64,
    task_number: i64,
    finished_task_number: i64,
    total_predictions_number: i64,
    total_annotations_number: i64,
    num_tasks_with_annotations: i64,
    useful_annotation_number: i64,
    ground_truth_number: i64,
    skipped_annotations_number: i64,
}

/// `GET /api/projects/counts/`: the list's filters and paging, counters only.
async fn project_counts(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<Value>>> {
    let (window, count, rows) = page_of_projects(&state, &caller, &page, &params).await?;
    let counts: Vec<ProjectCounts> = rows
        .into_iter()
        .map(|p| ProjectCounts {
            id: p.id,
            task_number: p.task_number,
            finished_task_number: p.finished_task_number,
            total_predictions_number: p.total_predictions_number,
            total_annotations_number: p.total_annotations_number,
            num_tasks_with_annotations: p.num_tasks_with_annotations,
            useful_annotation_number: p.useful_annotation_number,
            ground_truth_number: p.ground_truth_number,
            skipped_annotations_number: p.skipped_annotations_number,
        })
        .collect();
    let results = restricted(counts, params.include.as_deref())?;
    Ok(Json(Page::new(&headers, &uri, window, count, results)))
}

async fn create_project(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<ProjectResponse>)> {
    let txn = state.db.write().await?;
    let fresh = projects::defaults(caller.organization_id, caller.user.id, time::now());
    let applied = projects::apply(&txn, fresh, &body, true).await?;
    let saved = projects::save(&txn, applied, true).await?;
    txn.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(respond(&state, &caller, saved, Counters::Hidden).await?),
    ))
}

#[derive(Deserialize)]
struct IncludeParam {
    include: Option<String>,
}

/// A project; `include=` narrows the fields as on the list (a Tessera extension, also on PATCH:
/// the web app skips the per-user queue counts, which cost a count over the caller's annotations).
async fn get_project(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<IncludeParam>,
) -> ApiResult<Json<Value>> {
    let project = scope::project(state.db.conn(), &caller, id).await?;
    respond_included(&state, &caller, project, params.include.as_deref()).await
}

/// One project with only the `include`d fields (all when absent).
async fn respond_included(
    state: &AppState,
    caller: &Caller,
    project: project::Model,
    include: Option<&str>,
) -> ApiResult<Json<Value>> {
    let mut rendered = respond_all(
        state,
        caller,
        vec![project],
        Counters::Shown,
        includes_any(include, &QUEUE_FIELDS),
    )
    .await?;
    Ok(Json(
        restricted(vec![rendered.remove(0)], include)?.remove(0),
    ))
}

async fn update_project(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<IncludeParam>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let txn = state.db.write().await?;
    queries::projects::lock(&*txn, id).await?;
    let current = scope::project(&*txn, &caller, id).await?;
    let applied = projects::apply(&txn, current, &body, false).await?;
    let saved = projects::save(&txn, applied, false).await?;
    txn.commit().await?;
    respond_included(&state, &caller, saved, params.include.as_deref()).await
}

async fn delete_project(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    // Deleting a big project removes millions of rows in one statement.
    let txn = state.db.write_unbounded().await?;
    let project = scope::project(&*txn, &caller, id).await?;
    queries::projects::delete(&*txn, project.id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/projects/validate/`: no authentication, 204 or an unwrapped `{"label_config": [...]}`.
async fn validate_config(JsonBody(body): JsonBody) -> ApiResult<Response> {
    // Every refusal of this route is unwrapped, the serializer's own included.
    let unwrapped = |error: CoreError| match error {
        CoreError::Validation(errors) => ApiError::Raw(StatusCode::BAD_REQUEST, json!(errors)),
        other => other.into(),
    };
    let mut fields = Fields::new(&body).map_err(unwrapped)?;
    let config = fields.string("label_config").unwrap_or_default();
    let given = fields.has("label_config");
    fields.finish().map_err(unwrapped)?;
    if config.trim().is_empty() {
        let message = if given {
            "This field may not be blank."
        } else {
            "This field is required."
        };
        return Err(ApiError::Raw(
            StatusCode::BAD_REQUEST,
            json!({"label_config": [message]}),
        ));
    }
    match LabelConfig::parse(&config) {
        Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(err) => Err(ApiError::Raw(
            StatusCode::BAD_REQUEST,
            json!({"label_config": [err.0]}),
        )),
    }
}

#[derive(Serialize)]
struct ConfigChange {
    config_essential_data_has_changed: Option<bool>,
}

/// `POST /api/projects/{id}/validate/`: strict check against existing annotations.
async fn validate_project_config(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<ConfigChange>> {
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let mut fields = Fields::new(&body)?;
    // A null config is as empty as a missing one.
    let config = match fields.raw("label_config") {
        Some(Value::Null) => String::new(),
        _ => fields.string("label_config").unwrap_or_default(),
    };
    fields.finish()?;
    // Label Studio answers XML that does not parse in `detail`, and every other problem under
    // `non_field_errors` (unlike project writes, which use `label_config`).
    let refused = |message: String| ApiError::field("non_field_errors", message);
    if config.trim().is_empty() {
        return Err(refused("Label config is not set or is empty".into()));
    }
    let parsed = match LabelConfig::parse(&config) {
        Ok(parsed) => parsed,
        Err(ConfigError(message, ConfigProblem::Xml)) => return Err(ApiError::BadRequest(message)),
        Err(ConfigError(message, ConfigProblem::Rules)) => return Err(refused(message)),
    };
    let summary = Summary::load(
        &project.summary_created_annotations,
        &project.summary_created_labels,
    );
    summary.check_config(&parsed, true).map_err(refused)?;
    let changed = LabelConfig::parse(&project.label_config)
        .map_or(true, |old| parsed.essential_change_from(&old));
    Ok(Json(ConfigChange {
        config_essential_data_has_changed: changed.then_some(true),
    }))
}

#[derive(Serialize)]
struct SummaryResponse {
    project: i64,
    created_at: String,
    all_data_columns: Value,
    common_data_columns: Value,
    created_annotations: Value,
    created_labels: Value,
    created_labels_drafts: Value,
}

async fn project_summary(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SummaryResponse>> {
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let parse = |text: &str| serde_json::from_str(text).unwrap_or(Value::Null);
    Ok(Json(SummaryResponse {
        project: project.id,
        created_at: time::format(&project.created_at),
        all_data_columns: parse(&project.summary_all_data_columns),
        common_data_columns: parse(&project.summary_common_data_columns),
        created_annotations: parse(&project.summary_created_annotations),
        created_labels: parse(&project.summary_created_labels),
        created_labels_drafts: json!({}),
    }))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(
        router,
        "/api/projects/",
        get(list_projects).post(create_project),
    );
    let router = slashed(router, "/api/projects/validate/", post(validate_config));
    let router = slashed(router, "/api/projects/counts/", get(project_counts));
    let router = slashed(
        router,
        "/api/projects/{id}/",
        get(get_project)
            .patch(update_project)
            .put(update_project)
            .delete(delete_project),
    );
    let router = slashed(
        router,
        "/api/projects/{id}/validate/",
        post(validate_project_config),
    );
    slashed(router, "/api/projects/{id}/summary/", get(project_summary))
}
