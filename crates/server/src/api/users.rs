//! Users of the caller's organization and the caller's own account (`/api/current-user/...`).

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;
use tessera_core::accounts::{self, NewAccount};
use tessera_core::fields::Fields;
use tessera_core::payload::initials;
use tessera_core::roles::Role;
use tessera_core::secrets::{hash_password, random_hex, verify_password};
use tessera_db::entities::user;
use tessera_db::{queries, time};
use tessera_storage::MediaError;

use crate::api::{exact, slashed};
use crate::auth::access::{self, Action};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{ApiPath, ApiQuery, JsonBody};
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

/// `whoami`: the user plus the permission names the web app checks and the caller's role in
/// the active organization (Label Studio Enterprise's `organization_membership`).
#[derive(Serialize)]
struct WhoAmI {
    #[serde(flatten)]
    user: UserResponse,
    permissions: Vec<&'static str>,
    organization_membership: ActiveMembership,
}

#[derive(Serialize)]
struct ActiveMembership {
    organization_id: i64,
    /// The role code (`OW`, `AD`, `MA`, `RE`, `AN`, `DI`, `NO`).
    role: &'static str,
    active: bool,
}

/// Renders a user with its active organization's summary.
pub async fn user_response(state: &AppState, user: user::Model) -> ApiResult<UserResponse> {
    Ok(user_responses(state, vec![user]).await?.remove(0))
}

/// Renders users, loading each distinct active organization and its owner once.
pub async fn user_responses(
    state: &AppState,
    users: Vec<user::Model>,
) -> ApiResult<Vec<UserResponse>> {
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
                Some(OrganizationMeta {
                    title: org.title,
                    email: owner.unwrap_or_default(),
                })
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
            active_organization_meta: user
                .active_organization_id
                .and_then(|id| metas.get(&id).cloned().flatten()),
            first_name: user.first_name,
            last_name: user.last_name,
            username: user.username,
            email: user.email,
            last_activity: time::format(&user.last_activity),
            custom_hotkeys: serde_json::from_str(&user.custom_hotkeys)
                .unwrap_or(Value::Object(Default::default())),
            avatar: user.avatar,
            phone: user.phone,
            active_organization: user.active_organization_id,
            allow_newsletters: user.allow_newsletters,
            date_joined: time::format(&user.date_joined),
        })
        .collect())
}

/// Filters of the user list (Tessera's; Label Studio's community list has none).
#[derive(serde::Deserialize)]
struct UserFilter {
    /// Part of an email, username or name, ignoring case.
    search: Option<String>,
}

async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(filter): ApiQuery<UserFilter>,
) -> ApiResult<Json<Vec<UserResponse>>> {
    let mut users =
        queries::users::list_in_organization(state.db.conn(), caller.organization_id).await?;
    if let Some(search) = filter
        .search
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
    {
        users.retain(|u| {
            [&u.email, &u.username, &u.first_name, &u.last_name]
                .iter()
                .any(|field| field.to_lowercase().contains(&search))
        });
    }
    Ok(Json(user_responses(&state, users).await?))
}

/// A user of the caller's organization, or 404.
async fn org_user(state: &AppState, caller: &Caller, id: i64) -> ApiResult<user::Model> {
    let member =
        queries::organizations::membership(state.db.conn(), caller.organization_id, id).await?;
    let user = match member {
        Some(_) => queries::users::find(state.db.conn(), id).await?,
        None => None,
    };
    user.ok_or_else(|| ApiError::no_match("User"))
}

async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserResponse>> {
    let user = org_user(&state, &caller, id).await?;
    Ok(Json(user_response(&state, user).await?))
}

/// The profile fields a body sets (names, username, phone, newsletters).
fn profile_fields(fields: &mut Fields) -> queries::users::ProfileChanges {
    queries::users::ProfileChanges {
        first_name: fields.string("first_name"),
        last_name: fields.string("last_name"),
        username: fields.string("username"),
        phone: fields.string("phone"),
        allow_newsletters: fields.nullable_bool("allow_newsletters"),
        custom_hotkeys: None,
    }
}

/// PATCH/PUT a user's profile. Label Studio applies the writable fields and then refuses a
/// changed `email` with 405 (`users/api.py`), so we do the same in that order. The account's
/// owner may also switch `active_organization` to another organization they belong to, and
/// change `password` with `current_password` (which signs them out everywhere and replaces
/// their legacy token).
async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<UserResponse>> {
    let user = own_or_managed_user(&state, &caller, id).await?;
    let mut fields = Fields::new(&body)?;
    let changes = queries::users::ProfileChanges {
        custom_hotkeys: fields
            .object("custom_hotkeys")
            .map(|map| Value::Object(map).to_string()),
        ..profile_fields(&mut fields)
    };
    let email_change = fields.string("email").filter(|email| *email != user.email);
    let switch_to = fields
        .integer("active_organization")
        .filter(|id| Some(*id) != user.active_organization_id);
    let new_password = fields.string("password");
    let current_password = fields.string("current_password");
    fields.finish()?;
    let own = user.id == caller.user.id;
    if let Some(organization) = switch_to {
        let member =
            queries::organizations::membership(state.db.conn(), organization, user.id).await?;
        let active = member
            .as_ref()
            .and_then(|m| Role::from_code(&m.role))
            .is_some_and(Role::is_active);
        if !own || !active {
            return Err(ApiError::missing("active_organization", organization));
        }
    }
    if let Some(password) = &new_password {
        if !own {
            return Err(ApiError::Forbidden(
                "Only the account's owner changes its password.".into(),
            ));
        }
        match current_password.as_deref() {
            None => {
                return Err(ApiError::field(
                    "current_password",
                    "This field is required.",
                ))
            }
            Some(current) if !verify_password(current, &user.password) => {
                return Err(ApiError::field(
                    "current_password",
                    "The current password is wrong.",
                ));
            }
            Some(_) => {}
        }
        if let Some(problem) = accounts::password_problem(password, &user.email) {
            return Err(ApiError::field("password", problem));
        }
    }
    let txn = state.db.write().await?;
    let mut user = queries::users::update_profile(&*txn, user, changes).await?;
    if let Some(organization) = switch_to {
        user = queries::users::set_active_organization(&*txn, user, organization).await?;
    }
    if let Some(password) = &new_password {
        queries::users::set_password(
            &*txn,
            user.id,
            hash_password(password).map_err(ApiError::Internal)?,
        )
        .await?;
        // A new password ends every way in that the old one may have handed out.
        queries::users::set_token(&*txn, user.id, &random_hex(20)).await?;
        accounts::sign_out_everywhere(&txn, user.id).await?;
    }
    txn.commit().await?;
    if email_change.is_some() {
        return Err(ApiError::MethodNotAllowed(
            "Cannot update read-only field: email".to_string(),
        ));
    }
    Ok(Json(user_response(&state, user).await?))
}

async fn whoami(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<WhoAmI>> {
    let (role, organization_id) = (caller.role, caller.organization_id);
    let user = user_response(&state, caller.0.user).await?;
    Ok(Json(WhoAmI {
        user,
        permissions: access::permission_names(role),
        organization_membership: ActiveMembership {
            organization_id,
            role: role.code(),
            active: true,
        },
    }))
}

#[derive(Serialize)]
struct TokenResponse {
    token: String,
}

async fn get_token(caller: Caller) -> Json<TokenResponse> {
    Json(TokenResponse {
        token: caller.0.user.api_token,
    })
}

async fn reset_token(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
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
    Json(Hotkeys {
        custom_hotkeys: serde_json::from_str(&caller.user.custom_hotkeys)
            .unwrap_or(Value::Object(Default::default())),
    })
}

async fn update_hotkeys(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Hotkeys>> {
    let mut fields = Fields::new(&body)?;
    let hotkeys = fields.object("custom_hotkeys");
    fields.finish()?;
    let changes = queries::users::ProfileChanges {
        custom_hotkeys: hotkeys.map(|map| Value::Object(map).to_string()),
        ..Default::default()
    };
    let txn = state.db.write().await?;
    let user = queries::users::update_profile(&*txn, caller.0.user, changes).await?;
    txn.commit().await?;
    Ok(Json(Hotkeys {
        custom_hotkeys: serde_json::from_str(&user.custom_hotkeys).unwrap_or(Value::Null),
    }))
}

/// `POST /api/users/`: creates a user in the caller's organization (an annotator until given
/// another role). Label Studio requires `username`; Tessera also requires `email` (accounts sign
/// in with it). An optional `password` follows the sign-up rules; without one the account cannot
/// sign in with a password.
async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<UserResponse>)> {
    let mut fields = Fields::new(&body)?;
    let email = fields.string("email").map(|e| e.trim().to_lowercase());
    let password = fields.string("password");
    let changes = profile_fields(&mut fields);
    if changes.username.as_deref().is_none_or(str::is_empty) {
        fields.error("username", "This field is required.");
    }
    match &email {
        None => fields.error("email", "This field is required."),
        Some(e) if !accounts::is_email(e) => fields.error("email", "Enter a valid email address."),
        Some(e) => {
            if let Some(problem) = password
                .as_deref()
                .and_then(|p| accounts::password_problem(p, e))
            {
                fields.error("password", problem);
            }
        }
    }
    fields.finish()?;
    let email = email.expect("validated");
    let txn = state.db.write().await?;
    if queries::users::find_by_email(&*txn, &email)
        .await?
        .is_some()
    {
        return Err(ApiError::field(
            "email",
            "user with this email address already exists.",
        ));
    }
    let account = NewAccount {
        email: &email,
        password: password.as_deref().unwrap_or_default(),
        api_token: None,
        allow_newsletters: None,
        username_from_email: true,
        organization_id: Some(caller.organization_id),
        role: accounts::ROLE_MEMBER,
    };
    let user = accounts::create(&txn, account)
        .await
        .map_err(ApiError::Internal)?;
    let user = queries::users::update_profile(&*txn, user, changes).await?;
    txn.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(user_response(&state, user).await?),
    ))
}

/// `DELETE /api/users/{id}/`: removes the user from the caller's organization and signs them
/// out; an account left in no organization is deactivated. Their annotations stay (Label Studio
/// deletes the account; see docs/COMPATIBILITY.md). Owners may; nobody deletes an owner.
async fn delete_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let user = org_user(&state, &caller, id).await?;
    let txn = state.db.write().await?;
    let member = queries::organizations::membership(&*txn, caller.organization_id, user.id)
        .await?
        .ok_or_else(|| ApiError::no_match("User"))?;
    if user.id == caller.user.id || Role::from_code(&member.role) == Some(Role::Owner) {
        return Err(ApiError::Forbidden(
            "The organization owner cannot be deleted".into(),
        ));
    }
    accounts::remove_member(&txn, &member, accounts::Orphaned::Deactivated)
        .await
        .map_err(ApiError::Internal)?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Largest avatar accepted.
const AVATAR_MAX_BYTES: usize = 1024 * 1024;

/// `POST /api/users/{id}/avatar` (multipart field `avatar`: PNG, JPEG or GIF up to 1 MiB)
/// and `DELETE`: the caller's own avatar, or anyone's for those who manage people.
async fn upload_avatar(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    request: Request,
) -> ApiResult<Json<Value>> {
    let user = own_or_managed_user(&state, &caller, id).await?;
    let mut multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let mut image = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(e.body_text()))?
    {
        if field.name() != Some("avatar") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().to_lowercase();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        image = Some((name, bytes));
    }
    let (name, bytes) = image.ok_or_else(|| {
        ApiError::BadRequest("No avatar file in the request (field \"avatar\").".into())
    })?;
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| ["png", "jpg", "jpeg", "gif"].contains(ext));
    let Some(extension) = extension else {
        return Err(ApiError::BadRequest(
            "Please upload a valid image file with extensions: JPEG, JPG, GIF, or PNG.".into(),
        ));
    };
    if !looks_like_image(&bytes) {
        return Err(ApiError::BadRequest(
            "Can't read image, try another one".into(),
        ));
    }
    if bytes.len() > AVATAR_MAX_BYTES {
        return Err(ApiError::BadRequest(
            "Avatar file size may not exceed 1024.0 kb".into(),
        ));
    }
    let file = format!("avatars/{}-{}.{extension}", user.id, random_hex(8));
    state.media.put(&file, bytes).await?;
    let txn = state.db.write().await?;
    let old = user.avatar.clone();
    queries::users::set_avatar(&*txn, user, Some(format!("/data/{file}"))).await?;
    txn.commit().await?;
    remove_avatar_file(&state, old.as_deref()).await;
    Ok(Json(serde_json::json!({"detail": "avatar saved"})))
}

async fn delete_avatar(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let user = own_or_managed_user(&state, &caller, id).await?;
    let txn = state.db.write().await?;
    let old = user.avatar.clone();
    queries::users::set_avatar(&*txn, user, None).await?;
    txn.commit().await?;
    remove_avatar_file(&state, old.as_deref()).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether the bytes start like a PNG, JPEG or GIF file.
fn looks_like_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"GIF87a")
        || bytes.starts_with(b"GIF89a")
}

/// Removes a replaced avatar's file (best effort: a leftover file harms nothing).
async fn remove_avatar_file(state: &AppState, url: Option<&str>) {
    if let Some(file) = url
        .and_then(|u| u.strip_prefix("/data/"))
        .filter(|f| f.starts_with("avatars/") && !f.contains(".."))
    {
        if let Err(err) = state.media.delete(file).await {
            tracing::warn!(error = %err, "removing a replaced avatar failed");
        }
    }
}

/// `GET /data/avatars/{name}`: an avatar, for any signed-in member.
async fn serve_avatar(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Response> {
    if name.contains('/') || name.contains("..") {
        return Err(ApiError::NotFound("Not found.".into()));
    }
    let file = match state.media.get(&format!("avatars/{name}")).await {
        Ok(file) => file,
        Err(MediaError::NotFound(_) | MediaError::InvalidKey(_)) => {
            return Err(ApiError::NotFound("Not found.".into()))
        }
        Err(err) => return Err(err.into()),
    };
    let mime = mime_guess::from_path(&name).first_or_octet_stream();
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        file,
    )
        .into_response())
}

/// A user of the caller's organization whom the caller may change: themselves, or, for those
/// who manage people, an account that belongs to the caller's organization alone (an owner only
/// by an owner). An account shared with another organization is changed only by its user.
async fn own_or_managed_user(state: &AppState, caller: &Caller, id: i64) -> ApiResult<user::Model> {
    let user = org_user(state, caller, id).await?;
    if user.id == caller.user.id {
        return Ok(user);
    }
    let conn = state.db.conn();
    let member = queries::organizations::membership(conn, caller.organization_id, user.id).await?;
    let owner = member.and_then(|m| Role::from_code(&m.role)) == Some(Role::Owner);
    if !Action::ManagePeople.allows(caller.role) || (owner && caller.role != Role::Owner) {
        return Err(ApiError::Forbidden(access::FORBIDDEN.to_string()));
    }
    if !queries::organizations::is_sole_organization(conn, user.id, caller.organization_id).await? {
        return Err(ApiError::Forbidden(
            "This account also belongs to another organization: only its user can change it."
                .into(),
        ));
    }
    Ok(user)
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/api/users/", get(list_users).post(create_user));
    let router = slashed(
        router,
        "/api/users/{id}/",
        get(get_user)
            .patch(update_user)
            .put(update_user)
            .delete(delete_user),
    );
    let router = slashed(
        router,
        "/api/users/{id}/avatar/",
        post(upload_avatar).delete(delete_avatar),
    );
    let router = exact(router, "/data/avatars/{name}", get(serve_avatar));
    let router = exact(router, "/api/current-user/whoami", get(whoami));
    let router = exact(router, "/api/current-user/token", get(get_token));
    let router = slashed(
        router,
        "/api/current-user/hotkeys/",
        get(get_hotkeys).patch(update_hotkeys),
    );
    slashed(router, "/api/current-user/reset-token/", post(reset_token))
}
