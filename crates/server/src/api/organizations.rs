//! The caller's organizations, their members and their invite link: `/api/invite`,
//! `/api/invite/reset-token`, `/api/organizations/`, `/api/organizations/{id}` and its
//! `memberships`, with Label Studio's shapes (`label_studio/organizations/api.py`,
//! `serializers.py`). Soft-deleted members are left out of the list and can no longer act.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tessera_core::accounts;
use tessera_core::fields::{query_bool, Fields};
use tessera_core::invitations::InviteLink;
use tessera_core::roles::Role;
use tessera_core::scope;
use tessera_core::secrets::random_hex;
use tessera_db::entities::organization;
use tessera_db::{queries, time};

use crate::api::pagination::{page_window, Page, PageParams};
use crate::api::users::{user_response, user_responses, UserResponse};
use crate::api::{exact, slashed};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

async fn active_organization(state: &AppState, caller: &Caller) -> ApiResult<organization::Model> {
    queries::organizations::find(state.db.conn(), caller.organization_id)
        .await?
        .ok_or_else(|| ApiError::no_match("Organization"))
}

async fn get_invite(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<InviteLink>> {
    Ok(Json(InviteLink::of(
        active_organization(&state, &caller).await?,
    )))
}

/// A new token: links with the old one stop working.
async fn reset_invite(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(StatusCode, Json<InviteLink>)> {
    let txn = state.db.write().await?;
    queries::organizations::set_token(&*txn, caller.organization_id, &random_hex(20), time::now())
        .await?;
    let organization = queries::organizations::find(&*txn, caller.organization_id)
        .await?
        .ok_or_else(|| ApiError::no_match("Organization"))?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(InviteLink::of(organization))))
}

/// An organization in the list.
#[derive(Serialize)]
struct OrganizationBrief {
    id: i64,
    title: String,
    contact_info: Option<String>,
    created_at: String,
}

async fn list_organizations(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<OrganizationBrief>>> {
    let organizations = queries::organizations::of_user(state.db.conn(), caller.user.id).await?;
    Ok(Json(
        organizations
            .into_iter()
            .map(|o| OrganizationBrief {
                id: o.id,
                title: o.title,
                contact_info: o.contact_info,
                created_at: time::format(&o.created_at),
            })
            .collect(),
    ))
}

/// One organization, with its invite token and members (Label Studio's `OrganizationSerializer`).
#[derive(Serialize)]
struct OrganizationDetail {
    id: i64,
    title: String,
    token: String,
    created_at: String,
    updated_at: String,
    contact_info: Option<String>,
    created_by: Option<i64>,
    users: Vec<i64>,
}

/// An organization the caller is a member of (another's is a 404).
async fn member_organization(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> ApiResult<organization::Model> {
    Ok(caller_membership(state, caller, id).await?.0)
}

/// An organization the caller belongs to, and the projects they see in it (by their role there).
async fn caller_membership(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> ApiResult<(organization::Model, queries::projects::Viewer)> {
    let conn = state.db.conn();
    let member = queries::organizations::membership(conn, id, caller.user.id)
        .await?
        .ok_or_else(|| ApiError::no_match("Organization"))?;
    let organization = queries::organizations::find(conn, id)
        .await?
        .ok_or_else(|| ApiError::no_match("Organization"))?;
    let sees_all = Role::from_code(&member.role).is_some_and(Role::sees_all_projects);
    let viewer = queries::projects::Viewer::member(organization.id, caller.user.id, sees_all);
    Ok((organization, viewer))
}

async fn detail(
    state: &AppState,
    organization: organization::Model,
) -> ApiResult<OrganizationDetail> {
    let users = queries::organizations::member_ids(state.db.conn(), organization.id).await?;
    Ok(OrganizationDetail {
        id: organization.id,
        title: organization.title,
        token: organization.token,
        created_at: time::format(&organization.created_at),
        updated_at: time::format(&organization.updated_at),
        contact_info: organization.contact_info,
        created_by: organization.created_by_id,
        users,
    })
}

async fn get_organization(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OrganizationDetail>> {
    let organization = member_organization(&state, &caller, id).await?;
    Ok(Json(detail(&state, organization).await?))
}

/// PATCH `title` (at most 1000 characters) and `contact_info`.
async fn patch_organization(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<OrganizationDetail>> {
    let organization = member_organization(&state, &caller, id).await?;
    if organization.id != caller.organization_id {
        // The caller's role was checked in their active organization, not in this one.
        return Err(ApiError::Forbidden(
            "You can change only your current active organization".into(),
        ));
    }
    let mut fields = Fields::new(&body)?;
    let title = fields.string("title");
    if title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        fields.error("title", "This field may not be blank.");
    }
    if title.as_deref().is_some_and(|t| t.chars().count() > 1000) {
        fields.error(
            "title",
            "Ensure this field has no more than 1000 characters.",
        );
    }
    let contact_info = fields.nullable_string("contact_info");
    fields.finish()?;
    let txn = state.db.write().await?;
    queries::organizations::update(&*txn, organization.id, title, contact_info, time::now())
        .await?;
    let organization = queries::organizations::find(&*txn, organization.id)
        .await?
        .ok_or_else(|| ApiError::no_match("Organization"))?;
    txn.commit().await?;
    Ok(Json(detail(&state, organization).await?))
}

/// A project a member created or annotated.
#[derive(Serialize)]
struct ProjectInfo {
    id: i64,
    title: String,
}

fn project_infos(projects: Vec<(i64, String)>) -> Vec<ProjectInfo> {
    projects
        .into_iter()
        .map(|(id, title)| ProjectInfo { id, title })
        .collect()
}

/// A membership in the list (`OrganizationMemberListSerializer`); the project lists are filled
/// only with `?contributed_to_projects=1`.
#[derive(Serialize)]
struct MemberOut {
    id: i64,
    organization: i64,
    user: UserResponse,
    created_projects: Option<Vec<ProjectInfo>>,
    contributed_to_projects: Option<Vec<ProjectInfo>>,
    /// Label Studio Enterprise's role code (`OW`, `AD`, `MA`, `RE`, `AN`, `DI`, `NO`).
    role: String,
}

#[derive(Deserialize)]
struct MemberParams {
    #[serde(flatten)]
    page: PageParams,
    contributed_to_projects: Option<String>,
    /// Part of an email, username or name (Label Studio Enterprise's member search).
    search: Option<String>,
    /// Comma-separated role codes.
    role: Option<String>,
}

/// A member's created and contributed projects, among those `viewer` sees, when `wanted`.
async fn project_lists(
    state: &AppState,
    viewer: queries::projects::Viewer,
    user_id: i64,
    wanted: bool,
) -> ApiResult<(Option<Vec<ProjectInfo>>, Option<Vec<ProjectInfo>>)> {
    if !wanted {
        return Ok((None, None));
    }
    let (created, contributed) =
        queries::organizations::member_projects(state.db.conn(), viewer, user_id).await?;
    Ok((
        Some(project_infos(created)),
        Some(project_infos(contributed)),
    ))
}

/// The organization's live members, by username, 20 a page (`page_size=-1`: all of them).
async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<MemberParams>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Json<Page<MemberOut>>> {
    let (organization, viewer) = caller_membership(&state, &caller, id).await?;
    let wanted = query_bool(
        "contributed_to_projects",
        params.contributed_to_projects.as_deref(),
        false,
    )?;
    let mut page_params = params.page;
    if page_params.page_size.as_deref() == Some("-1") {
        page_params.page_size = Some(ALL_MEMBERS.to_string());
    }
    let window = page_window(&page_params, 20, ALL_MEMBERS)?;
    let mut filter = queries::organizations::MemberFilter {
        search: params.search.clone(),
        roles: Vec::new(),
    };
    for code in params
        .role
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let role = Role::from_code(&code.to_uppercase())
            .ok_or_else(|| ApiError::field("role", format!("\"{code}\" is not a valid choice.")))?;
        filter.roles.push(role.code().to_string());
    }
    let (members, count) = queries::organizations::members_page(
        state.db.conn(),
        organization.id,
        &filter,
        window.offset,
        window.limit,
    )
    .await?;
    if members.is_empty() && window.page > 1 {
        return Err(ApiError::NotFound("Invalid page.".into()));
    }
    let (members, users): (Vec<_>, Vec<_>) = members.into_iter().unzip();
    let users = user_responses(&state, users).await?;
    let mut results = Vec::with_capacity(members.len());
    for (member, user) in members.into_iter().zip(users) {
        let (created_projects, contributed_to_projects) =
            project_lists(&state, viewer, user.id, wanted).await?;
        results.push(MemberOut {
            id: member.id,
            organization: organization.id,
            user,
            created_projects,
            contributed_to_projects,
            role: member.role,
        });
    }
    Ok(Json(Page::new(&headers, &uri, window, count, results)))
}

/// `page_size=-1` means every member (Label Studio's "unlimited" page).
const ALL_MEMBERS: u64 = 1_000_000;

/// One membership (`OrganizationMemberSerializer`).
#[derive(Serialize)]
struct MemberDetail {
    user: i64,
    organization: i64,
    contributed_projects_count: i64,
    annotations_count: i64,
    created_at: String,
    created_projects: Option<Vec<ProjectInfo>>,
    contributed_to_projects: Option<Vec<ProjectInfo>>,
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
    let (organization, viewer) = caller_membership(&state, &caller, id).await?;
    let conn = state.db.conn();
    let member = queries::organizations::member(conn, organization.id, user_id)
        .await?
        .ok_or_else(|| ApiError::no_match("OrganizationMember"))?;
    let wanted = query_bool(
        "contributed_to_projects",
        params.contributed_to_projects.as_deref(),
        false,
    )?;
    let (annotations_count, contributed_projects_count) =
        queries::organizations::member_contribution(conn, viewer, user_id).await?;
    let (created_projects, contributed_to_projects) =
        project_lists(&state, viewer, user_id, wanted).await?;
    Ok(Json(MemberDetail {
        user: member.user_id,
        organization: organization.id,
        contributed_projects_count,
        annotations_count,
        created_at: time::format(&member.created_at),
        created_projects,
        contributed_to_projects,
    }))
}

/// Soft-deletes a member of the caller's active organization (never the caller).
async fn delete_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, user_id)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    let organization = member_organization(&state, &caller, id).await?;
    if organization.id != caller.organization_id {
        return Err(ApiError::Forbidden(
            "You can delete members only for your current active organization".into(),
        ));
    }
    let txn = state.db.write().await?;
    let member = queries::organizations::member(&*txn, organization.id, user_id).await?;
    let member = member
        .filter(|m| m.deleted_at.is_none())
        .ok_or_else(|| ApiError::NotFound("Member not found".into()))?;
    if member.user_id == caller.user.id {
        return Err(ApiError::Bare(
            StatusCode::METHOD_NOT_ALLOWED,
            "User cannot soft delete self".into(),
        ));
    }
    let owner = Role::from_code(&member.role) == Some(Role::Owner);
    if Some(member.user_id) == organization.created_by_id || (owner && caller.role != Role::Owner) {
        return Err(ApiError::Forbidden(
            "Only an owner removes an owner, and nobody removes the organization's founder.".into(),
        ));
    }
    accounts::remove_member(&txn, &member, accounts::Orphaned::Kept)
        .await
        .map_err(ApiError::Internal)?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PATCH /api/organizations/{id}/memberships` `{"user_id", "role"}`: changes a member's role
/// (Label Studio Enterprise). Who may is `auth::access`; only an owner grants or removes `OW`;
/// nobody changes their own role or the founder's.
async fn change_role(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<MemberOut>> {
    let organization = member_organization(&state, &caller, id).await?;
    if organization.id != caller.organization_id {
        return Err(ApiError::Forbidden(
            "You can change roles only in your current active organization".into(),
        ));
    }
    let mut fields = Fields::new(&body)?;
    let code = fields.string("role");
    let role = match code.as_deref() {
        None => None,
        Some(code) => match Role::from_code(code) {
            Some(role) => Some(role),
            None => {
                fields.error("role", format!("\"{code}\" is not a valid choice."));
                None
            }
        },
    };
    if !fields.has("role") {
        fields.error("role", "This field is required.");
    }
    fields.finish()?;
    let user_id =
        scope::member_user(state.db.conn(), &caller, body.get("user_id"), "user_id").await?;
    let role = role.expect("validated");
    if user_id == caller.user.id || Some(user_id) == organization.created_by_id {
        return Err(ApiError::Forbidden(
            "This member's role cannot be changed here.".into(),
        ));
    }
    let txn = state.db.write().await?;
    let member = queries::organizations::membership(&*txn, organization.id, user_id)
        .await?
        .ok_or_else(|| ApiError::no_match("OrganizationMember"))?;
    let touches_owner = role == Role::Owner || Role::from_code(&member.role) == Some(Role::Owner);
    if touches_owner && caller.role != Role::Owner {
        return Err(ApiError::Forbidden(
            "Only an owner grants or removes the owner role.".into(),
        ));
    }
    queries::organizations::set_role(&*txn, member.id, role.code(), time::now()).await?;
    if Role::from_code(&member.role) != Some(role) {
        accounts::sign_out_everywhere(&txn, user_id).await?;
    }
    txn.commit().await?;
    let user = queries::users::find(state.db.conn(), user_id)
        .await?
        .ok_or_else(|| ApiError::no_match("User"))?;
    Ok(Json(MemberOut {
        id: member.id,
        organization: organization.id,
        user: user_response(&state, user).await?,
        created_projects: None,
        contributed_to_projects: None,
        role: role.code().to_string(),
    }))
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
