//! `/api/dm/views/`: saved Data Manager tabs. The use cases are `tessera_core::views`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tessera_core::views::{self, Change, ViewOut};

use crate::api::slashed;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

#[derive(Deserialize)]
struct ProjectParam {
    project: Option<String>,
}

async fn list_views(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ProjectParam>,
) -> ApiResult<Json<Vec<ViewOut>>> {
    let views = views::list(&state.db, &caller, params.project.as_deref()).await?;
    Ok(Json(views))
}

async fn create_view(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<ViewOut>)> {
    let view = views::create(&state.db, &caller, &body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn get_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ViewOut>> {
    Ok(Json(views::get(&state.db, &caller, id).await?))
}

async fn put_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<ViewOut>> {
    let view = views::update(&state.db, &caller, id, &body, Change::Put).await?;
    Ok(Json(view))
}

async fn patch_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<ViewOut>> {
    let view = views::update(&state.db, &caller, id, &body, Change::Patch).await?;
    Ok(Json(view))
}

async fn delete_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    views::delete(&state.db, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reset_views(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ProjectParam>,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    views::reset(&state.db, &caller, &body, params.project.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn order_views(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    views::set_order(&state.db, &caller, &body).await?;
    Ok(StatusCode::OK)
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/api/dm/views/", get(list_views).post(create_view));
    let router = slashed(router, "/api/dm/views/reset/", delete(reset_views));
    let router = slashed(router, "/api/dm/views/order/", post(order_views));
    slashed(
        router,
        "/api/dm/views/{id}/",
        get(get_view)
            .put(put_view)
            .patch(patch_view)
            .delete(delete_view),
    )
}
