//! `/api/tasks/{id}/annotations/` and `/api/annotations/{id}/`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tessera_core::annotations;
use tessera_core::fields::query_bool;
use tessera_core::payload::AnnotationOut;

use crate::api::slashed;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

#[derive(Deserialize)]
struct CreateParams {
    was_cancelled: Option<String>,
}

async fn list_task_annotations(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(task_id): ApiPath<i64>,
) -> ApiResult<Json<Vec<AnnotationOut>>> {
    Ok(Json(
        annotations::of_task(&state.db, &caller, task_id).await?,
    ))
}

async fn create_annotation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(task_id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<CreateParams>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<AnnotationOut>)> {
    let cancelled = query_bool("was_cancelled", params.was_cancelled.as_deref(), false)?;
    let txn = state.db.write().await?;
    let saved = annotations::create(&txn, &caller, task_id, &body, cancelled).await?;
    txn.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(annotations::render(state.db.conn(), saved).await?),
    ))
}

async fn get_annotation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AnnotationOut>> {
    Ok(Json(annotations::get(&state.db, &caller, id).await?))
}

async fn update_annotation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<AnnotationOut>> {
    let txn = state.db.write().await?;
    let saved = annotations::update(&txn, &caller, id, &body).await?;
    txn.commit().await?;
    Ok(Json(annotations::render(state.db.conn(), saved).await?))
}

async fn delete_annotation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let txn = state.db.write().await?;
    annotations::delete(&txn, &caller, id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(
        router,
        "/api/tasks/{id}/annotations/",
        get(list_task_annotations).post(create_annotation),
    );
    slashed(
        router,
        "/api/annotations/{id}/",
        get(get_annotation)
            .patch(update_annotation)
            .put(update_annotation)
            .delete(delete_annotation),
    )
}
