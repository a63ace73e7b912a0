//! Invitations by email (Label Studio Enterprise's `POST /api/invite/send-email` and
//! `POST /api/invite/revoke`, as the official SDK calls them): each address gets the
//! organization's sign-up link plus a secret of its own; signing up with that address through
//! that link within a week grants the invitation's role, projects and workspaces. Needs an SMTP server (`TESSERA_SMTP_URL`); without one, the invite
//! link (`GET /api/invite`) is the way to invite.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use tessera_core::accounts;
use tessera_core::fields::{pk_of, Fields};
use tessera_core::roles::Role;
use tessera_core::secrets::{random_hex, sha256_hex};
use tessera_db::queries::invites::NewInvite;
use tessera_db::{queries, time};

use crate::api::exact;
use crate::api::organizations::invite_of;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::services::mail::{self, Mail};
use crate::state::AppState;

/// Days an invitation's link grants its role, projects and workspaces.
const INVITE_DAYS: i64 = 7;

/// Roles an invitation may carry.
const INVITABLE: [Role; 4] = [
    Role::Administrator,
    Role::Manager,
    Role::Reviewer,
    Role::Annotator,
];

/// Ids in a body list that must all name objects of the organization; DRF's messages otherwise.
fn id_list(fields: &mut Fields, key: &str) -> Vec<i64> {
    match fields.raw(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let ids: Vec<Option<i64>> = items.iter().map(pk_of).collect();
            if ids.iter().any(Option::is_none) {
                fields.error(key, "A valid integer is required.");
            }
            ids.into_iter().flatten().collect()
        }
        Some(_) => {
            fields.error(key, "Expected a list of items.");
            Vec::new()
        }
    }
}

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
    let mut fields = Fields::new(&body)?;
    let emails: Vec<String> = match fields.raw("emails") {
        Some(Value::Array(items)) if !items.is_empty() => {
            let emails: Vec<String> = items
                .iter()
                .filter_map(Value::as_str)
                .map(|e| e.trim().to_lowercase())
                .collect();
            if emails.len() != items.len() || !emails.iter().all(|e| accounts::is_email(e)) {
                fields.error("emails", "Enter a valid email address.");
            }
            emails
        }
        Some(Value::Array(_)) => {
            fields.error("emails", "This list may not be empty.");
            Vec::new()
        }
        Some(_) => {
            fields.error("emails", "Expected a list of items.");
            Vec::new()
        }
        None => {
            fields.error("emails", "This field is required.");
            Vec::new()
        }
    };
    let role = match fields.string("role") {
        None => Role::Annotator,
        Some(code) => match Role::from_code(&code).filter(|r| INVITABLE.contains(r)) {
            Some(role) => role,
            None => {
                fields.error("role", format!("\"{code}\" is not a valid choice."));
                Role::Annotator
            }
        },
    };
    let projects = id_list(&mut fields, "projects");
    let workspaces = id_list(&mut fields, "workspaces");
    fields.finish()?;
    let conn = state.db.conn();
    for &project in &projects {
        if queries::projects::find(conn, caller.viewer(), project)
            .await?
            .is_none()
        {
            return Err(ApiError::missing("projects", project));
        }
    }
    for &workspace in &workspaces {
        if queries::workspaces::find(conn, caller.organization_id, workspace)
            .await?
            .is_none()
        {
            return Err(ApiError::missing("workspaces", workspace));
        }
    }
    if !mail::is_configured(&state.config) {
        return Err(ApiError::BadRequest("Email invitations need an SMTP server (TESSERA_SMTP_URL). Share the invite link instead.".into()));
    }

    let txn = state.db.write().await?;
    let organization = queries::organizations::find(&*txn, caller.organization_id)
        .await?
        .ok_or_else(|| ApiError::no_match("Organization"))?;
    let now = time::now();
    let mut secrets = Vec::with_capacity(emails.len());
    for email in &emails {
        let secret = random_hex(24);
        let invite = NewInvite {
            organization_id: organization.id,
            email,
            token_hash: sha256_hex(&secret),
            expires_at: now + chrono::Duration::days(INVITE_DAYS),
            role: role.code(),
            project_ids: &projects,
            workspace_ids: &workspaces,
            invited_by: caller.user.id,
        };
        queries::invites::upsert(&*txn, invite, now).await?;
        secrets.push(secret);
    }
    let link = format!(
        "{}{}",
        base_url(&state, &headers),
        invite_of(organization.clone()).invite_url
    );
    let mails = emails
        .iter()
        .zip(&secrets)
        .map(|(email, secret)| Mail {
            to: email.clone(),
            subject: format!("You are invited to {} on Tessera", organization.title),
            body: format!(
                "{} invited you to join {} as {}.\n\nSign up with this address ({email}) within {INVITE_DAYS} days here:\n{link}&email={}&invite={secret}\n",
                caller.user.email,
                organization.title,
                role.title().to_lowercase(),
                percent_encoding::utf8_percent_encode(email, percent_encoding::NON_ALPHANUMERIC)
            ),
        })
        .collect();
    txn.commit().await?;
    // Sent outside the transaction (SMTP may be slow); the invitations are withdrawn again
    // unless every email went out.
    if let Err(reason) = mail::send(&state.config, mails).await {
        let txn = state.db.write().await?;
        for email in &emails {
            queries::invites::revoke(&*txn, caller.organization_id, email).await?;
        }
        txn.commit().await?;
        return Err(ApiError::Bare(
            StatusCode::BAD_GATEWAY,
            format!("Could not send the invitations: {reason}"),
        ));
    }
    Ok(Json(
        json!({"detail": "Invitations sent", "emails": emails}),
    ))
}

async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    let mut fields = Fields::new(&body)?;
    let email = fields.string("email").map(|e| e.trim().to_lowercase());
    if email.is_none() {
        fields.error("email", "This field is required.");
    }
    fields.finish()?;
    let txn = state.db.write().await?;
    let revoked =
        queries::invites::revoke(&*txn, caller.organization_id, &email.expect("validated")).await?;
    txn.commit().await?;
    if !revoked {
        return Err(ApiError::NotFound(
            "No pending invitation for this email.".into(),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = exact(router, "/api/invite/send-email", post(send_email));
    exact(router, "/api/invite/revoke", post(revoke))
}
