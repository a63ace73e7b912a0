//! Webhooks (Label Studio's `webhooks` app): `/api/webhooks/` (list with `?project=`, create),
//! `/api/webhooks/{id}/` (get, PUT and PATCH alike, delete), `/api/webhooks/info/` (the actions,
//! for anyone), and Tessera's delivery log `/api/webhooks/{id}/deliveries/`. The use cases are
//! `tessera_core::webhooks`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value};
use tessera_core::webhooks::{self, DeliveryOut, WebhookOut};

use crate::api::slashed;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

#[derive(Deserialize)]
struct ListParams {
    project: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<WebhookOut>>> {
    Ok(Json(
        webhooks::list(&state.db, &caller, params.project.as_deref()).await?,
    ))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<WebhookOut>)> {
    let created = webhooks::create(&state.db, &state.webhooks, &caller, &body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WebhookOut>> {
    Ok(Json(webhooks::get(&state.db, &caller, id).await?))
}

async fn update(
    state: &AppState,
    caller: &Caller,
    id: i64,
    body: &serde_json::Value,
    replace: bool,
) -> ApiResult<Json<WebhookOut>> {
    Ok(Json(
        webhooks::update(&state.db, &state.webhooks, caller, id, body, replace).await?,
    ))
}

async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<WebhookOut>> {
    update(&state, &caller, id, &body, false).await
}

async fn put(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<WebhookOut>> {
    update(&state, &caller, id, &body, true).await
}

async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    webhooks::delete(&state.db, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct InfoParams {
    #[serde(rename = "organization-only")]
    organization_only: Option<String>,
}

/// Label Studio reads the parameter as `== 'true'`: any other value means "not only".
async fn info(ApiQuery(params): ApiQuery<InfoParams>) -> ApiResult<Json<Map<String, Value>>> {
    let only = params.organization_only.map(|text| text == "true");
    Ok(Json(webhooks::info(only)))
}

async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<DeliveryOut>>> {
    Ok(Json(webhooks::deliveries(&state.db, &caller, id).await?))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/api/webhooks/", get(list).post(create));
    let router = slashed(router, "/api/webhooks/info/", get(info));
    let router = slashed(
        router,
        "/api/webhooks/{id}/",
        get(get_one).put(put).patch(patch).delete(delete),
    );
    slashed(router, "/api/webhooks/{id}/deliveries/", get(deliveries))
}
