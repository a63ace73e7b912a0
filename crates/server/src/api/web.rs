//! The web app: files of the built app (`web/dist`, see `TESSERA_WEB_DIR`) for every GET that no
//! route answers, and its `index.html` for the app's own paths (client-side routing). API-like
//! paths that no route answers stay JSON 404s.

use axum::extract::State;
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// Paths that belong to the server, never to the web app.
const SERVER_PREFIXES: [&str; 6] = ["/api/", "/scim/", "/data/", "/user/", "/static/", "/health"];

/// Answers what no route did: a file of the web app, its `index.html`, or Label Studio's 404.
pub async fn fallback(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let is_get = method == Method::GET || method == Method::HEAD;
    if !is_get || SERVER_PREFIXES.iter().any(|p| path.starts_with(p)) {
        tracing::debug!(%uri, "no route");
        return ApiError::NotFound("Not found.".to_string()).into_response();
    }
    let root = &state.config.web_dir;
    let relative = path.trim_start_matches('/');
    let safe = !relative.split('/').any(|part| part == ".." || part.starts_with('.'));
    if safe && !relative.is_empty() {
        if let Ok(bytes) = tokio::fs::read(root.join(relative)).await {
            let mime = mime_guess::from_path(relative).first_or_octet_stream();
            // Vite names built assets by their content: they never change.
            let cache = if relative.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
            let headers = [
                (header::CONTENT_TYPE, mime.to_string()),
                (header::CACHE_CONTROL, cache.to_string()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            ];
            return (headers, bytes).into_response();
        }
    }
    if relative.starts_with("assets/") {
        // A built file that is not there (an old tab after a redeploy): not the app's page.
        return ApiError::NotFound("Not found.".to_string()).into_response();
    }
    match tokio::fs::read_to_string(root.join("index.html")).await {
        Ok(index) => ([(header::CACHE_CONTROL, "no-cache")], Html(index)).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(format!(
                "<!doctype html><title>Tessera</title><p>The web app is not built. Run <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code> \
                 (or start Tessera with <code>scripts/start.sh</code>); it is looked for in <code>{}</code>. The API works without it.</p>",
                root.display()
            )),
        )
            .into_response(),
    }
}
