//! The actor's organizations, their members and their invite link, with Label Studio's shapes
//! (`label_studio/organizations/api.py`, `serializers.py`). Soft-deleted members are left out of
//! the list and can no longer act.

use serde::Serialize;
use serde_json::Value;
use tessera_db::entities::organization;
use tessera_db::{queries, time, Db};

use crate::accounts;
use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::{query_bool, Fields};
use crate::invitations::InviteLink;
use crate::roles::Role;
use crate::scope;
use crate::secrets::random_hex;
use crate::users::{self, UserOut};

/// The actor's active organization.
async fn active_organization(db: &Db, actor: &Actor) -> CoreResult<organization::Model> {
    queries::organizations::find(db.conn(), actor.organization_id)
        .await?
        .ok_or_else(|| CoreError::no_match("Organization"))
}

/// The invite link of the actor's active organization.
pub async fn invite_link(db: &Db, actor: &Actor) -> CoreResult<InviteLink> {
    Ok(InviteLink::of(active_organization(db, actor).await?))
}

/// Gives the active organization a new invite token: links with the old one stop working.
pub async fn reset_invite(db: &Db, actor: &Actor) -> CoreResult<InviteLink> {
    let txn = db.write().await?;
    queries::organizations::set_token(&*txn, actor.organization_id, &random_hex(20), time::now())
        .await?;
    let organization = queries::organizations::find(&*txn, actor.organization_id)
        .await?
        .ok_or_else(|| CoreError::no_match("Organization"))?;
    txn.commit().await?;
    Ok(InviteLink::of(organization))
}

/// An organization in the list.
#[derive(Serialize)]
pub struct OrganizationBrief {
    pub id: i64,
    pub title: String,
    pub contact_info: Option<String>,
    pub created_at: String,
}

/// The organizations the actor belongs to.
pub async fn list(db: &Db, actor: &Actor) -> CoreResult<Vec<OrganizationBrief>> {
    let organizations = queries::organizations::of_user(db.conn(), actor.user.id).await?;
    Ok(organizations
        .into_iter()
        .map(|o| OrganizationBrief {
            id: o.id,
            title: o.title,
            contact_info: o.contact_info,
            created_at: time::format(&o.created_at),
        })
        .collect())
}

/// One organization, with its invite token and members (Label Studio's `OrganizationSerializer`).
#[derive(Serialize)]
pub struct OrganizationDetail {
    pub id: i64,
    pub title: String,
    pub token: String,
    pub created_at: String,
    pub updated_at: String,
    pub contact_info: Option<String>,
    pub created_by: Option<i64>,
    pub users: Vec<i64>,
}

/// An organization the actor is a member of (another's is a 404).
async fn member_organization(db: &Db, actor: &Actor, id: i64) -> CoreResult<organization::Model> {
    Ok(actor_membership(db, actor, id).await?.0)
}

/// An organization the actor belongs to, and the projects they see in it (by their role there).
async fn actor_membership(
    db: &Db,
    actor: &Actor,
    id: i64,
) -> CoreResult<(organization::Model, queries::projects::Viewer)> {
    let conn = db.conn();
    let member = queries::organizations::membership(conn, id, actor.user.id)
        .await?
        .ok_or_else(|| CoreError::no_match("Organization"))?;
    let organization = queries::organizations::find(conn, id)
        .await?
        .ok_or_else(|| CoreError::no_match("Organization"))?;
    let sees_all = Role::from_code(&member.role).is_some_and(Role::sees_all_projects);
    let viewer = queries::projects::Viewer::member(organization.id, actor.user.id, sees_all);
    Ok((organization, viewer))
}

async fn detail(db: &Db, organization: organization::Model) -> CoreResult<OrganizationDetail> {
    let users = queries::organizations::member_ids(db.conn(), organization.id).await?;
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

/// One organization the actor belongs to.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> CoreResult<OrganizationDetail> {
    let organization = member_organization(db, actor, id).await?;
    detail(db, organization).await
}

/// Changes the active organization's `title` (at most 1000 characters) and `contact_info`.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    body: &Value,
) -> CoreResult<OrganizationDetail> {
    let organization = member_organization(db, actor, id).await?;
    if organization.id != actor.organization_id {
        // The actor's role was checked in their active organization, not in this one.
        return Err(CoreError::Forbidden(
            "You can change only your current active organization".into(),
        ));
    }
    let mut fields = Fields::new(body)?;
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
    let txn = db.write().await?;
    queries::organizations::update(&*txn, organization.id, title, contact_info, time::now())
        .await?;
    let organization = queries::organizations::find(&*txn, organization.id)
        .await?
        .ok_or_else(|| CoreError::no_match("Organization"))?;
    txn.commit().await?;
    detail(db, organization).await
}

/// A project a member created or annotated.
#[derive(Serialize)]
pub struct ProjectInfo {
    pub id: i64,
    pub title: String,
}

fn project_infos(projects: Vec<(i64, String)>) -> Vec<ProjectInfo> {
    projects
        .into_iter()
        .map(|(id, title)| ProjectInfo { id, title })
        .collect()
}

/// A membership in the list (`OrganizationMemberListSerializer`); the project lists are filled
/// only when asked for.
#[derive(Serialize)]
pub struct MemberOut {
    pub id: i64,
    pub organization: i64,
    pub user: UserOut,
    pub created_projects: Option<Vec<ProjectInfo>>,
    pub contributed_to_projects: Option<Vec<ProjectInfo>>,
    /// Label Studio Enterprise's role code (`OW`, `AD`, `MA`, `RE`, `AN`, `DI`, `NO`).
    pub role: String,
}

/// Which members to list, as the query string gives them.
#[derive(Default)]
pub struct MemberQuery<'a> {
    /// `contributed_to_projects`: a Django boolean; fills each member's project lists.
    pub with_projects: Option<&'a str>,
    /// Part of an email, username or name (Label Studio Enterprise's member search).
    pub search: Option<&'a str>,
    /// Comma-separated role codes.
    pub roles: Option<&'a str>,
}

/// A member's created and contributed projects, among those `viewer` sees, when `wanted`.
async fn project_lists(
    db: &Db,
    viewer: queries::projects::Viewer,
    user_id: i64,
    wanted: bool,
) -> CoreResult<(Option<Vec<ProjectInfo>>, Option<Vec<ProjectInfo>>)> {
    if !wanted {
        return Ok((None, None));
    }
    let (created, contributed) =
        queries::organizations::member_projects(db.conn(), viewer, user_id).await?;
    Ok((
        Some(project_infos(created)),
        Some(project_infos(contributed)),
    ))
}

/// One page of an organization's live members, by username, and how many there are.
pub async fn members_page(
    db: &Db,
    actor: &Actor,
    id: i64,
    query: &MemberQuery<'_>,
    offset: u64,
    limit: u64,
) -> CoreResult<(Vec<MemberOut>, u64)> {
    let (organization, viewer) = actor_membership(db, actor, id).await?;
    let wanted = query_bool("contributed_to_projects", query.with_projects, false)?;
    let mut filter = queries::organizations::MemberFilter {
        search: query.search.map(str::to_string),
        roles: Vec::new(),
    };
    for code in query
        .roles
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let role = Role::from_code(&code.to_uppercase()).ok_or_else(|| {
            CoreError::field("role", format!("\"{code}\" is not a valid choice."))
        })?;
        filter.roles.push(role.code().to_string());
    }
    let (members, count) =
        queries::organizations::members_page(db.conn(), organization.id, &filter, offset, limit)
            .await?;
    let (members, members_users): (Vec<_>, Vec<_>) = members.into_iter().unzip();
    let rendered = users::render(db.conn(), members_users).await?;
    let mut results = Vec::with_capacity(members.len());
    for (member, user) in members.into_iter().zip(rendered) {
        let (created_projects, contributed_to_projects) =
            project_lists(db, viewer, user.id, wanted).await?;
        results.push(MemberOut {
            id: member.id,
            organization: organization.id,
            user,
            created_projects,
            contributed_to_projects,
            role: member.role,
        });
    }
    Ok((results, count))
}

/// One membership (`OrganizationMemberSerializer`).
#[derive(Serialize)]
pub struct MemberDetail {
    pub user: i64,
    pub organization: i64,
    pub contributed_projects_count: i64,
    pub annotations_count: i64,
    pub created_at: String,
    pub created_projects: Option<Vec<ProjectInfo>>,
    pub contributed_to_projects: Option<Vec<ProjectInfo>>,
}

/// One member of an organization the actor belongs to, with their contribution (and their
/// project lists when `with_projects`, a Django boolean, says so).
pub async fn member(
    db: &Db,
    actor: &Actor,
    id: i64,
    user_id: i64,
    with_projects: Option<&str>,
) -> CoreResult<MemberDetail> {
    let (organization, viewer) = actor_membership(db, actor, id).await?;
    let conn = db.conn();
    let member = queries::organizations::member(conn, organization.id, user_id)
        .await?
        .ok_or_else(|| CoreError::no_match("OrganizationMember"))?;
    let wanted = query_bool("contributed_to_projects", with_projects, false)?;
    let (annotations_count, contributed_projects_count) =
        queries::organizations::member_contribution(conn, viewer, user_id).await?;
    let (created_projects, contributed_to_projects) =
        project_lists(db, viewer, user_id, wanted).await?;
    Ok(MemberDetail {
        user: member.user_id,
        organization: organization.id,
        contributed_projects_count,
        annotations_count,
        created_at: time::format(&member.created_at),
        created_projects,
        contributed_to_projects,
    })
}

/// What removing a member did.
#[derive(Debug, PartialEq, Eq)]
pub enum Removal {
    Removed,
    /// The actor named themselves: nothing changed (Label Studio answers a bare 405).
    RefusedSelf,
}

/// Soft-deletes a member of the actor's active organization (never the actor, never the
/// founder; an owner only by an owner).
pub async fn remove_member(db: &Db, actor: &Actor, id: i64, user_id: i64) -> CoreResult<Removal> {
    let organization = member_organization(db, actor, id).await?;
    if organization.id != actor.organization_id {
        return Err(CoreError::Forbidden(
            "You can delete members only for your current active organization".into(),
        ));
    }
    let txn = db.write().await?;
    let member = queries::organizations::member(&*txn, organization.id, user_id).await?;
    let member = member
        .filter(|m| m.deleted_at.is_none())
        .ok_or_else(|| CoreError::NotFound("Member not found".into()))?;
    if member.user_id == actor.user.id {
        return Ok(Removal::RefusedSelf);
    }
    let owner = Role::from_code(&member.role) == Some(Role::Owner);
    if Some(member.user_id) == organization.created_by_id || (owner && actor.role != Role::Owner) {
        return Err(CoreError::Forbidden(
            "Only an owner removes an owner, and nobody removes the organization's founder.".into(),
        ));
    }
    accounts::remove_member(&txn, &member, accounts::Orphaned::Kept).await?;
    txn.commit().await?;
    Ok(Removal::Removed)
}

/// Changes a member's role (`{"user_id", "role"}`, Label Studio Enterprise). Only an owner
/// grants or removes `OW`; nobody changes their own role or the founder's; a member whose role
/// changed is signed out everywhere.
pub async fn change_role(db: &Db, actor: &Actor, id: i64, body: &Value) -> CoreResult<MemberOut> {
    let organization = member_organization(db, actor, id).await?;
    if organization.id != actor.organization_id {
        return Err(CoreError::Forbidden(
            "You can change roles only in your current active organization".into(),
        ));
    }
    let mut fields = Fields::new(body)?;
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
    fields.require(&["role"]);
    fields.finish()?;
    let user_id = scope::member_user(db.conn(), actor, body.get("user_id"), "user_id").await?;
    let role = role.expect("validated");
    if user_id == actor.user.id || Some(user_id) == organization.created_by_id {
        return Err(CoreError::Forbidden(
            "This member's role cannot be changed here.".into(),
        ));
    }
    let txn = db.write().await?;
    let member = queries::organizations::membership(&*txn, organization.id, user_id)
        .await?
        .ok_or_else(|| CoreError::no_match("OrganizationMember"))?;
    let touches_owner = role == Role::Owner || Role::from_code(&member.role) == Some(Role::Owner);
    if touches_owner && actor.role != Role::Owner {
        return Err(CoreError::Forbidden(
            "Only an owner grants or removes the owner role.".into(),
        ));
    }
    queries::organizations::set_role(&*txn, member.id, role.code(), time::now()).await?;
    if Role::from_code(&member.role) != Some(role) {
        accounts::sign_out_everywhere(&txn, user_id).await?;
    }
    txn.commit().await?;
    let user = queries::users::find(db.conn(), user_id)
        .await?
        .ok_or_else(|| CoreError::no_match("User"))?;
    Ok(MemberOut {
        id: member.id,
        organization: organization.id,
        user: users::render_one(db.conn(), user).await?,
        created_projects: None,
        contributed_to_projects: None,
        role: role.code().to_string(),
    })
}
