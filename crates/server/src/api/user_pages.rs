//! Browser sign-up, log-in and log-out: HTML forms posting back to themselves, answering 302 on
//! success, as Label Studio's `/user/login/`, `/user/signup/` and `/logout` do
//! (`label_studio/users/views.py`). A `requests.Session` can log in the same way and then use the
//! API with the `sessionid` cookie.

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use tessera_core::sign_in::{self, SignIn};
use tessera_core::sign_up::{self, SignUp, SignedUp};

use crate::api::slashed;
use crate::auth::client_address::client_address;
use crate::auth::session;
use crate::auth::session::CookieOptions;
use crate::error::{ApiError, ApiResult};
use crate::payload::ApiQuery;
use crate::state::AppState;
use crate::web_assets::WebAssets;

#[derive(Deserialize, Default)]
struct NextParam {
    next: Option<String>,
    /// The organization's invite token (`/user/signup/?token=`).
    token: Option<String>,
    /// The invited address, filled into the sign-up form (links in invitation emails).
    email: Option<String>,
    /// The secret of an email invitation, which grants its role, projects and workspaces.
    invite: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::{safe_next, NextParam};

    #[test]
    fn next_stays_on_this_host() {
        assert_eq!(safe_next(Some("/projects/")), "/projects/");
        for hostile in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "https://evil.example",
            "evil",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn links_between_sign_in_pages_keep_next_and_the_invitation() {
        assert_eq!(NextParam::default().carried(), "");
        let params = NextParam {
            next: Some("/projects/4/data?tab=2".into()),
            token: Some("t0k".into()),
            email: Some("a@b.c".into()),
            invite: None,
        };
        assert_eq!(
            params.carried(),
            "?next=%2Fprojects%2F4%2Fdata%3Ftab%3D2&token=t0k"
        );
    }
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    persist_session: Option<String>,
}

#[derive(Deserialize)]
struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    allow_newsletters: Option<String>,
}

/// `next` if it is a path on this host, else `/`. Backslashes and control characters are refused
/// because browsers read `/\evil.example` and `/\t/evil.example` as another host.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The sign-in pages' look, matching the web app's.
const PAGE_STYLE: &str = "body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#f6f7f9;color:#1f2328}\
main{max-width:380px;margin:12vh auto;background:#fff;border:1px solid #e3e5e8;border-radius:10px;padding:32px}\
.brand{font-weight:700;font-size:18px;margin:0 0 18px}h1{font-size:22px;margin:0 0 18px}\
form{display:flex;flex-direction:column;gap:14px}label{display:flex;flex-direction:column;gap:6px;font-weight:500}\
label:has(input[type=checkbox]){flex-direction:row;align-items:center;font-weight:400}\
input[type=email],input[type=password]{font:inherit;padding:8px 10px;border:1px solid #d0d7de;border-radius:6px}\
button{font:inherit;padding:9px 14px;border-radius:6px;border:1px solid #2563eb;background:#2563eb;color:#fff;cursor:pointer}\
.error{color:#b42318;margin:0 0 8px}a{color:#2563eb}p{margin:0}";

/// `<link rel="prefetch">` tags for the labeling editor's bundle in the built web app
/// (`assets/lsf-<version>/`): the sign-in pages let the browser fetch it while people type, so
/// the first labeling page after signing in starts at once. Empty without a built app.
static EDITOR_PREFETCH: OnceLock<String> = OnceLock::new();

/// Finds the editor's bundle in the web app for the sign-in pages to prefetch (once per process).
pub(crate) fn find_editor_bundle(web: &WebAssets) {
    let _ = EDITOR_PREFETCH.get_or_init(|| {
        let found = web
            .entries("assets")
            .into_iter()
            .find(|name| name.starts_with("lsf-"));
        found.map_or_else(String::new, |dir| {
            format!(
                "<link rel=\"prefetch\" href=\"/assets/{dir}/main.js\" as=\"script\"><link rel=\"prefetch\" href=\"/assets/{dir}/main.css\" as=\"style\">"
            )
        })
    });
}

fn page(
    title: &str,
    action: &str,
    email: &str,
    error: Option<&str>,
    extra: &str,
    password_purpose: &str,
) -> Html<String> {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Tessera</title><style>{PAGE_STYLE}</style>{prefetch}</head>\
         <body><main><p class=\"brand\">Tessera</p><h1>{title}</h1>{error}<form method=\"post\" action=\"{action}\">\
         <label>Email <input type=\"email\" name=\"email\" value=\"{email}\" autocomplete=\"username\" required></label>\
         <label>Password <input type=\"password\" name=\"password\" autocomplete=\"{password_purpose}\" required></label>{extra}\
         <button type=\"submit\">{title}</button></form></main></body></html>",
        email = escape(email),
        prefetch = EDITOR_PREFETCH.get().map_or("", String::as_str),
    ))
}

impl NextParam {
    /// The query that the link to the other sign-in page carries: where to go afterwards and the
    /// invitation, so that switching between logging in and signing up loses neither.
    fn carried(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("next", &self.next),
            ("token", &self.token),
            ("invite", &self.invite),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.as_deref().map(|v| (key, v)))
        .collect();
        let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
        if query.is_empty() {
            query
        } else {
            format!("?{query}")
        }
    }
}

fn login_page(params: &NextParam, email: &str, error: Option<&str>) -> Html<String> {
    let extra = format!(
        "<label><input type=\"checkbox\" name=\"persist_session\" checked> Keep me logged in</label>\
         <p><a href=\"/user/signup/{}\">Create an account</a></p>",
        escape(&params.carried())
    );
    page("Log in", "", email, error, &extra, "current-password")
}

fn signup_page(params: &NextParam, email: &str, error: Option<&str>) -> Html<String> {
    let extra = format!(
        "<p><a href=\"/user/login/{}\">Log in</a></p>",
        escape(&params.carried())
    );
    page("Sign up", "", email, error, &extra, "new-password")
}

fn redirect(location: &str, cookie: Option<header::HeaderValue>) -> Response {
    let mut response = (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The forms' answer to a NUL character, which no database stores in text.
const NUL_REFUSED: &str = "Null characters are not allowed.";

/// Whether any of the form's texts holds a NUL character.
fn has_nul(texts: &[&str]) -> bool {
    texts.iter().any(|text| text.contains('\0'))
}

/// Refuses form posts coming from another site (the forms' CSRF protection).
fn same_origin(headers: &HeaderMap) -> ApiResult<()> {
    if crate::auth::cross_site(headers) {
        return Err(ApiError::Forbidden(
            "CSRF verification failed. Request aborted.".to_string(),
        ));
    }
    Ok(())
}

async fn show_login(ApiQuery(params): ApiQuery<NextParam>) -> Html<String> {
    login_page(&params, "", None)
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiQuery(next): ApiQuery<NextParam>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> ApiResult<Response> {
    same_origin(&headers)?;
    if has_nul(&[&form.email, &form.password]) {
        return Ok((
            StatusCode::BAD_REQUEST,
            login_page(&next, "", Some(NUL_REFUSED)),
        )
            .into_response());
    }
    let client = client_address(peer.ip(), &headers, &state.config.trusted_proxies);
    match sign_in::log_in(&state.db, client, &form.email, &form.password).await? {
        SignIn::Locked(message) => Ok((
            StatusCode::TOO_MANY_REQUESTS,
            login_page(&next, &form.email, Some(&message)),
        )
            .into_response()),
        SignIn::Wrong => Ok(login_page(
            &next,
            &form.email,
            Some("The email and password you entered don't match."),
        )
        .into_response()),
        SignIn::SignedIn { session_key } => {
            let persist = form.persist_session.is_some();
            let options = CookieOptions::for_request(&state, peer.ip(), &headers, persist);
            let cookie = session::set_cookie(&session_key, options)?;
            Ok(redirect(&safe_next(next.next.as_deref()), Some(cookie)))
        }
    }
}

/// The sign-up page saying why sign-up is refused.
fn refused(params: &NextParam, email: &str, reason: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        signup_page(params, email, Some(reason)),
    )
        .into_response()
}

async fn show_signup(
    State(state): State<AppState>,
    ApiQuery(next): ApiQuery<NextParam>,
) -> ApiResult<Response> {
    let email = next.email.as_deref().unwrap_or_default();
    let link_required = state.config.disable_signup_without_link;
    Ok(
        match sign_up::invitation(&state.db, next.token.as_deref(), link_required).await? {
            Ok(_) => signup_page(&next, email, None).into_response(),
            Err(reason) => refused(&next, email, reason),
        },
    )
}

async fn signup(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiQuery(next): ApiQuery<NextParam>,
    headers: HeaderMap,
    Form(form): Form<SignupForm>,
) -> ApiResult<Response> {
    same_origin(&headers)?;
    if has_nul(&[&form.email, &form.password]) {
        return Ok((
            StatusCode::BAD_REQUEST,
            signup_page(&next, "", Some(NUL_REFUSED)),
        )
            .into_response());
    }
    let request = SignUp {
        email: &form.email,
        password: &form.password,
        allow_newsletters: form.allow_newsletters.is_some(),
        token: next.token.as_deref(),
        invite: next.invite.as_deref(),
        link_required: state.config.disable_signup_without_link,
        open_role: state.config.signup_role,
        client: client_address(peer.ip(), &headers, &state.config.trusted_proxies),
    };
    Ok(match sign_up::sign_up(&state.db, request).await? {
        SignedUp::Closed(reason) => refused(&next, &form.email, reason),
        SignedUp::Invalid(message) => {
            signup_page(&next, &form.email, Some(&message)).into_response()
        }
        SignedUp::Locked(message) => (
            StatusCode::TOO_MANY_REQUESTS,
            signup_page(&next, &form.email, Some(&message)),
        )
            .into_response(),
        SignedUp::SignedIn { session_key } => {
            let options = CookieOptions::for_request(&state, peer.ip(), &headers, true);
            let cookie = session::set_cookie(&session_key, options)?;
            redirect(&safe_next(next.next.as_deref()), Some(cookie))
        }
    })
}

/// `POST /logout/` (the web app's button) and Label Studio's `GET /logout`: a link or form on
/// another site cannot sign anyone out.
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    same_origin(&headers)?;
    let cookie = session::end(&headers, &state).await?;
    Ok(redirect("/", Some(cookie)))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/user/login/", get(show_login).post(login));
    let router = slashed(router, "/user/signup/", get(show_signup).post(signup));
    slashed(router, "/logout/", get(logout).post(logout))
}
