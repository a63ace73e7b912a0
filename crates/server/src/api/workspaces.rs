//! `/api/workspaces/`: named groups of an organization's projects and people (Label Studio
//! Enterprise), with their members (`/memberships/`) and projects (`/projects/`). The use cases
//! are `tessera_core::workspaces`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tessera_core::payload::ProjectResponse;
use tessera_core::workspaces::{self, ListQuery, MemberCreated, MemberOut, Move, WorkspaceOut};

use crate::api::slashed;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

#[derive(Deserialize)]
struct ListParams {
    is_personal: Option<String>,
    is_archived: Option<String>,
    include_all_workspaces: Option<String>,
}

async fn list_workspaces(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<WorkspaceOut>>> {
    let query = ListQuery {
        is_personal: params.is_personal.as_deref(),
        is_archived: params.is_archived.as_deref(),
        include_all_workspaces: params.include_all_workspaces.as_deref(),
    };
    Ok(Json(workspaces::list(&state.db, &caller, &query).await?))
}

async fn create_workspace(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<WorkspaceOut>)> {
    let created = workspaces::create(&state.db, &caller, &body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn get_workspace(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WorkspaceOut>> {
    Ok(Json(workspaces::get(&state.db, &caller, id).await?))
}

async fn update_workspace(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<WorkspaceOut>> {
    Ok(Json(
        workspaces::update(&state.db, &caller, id, &body).await?,
    ))
}

async fn delete_workspace(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    workspaces::delete(&state.db, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<MemberOut>>> {
    Ok(Json(workspaces::members(&state.db, &caller, id).await?))
}

async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<MemberCreated>)> {
    let added = workspaces::add_member(&state.db, &caller, id, &body).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[derive(Deserialize)]
struct RemoveParams {
    user_id: Option<String>,
}

async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<RemoveParams>,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    workspaces::remove_member(&state.db, &caller, id, params.user_id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_projects(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<ProjectResponse>>> {
    Ok(Json(workspaces::projects(&state.db, &caller, id).await?))
}

async fn add_project(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    workspaces::move_project(&state.db, &caller, id, &body, Move::In).await?;
    Ok(StatusCode::CREATED)
}

async fn remove_project(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    workspaces::move_project(&state.db, &caller, id, &body, Move::Out).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(
        router,
        "/api/workspaces/",
        get(list_workspaces).post(create_workspace),
    );
    let router = slashed(
        router,
        "/api/workspaces/{id}/",
        get(get_workspace)
            .patch(update_workspace)
            .delete(delete_workspace),
    );
    let router = slashed(
        router,
        "/api/workspaces/{id}/memberships/",
        get(list_members).post(add_member).delete(remove_member),
    );
    slashed(
        router,
        "/api/workspaces/{id}/projects/",
        get(list_projects).post(add_project).delete(remove_project),
    )
}
