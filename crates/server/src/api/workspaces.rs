//! `/api/workspaces/`: named groups of an organization's projects and people (Label Studio
//! Enterprise), with their members (`/memberships/`) and projects (`/projects/`). A personal
//! workspace is listed only to its creator.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_core::fields::{query_bool, Fields};
use tessera_core::payload::{Counters, ProjectResponse};
use tessera_core::scope;
use tessera_core::users::UserOut;
use tessera_db::entities::workspace;
use tessera_db::queries::workspaces::{ListFilter, WorkspaceFields};
use tessera_db::{queries, time};

use crate::api::projects::respond_all;
use crate::api::slashed;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

/// A workspace as the API shows it.
#[derive(Serialize)]
struct WorkspaceOut {
    id: i64,
    title: String,
    description: String,
    color: String,
    is_personal: bool,
    is_archived: bool,
    created_by: Option<i64>,
    projects_count: u64,
}

fn workspace_out(w: workspace::Model, projects_count: u64) -> WorkspaceOut {
    WorkspaceOut {
        id: w.id,
        title: w.title,
        description: w.description,
        color: w.color,
        is_personal: w.is_personal,
        is_archived: w.is_archived,
        created_by: w.created_by_id,
        projects_count,
    }
}

async fn render(state: &AppState, w: workspace::Model) -> ApiResult<WorkspaceOut> {
    let projects_count = queries::workspaces::project_count(state.db.conn(), w.id).await?;
    Ok(workspace_out(w, projects_count))
}

/// A workspace of the caller's organization they may see: any shared one for owners and
/// administrators, else one they created or belong to (others are a 404, like another user's
/// personal workspace).
async fn visible(state: &AppState, caller: &Caller, id: i64) -> ApiResult<workspace::Model> {
    let conn = state.db.conn();
    let found = queries::workspaces::find(conn, caller.organization_id, id).await?;
    let found = found
        .filter(|w| !w.is_personal || w.created_by_id == Some(caller.user.id))
        .ok_or_else(|| ApiError::no_match("Workspace"))?;
    if caller.role.sees_all_projects() || found.created_by_id == Some(caller.user.id) {
        return Ok(found);
    }
    if queries::workspaces::member_ids(conn, found.id)
        .await?
        .contains(&caller.user.id)
    {
        return Ok(found);
    }
    Err(ApiError::no_match("Workspace"))
}

#[derive(Deserialize)]
struct ListParams {
    is_personal: Option<String>,
    is_archived: Option<String>,
    include_all_workspaces: Option<String>,
}

fn optional_bool(name: &str, value: Option<&str>) -> ApiResult<Option<bool>> {
    match value {
        None | Some("") => Ok(None),
        Some(text) => Ok(Some(query_bool(name, Some(text), false)?)),
    }
}

async fn list_workspaces(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<WorkspaceOut>>> {
    let filter = ListFilter {
        is_personal: optional_bool("is_personal", params.is_personal.as_deref())?,
        is_archived: optional_bool("is_archived", params.is_archived.as_deref())?,
        // Other people's personal workspaces are for owners and administrators only.
        everyone: query_bool(
            "include_all_workspaces",
            params.include_all_workspaces.as_deref(),
            false,
        )? && caller.role.sees_all_projects(),
        member_only: !caller.role.sees_all_projects(),
    };
    let listed = queries::workspaces::list(
        state.db.conn(),
        caller.organization_id,
        caller.user.id,
        &filter,
    )
    .await?;
    let counts = queries::workspaces::project_counts(
        state.db.conn(),
        &listed.iter().map(|w| w.id).collect::<Vec<_>>(),
    )
    .await?;
    let out = listed.into_iter().map(|w| {
        let projects_count = counts.get(&w.id).copied().unwrap_or(0);
        workspace_out(w, projects_count)
    });
    Ok(Json(out.collect()))
}

/// Reads a create (all fields) or update (`current` given) body.
fn read_fields(body: &Value, current: Option<&workspace::Model>) -> ApiResult<WorkspaceFields> {
    let mut fields = Fields::new(body)?;
    let title = fields.string("title");
    match &title {
        None if current.is_none() => fields.error("title", "This field is required."),
        Some(t) if t.trim().is_empty() => fields.error("title", "This field may not be blank."),
        Some(t) if t.chars().count() > 1000 => fields.error(
            "title",
            "Ensure this field has no more than 1000 characters.",
        ),
        _ => {}
    }
    let description = fields.nullable_string("description");
    let color = fields.bounded_string("color", 16);
    let is_personal = fields.boolean("is_personal");
    let is_archived = fields.boolean("is_archived");
    fields.finish()?;
    Ok(WorkspaceFields {
        title: title
            .or_else(|| current.map(|w| w.title.clone()))
            .unwrap_or_default(),
        description: description
            .map(Option::unwrap_or_default)
            .or_else(|| current.map(|w| w.description.clone()))
            .unwrap_or_default(),
        color: color
            .or_else(|| current.map(|w| w.color.clone()))
            .unwrap_or_else(|| "#FFFFFF".into()),
        is_personal: is_personal
            .or(current.map(|w| w.is_personal))
            .unwrap_or(false),
        is_archived: is_archived
            .or(current.map(|w| w.is_archived))
            .unwrap_or(false),
    })
}

async fn create_workspace(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<WorkspaceOut>)> {
    let fields = read_fields(&body, None)?;
    let txn = state.db.write().await?;
    let created = queries::workspaces::insert(
        &*txn,
        caller.organization_id,
        caller.user.id,
        fields,
        time::now(),
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(render(&state, created).await?)))
}

async fn get_workspace(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WorkspaceOut>> {
    let found = visible(&state, &caller, id).await?;
    Ok(Json(render(&state, found).await?))
}

async fn update_workspace(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<WorkspaceOut>> {
    let found = visible(&state, &caller, id).await?;
    let fields = read_fields(&body, Some(&found))?;
    let txn = state.db.write().await?;
    queries::workspaces::update(&*txn, found.id, fields, time::now()).await?;
    let updated = queries::workspaces::find(&*txn, caller.organization_id, found.id)
        .await?
        .ok_or_else(|| ApiError::no_match("Workspace"))?;
    txn.commit().await?;
    Ok(Json(render(&state, updated).await?))
}

/// Deletes an empty workspace; one that still holds projects is refused.
async fn delete_workspace(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let found = visible(&state, &caller, id).await?;
    let txn = state.db.write().await?;
    if queries::workspaces::project_count(&*txn, found.id).await? > 0 {
        return Err(ApiError::BadRequest(
            "The workspace still has projects: move or delete them first.".into(),
        ));
    }
    queries::workspaces::delete(&*txn, found.id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A workspace member.
#[derive(Serialize)]
struct MemberOut {
    user: UserOut,
    workspace: i64,
}

/// A member just added.
#[derive(Serialize)]
struct MemberCreated {
    user: i64,
    workspace: i64,
}

async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<MemberOut>>> {
    let found = visible(&state, &caller, id).await?;
    let ids = queries::workspaces::member_ids(state.db.conn(), found.id).await?;
    let mut users = queries::users::find_many(state.db.conn(), &ids).await?;
    users.sort_by_key(|u| u.id);
    let users = tessera_core::users::render(state.db.conn(), users).await?;
    Ok(Json(
        users
            .into_iter()
            .map(|user| MemberOut {
                user,
                workspace: found.id,
            })
            .collect(),
    ))
}

async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<MemberCreated>)> {
    Fields::new(&body)?;
    let found = visible(&state, &caller, id).await?;
    let user = scope::member_user(state.db.conn(), &caller, body.get("user"), "user").await?;
    let txn = state.db.write().await?;
    queries::workspaces::add_member(&*txn, found.id, user, time::now()).await?;
    txn.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(MemberCreated {
            user,
            workspace: found.id,
        }),
    ))
}

#[derive(Deserialize)]
struct RemoveParams {
    user_id: Option<String>,
}

/// Removes the member named by `?user_id=` (or `user_id` / `user` in the body).
async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<RemoveParams>,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    let found = visible(&state, &caller, id).await?;
    let user = scope::named_member(
        state.db.conn(),
        &caller,
        params.user_id,
        &body,
        &["user_id", "user"],
        "user_id",
    )
    .await?;
    let txn = state.db.write().await?;
    let removed = queries::workspaces::remove_member(&*txn, found.id, user).await?;
    txn.commit().await?;
    if removed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(
            "The user is not a member of this workspace.".into(),
        ))
    }
}

async fn list_projects(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<ProjectResponse>>> {
    let found = visible(&state, &caller, id).await?;
    let visible = queries::projects::visible_ids(state.db.conn(), caller.viewer()).await?;
    let projects = queries::workspaces::projects(state.db.conn(), found.id)
        .await?
        .into_iter()
        .filter(|p| visible.contains(&p.id))
        .collect();
    Ok(Json(
        respond_all(&state, &caller, projects, Counters::Shown, true).await?,
    ))
}

/// Puts the body's `project` into the workspace (`add`) or takes it out.
async fn move_project(
    state: &AppState,
    caller: &Caller,
    id: i64,
    body: &Value,
    add: bool,
) -> ApiResult<()> {
    Fields::new(body)?;
    let found = visible(state, caller, id).await?;
    let value = body
        .get("project")
        .filter(|v| !v.is_null())
        .ok_or_else(|| ApiError::field("project", "This field is required."))?;
    let project_id = value
        .as_i64()
        .ok_or_else(|| ApiError::field("project", "A valid integer is required."))?;
    let project = scope::project(state.db.conn(), caller, project_id).await?;
    let txn = state.db.write().await?;
    if add {
        queries::workspaces::set_project_workspace(&*txn, project.id, Some(found.id)).await?;
    } else if project.workspace_id == Some(found.id) {
        queries::workspaces::set_project_workspace(&*txn, project.id, None).await?;
    }
    txn.commit().await?;
    Ok(())
}

async fn add_project(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    move_project(&state, &caller, id, &body, true).await?;
    Ok(StatusCode::CREATED)
}

async fn remove_project(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    move_project(&state, &caller, id, &body, false).await?;
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
