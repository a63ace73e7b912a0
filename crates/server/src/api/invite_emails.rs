//! Invitations by email (`POST /api/invite/send-email`, `POST /api/invite/revoke`, as the
//! official SDK calls them; the use case is `tessera_core::invitations`). Needs an SMTP server
//! (`TESSERA_SMTP_URL`); without one, the invite link (`GET /api/invite`) is the way to invite.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use tessera_core::invitations::{self, Invitation};

use crate::api::exact;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::payload::JsonBody;
use crate::state::AppState;

/// Where people reach this server: the configured public URL, else the request's host.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    match &state.config.public_url {
        Some(url) => url.clone(),
        None => format!(
            "http://{}",
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost")
        ),
    }
}

async fn send_email(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let invitation = Invitation::from_json(&body)?;
    let mailer = state.config.mailer();
    let base_url = base_url(&state, &headers);
    let emails = invitations::send(&state.db, &mailer, &caller, invitation, &base_url).await?;
    Ok(Json(
        json!({"detail": "Invitations sent", "emails": emails}),
    ))
}

async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    invitations::revoke(&state.db, &caller, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = exact(router, "/api/invite/send-email", post(send_email));
    exact(router, "/api/invite/revoke", post(revoke))
}
