//! Browser sessions as cookies: the `sessionid` cookie carries the key of a session
//! (`tessera_core::sessions`).

use std::net::IpAddr;

use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use tessera_core::sessions::{self, TTL_DAYS};

use crate::error::ApiError;
use crate::state::AppState;

/// Label Studio's (Django's) session cookie name.
pub const COOKIE: &str = "sessionid";

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
    let Some(key) = cookie(&parts.headers, COOKIE) else {
        return Ok(None);
    };
    Ok(sessions::user_of(&state.db, key).await?)
}

/// How the session cookie is set for one sign-in.
#[derive(Debug, Clone, Copy)]
pub struct CookieOptions {
    /// Keep it past the browser's session ("keep me logged in"); else it ends with the browser.
    pub persist: bool,
    /// Mark it `Secure`: the client came over HTTPS (through a trusted proxy), or the server's
    /// public address is an `https://` one.
    pub secure: bool,
}

impl CookieOptions {
    /// The options for a sign-in from `peer` with these headers.
    pub fn for_request(
        state: &AppState,
        peer: IpAddr,
        headers: &HeaderMap,
        persist: bool,
    ) -> CookieOptions {
        let config = &state.config;
        let public_https = config
            .public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"));
        let secure = public_https
            || crate::auth::client_address::forwarded_https(peer, headers, &config.trusted_proxies);
        CookieOptions { persist, secure }
    }
}

/// The `Set-Cookie` header that hands session `key` to the browser.
pub fn set_cookie(key: &str, options: CookieOptions) -> Result<HeaderValue, ApiError> {
    let max_age = if options.persist {
        format!("; Max-Age={}", TTL_DAYS * 86400)
    } else {
        String::new()
    };
    let secure = if options.secure { "; Secure" } else { "" };
    let value = format!("{COOKIE}={key}; Path=/; HttpOnly; SameSite=Lax{secure}{max_age}");
    HeaderValue::from_str(&value).map_err(|err| ApiError::Internal(err.into()))
}

/// Ends the request's session (if any) and returns the `Set-Cookie` header that clears it.
pub async fn end(headers: &HeaderMap, state: &AppState) -> Result<HeaderValue, ApiError> {
    if let Some(key) = cookie(headers, COOKIE) {
        sessions::end(&state.db, key).await?;
    }
    Ok(HeaderValue::from_static(
        "sessionid=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
    ))
}
