//! `/api/projects/{id}/members/`: people added to a project (Label Studio Enterprise). The use
//! cases are `tessera_core::project_members`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tessera_core::project_members::{self, PagedMember};

use crate::api::pagination::{page_window, Page, PageParams};
use crate::api::slashed;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

/// A project member as the add and list answers show it.
#[derive(Serialize)]
struct MemberRef {
    user: i64,
}

async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<MemberRef>>> {
    let ids = project_members::ids(&state.db, &caller, id).await?;
    Ok(Json(
        ids.into_iter().map(|user| MemberRef { user }).collect(),
    ))
}

async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<MemberRef>)> {
    let user = project_members::add(&state.db, &caller, id, &body).await?;
    Ok((StatusCode::CREATED, Json(MemberRef { user })))
}

#[derive(Deserialize)]
struct RemoveParams {
    user: Option<String>,
}

/// Removes the member named by `?user=` (or `user` in the body).
async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<RemoveParams>,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    project_members::remove(&state.db, &caller, id, params.user, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn paginated_members(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<PageParams>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Json<Page<PagedMember>>> {
    let window = page_window(&params, 100, 1000)?;
    let (members, count) =
        project_members::page(&state.db, &caller, id, window.offset, window.limit).await?;
    Ok(Json(Page::new(&headers, &uri, window, count, members)))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(
        router,
        "/api/projects/{id}/members/",
        get(list_members).post(add_member).delete(remove_member),
    );
    slashed(
        router,
        "/api/projects/{id}/members/paginated/",
        get(paginated_members),
    )
}
