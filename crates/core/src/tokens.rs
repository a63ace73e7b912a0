//! JWT personal access tokens (Label Studio's `jwt_auth`): listing, creating, refreshing,
//! revoking and rotating a user's tokens, and the organization's token settings.
//!
//! As observed on Label Studio 1.23.2: one live token per user (a second is a conflict), the list
//! shows each token without its signature, refresh needs no authentication.

use chrono::{TimeZone, Utc};
use serde::Serialize;
use serde_json::Value;
use tessera_db::entities::organization;
use tessera_db::{queries, time, Db, WriteTxn};

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::Fields;
use crate::jwt::{without_signature, Claims, JwtKeys, REFRESH_TTL_DAYS};

/// The refusal of a personal access token when the organization turned them off.
pub const PATS_DISABLED: &str =
    "Personal access token authentication is disabled for this organization.";

/// Re-signs a stored token from its recorded claims (we keep claims, not token strings).
fn reissue(
    keys: &JwtKeys,
    user_id: i64,
    row: &tessera_db::entities::jwt_token::Model,
) -> CoreResult<String> {
    let claims = Claims {
        token_type: "refresh".into(),
        exp: row.expires_at.timestamp(),
        iat: row.created_at.timestamp(),
        jti: row.jti.clone(),
        user_id: user_id.to_string(),
    };
    Ok(keys.sign(&claims)?)
}

/// The actor's live tokens, each without its signature.
pub async fn list(db: &Db, keys: &JwtKeys, actor: &Actor) -> CoreResult<Vec<String>> {
    let live = queries::auth::live_jwts(db.conn(), actor.user.id, time::now()).await?;
    live.iter()
        .map(|row| Ok(without_signature(&reissue(keys, actor.user.id, row)?)))
        .collect()
}

/// The actor's organization, refusing when it turned personal access tokens off.
async fn token_organization(txn: &WriteTxn, actor: &Actor) -> CoreResult<organization::Model> {
    let organization = queries::organizations::find(&**txn, actor.organization_id)
        .await?
        .ok_or_else(|| CoreError::no_match("Organization"))?;
    if !organization.api_tokens_enabled {
        return Err(CoreError::Forbidden(PATS_DISABLED.to_string()));
    }
    Ok(organization)
}

/// Signs a new personal access token, living as long as the organization says, and records it
/// in the transaction.
async fn issue_token(
    keys: &JwtKeys,
    txn: &WriteTxn,
    user_id: i64,
    organization: &organization::Model,
) -> CoreResult<String> {
    let ttl_days = i64::from(organization.api_token_ttl_days);
    let issued = keys.issue_refresh(user_id, time::now(), ttl_days)?;
    let at = |seconds: i64| {
        Utc.timestamp_opt(seconds, 0)
            .single()
            .unwrap_or_else(Utc::now)
    };
    let (created, expires) = (at(issued.claims.iat), at(issued.claims.exp));
    queries::auth::insert_jwt(&**txn, user_id, &issued.claims.jti, created, expires).await?;
    Ok(issued.token)
}

/// Creates the actor's personal access token; a conflict while one is live.
pub async fn create(db: &Db, keys: &JwtKeys, actor: &Actor) -> CoreResult<String> {
    let txn = db.write().await?;
    let organization = token_organization(&txn, actor).await?;
    queries::users::lock(&*txn, actor.user.id).await?;
    if !queries::auth::live_jwts(&*txn, actor.user.id, time::now())
        .await?
        .is_empty()
    {
        return Err(CoreError::Conflict(
            "You already have a valid token. Please revoke it before creating a new one.".into(),
        ));
    }
    let token = issue_token(keys, &txn, actor.user.id, &organization).await?;
    txn.commit().await?;
    Ok(token)
}

/// Reads `{"refresh": ...}`, verifies it and checks it is still live in the database: the
/// claims, or why the token is refused.
async fn live_refresh(
    db: &Db,
    keys: &JwtKeys,
    body: &Value,
) -> CoreResult<Result<Claims, &'static str>> {
    let mut fields = Fields::new(body)?;
    let refresh = fields.string("refresh");
    if refresh.is_none() {
        fields.require(&["refresh"]);
    }
    fields.finish()?;
    let refresh = refresh.unwrap_or_default();
    let Some(claims) = keys.verify(&refresh, "refresh") else {
        return Ok(Err("Token is invalid"));
    };
    match queries::auth::find_jwt(db.conn(), &claims.jti).await? {
        Some(row) if row.blacklisted_at.is_none() => Ok(Ok(claims)),
        Some(_) => Ok(Err("Token is blacklisted")),
        None => Ok(Err("Token is invalid")),
    }
}

/// The user whose live personal access token `token` is, if it is one (model servers send it
/// as is to fetch task media).
pub async fn pat_user(db: &Db, keys: &JwtKeys, token: &str) -> CoreResult<Option<i64>> {
    let claims = live_refresh(db, keys, &serde_json::json!({"refresh": token})).await?;
    Ok(claims.ok().and_then(|claims| claims.user_id()))
}

/// Exchanges a live personal access token (`{"refresh": ...}`) for a short-lived access token;
/// no access token is issued that the organization's settings would refuse anyway.
pub async fn refresh(db: &Db, keys: &JwtKeys, body: &Value) -> CoreResult<String> {
    let claims = live_refresh(db, keys, body)
        .await?
        .map_err(|m| CoreError::Unauthorized(m.to_string()))?;
    let user_id = claims
        .user_id()
        .ok_or_else(|| CoreError::Unauthorized("Token is invalid".into()))?;
    let member =
        queries::users::find_member(db.conn(), queries::users::Lookup::Id(user_id)).await?;
    if member.is_some_and(|m| m.api_tokens_enabled == Some(false)) {
        return Err(CoreError::Unauthorized(PATS_DISABLED.to_string()));
    }
    Ok(keys.issue_access(user_id, time::now())?.token)
}

/// The id of the user's live token whose listed form (without signature, as [`list`] shows
/// it) is `listed`: Label Studio revokes tokens by that form.
async fn listed_token_jti(
    db: &Db,
    keys: &JwtKeys,
    user_id: i64,
    listed: &str,
) -> CoreResult<Option<String>> {
    for row in queries::auth::live_jwts(db.conn(), user_id, time::now()).await? {
        if without_signature(&reissue(keys, user_id, &row)?) == listed {
            return Ok(Some(row.jti));
        }
    }
    Ok(None)
}

/// Revokes one of the actor's tokens, named in full or in its listed form. Whether a live
/// token was revoked.
pub async fn blacklist(db: &Db, keys: &JwtKeys, actor: &Actor, body: &Value) -> CoreResult<bool> {
    let jti = match live_refresh(db, keys, body).await? {
        Ok(claims) if claims.user_id() == Some(actor.user.id) => claims.jti,
        Ok(_) => return Ok(false),
        Err(_) => {
            let listed = body
                .get("refresh")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match listed_token_jti(db, keys, actor.user.id, listed).await? {
                Some(jti) => jti,
                None => return Ok(false),
            }
        }
    };
    let txn = db.write().await?;
    let done = queries::auth::blacklist_jwt(&*txn, &jti, time::now()).await?;
    txn.commit().await?;
    Ok(done)
}

/// Revokes one of the actor's live tokens and issues its replacement; `None` when the token is
/// not a live one of the actor's.
pub async fn rotate(
    db: &Db,
    keys: &JwtKeys,
    actor: &Actor,
    body: &Value,
) -> CoreResult<Option<String>> {
    let Ok(claims) = live_refresh(db, keys, body).await? else {
        return Ok(None);
    };
    if claims.user_id() != Some(actor.user.id) {
        return Ok(None);
    }
    let txn = db.write().await?;
    let organization = token_organization(&txn, actor).await?;
    if !queries::auth::blacklist_jwt(&*txn, &claims.jti, time::now()).await? {
        return Ok(None);
    }
    let refresh = issue_token(keys, &txn, actor.user.id, &organization).await?;
    txn.commit().await?;
    Ok(Some(refresh))
}

/// Label Studio Enterprise's per-organization token settings (`/api/jwt/settings`).
#[derive(Serialize)]
pub struct JwtSettingsOut {
    pub api_tokens_enabled: bool,
    pub legacy_api_tokens_enabled: bool,
    pub api_token_ttl_days: i32,
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

/// The actor's organization's token settings.
pub async fn settings(db: &Db, actor: &Actor) -> CoreResult<JwtSettingsOut> {
    let organization = queries::organizations::find(db.conn(), actor.organization_id)
        .await?
        .ok_or_else(|| CoreError::no_match("Organization"))?;
    Ok(organization.into())
}

/// Turns legacy tokens and personal access tokens on or off (honoured on every request) and
/// sets how many days new personal access tokens live.
pub async fn update_settings(db: &Db, actor: &Actor, body: &Value) -> CoreResult<JwtSettingsOut> {
    let mut fields = Fields::new(body)?;
    let api_enabled = fields.boolean("api_tokens_enabled");
    let legacy_enabled = fields.boolean("legacy_api_tokens_enabled");
    let ttl_days = fields.integer("api_token_ttl_days");
    if let Some(days) = ttl_days.filter(|days| !(1..=REFRESH_TTL_DAYS).contains(days)) {
        let message = if days < 1 {
            "Ensure this value is greater than or equal to 1.".to_string()
        } else {
            format!("Ensure this value is less than or equal to {REFRESH_TTL_DAYS}.")
        };
        fields.error("api_token_ttl_days", message);
    }
    fields.finish()?;
    let txn = db.write().await?;
    let ttl_days = ttl_days.map(|days| days as i32);
    queries::organizations::set_token_settings(
        &*txn,
        actor.organization_id,
        legacy_enabled,
        api_enabled,
        ttl_days,
    )
    .await?;
    let organization = queries::organizations::find(&*txn, actor.organization_id)
        .await?
        .ok_or_else(|| CoreError::no_match("Organization"))?;
    txn.commit().await?;
    Ok(organization.into())
}
