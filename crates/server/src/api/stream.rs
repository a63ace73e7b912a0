//! The labeling stream: `/api/projects/{id}/next` and `/api/projects/{id}/label-stream-history/`.
//! The use cases are `tessera_core::stream`.

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tessera_core::payload::NextTaskOut;
use tessera_core::stream::{self, HistoryOut, NextRequest};

use crate::api::slashed;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::payload::{parse_json, ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Deserialize)]
struct NextParams {
    view: Option<String>,
    query: Option<String>,
}

async fn next(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<NextParams>,
    body: Bytes,
) -> ApiResult<Json<NextTaskOut>> {
    let body = parse_json(&body)?;
    let on_open = state.on_open();
    let request = NextRequest {
        view: params.view.as_deref(),
        query: params.query.as_deref(),
        body: &body,
        lock_ttl: chrono::Duration::seconds(state.config.task_lock_ttl as i64),
        on_open: &on_open,
    };
    Ok(Json(stream::next(&state.db, &caller, id, request).await?))
}

async fn history(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<HistoryOut>>> {
    Ok(Json(stream::history(&state.db, &caller, id).await?))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/api/projects/{id}/next/", get(next));
    slashed(
        router,
        "/api/projects/{id}/label-stream-history/",
        get(history),
    )
}
