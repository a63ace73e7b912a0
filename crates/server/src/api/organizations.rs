//! The caller's organizations and their invite link: `/api/invite`,
//! `/api/invite/reset-token`, `/api/organizations/` and `/api/organizations/{id}`, with Label
//! Studio's shapes (`label_studio/organizations/api.py`, `serializers.py`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use tessera_db::entities::organization;
use tessera_db::{queries, time};

use crate::api::{exact, slashed};
use crate::auth::secrets::random_hex;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{ApiPath, Fields, JsonBody};
use crate::state::AppState;

/// `{token, invite_url}`: the link that signs people up into the caller's organization.
#[derive(Serialize)]
struct Invite {
    token: String,
    invite_url: String,
}

fn invite_of(organization: organization::Model) -> Invite {
    let invite_url = format!("/user/signup/?token={}", organization.token);
    Invite { token: organization.token, invite_url }
}

async fn active_organization(state: &AppState, caller: &Caller) -> ApiResult<organization::Model> {
    queries::organizations::find(state.db.conn(), caller.organization_id).await?.ok_or_else(|| ApiError::no_match("Organization"))
}

async fn get_invite(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Invite>> {
    Ok(Json(invite_of(active_organization(&state, &caller).await?)))
}

/// A new token: links with the old one stop working.
async fn reset_invite(State(state): State<AppState>, caller: Caller) -> ApiResult<(StatusCode, Json<Invite>)> {
    let txn = state.db.write().await?;
    queries::organizations::set_token(&*txn, caller.organization_id, &random_hex(20), time::now()).await?;
    let organization = queries::organizations::find(&*txn, caller.organization_id).await?.ok_or_else(|| ApiError::no_match("Organization"))?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(invite_of(organization))))
}

/// An organization in the list.
#[derive(Serialize)]
struct OrganizationBrief {
    id: i64,
    title: String,
    contact_info: Option<String>,
    created_at: String,
}

async fn list_organizations(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<OrganizationBrief>>> {
    let organizations = queries::organizations::of_user(state.db.conn(), caller.user.id).await?;
    Ok(Json(
        organizations
            .into_iter()
            .map(|o| OrganizationBrief { id: o.id, title: o.title, contact_info: o.contact_info, created_at: time::format(&o.created_at) })
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
async fn member_organization(state: &AppState, caller: &Caller, id: i64) -> ApiResult<organization::Model> {
    let conn = state.db.conn();
    if queries::organizations::membership(conn, id, caller.user.id).await?.is_none() {
        return Err(ApiError::no_match("Organization"));
    }
    queries::organizations::find(conn, id).await?.ok_or_else(|| ApiError::no_match("Organization"))
}

async fn detail(state: &AppState, organization: organization::Model) -> ApiResult<OrganizationDetail> {
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

async fn get_organization(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<OrganizationDetail>> {
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
    let mut fields = Fields::new(&body)?;
    let title = fields.string("title");
    if title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        fields.error("title", "This field may not be blank.");
    }
    if title.as_deref().is_some_and(|t| t.chars().count() > 1000) {
        fields.error("title", "Ensure this field has no more than 1000 characters.");
    }
    let contact_info = fields.nullable_string("contact_info");
    fields.finish()?;
    let txn = state.db.write().await?;
    queries::organizations::update(&*txn, organization.id, title, contact_info, time::now()).await?;
    let organization = queries::organizations::find(&*txn, organization.id).await?.ok_or_else(|| ApiError::no_match("Organization"))?;
    txn.commit().await?;
    Ok(Json(detail(&state, organization).await?))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = exact(router, "/api/invite", get(get_invite));
    let router = exact(router, "/api/invite/reset-token", post(reset_invite));
    let router = slashed(router, "/api/organizations/", get(list_organizations));
    exact(router, "/api/organizations/{id}", get(get_organization).patch(patch_organization))
}
