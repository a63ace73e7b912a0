//! The HTTP surface: one module per resource, wired together here.
//!
//! Label Studio accepts a route declared with a trailing slash also without it (internal
//! re-dispatch, `label_studio/core/middleware.py`), while routes declared without one answer 404
//! when a slash is added. [`slashed`] and [`exact`] register routes the same way, and every route
//! answers an unsupported method with DRF's 405 body.

mod actions;
mod annotations;
mod dm;
mod drafts;
mod exports;
mod imports;
mod invite_emails;
mod labels;
mod meta;
mod ml;
pub(crate) mod organizations;
mod pagination;
mod predictions;
mod project_members;
pub(crate) mod projects;
pub(crate) mod scim;
mod storages;
mod stream;
mod tasks;
mod tokens;
pub(crate) mod user_pages;
pub(crate) mod users;
mod views;
mod web;
mod webhooks;
mod workspaces;

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::MethodRouter;
use axum::Router;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::auth::access;
use crate::error::ApiError;
use crate::state::AppState;

/// Largest body of ordinary API requests; import routes take up to the configured maximum.
const JSON_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Registers `path` (written with a trailing slash) with and without the slash.
pub(crate) fn slashed(
    router: Router<AppState>,
    path: &str,
    methods: MethodRouter<AppState>,
) -> Router<AppState> {
    require_rules(path);
    let methods = methods.fallback(method_not_allowed);
    let bare = path.trim_end_matches('/');
    router
        .route(&format!("{bare}/"), methods.clone())
        .route(bare, methods)
}

/// Registers `path` exactly (Label Studio's slash-less routes).
pub(crate) fn exact(
    router: Router<AppState>,
    path: &str,
    methods: MethodRouter<AppState>,
) -> Router<AppState> {
    require_rules(path);
    router.route(path, methods.fallback(method_not_allowed))
}

/// Refuses to serve a route nobody decided who may call (`auth::access::RULES`).
fn require_rules(path: &str) {
    assert!(
        access::has_rules(path),
        "route {path} has no rule in auth::access::RULES"
    );
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(format!("Method \"{method}\" not allowed."))
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    router = meta::routes(router);
    router = user_pages::routes(router);
    router = users::routes(router);
    router = organizations::routes(router);
    router = invite_emails::routes(router);
    router = tokens::routes(router);
    router = projects::routes(router);
    router = tasks::routes(router);
    router = imports::routes(router, state.config.max_body_size);
    router = annotations::routes(router);
    router = predictions::routes(router);
    router = labels::routes(router);
    router = exports::routes(router);
    router = views::routes(router);
    router = dm::routes(router);
    router = actions::routes(router);
    router = stream::routes(router);
    router = drafts::routes(router);
    router = workspaces::routes(router);
    router = project_members::routes(router);
    router = scim::routes(router);
    router = storages::routes(router);
    router = webhooks::routes(router);
    router = ml::routes(router);
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any)
        .max_age(std::time::Duration::from_secs(86400));
    router
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::authorize,
        ))
        .fallback(web::fallback)
        .layer(DefaultBodyLimit::max(
            state.config.max_body_size.min(JSON_BODY_LIMIT),
        ))
        .layer(axum::middleware::from_fn(crate::payload::refuse_nul_in_uri))
        .layer(cors)
        // No page of Tessera is meant to be framed (clickjacking).
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                axum::http::header::X_FRAME_OPTIONS,
                axum::http::HeaderValue::from_static("DENY"),
            ),
        )
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
