//! Signing up from the browser form: open sign-up, an organization's invite link, and an email
//! invitation's secret; someone who has an account already joins the invited organization by
//! proving their password (throttled as sign-ins are).

use std::net::IpAddr;

use tessera_db::{queries, Db};

use crate::accounts::{self, NewAccount};
use crate::error::CoreResult;
use crate::roles::Role;
use crate::secrets::secrets_equal;
use crate::sessions;
use crate::sign_in::{try_password, Attempt};

/// Why the sign-up page refuses anyone (answered with a 403).
pub type Closed = &'static str;

/// The organization an invite token names (an organization's current token), or `None` for
/// an open sign-up; refused when the token is not one, or when sign-up without a link is
/// disabled (Label Studio's `DISABLE_SIGNUP_WITHOUT_LINK`) and an organization exists already
/// (a new server's founder signs up without one).
pub async fn invitation(
    db: &Db,
    token: Option<&str>,
    link_required: bool,
) -> CoreResult<Result<Option<i64>, Closed>> {
    Ok(match token {
        Some(token) => match queries::organizations::by_token(db.conn(), token).await? {
            Some(org) if secrets_equal(&org.token, token) => Ok(Some(org.id)),
            _ => Err("The invite link is invalid or has expired."),
        },
        None if link_required && queries::organizations::first(db.conn()).await?.is_some() => {
            Err("Sign-up is only possible with an invite link.")
        }
        None => Ok(None),
    })
}

/// A filled-in sign-up form and where it came from.
pub struct SignUp<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub allow_newsletters: bool,
    /// The invite token (`?token=`).
    pub token: Option<&'a str>,
    /// The email invitation's secret (`?invite=`), which grants its role, projects and
    /// workspaces.
    pub invite: Option<&'a str>,
    /// Whether sign-up needs an invite link (see [`invitation`]).
    pub link_required: bool,
    /// The role of an open sign-up (`--signup-role`); invited people join as annotators, their
    /// invitation may say more.
    pub open_role: Role,
    pub client: IpAddr,
}

/// What a sign-up came to.
pub enum SignedUp {
    /// Nobody may sign up here: the reason (403).
    Closed(Closed),
    /// The form is wrong: the message to show on it.
    Invalid(String),
    /// Too many failed password proofs: the lockout message.
    Locked(String),
    /// Signed up (or joined) and signed in: the new session's key.
    SignedIn { session_key: String },
}

/// Signs up (or, for an existing account following an invite, joins the invited organization)
/// and starts a session.
pub async fn sign_up(db: &Db, form: SignUp<'_>) -> CoreResult<SignedUp> {
    let organization_id = match invitation(db, form.token, form.link_required).await? {
        Ok(organization) => organization,
        Err(reason) => return Ok(SignedUp::Closed(reason)),
    };
    let email = form.email.trim().to_lowercase();
    let invalid = |message: &str| Ok(SignedUp::Invalid(message.to_string()));
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return invalid("Enter a valid email address.");
    }
    if let Some(existing) = queries::users::find_by_email(db.conn(), &email).await? {
        let Some(organization_id) = organization_id else {
            return invalid("User with this email already exists");
        };
        let (existing, txn) =
            match try_password(db, form.client, &email, Some(existing), form.password).await? {
                Attempt::Locked(message) => return Ok(SignedUp::Locked(message)),
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
        if let Some(secret) = form.invite {
            accounts::accept_invite(&txn, organization_id, user_id, &email, secret).await?;
        }
        let session_key = sessions::start(&txn, user_id).await?;
        txn.commit().await?;
        return Ok(SignedUp::SignedIn { session_key });
    }
    if let Some(problem) = accounts::password_problem(form.password, &email) {
        return invalid(problem);
    }
    let txn = db.write().await?;
    let account = NewAccount {
        email: &email,
        password: form.password,
        api_token: None,
        allow_newsletters: Some(form.allow_newsletters),
        username_from_email: true,
        organization_id,
        role: if organization_id.is_some() {
            accounts::ROLE_MEMBER
        } else {
            form.open_role
        },
    };
    let user = accounts::create(&txn, account).await?;
    if let (Some(organization_id), Some(secret)) = (organization_id, form.invite) {
        accounts::accept_invite(&txn, organization_id, user.id, &email, secret).await?;
    }
    let session_key = sessions::start(&txn, user.id).await?;
    txn.commit().await?;
    Ok(SignedUp::SignedIn { session_key })
}
