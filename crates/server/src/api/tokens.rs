//! JWT personal access tokens: `/api/token/` (list, create), `/refresh/`, `/blacklist/`, `/rotate/`,
//! and the organization's token settings (`/api/jwt/settings`).
//!
//! Shapes and messages as observed on Label Studio 1.23.2: one live token per user (a second is
//! 409), the list shows each token without its signature, refresh needs no authentication.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{TimeZone, Utc};
use serde::Serialize;
use tessera_core::fields::Fields;
use tessera_db::entities::organization;
use tessera_db::{queries, time, WriteTxn};

use crate::api::{exact, slashed};
use crate::auth::jwt::{without_signature, Claims};
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

async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<TokenOut>>> {
    let live = queries::auth::live_jwts(state.db.conn(), caller.user.id, time::now()).await?;
    let mut out = Vec::with_capacity(live.len());
    for row in live {
        let issued = reissue(
            &state,
            caller.user.id,
            &row.jti,
            row.created_at.timestamp(),
            row.expires_at.timestamp(),
        )?;
        out.push(TokenOut {
            token: without_signature(&issued),
        });
    }
    Ok(Json(out))
}

/// Re-signs a stored token from its recorded claims (we keep claims, not token strings).
fn reissue(state: &AppState, user_id: i64, jti: &str, iat: i64, exp: i64) -> ApiResult<String> {
    let claims = Claims {
        token_type: "refresh".into(),
        exp,
        iat,
        jti: jti.to_string(),
        user_id: user_id.to_string(),
    };
    state.jwt.sign(&claims).map_err(ApiError::Internal)
}

/// The caller's organization, refusing when it turned personal access tokens off.
async fn token_organization(txn: &WriteTxn, caller: &Caller) -> ApiResult<organization::Model> {
    let organization = queries::organizations::find(&**txn, caller.organization_id)
        .await?
        .ok_or_else(|| ApiError::no_match("Organization"))?;
    if !organization.api_tokens_enabled {
        return Err(ApiError::Forbidden(crate::auth::PATS_DISABLED.to_string()));
    }
    Ok(organization)
}

/// Signs a new personal access token, living as long as the organization says, and records it
/// in the caller's transaction.
async fn issue_token(
    state: &AppState,
    txn: &WriteTxn,
    user_id: i64,
    organization: &organization::Model,
) -> ApiResult<String> {
    let ttl_days = i64::from(organization.api_token_ttl_days);
    let issued = state
        .jwt
        .issue_refresh(user_id, time::now(), ttl_days)
        .map_err(ApiError::Internal)?;
    let created = Utc
        .timestamp_opt(issued.claims.iat, 0)
        .single()
        .unwrap_or_else(Utc::now);
    let expires = Utc
        .timestamp_opt(issued.claims.exp, 0)
        .single()
        .unwrap_or_else(Utc::now);
    queries::auth::insert_jwt(&**txn, user_id, &issued.claims.jti, created, expires).await?;
    Ok(issued.token)
}

async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(StatusCode, Json<TokenOut>)> {
    let txn = state.db.write().await?;
    let organization = token_organization(&txn, &caller).await?;
    queries::users::lock(&*txn, caller.user.id).await?;
    if !queries::auth::live_jwts(&*txn, caller.user.id, time::now())
        .await?
        .is_empty()
    {
        return Err(ApiError::Conflict(
            "You already have a valid token. Please revoke it before creating a new one.".into(),
        ));
    }
    let token = issue_token(&state, &txn, caller.user.id, &organization).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(TokenOut { token })))
}

/// Reads `{"refresh": ...}`, verifies it and checks it is still live in the database.
async fn live_refresh(
    state: &AppState,
    body: &serde_json::Value,
) -> ApiResult<Result<Claims, &'static str>> {
    let mut fields = Fields::new(body)?;
    let refresh = fields.string("refresh");
    if refresh.is_none() && !fields.has("refresh") {
        fields.error("refresh", "This field is required.");
    }
    fields.finish()?;
    let refresh = refresh.unwrap_or_default();
    let Some(claims) = state.jwt.verify(&refresh, "refresh") else {
        return Ok(Err("Token is invalid"));
    };
    match queries::auth::find_jwt(state.db.conn(), &claims.jti).await? {
        Some(row) if row.blacklisted_at.is_none() => Ok(Ok(claims)),
        Some(_) => Ok(Err("Token is blacklisted")),
        None => Ok(Err("Token is invalid")),
    }
}

async fn refresh_token(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<AccessOut>> {
    let claims = live_refresh(&state, &body)
        .await?
        .map_err(|m| ApiError::Unauthorized(m.to_string()))?;
    let user_id = claims
        .user_id()
        .ok_or_else(|| ApiError::Unauthorized("Token is invalid".into()))?;
    // No access token is issued that the organization's settings would refuse anyway.
    let member =
        queries::users::find_member(state.db.conn(), queries::users::Lookup::Id(user_id)).await?;
    if member.is_some_and(|m| m.api_tokens_enabled == Some(false)) {
        return Err(ApiError::Unauthorized(
            crate::auth::PATS_DISABLED.to_string(),
        ));
    }
    let access = state
        .jwt
        .issue_access(user_id, time::now())
        .map_err(ApiError::Internal)?;
    Ok(Json(AccessOut {
        access: access.token,
    }))
}

/// The id of the caller's live token whose listed form (without signature, as `GET /api/token/`
/// shows it) is `listed`: Label Studio revokes tokens by that form.
async fn listed_token_jti(
    state: &AppState,
    user_id: i64,
    listed: &str,
) -> ApiResult<Option<String>> {
    for row in queries::auth::live_jwts(state.db.conn(), user_id, time::now()).await? {
        let issued = reissue(
            state,
            user_id,
            &row.jti,
            row.created_at.timestamp(),
            row.expires_at.timestamp(),
        )?;
        if without_signature(&issued) == listed {
            return Ok(Some(row.jti));
        }
    }
    Ok(None)
}

async fn blacklist_token(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    let gone = || {
        ApiError::Bare(
            StatusCode::NOT_FOUND,
            "Token is invalid or already blacklisted.".into(),
        )
    };
    let jti = match live_refresh(&state, &body).await? {
        Ok(claims) if claims.user_id() == Some(caller.user.id) => claims.jti,
        Ok(_) => return Err(gone()),
        Err(_) => {
            let listed = body
                .get("refresh")
                .and_then(|r| r.as_str())
                .unwrap_or_default();
            listed_token_jti(&state, caller.user.id, listed)
                .await?
                .ok_or_else(gone)?
        }
    };
    let txn = state.db.write().await?;
    let done = queries::auth::blacklist_jwt(&*txn, &jti, time::now()).await?;
    txn.commit().await?;
    if done {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(gone())
    }
}

async fn rotate_token(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<RefreshOut>> {
    let invalid = || {
        ApiError::Bare(
            StatusCode::BAD_REQUEST,
            "Token is invalid or already blacklisted.".into(),
        )
    };
    let claims = live_refresh(&state, &body).await?.map_err(|_| invalid())?;
    if claims.user_id() != Some(caller.user.id) {
        return Err(invalid());
    }
    let txn = state.db.write().await?;
    let organization = token_organization(&txn, &caller).await?;
    if !queries::auth::blacklist_jwt(&*txn, &claims.jti, time::now()).await? {
        return Err(invalid());
    }
    let refresh = issue_token(&state, &txn, caller.user.id, &organization).await?;
    txn.commit().await?;
    Ok(Json(RefreshOut { refresh }))
}

/// `/api/jwt/settings`: Label Studio Enterprise's per-organization token settings.
#[derive(Serialize)]
struct JwtSettingsOut {
    api_tokens_enabled: bool,
    legacy_api_tokens_enabled: bool,
    api_token_ttl_days: i32,
}

impl From<organization::Model> for JwtSettingsOut {
    fn from(organization: organization::Model) -> JwtSettingsOut {
        JwtSettingsOut {
            api_tokens_enabled: organization.api_tokens_enabled,
            legacy_api_tokens_enabled: organization.legacy_api_tokens_enabled,
            api_token_ttl_days: organization.api_token_ttl_days,
        }
    }
}

/// Longest lifetime of a personal access token, in days.
const MAX_TOKEN_TTL_DAYS: i64 = crate::auth::jwt::REFRESH_TTL_DAYS;

async fn get_jwt_settings(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<JwtSettingsOut>> {
    let organization = queries::organizations::find(state.db.conn(), caller.organization_id)
        .await?
        .ok_or_else(|| ApiError::no_match("Organization"))?;
    Ok(Json(organization.into()))
}

/// `POST /api/jwt/settings`: turns legacy tokens and personal access tokens on or off (honoured
/// on every request) and sets how many days new personal access tokens live.
async fn update_jwt_settings(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<JwtSettingsOut>> {
    let mut fields = Fields::new(&body)?;
    let api_enabled = fields.boolean("api_tokens_enabled");
    let legacy_enabled = fields.boolean("legacy_api_tokens_enabled");
    let ttl_days = fields.integer("api_token_ttl_days");
    if let Some(days) = ttl_days.filter(|days| !(1..=MAX_TOKEN_TTL_DAYS).contains(days)) {
        let message = if days < 1 {
            "Ensure this value is greater than or equal to 1.".to_string()
        } else {
            format!("Ensure this value is less than or equal to {MAX_TOKEN_TTL_DAYS}.")
        };
        fields.error("api_token_ttl_days", message);
    }
    fields.finish()?;
    let txn = state.db.write().await?;
    let ttl_days = ttl_days.map(|days| days as i32);
    queries::organizations::set_token_settings(
        &*txn,
        caller.organization_id,
        legacy_enabled,
        api_enabled,
        ttl_days,
    )
    .await?;
    let organization = queries::organizations::find(&*txn, caller.organization_id)
        .await?
        .ok_or_else(|| ApiError::no_match("Organization"))?;
    txn.commit().await?;
    Ok(Json(organization.into()))
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
