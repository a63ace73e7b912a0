//! Workspaces (Label Studio Enterprise): named groups of an organization's projects and people,
//! with their members and projects. A personal workspace is seen only by its creator.

use serde::Serialize;
use serde_json::Value;
use tessera_db::entities::workspace;
use tessera_db::queries::workspaces::{ListFilter, WorkspaceFields};
use tessera_db::{queries, time, Db};

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::{query_bool, Fields};
use crate::payload::{Counters, ProjectResponse};
use crate::users::{self, UserOut};
use crate::{projects, scope};

/// A workspace as the API shows it.
#[derive(Serialize)]
pub struct WorkspaceOut {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub color: String,
    pub is_personal: bool,
    pub is_archived: bool,
    pub created_by: Option<i64>,
    pub projects_count: u64,
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

async fn render(db: &Db, w: workspace::Model) -> CoreResult<WorkspaceOut> {
    let projects_count = queries::workspaces::project_count(db.conn(), w.id).await?;
    Ok(workspace_out(w, projects_count))
}

/// A workspace of the actor's organization they may see: any shared one for owners and
/// administrators, else one they created or belong to (others are a 404, like another user's
/// personal workspace).
async fn visible(db: &Db, actor: &Actor, id: i64) -> CoreResult<workspace::Model> {
    let conn = db.conn();
    let found = queries::workspaces::find(conn, actor.organization_id, id).await?;
    let found = found
        .filter(|w| !w.is_personal || w.created_by_id == Some(actor.user.id))
        .ok_or_else(|| CoreError::no_match("Workspace"))?;
    if actor.role.sees_all_projects() || found.created_by_id == Some(actor.user.id) {
        return Ok(found);
    }
    if queries::workspaces::member_ids(conn, found.id)
        .await?
        .contains(&actor.user.id)
    {
        return Ok(found);
    }
    Err(CoreError::no_match("Workspace"))
}

/// The list's query-string filters, as given (Django booleans).
#[derive(Default)]
pub struct ListQuery<'a> {
    pub is_personal: Option<&'a str>,
    pub is_archived: Option<&'a str>,
    /// Other people's personal workspaces too (owners and administrators only).
    pub include_all_workspaces: Option<&'a str>,
}

fn optional_bool(name: &str, value: Option<&str>) -> CoreResult<Option<bool>> {
    match value {
        None | Some("") => Ok(None),
        Some(text) => Ok(Some(query_bool(name, Some(text), false)?)),
    }
}

/// The workspaces the actor sees, under the list's filters.
pub async fn list(db: &Db, actor: &Actor, query: &ListQuery<'_>) -> CoreResult<Vec<WorkspaceOut>> {
    let filter = ListFilter {
        is_personal: optional_bool("is_personal", query.is_personal)?,
        is_archived: optional_bool("is_archived", query.is_archived)?,
        everyone: query_bool(
            "include_all_workspaces",
            query.include_all_workspaces,
            false,
        )? && actor.role.sees_all_projects(),
        member_only: !actor.role.sees_all_projects(),
    };
    let conn = db.conn();
    let listed =
        queries::workspaces::list(conn, actor.organization_id, actor.user.id, &filter).await?;
    let ids: Vec<i64> = listed.iter().map(|w| w.id).collect();
    let counts = queries::workspaces::project_counts(conn, &ids).await?;
    Ok(listed
        .into_iter()
        .map(|w| {
            let projects_count = counts.get(&w.id).copied().unwrap_or(0);
            workspace_out(w, projects_count)
        })
        .collect())
}

/// Reads a create (all fields) or update (`current` given) body.
fn read_fields(body: &Value, current: Option<&workspace::Model>) -> CoreResult<WorkspaceFields> {
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

/// Creates a workspace of the actor's.
pub async fn create(db: &Db, actor: &Actor, body: &Value) -> CoreResult<WorkspaceOut> {
    let fields = read_fields(body, None)?;
    let txn = db.write().await?;
    let created = queries::workspaces::insert(
        &*txn,
        actor.organization_id,
        actor.user.id,
        fields,
        time::now(),
    )
    .await?;
    txn.commit().await?;
    render(db, created).await
}

/// One workspace the actor sees.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> CoreResult<WorkspaceOut> {
    let found = visible(db, actor, id).await?;
    render(db, found).await
}

/// Changes a workspace's fields.
pub async fn update(db: &Db, actor: &Actor, id: i64, body: &Value) -> CoreResult<WorkspaceOut> {
    let found = visible(db, actor, id).await?;
    let fields = read_fields(body, Some(&found))?;
    let txn = db.write().await?;
    queries::workspaces::update(&*txn, found.id, fields, time::now()).await?;
    let updated = queries::workspaces::find(&*txn, actor.organization_id, found.id)
        .await?
        .ok_or_else(|| CoreError::no_match("Workspace"))?;
    txn.commit().await?;
    render(db, updated).await
}

/// Deletes an empty workspace; one that still holds projects is refused.
pub async fn delete(db: &Db, actor: &Actor, id: i64) -> CoreResult<()> {
    let found = visible(db, actor, id).await?;
    let txn = db.write().await?;
    if queries::workspaces::project_count(&*txn, found.id).await? > 0 {
        return Err(CoreError::BadRequest(
            "The workspace still has projects: move or delete them first.".into(),
        ));
    }
    queries::workspaces::delete(&*txn, found.id).await?;
    txn.commit().await?;
    Ok(())
}

/// A workspace member.
#[derive(Serialize)]
pub struct MemberOut {
    pub user: UserOut,
    pub workspace: i64,
}

/// A member just added.
#[derive(Serialize)]
pub struct MemberCreated {
    pub user: i64,
    pub workspace: i64,
}

/// The members of a workspace the actor sees, by id.
pub async fn members(db: &Db, actor: &Actor, id: i64) -> CoreResult<Vec<MemberOut>> {
    let found = visible(db, actor, id).await?;
    let ids = queries::workspaces::member_ids(db.conn(), found.id).await?;
    let mut listed = queries::users::find_many(db.conn(), &ids).await?;
    listed.sort_by_key(|u| u.id);
    Ok(users::render(db.conn(), listed)
        .await?
        .into_iter()
        .map(|user| MemberOut {
            user,
            workspace: found.id,
        })
        .collect())
}

/// Adds the body's `user` (a member of the organization) to a workspace.
pub async fn add_member(
    db: &Db,
    actor: &Actor,
    id: i64,
    body: &Value,
) -> CoreResult<MemberCreated> {
    Fields::new(body)?;
    let found = visible(db, actor, id).await?;
    let user = scope::member_user(db.conn(), actor, body.get("user"), "user").await?;
    let txn = db.write().await?;
    queries::workspaces::add_member(&*txn, found.id, user, time::now()).await?;
    txn.commit().await?;
    Ok(MemberCreated {
        user,
        workspace: found.id,
    })
}

/// Removes the member named by `?user_id=` (or `user_id` / `user` in the body).
pub async fn remove_member(
    db: &Db,
    actor: &Actor,
    id: i64,
    query: Option<String>,
    body: &Value,
) -> CoreResult<()> {
    let found = visible(db, actor, id).await?;
    let user = scope::named_member(
        db.conn(),
        actor,
        query,
        body,
        &["user_id", "user"],
        "user_id",
    )
    .await?;
    let txn = db.write().await?;
    let removed = queries::workspaces::remove_member(&*txn, found.id, user).await?;
    txn.commit().await?;
    if removed {
        Ok(())
    } else {
        Err(CoreError::NotFound(
            "The user is not a member of this workspace.".into(),
        ))
    }
}

/// The projects of a workspace the actor sees, among those they may see.
pub async fn projects(db: &Db, actor: &Actor, id: i64) -> CoreResult<Vec<ProjectResponse>> {
    let found = visible(db, actor, id).await?;
    let visible = queries::projects::visible_ids(db.conn(), actor.viewer()).await?;
    let listed = queries::workspaces::projects(db.conn(), found.id)
        .await?
        .into_iter()
        .filter(|p| visible.contains(&p.id))
        .collect();
    projects::render(db, actor, listed, Counters::Shown, true).await
}

/// Whether a project goes into a workspace or out of it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Move {
    In,
    Out,
}

/// Puts the body's `project` into the workspace or takes it out (if it is there).
pub async fn move_project(
    db: &Db,
    actor: &Actor,
    id: i64,
    body: &Value,
    direction: Move,
) -> CoreResult<()> {
    Fields::new(body)?;
    let found = visible(db, actor, id).await?;
    let value = body
        .get("project")
        .filter(|v| !v.is_null())
        .ok_or_else(|| CoreError::field("project", "This field is required."))?;
    let project_id = value
        .as_i64()
        .ok_or_else(|| CoreError::field("project", "A valid integer is required."))?;
    let project = scope::project(db.conn(), actor, project_id).await?;
    let txn = db.write().await?;
    match direction {
        Move::In => {
            queries::workspaces::set_project_workspace(&*txn, project.id, Some(found.id)).await?
        }
        Move::Out if project.workspace_id == Some(found.id) => {
            queries::workspaces::set_project_workspace(&*txn, project.id, None).await?
        }
        Move::Out => {}
    }
    txn.commit().await?;
    Ok(())
}
