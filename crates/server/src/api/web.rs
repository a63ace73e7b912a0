//! The web app: files of the built app (`web/dist`, see `TESSERA_WEB_DIR`) for every GET that no
//! route answers, and its `index.html` for the app's own paths (client-side routing). API-like
//! paths that no route answers stay JSON 404s.

use std::borrow::Cow;

use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;
use crate::web_assets::WebAssets;

/// Paths that belong to the server, never to the web app.
const SERVER_PREFIXES: [&str; 6] = ["/api/", "/scim/", "/data/", "/user/", "/static/", "/health"];

/// The app page's Content-Security-Policy: scripts only from the app itself (no inline or injected
/// script runs, whatever HTML a task holds); styles may be inline (React and the editor set style
/// attributes); task media may come from anywhere, as in Label Studio.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob: http: https:; media-src 'self' data: blob: http: https:; font-src 'self' data:; \
     connect-src 'self'; worker-src 'self' blob:; frame-src 'self' blob: data:; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// Whether the request accepts gzip-encoded bodies.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            coding
                .split(';')
                .next()
                .is_some_and(|name| name.trim().eq_ignore_ascii_case("gzip"))
        })
}

/// Reads a file of the app: its gzip copy (written by the build next to big assets) when the
/// browser accepts one, else the file itself. Returns the bytes and whether they are gzipped.
async fn read_asset(
    web: &WebAssets,
    relative: &str,
    gzip: bool,
) -> Option<(Cow<'static, [u8]>, bool)> {
    if gzip {
        if let Some(bytes) = web.read(&format!("{relative}.gz")).await {
            return Some((bytes, true));
        }
    }
    web.read(relative).await.map(|bytes| (bytes, false))
}

/// The file of the app a path names, relative to the app's folder; `None` for the folder itself
/// and for any path with a `..` or hidden (dot) segment, which could leave the folder.
fn app_file(path: &str) -> Option<&str> {
    let relative = path.trim_start_matches('/');
    let safe = !relative
        .split('/')
        .any(|part| part == ".." || part.starts_with('.'));
    (safe && !relative.is_empty()).then_some(relative)
}

/// Answers what no route did: a file of the web app, its `index.html`, or Label Studio's 404.
pub async fn fallback(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    request_headers: HeaderMap,
) -> Response {
    let path = uri.path();
    let is_get = method == Method::GET || method == Method::HEAD;
    if !is_get || SERVER_PREFIXES.iter().any(|p| path.starts_with(p)) {
        tracing::debug!(%uri, "no route");
        return ApiError::NotFound("Not found.".to_string()).into_response();
    }
    if let Some(relative) = app_file(path) {
        if let Some((bytes, gzipped)) =
            read_asset(&state.web, relative, accepts_gzip(&request_headers)).await
        {
            let mime = mime_guess::from_path(relative).first_or_octet_stream();
            // Vite names built assets by their content: they never change.
            let cache = if relative.starts_with("assets/") {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            let mut response = (
                [
                    (header::CONTENT_TYPE, mime.to_string()),
                    (header::CACHE_CONTROL, cache.to_string()),
                ],
                bytes,
            )
                .into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                header::HeaderValue::from_static("nosniff"),
            );
            headers.insert(
                header::VARY,
                header::HeaderValue::from_static("Accept-Encoding"),
            );
            if gzipped {
                headers.insert(
                    header::CONTENT_ENCODING,
                    header::HeaderValue::from_static("gzip"),
                );
            }
            return response;
        }
    }
    if path.starts_with("/assets/") {
        // A built file that is not there (an old tab after a redeploy): not the app's page.
        return ApiError::NotFound("Not found.".to_string()).into_response();
    }
    match state.web.read("index.html").await {
        Some(index) => ([(header::CACHE_CONTROL, "no-cache"), (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)], Html(index)).into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(format!(
                "<!doctype html><title>Tessera</title><p>The web app is not built. Run <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code> \
                 (or start Tessera with <code>scripts/start.sh</code>); it is looked for in <code>{}</code>. The API works without it.</p>",
                state.web.describe()
            )),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::app_file;

    #[test]
    fn app_files_stay_inside_the_app_folder() {
        assert_eq!(
            app_file("/assets/index-1234.js"),
            Some("assets/index-1234.js")
        );
        assert_eq!(app_file("/samples/image.svg"), Some("samples/image.svg"));
        for outside in [
            "/",
            "",
            "/assets/../../secret.txt",
            "/../etc/passwd",
            "/.env",
            "/assets/.hidden",
            "/a/../b",
        ] {
            assert_eq!(app_file(outside), None, "{outside}");
        }
    }
}
