//! Users of the caller's organization and the caller's own account (`/api/users/...`,
//! `/api/current-user/...`). The use cases are `tessera_core::users`.

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;
use tessera_core::users::{self, UserOut};

use crate::api::{exact, slashed};
use crate::auth::access;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

/// `whoami`: the user plus the permission names the web app checks and the caller's role in
/// the active organization (Label Studio Enterprise's `organization_membership`).
#[derive(Serialize)]
struct WhoAmI {
    #[serde(flatten)]
    user: UserOut,
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
) -> ApiResult<Json<Vec<UserOut>>> {
    Ok(Json(
        users::list(&state.db, &caller, filter.search.as_deref()).await?,
    ))
}

async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserOut>> {
    Ok(Json(users::get(&state.db, &caller, id).await?))
}

/// PATCH/PUT a user's profile; a changed `email` is refused with 405 after the rest is saved,
/// as Label Studio does.
async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<UserOut>> {
    let updated = users::update(&state.db, &caller, id, &body).await?;
    if updated.email_refused {
        return Err(ApiError::MethodNotAllowed(
            "Cannot update read-only field: email".to_string(),
        ));
    }
    Ok(Json(updated.user))
}

async fn whoami(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<WhoAmI>> {
    let (role, organization_id) = (caller.role, caller.organization_id);
    let user = users::render_one(state.db.conn(), caller.0.user).await?;
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
    let token = users::reset_token(&state.db, &caller).await?;
    Ok((StatusCode::CREATED, Json(TokenResponse { token })))
}

#[derive(Serialize)]
struct Hotkeys {
    custom_hotkeys: Value,
}

async fn get_hotkeys(caller: Caller) -> Json<Hotkeys> {
    Json(Hotkeys {
        custom_hotkeys: users::hotkeys_of(&caller.user),
    })
}

async fn update_hotkeys(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Hotkeys>> {
    let custom_hotkeys = users::set_hotkeys(&state.db, &caller, &body).await?;
    Ok(Json(Hotkeys { custom_hotkeys }))
}

async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<UserOut>)> {
    let user = users::create(&state.db, &caller, &body).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// `DELETE /api/users/{id}/`: removes the user from the caller's organization.
async fn delete_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    users::remove(&state.db, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/users/{id}/avatar` (multipart field `avatar`).
async fn upload_avatar(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    request: Request,
) -> ApiResult<Json<Value>> {
    let target = users::changeable(&state.db, &caller, id).await?;
    let bad = |e: axum::extract::multipart::MultipartError| ApiError::BadRequest(e.body_text());
    let mut multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let mut image = None;
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        if field.name() != Some("avatar") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().to_string();
        image = Some((name, field.bytes().await.map_err(bad)?));
    }
    let (name, bytes) = image.ok_or_else(|| {
        ApiError::BadRequest("No avatar file in the request (field \"avatar\").".into())
    })?;
    users::set_avatar(&state.db, &state.media, target, &name, bytes).await?;
    Ok(Json(serde_json::json!({"detail": "avatar saved"})))
}

async fn delete_avatar(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    users::remove_avatar(&state.db, &state.media, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /data/avatars/{name}`: an avatar, for any signed-in member.
async fn serve_avatar(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Response> {
    let file = users::avatar(&state.media, &name).await?;
    Ok(avatar_response(file, &name))
}

/// An avatar's bytes, typed by its name.
pub(crate) fn avatar_response(file: axum::body::Bytes, name: &str) -> Response {
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        file,
    )
        .into_response()
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
