//! The Data Manager's project-level routes: `/api/dm/columns/` (the task table's columns) and
//! `/api/dm/project/` (the project with the manager's capabilities). The use cases are
//! `tessera_core::dm_project`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_core::dm_project::{self, DmProject};

use crate::api::slashed;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::payload::ApiQuery;
use crate::state::AppState;

#[derive(Deserialize)]
struct ProjectParam {
    project: Option<String>,
}

#[derive(Serialize)]
struct Columns {
    columns: Vec<Value>,
}

async fn columns(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ProjectParam>,
) -> ApiResult<Json<Columns>> {
    let columns = dm_project::columns(&state.db, &caller, params.project.as_deref()).await?;
    Ok(Json(Columns { columns }))
}

async fn dm_project(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ProjectParam>,
) -> ApiResult<Json<DmProject>> {
    Ok(Json(
        dm_project::project(&state.db, &caller, params.project.as_deref()).await?,
    ))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/api/dm/columns/", get(columns));
    slashed(router, "/api/dm/project/", get(dm_project))
}
