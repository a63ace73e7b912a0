//! Browser sign-up, log-in and log-out: HTML forms posting back to themselves, answering 302 on
//! success, as Label Studio's `/user/login/`, `/user/signup/` and `/logout` do
//! (`label_studio/users/views.py`). A `requests.Session` can log in the same way and then use the
//! API with the `sessionid` cookie.

use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use tessera_core::accounts::{self, NewAccount};
use tessera_core::secrets;
use tessera_db::{queries, time, WriteTxn};

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
    #[test]
    fn ipv6_clients_are_throttled_by_their_64_network() {
        let key = |address: &str| {
            super::throttle_keys(address.parse().unwrap(), "A@Example.com ")[0]
                .0
                .clone()
        };
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(
            key("2001:db8:1:2::1"),
            "pair:2001:db8:1:2::/64|a@example.com"
        );
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
    }

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

/// Failed sign-ins one address may have for one account within [`THROTTLE_WINDOW_MINUTES`]
/// before that address is locked out of that account.
const PAIR_FAILURES: i32 = 5;
/// Failed sign-ins one address may have within the window (across accounts) before it is locked.
const ADDRESS_FAILURES: i32 = 20;
/// Failed sign-ins an account may have within the window from every address together before
/// it is locked for everyone: only a distributed attack gets there, so a stranger cannot lock a
/// known user out from one address.
const ACCOUNT_FAILURES: i32 = 100;
/// The window failures are counted in, and how long a lock lasts.
const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// The throttling counters a sign-in of `email` from `client` touches, with their limits. An
/// IPv6 client counts as its /64 network, which one subscriber usually holds whole.
fn throttle_keys(client: IpAddr, email: &str) -> [(String, i32); 3] {
    let address = match client {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => format!(
                "{}/64",
                std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))
            ),
        },
    };
    let email = email.trim().to_lowercase();
    [
        (format!("pair:{address}|{email}"), PAIR_FAILURES),
        (format!("address:{address}"), ADDRESS_FAILURES),
        (format!("account:{email}"), ACCOUNT_FAILURES),
    ]
}

/// Whether someone at `client` may try a password for `email` now: `Err` with the lockout message
/// when the address is locked out of the account, the address is locked, or the account is.
async fn sign_in_allowed(
    state: &AppState,
    client: IpAddr,
    email: &str,
) -> ApiResult<Result<(), String>> {
    let now = time::now();
    let keys = throttle_keys(client, email).map(|(key, _)| key);
    Ok(
        match queries::auth::locked_until(state.db.conn(), &keys, now).await? {
            Some(until) => {
                let minutes = ((until - now).num_seconds() + 59) / 60;
                Err(format!(
                    "Too many failed sign-in attempts. Try again in {minutes} minute{}.",
                    if minutes == 1 { "" } else { "s" }
                ))
            }
            None => Ok(()),
        },
    )
}

/// Counts a wrong password for `email` from `client` (or forgets that address's failures for
/// the account after a right one), in the caller's transaction.
async fn count_sign_in(
    txn: &WriteTxn,
    client: IpAddr,
    email: &str,
    succeeded: bool,
) -> ApiResult<()> {
    let keys = throttle_keys(client, email);
    if succeeded {
        queries::auth::clear_login_failures(&**txn, &keys[0].0).await?;
        return Ok(());
    }
    let (now, window) = (
        time::now(),
        chrono::Duration::minutes(THROTTLE_WINDOW_MINUTES),
    );
    for (key, limit) in &keys {
        queries::auth::record_login_failure(&**txn, key, *limit, window, window, now).await?;
    }
    Ok(())
}

/// What a password attempt came to, throttled and counted in the returned transaction.
enum Attempt {
    /// Too many failures: the lockout message (nothing counted).
    Locked(String),
    /// A wrong password, or an account that cannot sign in.
    Wrong(WriteTxn),
    /// The account, proven by its password.
    Proven(Box<tessera_db::entities::user::Model>, WriteTxn),
}

/// Checks `password` against `account` (the account `email` names, if any) for someone at
/// `client`: refused while locked out; hashed even without a usable account, so that timing does
/// not tell which accounts exist or are deactivated; the outcome counted for throttling.
async fn try_password(
    state: &AppState,
    client: IpAddr,
    email: &str,
    account: Option<tessera_db::entities::user::Model>,
    password: &str,
) -> ApiResult<Attempt> {
    if let Err(message) = sign_in_allowed(state, client, email).await? {
        return Ok(Attempt::Locked(message));
    }
    let account = account.filter(|u| u.is_active);
    let proven =
        secrets::verify_password_of(password, account.as_ref().map(|u| u.password.as_str()));
    let txn = state.db.write().await?;
    count_sign_in(&txn, client, email, proven).await?;
    Ok(match account.filter(|_| proven) {
        Some(user) => Attempt::Proven(Box::new(user), txn),
        None => Attempt::Wrong(txn),
    })
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
    let account = queries::users::find_by_email(state.db.conn(), form.email.trim()).await?;
    let (user, txn) =
        match try_password(&state, client, &form.email, account, &form.password).await? {
            Attempt::Locked(message) => {
                return Ok((
                    StatusCode::TOO_MANY_REQUESTS,
                    login_page(&next, &form.email, Some(&message)),
                )
                    .into_response())
            }
            Attempt::Wrong(txn) => {
                txn.commit().await?;
                return Ok(login_page(
                    &next,
                    &form.email,
                    Some("The email and password you entered don't match."),
                )
                .into_response());
            }
            Attempt::Proven(user, txn) => (user, txn),
        };
    let cookie = session::start(
        &txn,
        user.id,
        CookieOptions::for_request(&state, peer.ip(), &headers, form.persist_session.is_some()),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect(&safe_next(next.next.as_deref()), Some(cookie)))
}

/// An invite token must be an organization's current one, and names the organization the new
/// user joins; without a token, sign-up is open (to the first organization) unless
/// `disable_signup_without_link` is set (Label Studio's `DISABLE_SIGNUP_WITHOUT_LINK`) and an
/// organization exists already (a new server's founder signs up without one). A refusal
/// is the reason, shown on the sign-up page with a 403.
async fn check_invite(
    state: &AppState,
    token: Option<&str>,
) -> ApiResult<Result<Option<i64>, &'static str>> {
    Ok(match token {
        Some(token) => match queries::organizations::by_token(state.db.conn(), token).await? {
            Some(org) if tessera_core::secrets::secrets_equal(&org.token, token) => {
                Ok(Some(org.id))
            }
            _ => Err("The invite link is invalid or has expired."),
        },
        // The founder of a new server's organization has no link to follow yet.
        None if state.config.disable_signup_without_link
            && queries::organizations::first(state.db.conn())
                .await?
                .is_some() =>
        {
            Err("Sign-up is only possible with an invite link.")
        }
        None => Ok(None),
    })
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
    Ok(match check_invite(&state, next.token.as_deref()).await? {
        Ok(_) => signup_page(&next, email, None).into_response(),
        Err(reason) => refused(&next, email, reason),
    })
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
    let organization_id = match check_invite(&state, next.token.as_deref()).await? {
        Ok(organization) => organization,
        Err(reason) => return Ok(refused(&next, &form.email, reason)),
    };
    let email = form.email.trim().to_lowercase();
    let invalid =
        |message: &str| Ok(signup_page(&next, &form.email, Some(message)).into_response());
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return invalid("Enter a valid email address.");
    }
    if let Some(existing) = queries::users::find_by_email(state.db.conn(), &email).await? {
        // Someone with an account follows another organization's invite: their password
        // proves who they are (throttled as sign-ins are), and they join that organization too.
        let Some(organization_id) = organization_id else {
            return invalid("User with this email already exists");
        };
        let client = client_address(peer.ip(), &headers, &state.config.trusted_proxies);
        let (existing, txn) =
            match try_password(&state, client, &email, Some(existing), &form.password).await? {
                Attempt::Locked(message) => {
                    return Ok((
                        StatusCode::TOO_MANY_REQUESTS,
                        signup_page(&next, &form.email, Some(&message)),
                    )
                        .into_response())
                }
                Attempt::Wrong(txn) => {
                    txn.commit().await?;
                    return invalid("User with this email already exists");
                }
                Attempt::Proven(user, txn) => (*user, txn),
            };
        let user_id = existing.id;
        if !accounts::join(&txn, existing, organization_id).await? {
            return invalid(
                "This account was removed from that organization; ask one of its administrators.",
            );
        }
        if let Some(secret) = next.invite.as_deref() {
            accounts::accept_invite(&txn, organization_id, user_id, &email, secret).await?;
        }
        let cookie = session::start(
            &txn,
            user_id,
            CookieOptions::for_request(&state, peer.ip(), &headers, true),
        )
        .await?;
        txn.commit().await?;
        return Ok(redirect(&safe_next(next.next.as_deref()), Some(cookie)));
    }
    if let Some(problem) = accounts::password_problem(&form.password, &email) {
        return invalid(problem);
    }
    let txn = state.db.write().await?;
    let account = NewAccount {
        email: &email,
        password: &form.password,
        api_token: None,
        allow_newsletters: Some(form.allow_newsletters.is_some()),
        username_from_email: true,
        organization_id,
        // Invited people join as annotators (their invitation may say more); open sign-ups
        // get the operator's `--signup-role`.
        role: if organization_id.is_some() {
            accounts::ROLE_MEMBER
        } else {
            state.config.signup_role
        },
    };
    let user = accounts::create(&txn, account).await?;
    if let (Some(organization_id), Some(secret)) = (organization_id, next.invite.as_deref()) {
        accounts::accept_invite(&txn, organization_id, user.id, &email, secret).await?;
    }
    let cookie = session::start(
        &txn,
        user.id,
        CookieOptions::for_request(&state, peer.ip(), &headers, true),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect(&safe_next(next.next.as_deref()), Some(cookie)))
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
