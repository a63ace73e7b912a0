//! The caller's organizations, their members and their invite link: `/api/invite`,
//! `/api/invite/reset-token`, `/api/organizations/`, `/api/organizations/{id}` and its
//! `memberships`. The use cases are `tessera_core::organizations`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tessera_core::invitations::InviteLink;
use tessera_core::organizations::{
    self, MemberDetail, MemberOut, MemberQuery, OrganizationBrief, OrganizationDetail, Removal,
};

use crate::api::pagination::{page_window, Page, PageParams};
use crate::api::{exact, slashed};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

async fn get_invite(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<InviteLink>> {
    Ok(Json(organizations::invite_link(&state.db, &caller).await?))
}

async fn reset_invite(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(StatusCode, Json<InviteLink>)> {
    let link = organizations::reset_invite(&state.db, &caller).await?;
    Ok((StatusCode::CREATED, Json(link)))
}

async fn list_organizations(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<OrganizationBrief>>> {
    Ok(Json(organizations::list(&state.db, &caller).await?))
}

async fn get_organization(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OrganizationDetail>> {
    Ok(Json(organizations::get(&state.db, &caller, id).await?))
}

async fn patch_organization(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<OrganizationDetail>> {
    let organization = organizations::update(&state.db, &caller, id, &body).await?;
    Ok(Json(organization))
}

#[derive(Deserialize)]
struct MemberParams {
    #[serde(flatten)]
    page: PageParams,
    contributed_to_projects: Option<String>,
    search: Option<String>,
    role: Option<String>,
}

/// `page_size=-1` means every member (Label Studio's "unlimited" page).
const ALL_MEMBERS: u64 = 1_000_000;

/// The organization's live members, by username, 20 a page (`page_size=-1`: all of them).
async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<MemberParams>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Json<Page<MemberOut>>> {
    let mut page_params = params.page;
    if page_params.page_size.as_deref() == Some("-1") {
        page_params.page_size = Some(ALL_MEMBERS.to_string());
    }
    let window = page_window(&page_params, 20, ALL_MEMBERS)?;
    let query = MemberQuery {
        with_projects: params.contributed_to_projects.as_deref(),
        search: params.search.as_deref(),
        roles: params.role.as_deref(),
    };
    let (members, count) =
        organizations::members_page(&state.db, &caller, id, &query, window.offset, window.limit)
            .await?;
    Ok(Json(Page::filled(&headers, &uri, window, count, members)?))
}

#[derive(Deserialize)]
struct DetailParams {
    contributed_to_projects: Option<String>,
}

async fn get_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, user_id)): ApiPath<(i64, i64)>,
    ApiQuery(params): ApiQuery<DetailParams>,
) -> ApiResult<Json<MemberDetail>> {
    let member = organizations::member(
        &state.db,
        &caller,
        id,
        user_id,
        params.contributed_to_projects.as_deref(),
    )
    .await?;
    Ok(Json(member))
}

async fn delete_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, user_id)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    match organizations::remove_member(&state.db, &caller, id, user_id).await? {
        Removal::Removed => Ok(StatusCode::NO_CONTENT),
        Removal::RefusedSelf => Err(ApiError::Bare(
            StatusCode::METHOD_NOT_ALLOWED,
            "User cannot soft delete self".into(),
        )),
    }
}

/// `PATCH /api/organizations/{id}/memberships` `{"user_id", "role"}`: who may is `auth::access`.
async fn change_role(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<MemberOut>> {
    Ok(Json(
        organizations::change_role(&state.db, &caller, id, &body).await?,
    ))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = exact(
        router,
        "/api/organizations/{id}/memberships",
        get(list_members).patch(change_role),
    );
    let router = slashed(
        router,
        "/api/organizations/{id}/memberships/{user_id}/",
        get(get_member).delete(delete_member),
    );
    let router = exact(router, "/api/invite", get(get_invite));
    let router = exact(router, "/api/invite/reset-token", post(reset_invite));
    let router = slashed(router, "/api/organizations/", get(list_organizations));
    exact(
        router,
        "/api/organizations/{id}",
        get(get_organization).patch(patch_organization),
    )
}
