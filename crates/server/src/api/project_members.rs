//! `/api/projects/{id}/members/`: people added to a project (Label Studio Enterprise), the last
//! step of the seed's invite flow.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tessera_core::fields::Fields;
use tessera_core::scope;
use tessera_core::users::UserOut;
use tessera_db::{queries, time};

use crate::api::pagination::{page_window, Page, PageParams};
use crate::api::slashed;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
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
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let (users, _) = queries::project_members::page(state.db.conn(), project.id, 0, None).await?;
    Ok(Json(
        users.into_iter().map(|user| MemberRef { user }).collect(),
    ))
}

async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<MemberRef>)> {
    Fields::new(&body)?;
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let user = scope::member_user(state.db.conn(), &caller, body.get("user"), "user").await?;
    let txn = state.db.write().await?;
    queries::project_members::add(&*txn, project.id, user, time::now()).await?;
    txn.commit().await?;
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
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let user = scope::named_member(
        state.db.conn(),
        &caller,
        params.user,
        &body,
        &["user"],
        "user",
    )
    .await?;
    let txn = state.db.write().await?;
    let removed = queries::project_members::remove(&*txn, project.id, user).await?;
    txn.commit().await?;
    if removed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(
            "The user is not a member of this project.".into(),
        ))
    }
}

/// A member in the paginated list: the user, and whether membership comes only from elsewhere
/// (always false: members listed here were added to the project).
#[derive(Serialize)]
struct PagedMember {
    #[serde(flatten)]
    user: UserOut,
    implicit_member: bool,
}

async fn paginated_members(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<PageParams>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Json<Page<PagedMember>>> {
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let window = page_window(&params, 100, 1000)?;
    // A page past the end is empty rather than a 404: the SDK's pager for this route asks for
    // pages until one comes back empty.
    let (ids, count) = queries::project_members::page(
        state.db.conn(),
        project.id,
        window.offset,
        Some(window.limit),
    )
    .await?;
    let mut users = queries::users::find_many(state.db.conn(), &ids).await?;
    users.sort_by_key(|u| u.id);
    let results = tessera_core::users::render(state.db.conn(), users)
        .await?
        .into_iter()
        .map(|user| PagedMember {
            user,
            implicit_member: false,
        })
        .collect();
    Ok(Json(Page::new(&headers, &uri, window, count, results)))
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
