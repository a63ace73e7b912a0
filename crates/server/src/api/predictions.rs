//! `/api/predictions/`: model predictions attached to tasks.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::{IntoActiveModel, Set};
use serde::Deserialize;
use serde_json::Value;
use tessera_core::fields::Fields;
use tessera_core::payload::{prediction_out, PredictionOut};
use tessera_core::predictions::{self, normalize_result};
use tessera_core::projects::config_of;
use tessera_core::scope;
use tessera_db::entities::project;
use tessera_db::queries::predictions::NewPrediction;
use tessera_db::{queries, time};

use crate::api::slashed;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
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
    let conn = state.db.conn();
    let projects = queries::projects::visible_ids(conn, caller.viewer()).await?;
    let rows = queries::predictions::list(
        conn,
        &projects,
        params.task,
        params.project.or(params.task_project),
    )
    .await?;
    let now = time::now();
    Ok(Json(
        rows.into_iter().map(|p| prediction_out(p, &now)).collect(),
    ))
}

/// Reads and normalizes `result` against the project's config.
fn read_result(fields: &mut Fields, project: &project::Model) -> Option<Value> {
    let raw = fields.raw("result")?.clone();
    let config = config_of(project);
    match normalize_result(config.as_ref(), &raw) {
        Ok(value) => Some(value.unwrap_or(Value::Null)),
        Err(message) => {
            fields.error("result", message);
            None
        }
    }
}

async fn create_prediction(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<PredictionOut>)> {
    let txn = state.db.write().await?;
    let mut fields = Fields::new(&body)?;
    for required in ["result", "task"] {
        if !fields.has(required) {
            fields.error(required, "This field is required.");
        }
    }
    let task_id = fields.primary_key("task");
    // Stored by Label Studio's serializer, unused by Tessera; checked all the same.
    fields.nullable_integer("cluster");
    fields.nullable_float("mislabeling");
    if let Some(Some(id)) = fields.nullable_primary_key("project") {
        if queries::projects::find(&*txn, caller.viewer(), id)
            .await?
            .is_none()
        {
            fields.missing("project", id);
        }
    }
    let task = match task_id {
        Some(id) => queries::tasks::find(&*txn, id).await?,
        None => None,
    };
    let project = match &task {
        Some(task) => queries::projects::find(&*txn, caller.viewer(), task.project_id).await?,
        None => None,
    };
    let (Some(task), Some(project)) = (task, project) else {
        if let Some(id) = task_id {
            fields.missing("task", id);
        }
        fields.finish()?;
        return Err(ApiError::field("task", "This field is required."));
    };
    let result = read_result(&mut fields, &project);
    let score = fields.nullable_float("score").flatten();
    let model_version = fields.nullable_string("model_version").flatten();
    fields.finish()?;
    let new = NewPrediction {
        task_id: task.id,
        result: result.unwrap_or(Value::Null).to_string(),
        model_version: model_version.unwrap_or_else(|| project.model_version.clone()),
        score,
    };
    let saved = predictions::add(&*txn, &project, new).await?;
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
    let (prediction, _) = scope::prediction(state.db.conn(), &caller, id).await?;
    Ok(Json(prediction_out(prediction, &time::now())))
}

async fn update_prediction(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<PredictionOut>> {
    let txn = state.db.write().await?;
    let (current, project) = scope::prediction(&*txn, &caller, id).await?;
    let mut fields = Fields::new(&body)?;
    let result = read_result(&mut fields, &project);
    let score = fields.nullable_float("score");
    let model_version = fields.string("model_version");
    fields.finish()?;
    let mut active = current.into_active_model();
    if let Some(result) = result {
        active.result = Set(result.to_string());
    }
    if let Some(score) = score {
        active.score = Set(score);
    }
    if let Some(version) = model_version {
        active.model_version = Set(version);
    }
    active.updated_at = Set(time::now());
    let saved = queries::predictions::update(&*txn, active).await?;
    txn.commit().await?;
    Ok(Json(prediction_out(saved, &time::now())))
}

async fn delete_prediction(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let txn = state.db.write().await?;
    let (current, project) = scope::prediction(&*txn, &caller, id).await?;
    predictions::remove(&*txn, &project, &current).await?;
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
