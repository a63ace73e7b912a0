//! `/api/projects/`: list, create, get, update, delete, config validation and summary. The use
//! cases are `tessera_core::projects`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tessera_core::payload::ProjectResponse;
use tessera_core::projects::{self, ListQuery, Listing, SummaryOut};
use tessera_core::CoreError;

use crate::api::pagination::{page_window, Page, PageParams};
use crate::api::slashed;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

#[derive(Deserialize)]
struct ListParams {
    ids: Option<String>,
    title: Option<String>,
    filter: Option<String>,
    ordering: Option<String>,
    include: Option<String>,
}

impl ListParams {
    fn query(&self) -> ListQuery<'_> {
        ListQuery {
            ids: self.ids.as_deref(),
            title: self.title.as_deref(),
            filter: self.filter.as_deref(),
            ordering: self.ordering.as_deref(),
            include: self.include.as_deref(),
        }
    }
}

/// A page of the project list, as `listing` shows each project.
async fn list(
    state: &AppState,
    caller: &Caller,
    page: &PageParams,
    params: &ListParams,
    listing: Listing,
    (headers, uri): (&HeaderMap, &Uri),
) -> ApiResult<Json<Page<Value>>> {
    let window = page_window(page, 30, 100)?;
    let query = params.query();
    let (results, count) = projects::page(
        &state.db,
        caller,
        &query,
        listing,
        window.offset,
        window.limit,
    )
    .await?;
    Ok(Json(Page::filled(headers, uri, window, count, results)?))
}

async fn list_projects(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<Value>>> {
    let request = (&headers, &uri);
    list(&state, &caller, &page, &params, Listing::Projects, request).await
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
    let request = (&headers, &uri);
    list(&state, &caller, &page, &params, Listing::Counts, request).await
}

async fn create_project(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<ProjectResponse>)> {
    let project = projects::create(&state.db, &caller, &body).await?;
    Ok((StatusCode::CREATED, Json(project)))
}

#[derive(Deserialize)]
struct IncludeParam {
    include: Option<String>,
}

/// A project; `include=` narrows the fields as on the list (a Tessera extension, also on PATCH).
async fn get_project(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<IncludeParam>,
) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, &caller, id, params.include.as_deref()).await?;
    Ok(Json(project))
}

async fn update_project(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<IncludeParam>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let project =
        projects::update(&state.db, &caller, id, &body, params.include.as_deref()).await?;
    Ok(Json(project))
}

async fn delete_project(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    projects::delete(&state.db, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/projects/validate/`: no authentication, 204 or an unwrapped `{"label_config": [...]}`
/// (every refusal of this route is unwrapped, the serializer's own included).
async fn validate_config(JsonBody(body): JsonBody) -> ApiResult<StatusCode> {
    match projects::validate_config(&body) {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(CoreError::Validation(errors)) => {
            Err(ApiError::Raw(StatusCode::BAD_REQUEST, json!(errors)))
        }
        Err(other) => Err(other.into()),
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
    let changed = projects::validate_against(&state.db, &caller, id, &body).await?;
    Ok(Json(ConfigChange {
        config_essential_data_has_changed: changed.then_some(true),
    }))
}

async fn project_summary(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SummaryOut>> {
    Ok(Json(projects::summary(&state.db, &caller, id).await?))
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
