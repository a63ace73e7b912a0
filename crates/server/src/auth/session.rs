//! Browser sessions: an opaque `sessionid` cookie; the database keeps only its SHA-256.

use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use chrono::Duration;
use tessera_db::{queries, time, WriteTxn};

use crate::auth::secrets::{random_hex, sha256_hex};
use crate::error::ApiError;
use crate::state::AppState;

/// Label Studio's (Django's) session cookie name.
pub const COOKIE: &str = "sessionid";
/// Server-side session lifetime (Django's default two weeks).
pub const TTL_DAYS: i64 = 14;

/// The value of cookie `name` in the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The user of the request's live session, if any.
pub async fn user_id(parts: &Parts, state: &AppState) -> Result<Option<i64>, ApiError> {
    let Some(key) = cookie(&parts.headers, COOKIE) else { return Ok(None) };
    Ok(queries::auth::session_user(state.db.conn(), &sha256_hex(key), time::now()).await?)
}

/// Starts a session and returns the `Set-Cookie` header for it. Without `persist` the cookie
/// ends with the browser, as Label Studio's login form does when "keep me logged in" is off.
pub async fn start(txn: &WriteTxn, user_id: i64, persist: bool) -> Result<HeaderValue, ApiError> {
    let key = random_hex(32);
    let now = time::now();
    let expires = now + Duration::days(TTL_DAYS);
    queries::auth::insert_session(&**txn, sha256_hex(&key), user_id, now, expires).await?;
    let max_age = if persist { format!("; Max-Age={}", TTL_DAYS * 86400) } else { String::new() };
    let value = format!("{COOKIE}={key}; Path=/; HttpOnly; SameSite=Lax{max_age}");
    HeaderValue::from_str(&value).map_err(|err| ApiError::Internal(err.into()))
}

/// Ends the request's session (if any) and returns the `Set-Cookie` header that clears it.
pub async fn end(headers: &HeaderMap, state: &AppState) -> Result<HeaderValue, ApiError> {
    if let Some(key) = cookie(headers, COOKIE) {
        let txn = state.db.write().await?;
        queries::auth::delete_session(&*txn, &sha256_hex(key)).await?;
        txn.commit().await?;
    }
    Ok(HeaderValue::from_static("sessionid=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"))
}
