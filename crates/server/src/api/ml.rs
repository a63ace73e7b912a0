//! Machine-learning backends (Label Studio's `ml` app): `/api/ml/` (list with `?project=`,
//! create) and, without trailing slashes as Label Studio routes them, `/api/ml/{id}` (get,
//! PATCH/PUT, delete), `/train`, `/predict/test`, `/interactive-annotating` and `/versions`; and
//! a project's `/api/projects/{id}/model-versions/`. The use cases are `tessera_core::ml`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::fields::query_bool;
use tessera_core::ml::{self, MlOut};

use crate::api::{exact, slashed};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

#[derive(Deserialize)]
struct ListParams {
    project: Option<String>,
    is_interactive: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<MlOut>>> {
    let interactive = match params.is_interactive.as_deref() {
        None | Some("") => None,
        Some(text) => Some(query_bool("is_interactive", Some(text), false)?),
    };
    let env = state.ml_env();
    let listed = ml::list(
        &state.db,
        &env,
        &caller,
        params.project.as_deref(),
        interactive,
    )
    .await?;
    Ok(Json(listed))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<MlOut>)> {
    let env = state.ml_env();
    let created = ml::create(&state.db, &env, &caller, &body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<MlOut>> {
    let env = state.ml_env();
    Ok(Json(ml::get(&state.db, &env, &caller, id).await?))
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<MlOut>> {
    let env = state.ml_env();
    Ok(Json(ml::update(&state.db, &env, &caller, id, &body).await?))
}

async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    ml::delete(&state.db, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Label Studio answers 200 with an empty body; the backend's state tells how it went.
async fn train(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let env = state.ml_env();
    ml::train(&state.db, &env, &caller, id).await?;
    Ok(StatusCode::OK)
}

#[derive(Deserialize)]
struct TestParams {
    random: Option<String>,
}

/// Only `?random=true` is implemented, in Label Studio as here (a 501 otherwise).
async fn predict_test(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<TestParams>,
) -> ApiResult<Response> {
    let random = query_bool("random", params.random.as_deref(), false)?;
    let env = state.ml_env();
    Ok(
        match ml::predict_test(&state.db, &env, &caller, id, random).await? {
            Some(tested) => Json(tested).into_response(),
            None => {
                let refusal = json!({"error": "Not implemented - you must provide random=true query parameter"});
                (StatusCode::NOT_IMPLEMENTED, Json(refusal)).into_response()
            }
        },
    )
}

async fn interactive(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let env = state.ml_env();
    Ok(Json(
        ml::interactive(&state.db, &env, &caller, id, &body).await?,
    ))
}

async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let env = state.ml_env();
    let (status, body) = ml::versions(&state.db, &env, &caller, id).await?;
    // A model server's odd status (below 100) reads as a failure to reach it.
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    Ok((status, Json(body)).into_response())
}

#[derive(Deserialize)]
struct ModelVersionsParams {
    extended: Option<String>,
    include_live_models: Option<String>,
    limit: Option<String>,
}

/// `GET /api/projects/{id}/model-versions/`: the project's prediction versions with counts.
async fn model_versions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<ModelVersionsParams>,
) -> ApiResult<Json<Value>> {
    let query = ml::model_versions::VersionsQuery {
        extended: params.extended.as_deref(),
        include_live_models: params.include_live_models.as_deref(),
        limit: params.limit.as_deref(),
    };
    Ok(Json(
        ml::model_versions::list(&state.db, &caller, id, query).await?,
    ))
}

/// `DELETE /api/projects/{id}/model-versions/` (`{"model_version": ...}`): that version's
/// predictions go.
async fn delete_model_version(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        ml::model_versions::delete(&state.db, &caller, id, &body).await?,
    ))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/api/ml/", get(list).post(create));
    let router = exact(
        router,
        "/api/ml/{id}",
        get(get_one).patch(update).put(update).delete(delete),
    );
    let router = exact(router, "/api/ml/{id}/train", post(train));
    let router = exact(router, "/api/ml/{id}/predict/test", post(predict_test));
    let router = exact(
        router,
        "/api/ml/{id}/interactive-annotating",
        post(interactive),
    );
    let router = exact(router, "/api/ml/{id}/versions", get(versions));
    slashed(
        router,
        "/api/projects/{id}/model-versions/",
        get(model_versions).delete(delete_model_version),
    )
}
