//! The labels manager (Label Studio's `labels_manager`): `/api/labels/` (an organization's
//! labels, created in bulk with their project links), `/api/label_links/` (which project control
//! a label belongs to) and `POST /api/labels/bulk` (renaming a label in saved annotations). The
//! use cases are `tessera_core::labels`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tessera_core::labels::{self, CreatedLabelOut, LabelOut, LinkOut};

use crate::api::pagination::{page_window, Page, PageParams};
use crate::api::{exact, slashed};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

async fn list_labels(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Json<Page<LabelOut>>> {
    let window = page_window(&page, 100, 1000)?;
    let (labels, count) = labels::page(&state.db, &caller, window.offset, window.limit).await?;
    Ok(Json(Page::filled(&headers, &uri, window, count, labels)?))
}

async fn create_labels(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Vec<CreatedLabelOut>>)> {
    let created = labels::create_many(&state.db, &caller, &body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn get_label(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<LabelOut>> {
    Ok(Json(labels::get(&state.db, &caller, id).await?))
}

async fn update_label(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<LabelOut>> {
    Ok(Json(labels::update(&state.db, &caller, id, &body).await?))
}

async fn delete_label(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    labels::delete(&state.db, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct LinkParams {
    #[serde(flatten)]
    page: PageParams,
    project: Option<String>,
}

async fn list_links(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<LinkParams>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Json<Page<LinkOut>>> {
    let window = page_window(&params.page, 100, 1000)?;
    let (links, count) = labels::links_page(
        &state.db,
        &caller,
        params.project.as_deref(),
        window.offset,
        window.limit,
    )
    .await?;
    Ok(Json(Page::filled(&headers, &uri, window, count, links)?))
}

async fn create_link(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<LinkOut>)> {
    let link = labels::create_link(&state.db, &caller, &body).await?;
    Ok((StatusCode::CREATED, Json(link)))
}

async fn get_link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<LinkOut>> {
    Ok(Json(labels::get_link(&state.db, &caller, id).await?))
}

async fn update_link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<LinkOut>> {
    Ok(Json(
        labels::update_link(&state.db, &caller, id, &body).await?,
    ))
}

async fn delete_link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    labels::delete_link(&state.db, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct BulkOut {
    annotations_updated: u64,
}

/// `POST /api/labels/bulk` (`{project, old_label, new_label}`).
async fn bulk_update(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<BulkOut>> {
    let annotations_updated = labels::rename_in_annotations(&state.db, &caller, &body).await?;
    Ok(Json(BulkOut {
        annotations_updated,
    }))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/api/labels/", get(list_labels).post(create_labels));
    let router = exact(router, "/api/labels/bulk", post(bulk_update));
    let router = slashed(
        router,
        "/api/labels/{id}/",
        get(get_label).patch(update_label).delete(delete_label),
    );
    let router = slashed(
        router,
        "/api/label_links/",
        get(list_links).post(create_link),
    );
    slashed(
        router,
        "/api/label_links/{id}/",
        get(get_link).patch(update_link).delete(delete_link),
    )
}
