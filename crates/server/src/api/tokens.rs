//! JWT personal access tokens: `/api/token/` (list, create), `/refresh/`, `/blacklist/`, `/rotate/`,
//! and the organization's token settings (`/api/jwt/settings`). The use cases are
//! `tessera_core::tokens`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use tessera_core::tokens::{self, JwtSettingsOut};

use crate::api::{exact, slashed};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;

#[derive(Serialize)]
struct TokenOut {
    token: String,
}

#[derive(Serialize)]
struct AccessOut {
    access: String,
}

#[derive(Serialize)]
struct RefreshOut {
    refresh: String,
}

/// Label Studio's bare answer for a token that is not a live one of the caller's.
fn not_live(status: StatusCode) -> ApiError {
    ApiError::Bare(status, "Token is invalid or already blacklisted.".into())
}

async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<TokenOut>>> {
    let listed = tokens::list(&state.db, &state.jwt, &caller).await?;
    Ok(Json(
        listed.into_iter().map(|token| TokenOut { token }).collect(),
    ))
}

async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(StatusCode, Json<TokenOut>)> {
    let token = tokens::create(&state.db, &state.jwt, &caller).await?;
    Ok((StatusCode::CREATED, Json(TokenOut { token })))
}

async fn refresh_token(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<AccessOut>> {
    let access = tokens::refresh(&state.db, &state.jwt, &body).await?;
    Ok(Json(AccessOut { access }))
}

async fn blacklist_token(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    if tokens::blacklist(&state.db, &state.jwt, &caller, &body).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_live(StatusCode::NOT_FOUND))
    }
}

async fn rotate_token(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<RefreshOut>> {
    let refresh = tokens::rotate(&state.db, &state.jwt, &caller, &body)
        .await?
        .ok_or_else(|| not_live(StatusCode::BAD_REQUEST))?;
    Ok(Json(RefreshOut { refresh }))
}

async fn get_jwt_settings(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<JwtSettingsOut>> {
    Ok(Json(tokens::settings(&state.db, &caller).await?))
}

async fn update_jwt_settings(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<JwtSettingsOut>> {
    Ok(Json(
        tokens::update_settings(&state.db, &caller, &body).await?,
    ))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = exact(
        router,
        "/api/jwt/settings",
        get(get_jwt_settings).post(update_jwt_settings),
    );
    let router = slashed(router, "/api/token/", get(list_tokens).post(create_token));
    let router = slashed(router, "/api/token/refresh/", post(refresh_token));
    let router = slashed(router, "/api/token/blacklist/", post(blacklist_token));
    slashed(router, "/api/token/rotate/", post(rotate_token))
}
