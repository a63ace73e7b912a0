//! Creating accounts: the first user founds the organization, later users join it.

use tessera_db::entities::{organization_member, user};
use tessera_db::queries::users::NewUser;
use tessera_db::{queries, time, WriteTxn};

use crate::roles::Role;
use crate::secrets::{hash_password, random_hex, sha256_hex};

/// Title of the organization the first user founds, as Label Studio names it.
pub const DEFAULT_ORGANIZATION_TITLE: &str = "Label Studio";
/// Role of an organization's founder.
pub const ROLE_OWNER: Role = Role::Owner;
/// Role of users who join an existing organization, unless told otherwise.
pub const ROLE_MEMBER: Role = Role::Annotator;
/// The transaction lock taken while an account may found the organization.
const FOUNDING_LOCK: i64 = 0x0074_6573_736f_7267; // "tessorg"

/// What a new account is made of.
pub struct NewAccount<'a> {
    pub email: &'a str,
    /// Empty for an account that cannot sign in with a password (created by an administrator
    /// or by SCIM).
    pub password: &'a str,
    pub api_token: Option<&'a str>,
    pub allow_newsletters: Option<bool>,
    /// Label Studio gives signups `username` = the email's local part; the CLI admin gets `""`.
    pub username_from_email: bool,
    /// The organization an invite link names; without one, the first organization.
    pub organization_id: Option<i64>,
    /// The role the account gets when it joins an existing organization (the first account
    /// founds one and owns it).
    pub role: Role,
}

/// Creates the user and its membership in the invited (or else the first) organization,
/// founding one when there is none.
pub async fn create(txn: &WriteTxn, account: NewAccount<'_>) -> anyhow::Result<user::Model> {
    let now = time::now();
    // Two first sign-ups at once must not found two organizations (PostgreSQL; SQLite's writer
    // gate already serializes them). Joining a named organization founds nothing.
    if account.organization_id.is_none() {
        tessera_db::dialect::lock_for_transaction(&**txn, FOUNDING_LOCK).await?;
    }
    let email = account.email.trim().to_lowercase();
    let username = if account.username_from_email {
        email.split('@').next().unwrap_or("").to_string()
    } else {
        String::new()
    };
    let organization = match account.organization_id {
        Some(id) => queries::organizations::find(&**txn, id).await?,
        None => queries::organizations::first(&**txn).await?,
    };
    let user = queries::users::insert(
        &**txn,
        NewUser {
            email: &email,
            username: &username,
            // No password: an empty hash, which no password matches.
            password_hash: if account.password.is_empty() {
                String::new()
            } else {
                hash_password(account.password)?
            },
            api_token: account
                .api_token
                .map(str::to_string)
                .unwrap_or_else(|| random_hex(20)),
            first_name: "",
            last_name: "",
            allow_newsletters: account.allow_newsletters,
            is_superuser: organization.is_none(),
            now,
        },
    )
    .await?;
    let user = match organization {
        Some(org) => {
            queries::organizations::add_member(&**txn, org.id, user, account.role.code(), now)
                .await?
        }
        None => {
            let org = queries::organizations::insert(
                &**txn,
                DEFAULT_ORGANIZATION_TITLE,
                random_hex(20),
                user.id,
                now,
            )
            .await?;
            queries::organizations::add_member(&**txn, org.id, user, ROLE_OWNER.code(), now).await?
        }
    };
    Ok(user)
}

/// Makes an existing user a member (an annotator) of another organization, now their active
/// one; a live member just switches to it. False for someone removed from it, who stays out.
pub async fn join(txn: &WriteTxn, user: user::Model, organization_id: i64) -> anyhow::Result<bool> {
    match queries::organizations::member(&**txn, organization_id, user.id).await? {
        Some(member) if member.deleted_at.is_some() => Ok(false),
        Some(_) => {
            queries::users::set_active_organization(&**txn, user, organization_id).await?;
            Ok(true)
        }
        None => {
            queries::organizations::add_member(
                &**txn,
                organization_id,
                user,
                ROLE_MEMBER.code(),
                time::now(),
            )
            .await?;
            Ok(true)
        }
    }
}

/// Gives a user whose active organization is gone (none, or one they left) `organization_id`
/// instead; a user active in a live organization keeps it, since only the user moves it.
pub async fn settle_active_organization(
    txn: &WriteTxn,
    user: user::Model,
    organization_id: i64,
) -> anyhow::Result<user::Model> {
    let current = match user.active_organization_id {
        Some(active) => queries::organizations::membership(&**txn, active, user.id).await?,
        None => None,
    };
    Ok(match current {
        Some(_) => user,
        None => queries::users::set_active_organization(&**txn, user, organization_id).await?,
    })
}

/// Gives a member who signed up through an email invitation's link (its `secret`) what the
/// invitation promised (role, projects and workspaces of that organization) and retires it. A
/// wrong secret, another address or an expired invitation grants nothing.
pub async fn accept_invite(
    txn: &WriteTxn,
    organization_id: i64,
    user_id: i64,
    email: &str,
    secret: &str,
) -> anyhow::Result<()> {
    let found = queries::invites::take(
        &**txn,
        organization_id,
        email,
        &sha256_hex(secret),
        time::now(),
    )
    .await?;
    let Some(invite) = found else { return Ok(()) };
    let now = time::now();
    if let (Some(role), Some(member)) = (
        Role::from_code(&invite.role),
        queries::organizations::membership(&**txn, organization_id, user_id).await?,
    ) {
        queries::organizations::set_role(&**txn, member.id, role.code(), now).await?;
    }
    let ids = |text: &str| serde_json::from_str::<Vec<i64>>(text).unwrap_or_default();
    let viewer = queries::projects::Viewer::organization(organization_id);
    for project in ids(&invite.project_ids) {
        // Projects or workspaces deleted since the invitation are skipped.
        if queries::projects::find(&**txn, viewer, project)
            .await?
            .is_some()
        {
            queries::project_members::add(&**txn, project, user_id, now).await?;
        }
    }
    for workspace in ids(&invite.workspace_ids) {
        if queries::workspaces::find(&**txn, organization_id, workspace)
            .await?
            .is_some()
        {
            queries::workspaces::add_member(&**txn, workspace, user_id, now).await?;
        }
    }
    Ok(())
}

/// What becomes of an account that a removal leaves in no organization.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Orphaned {
    /// It stays (a removed membership: Label Studio's soft delete).
    Kept,
    /// It is deactivated (a deleted user, a deprovisioned SCIM user).
    Deactivated,
}

/// Takes a member out of an organization: their work stays, they are signed out, and their
/// active organization moves to another they belong to.
pub async fn remove_member(
    txn: &WriteTxn,
    member: &organization_member::Model,
    orphaned: Orphaned,
) -> anyhow::Result<()> {
    queries::organizations::soft_delete_member(&**txn, member.id, time::now()).await?;
    let remaining = queries::organizations::of_user(&**txn, member.user_id).await?;
    let user = queries::users::find(&**txn, member.user_id).await?;
    match (remaining.first(), user) {
        (None, _) if orphaned == Orphaned::Deactivated => {
            queries::users::set_active(&**txn, member.user_id, false).await?
        }
        (Some(other), Some(user))
            if user.active_organization_id == Some(member.organization_id) =>
        {
            queries::users::set_active_organization(&**txn, user, other.id).await?;
        }
        _ => {}
    }
    sign_out_everywhere(txn, member.user_id).await?;
    Ok(())
}

/// Whether `text` looks like an email address (`local@domain.tld`).
pub fn is_email(text: &str) -> bool {
    matches!(text.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
}

/// Passwords refused as too common (the head of the usual leaked-password lists).
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password12",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyui",
    "qwerty123",
    "iloveyou",
    "abc12345",
    "11111111",
    "00000000",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "admin123",
    "letmein1",
    "trustno1",
    "superman",
    "passw0rd",
    "changeme",
    "labelstudio",
];

/// Why `password` is not acceptable for the account `email`, if it is not: Label Studio's
/// length rule, then Django's numeric, similarity and common-password rules.
pub fn password_problem(password: &str, email: &str) -> Option<&'static str> {
    if !(8..=128).contains(&password.chars().count()) {
        return Some("Please enter a password 8-128 characters long");
    }
    if password.chars().all(|c| c.is_ascii_digit()) {
        return Some("This password is entirely numeric. Tessera also refuses passwords of digits only, which are guessed first; add a letter or a symbol.");
    }
    let lowered = password.to_lowercase();
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if lowered == email.to_lowercase() || (local.chars().count() >= 4 && lowered.contains(&local)) {
        return Some("The password is too similar to the email. Tessera also refuses passwords that contain the email's name, which are guessed first.");
    }
    if COMMON_PASSWORDS.contains(&lowered.as_str()) {
        return Some("This password is too common. Tessera also refuses passwords found in leaked-password lists, which are guessed first.");
    }
    None
}

/// Ends every session and personal access token of a user whose standing changed (role,
/// deactivation, password): they sign in again under the new rules.
pub async fn sign_out_everywhere(txn: &WriteTxn, user_id: i64) -> Result<(), sea_orm::DbErr> {
    queries::auth::sign_out_everywhere(&**txn, user_id, time::now()).await
}

#[cfg(test)]
mod tests {
    use super::password_problem;

    #[test]
    fn password_rules() {
        assert_eq!(
            password_problem("short", "a@b.c"),
            Some("Please enter a password 8-128 characters long")
        );
        assert!(password_problem("1234567890123", "a@b.c")
            .unwrap()
            .starts_with("This password is entirely numeric."));
        assert!(password_problem("xx-maria.k-xx", "maria.k@example.com")
            .unwrap()
            .starts_with("The password is too similar to the email."));
        assert!(password_problem("Password123", "a@b.c")
            .unwrap()
            .starts_with("This password is too common."));
        assert_eq!(password_problem("long-enough-1", "a@b.c"), None);
    }
}
