//! Who is calling: legacy tokens, JWT access tokens and browser sessions, in Label Studio's order.
//!
//! Label Studio 1.23.2 tries the JWT middleware (`Authorization: Bearer <access>`), then
//! `Authorization: Token <key>` (keyword case-insensitive; `X-Api-Key: <key>` is rewritten to it),
//! then the session cookie (`label_studio/core/settings/base.py`, `REST_FRAMEWORK`). An invalid
//! Bearer token falls through; an invalid legacy token is `401 Invalid token.`.

pub mod access;
pub mod client_address;
pub mod session;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use tessera_db::queries;
use tessera_db::queries::users::{Lookup, Member};

use tessera_core::Actor;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller: the core's [`Actor`] for this request (fields and methods read
/// through `Deref`).
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

impl std::ops::Deref for Caller {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.0
    }
}

const NO_CREDENTIALS: &str = "Authentication credentials were not provided.";
/// The refusal of a legacy token when the organization turned them off (`/api/jwt/settings`).
pub const LEGACY_DISABLED: &str =
    "Legacy API token authentication is disabled for this organization.";

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        identify(parts, state, Keys::Api).await
    }
}

/// Which keys a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Label Studio's: `Bearer` with an access token, `Token` with a legacy token.
    Api,
    /// Media routes also take a personal access token under either keyword and a legacy token
    /// under `Bearer`: model servers fetch task media with whatever key they were given, and
    /// label-studio-ml sends a JWT as `Bearer` and anything else as `Token`.
    Media,
}

/// The caller of a request (remembered in its extensions), authenticated with `keys`.
pub async fn identify(parts: &mut Parts, state: &AppState, keys: Keys) -> Result<Caller, ApiError> {
    if let Some(caller) = parts.extensions.get::<Caller>() {
        return Ok(caller.clone());
    }
    let Member {
        user, member_role, ..
    } = authenticate(parts, state, keys).await?;
    if !user.is_active {
        return Err(ApiError::Unauthorized(
            "User inactive or deleted.".to_string(),
        ));
    }
    let organization_id = user.active_organization_id.ok_or_else(|| {
        ApiError::Forbidden("You are not a member of any organization.".to_string())
    })?;
    let role = member_role
        .as_deref()
        .and_then(tessera_core::roles::Role::from_code)
        .filter(|role| role.is_active())
        .ok_or_else(|| {
            ApiError::Forbidden("You do not have permission to perform this action.".to_string())
        })?;
    crate::services::activity::note(state, &user);
    let caller = Caller(Actor {
        user,
        organization_id,
        role,
    });
    parts.extensions.insert(caller.clone());
    Ok(caller)
}

/// The member whose legacy token `credential` is; refused when it is not one, or when their
/// organization turned legacy tokens off.
async fn legacy_member(state: &AppState, credential: &str) -> Result<Member, ApiError> {
    let member = queries::users::find_member(state.db.conn(), Lookup::Token(credential)).await?;
    match member {
        Some(member)
            if tessera_core::secrets::secrets_equal(&member.user.api_token, credential) =>
        {
            if member.legacy_tokens_enabled == Some(false) {
                return Err(ApiError::Unauthorized(LEGACY_DISABLED.to_string()));
            }
            Ok(member)
        }
        _ => Err(ApiError::Unauthorized("Invalid token.".to_string())),
    }
}

/// The member whose live personal access token `credential` is, unless their organization
/// turned those off.
async fn pat_member(state: &AppState, credential: &str) -> Result<Option<Member>, ApiError> {
    let Some(user_id) = tessera_core::tokens::pat_user(&state.db, &state.jwt, credential).await?
    else {
        return Ok(None);
    };
    let member = queries::users::find_member(state.db.conn(), Lookup::Id(user_id)).await?;
    Ok(member.filter(|m| m.api_tokens_enabled != Some(false)))
}

async fn authenticate(parts: &Parts, state: &AppState, keys: Keys) -> Result<Member, ApiError> {
    let conn = state.db.conn();
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let api_key = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok());
    let credentials = authorization
        .and_then(|value| value.trim().split_once(' '))
        .map(|(keyword, credential)| (keyword.to_ascii_lowercase(), credential.trim().to_string()))
        .or_else(|| api_key.map(|key| ("token".to_string(), key.trim().to_string())));

    if let Some((keyword, credential)) = &credentials {
        if keyword == "bearer" {
            if let Some(claims) = state.jwt.verify(credential, "access") {
                let user = match claims.user_id() {
                    Some(id) => queries::users::find_member(conn, Lookup::Id(id)).await?,
                    None => None,
                };
                let member = user.ok_or_else(|| {
                    ApiError::Bare(
                        axum::http::StatusCode::UNAUTHORIZED,
                        "User not found".into(),
                    )
                })?;
                if member.api_tokens_enabled == Some(false) {
                    return Err(ApiError::Unauthorized(
                        tessera_core::tokens::PATS_DISABLED.to_string(),
                    ));
                }
                return Ok(member);
            }
            if keys == Keys::Media {
                if let Some(member) = pat_member(state, credential).await? {
                    return Ok(member);
                }
                match legacy_member(state, credential).await {
                    Ok(member) => return Ok(member),
                    Err(ApiError::Unauthorized(message)) if message == LEGACY_DISABLED => {
                        return Err(ApiError::Unauthorized(message))
                    }
                    Err(_) => {}
                }
            }
        } else if keyword == "token" {
            let legacy = legacy_member(state, credential).await;
            if legacy.is_err() && keys == Keys::Media {
                if let Some(member) = pat_member(state, credential).await? {
                    return Ok(member);
                }
            }
            return legacy;
        }
    }

    if let Some(user_id) = session::user_id(parts, state).await? {
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe && cross_site(&parts.headers) {
            return Err(ApiError::Forbidden(
                "CSRF Failed: cross-site request refused.".to_string(),
            ));
        }
        if let Some(member) = queries::users::find_member(conn, Lookup::Id(user_id)).await? {
            return Ok(member);
        }
    }
    Err(ApiError::Unauthorized(NO_CREDENTIALS.to_string()))
}

/// Whether a browser sent this request from anywhere but our own pages: `Sec-Fetch-Site` other
/// than `same-origin` or `none` (a sibling subdomain is another site too), an opaque
/// `Origin: null` (sandboxed frames, `file:` pages, redirects), or an `Origin` whose host is not
/// ours. Session-authenticated writes from another site are refused; scripts using a
/// `requests.Session` send none of these headers and keep working, as they do with Label
/// Studio (which does not enforce CSRF on API views).
pub fn cross_site(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("sec-fetch-site").is_some_and(|site| site != "same-origin" && site != "none") {
        return true;
    }
    match (header("origin"), header("host")) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => origin.split("://").nth(1).unwrap_or(origin) != host,
        _ => false,
    }
}
