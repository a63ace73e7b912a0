//! Users of the caller's organization and the caller's own account (`/api/current-user/...`).

use std::collections::HashMap;

use axum::extract::{State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;
use tessera_db::entities::user;
use tessera_db::{queries, time};

use crate::api::{exact, slashed};
use crate::auth::secrets::random_hex;
use crate::auth::access::{self, Action};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{ApiPath, Fields, JsonBody};
use crate::services::render::initials;
use crate::state::AppState;

/// Organization summary shown with a user.
#[derive(Clone, Serialize)]
pub struct OrganizationMeta {
    pub title: String,
    pub email: String,
}

/// Label Studio's `UserSerializer` output.
#[derive(Serialize)]
pub struct UserResponse {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub username: String,
    pub email: String,
    pub last_activity: String,
    pub custom_hotkeys: Value,
    pub avatar: Option<String>,
    pub initials: String,
    pub phone: String,
    pub active_organization: Option<i64>,
    pub active_organization_meta: Option<OrganizationMeta>,
    pub allow_newsletters: Option<bool>,
    pub date_joined: String,
}

/// `whoami`: the user plus the permission names the web app checks.
#[derive(Serialize)]
struct WhoAmI {
    #[serde(flatten)]
    user: UserResponse,
    permissions: Vec<&'static str>,
}

/// Renders a user with its active organization's summary.
pub async fn user_response(state: &AppState, user: user::Model) -> ApiResult<UserResponse> {
    Ok(user_responses(state, vec![user]).await?.remove(0))
}

/// Renders users, loading each distinct active organization and its owner once.
pub async fn user_responses(state: &AppState, users: Vec<user::Model>) -> ApiResult<Vec<UserResponse>> {
    let conn = state.db.conn();
    let mut metas: HashMap<i64, Option<OrganizationMeta>> = HashMap::new();
    for id in users.iter().filter_map(|u| u.active_organization_id) {
        if metas.contains_key(&id) {
            continue;
        }
        let meta = match queries::organizations::find(conn, id).await? {
            Some(org) => {
                let owner = match org.created_by_id {
                    Some(owner) => queries::users::find(conn, owner).await?.map(|u| u.email),
                    None => None,
                };
                Some(OrganizationMeta { title: org.title, email: owner.unwrap_or_default() })
            }
            None => None,
        };
        metas.insert(id, meta);
    }
    Ok(users
        .into_iter()
        .map(|user| UserResponse {
            id: user.id,
            initials: initials(&user),
            active_organization_meta: user.active_organization_id.and_then(|id| metas.get(&id).cloned().flatten()),
            first_name: user.first_name,
            last_name: user.last_name,
            username: user.username,
            email: user.email,
            last_activity: time::format(&user.last_activity),
            custom_hotkeys: serde_json::from_str(&user.custom_hotkeys).unwrap_or(Value::Object(Default::default())),
            avatar: user.avatar,
            phone: user.phone,
            active_organization: user.active_organization_id,
            allow_newsletters: user.allow_newsletters,
            date_joined: time::format(&user.date_joined),
        })
        .collect())
}

/// Permission names granted to organization members (Label Studio's community edition grants
/// every member all of them).
const PERMISSIONS: &[&str] = &[
    "organizations.create", "organizations.view", "organizations.change", "organizations.delete",
    "organizations.invite", "projects.create", "projects.view", "projects.change", "projects.delete",
    "tasks.create", "tasks.view", "tasks.change", "tasks.delete", "annotations.create", "annotations.view",
    "annotations.change", "annotations.delete", "actions.perform", "predictions.any", "avatar.any", "labels.create",
    "labels.view", "labels.change", "labels.delete", "models.create", "models.view", "models.change", "models.delete",
    "model_provider_connection.create", "model_provider_connection.view", "model_provider_connection.change",
    "model_provider_connection.delete", "webhooks.change", "users.token.any", "views.create", "views.view",
    "views.change", "views.delete", "storages.view", "storages.change",
];

async fn list_users(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<UserResponse>>> {
    let users = queries::users::list_in_organization(state.db.conn(), caller.organization_id).await?;
    Ok(Json(user_responses(&state, users).await?))
}

/// A user of the caller's organization, or 404.
async fn org_user(state: &AppState, caller: &Caller, id: i64) -> ApiResult<user::Model> {
    let member = queries::organizations::membership(state.db.conn(), caller.organization_id, id).await?;
    let user = match member {
        Some(_) => queries::users::find(state.db.conn(), id).await?,
        None => None,
    };
    user.ok_or_else(|| ApiError::no_match("User"))
}

async fn get_user(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<UserResponse>> {
    let user = org_user(&state, &caller, id).await?;
    Ok(Json(user_response(&state, user).await?))
}

/// PATCH/PUT a user's profile. Label Studio applies the writable fields and then refuses a
/// changed `email` with 405 (`users/api.py`), so we do the same in that order.
async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<UserResponse>> {
    let user = org_user(&state, &caller, id).await?;
    if user.id != caller.user.id && !Action::ManagePeople.allows(caller.role) {
        return Err(ApiError::Forbidden(access::FORBIDDEN.to_string()));
    }
    let mut fields = Fields::new(&body)?;
    let changes = queries::users::ProfileChanges {
        first_name: fields.string("first_name"),
        last_name: fields.string("last_name"),
        username: fields.string("username"),
        phone: fields.string("phone"),
        allow_newsletters: fields.nullable_bool("allow_newsletters"),
        custom_hotkeys: fields.object("custom_hotkeys").map(|map| Value::Object(map).to_string()),
    };
    let email_change = fields.string("email").filter(|email| *email != user.email);
    fields.finish()?;
    let txn = state.db.write().await?;
    let user = queries::users::update_profile(&*txn, user, changes).await?;
    txn.commit().await?;
    if email_change.is_some() {
        return Err(ApiError::MethodNotAllowed("Cannot update read-only field: email".to_string()));
    }
    Ok(Json(user_response(&state, user).await?))
}

async fn whoami(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<WhoAmI>> {
    let user = user_response(&state, caller.user).await?;
    Ok(Json(WhoAmI { user, permissions: PERMISSIONS.to_vec() }))
}

#[derive(Serialize)]
struct TokenResponse {
    token: String,
}

async fn get_token(caller: Caller) -> Json<TokenResponse> {
    Json(TokenResponse { token: caller.user.api_token })
}

async fn reset_token(State(state): State<AppState>, caller: Caller) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let token = random_hex(20);
    let txn = state.db.write().await?;
    queries::users::set_token(&*txn, caller.user.id, &token).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(TokenResponse { token })))
}

#[derive(Serialize)]
struct Hotkeys {
    custom_hotkeys: Value,
}

async fn get_hotkeys(caller: Caller) -> Json<Hotkeys> {
    Json(Hotkeys { custom_hotkeys: serde_json::from_str(&caller.user.custom_hotkeys).unwrap_or(Value::Object(Default::default())) })
}

async fn update_hotkeys(State(state): State<AppState>, caller: Caller, JsonBody(body): JsonBody) -> ApiResult<Json<Hotkeys>> {
    let mut fields = Fields::new(&body)?;
    let hotkeys = fields.object("custom_hotkeys");
    fields.finish()?;
    let changes = queries::users::ProfileChanges { custom_hotkeys: hotkeys.map(|map| Value::Object(map).to_string()), ..Default::default() };
    let txn = state.db.write().await?;
    let user = queries::users::update_profile(&*txn, caller.user, changes).await?;
    txn.commit().await?;
    Ok(Json(Hotkeys { custom_hotkeys: serde_json::from_str(&user.custom_hotkeys).unwrap_or(Value::Null) }))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/api/users/", get(list_users));
    let router = slashed(router, "/api/users/{id}/", get(get_user).patch(update_user).put(update_user));
    let router = exact(router, "/api/current-user/whoami", get(whoami));
    let router = exact(router, "/api/current-user/token", get(get_token));
    let router = slashed(router, "/api/current-user/hotkeys/", get(get_hotkeys).patch(update_hotkeys));
    slashed(router, "/api/current-user/reset-token/", post(reset_token))
}
