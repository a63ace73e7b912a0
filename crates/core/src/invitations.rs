//! Inviting people: the organization's sign-up link, and invitations by email (Label Studio
//! Enterprise's `POST /api/invite/send-email` and `/api/invite/revoke`): each address gets the
//! link plus a secret of its own; signing up with that address through that link within a week
//! grants the invitation's role, projects and workspaces.

use serde::Serialize;
use serde_json::Value;
use tessera_db::entities::organization;
use tessera_db::queries::invites::NewInvite;
use tessera_db::{queries, time, Db};

use crate::accounts;
use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::{pk_of, Fields};
use crate::mail::{Mail, Mailer};
use crate::roles::Role;
use crate::secrets::{random_hex, sha256_hex};

/// Days an invitation's link grants its role, projects and workspaces.
const INVITE_DAYS: i64 = 7;

/// Roles an invitation may carry.
const INVITABLE: [Role; 4] = [
    Role::Administrator,
    Role::Manager,
    Role::Reviewer,
    Role::Annotator,
];

/// `{token, invite_url}`: the link that signs people up into an organization.
#[derive(Debug, Serialize)]
pub struct InviteLink {
    pub token: String,
    pub invite_url: String,
}

impl InviteLink {
    /// The sign-up link of `organization` (a path; the server adds its address).
    pub fn of(organization: organization::Model) -> InviteLink {
        let invite_url = format!("/user/signup/?token={}", organization.token);
        InviteLink {
            token: organization.token,
            invite_url,
        }
    }
}

/// An invitation to send, as read from a request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub emails: Vec<String>,
    pub role: Role,
    pub projects: Vec<i64>,
    pub workspaces: Vec<i64>,
}

/// Ids in a body list; DRF's messages otherwise.
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

impl Invitation {
    /// Reads `{"emails": [...], "role": "AN", "projects": [...], "workspaces": [...]}`.
    pub fn from_json(body: &Value) -> CoreResult<Invitation> {
        let mut fields = Fields::new(body)?;
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
        Ok(Invitation {
            emails,
            role,
            projects,
            workspaces,
        })
    }
}

/// Records `invitation` from `actor` and emails each address its link (to this server at
/// `base_url`); returns the addresses. The projects and workspaces must be the actor's to see.
/// Mail goes out after the invitations commit (SMTP may be slow); unless every email went out,
/// they are withdrawn again and the failure is [`CoreError::Upstream`].
pub async fn send(
    db: &Db,
    mailer: &Mailer,
    actor: &Actor,
    invitation: Invitation,
    base_url: &str,
) -> CoreResult<Vec<String>> {
    let conn = db.conn();
    for &project in &invitation.projects {
        if queries::projects::find(conn, actor.viewer(), project)
            .await?
            .is_none()
        {
            return Err(CoreError::missing("projects", project));
        }
    }
    for &workspace in &invitation.workspaces {
        if queries::workspaces::find(conn, actor.organization_id, workspace)
            .await?
            .is_none()
        {
            return Err(CoreError::missing("workspaces", workspace));
        }
    }
    if !mailer.is_configured() {
        return Err(CoreError::BadRequest("Email invitations need an SMTP server (TESSERA_SMTP_URL). Share the invite link instead.".into()));
    }
    let Invitation {
        emails,
        role,
        projects,
        workspaces,
    } = invitation;
    let txn = db.write().await?;
    let organization = queries::organizations::find(&*txn, actor.organization_id)
        .await?
        .ok_or_else(|| CoreError::no_match("Organization"))?;
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
            invited_by: actor.user.id,
        };
        queries::invites::upsert(&*txn, invite, now).await?;
        secrets.push(secret);
    }
    let title = organization.title.clone();
    let link = format!("{base_url}{}", InviteLink::of(organization).invite_url);
    let mails = emails
        .iter()
        .zip(&secrets)
        .map(|(email, secret)| Mail {
            to: email.clone(),
            subject: format!("You are invited to {title} on Tessera"),
            body: format!(
                "{} invited you to join {title} as {}.\n\nSign up with this address ({email}) within {INVITE_DAYS} days here:\n{link}&email={}&invite={secret}\n",
                actor.user.email,
                role.title().to_lowercase(),
                percent_encoding::utf8_percent_encode(email, percent_encoding::NON_ALPHANUMERIC)
            ),
        })
        .collect();
    txn.commit().await?;
    if let Err(reason) = mailer.send(mails).await {
        let txn = db.write().await?;
        for email in &emails {
            queries::invites::revoke(&*txn, actor.organization_id, email).await?;
        }
        txn.commit().await?;
        return Err(CoreError::Upstream(format!(
            "Could not send the invitations: {reason}"
        )));
    }
    Ok(emails)
}

/// Withdraws the pending invitation of `{"email": ...}` in the actor's organization.
pub async fn revoke(db: &Db, actor: &Actor, body: &Value) -> CoreResult<()> {
    let mut fields = Fields::new(body)?;
    let email = fields.string("email").map(|e| e.trim().to_lowercase());
    if email.is_none() {
        fields.error("email", "This field is required.");
    }
    fields.finish()?;
    let txn = db.write().await?;
    let revoked =
        queries::invites::revoke(&*txn, actor.organization_id, &email.expect("validated")).await?;
    txn.commit().await?;
    if !revoked {
        return Err(CoreError::NotFound(
            "No pending invitation for this email.".into(),
        ));
    }
    Ok(())
}
