//! `/api/predictions/`: model predictions attached to tasks.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tessera_core::payload::{prediction_out, PredictionOut};
use tessera_core::predictions;
use tessera_db::time;

use crate::api::slashed;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

#[derive(Deserialize)]
struct ListParams {
    task: Option<i64>,
    project: Option<i64>,
    #[serde(rename = "task__project")]
    task_project: Option<i64>,
}

async fn list_predictions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<PredictionOut>>> {
    let project = params.project.or(params.task_project);
    Ok(Json(
        predictions::list(&state.db, &caller, params.task, project).await?,
    ))
}

async fn create_prediction(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<PredictionOut>)> {
    let txn = state.db.write().await?;
    let saved = predictions::create(&*txn, &caller, &body).await?;
    txn.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(prediction_out(saved, &time::now())),
    ))
}

async fn get_prediction(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PredictionOut>> {
    Ok(Json(predictions::get(&state.db, &caller, id).await?))
}

async fn update_prediction(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<PredictionOut>> {
    let txn = state.db.write().await?;
    let saved = predictions::update(&*txn, &caller, id, &body).await?;
    txn.commit().await?;
    Ok(Json(prediction_out(saved, &time::now())))
}

async fn delete_prediction(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let txn = state.db.write().await?;
    predictions::delete(&*txn, &caller, id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(
        router,
        "/api/predictions/",
        get(list_predictions).post(create_prediction),
    );
    slashed(
        router,
        "/api/predictions/{id}/",
        get(get_prediction)
            .patch(update_prediction)
            .put(update_prediction)
            .delete(delete_prediction),
    )
}
