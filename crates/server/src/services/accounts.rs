//! Creating accounts: the first user founds the organization, later users join it.

use tessera_db::entities::user;
use tessera_db::queries::users::NewUser;
use tessera_db::{queries, time, WriteTxn};

use crate::auth::roles::Role;
use crate::auth::secrets::{hash_password, random_hex};

/// Title of the organization the first user founds, as Label Studio names it.
pub const DEFAULT_ORGANIZATION_TITLE: &str = "Label Studio";
/// Role of an organization's founder.
pub const ROLE_OWNER: Role = Role::Owner;
/// Role of users who join an existing organization.
pub const ROLE_MEMBER: Role = Role::Annotator;

/// What a new account is made of.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub api_token: Option<&'a str>,
    pub allow_newsletters: Option<bool>,
    /// Label Studio gives signups `username` = the email's local part; the CLI admin gets `""`.
    pub username_from_email: bool,
    /// The organization an invite link names; without one, the first organization.
    pub organization_id: Option<i64>,
}

/// Creates the user and its membership in the invited (or else the first) organization,
/// founding one when there is none.
pub async fn create(txn: &WriteTxn, account: NewAccount<'_>) -> anyhow::Result<user::Model> {
    let now = time::now();
    let email = account.email.trim().to_lowercase();
    let username = if account.username_from_email { email.split('@').next().unwrap_or("").to_string() } else { String::new() };
    let organization = match account.organization_id {
        Some(id) => queries::organizations::find(&**txn, id).await?,
        None => queries::organizations::first(&**txn).await?,
    };
    let user = queries::users::insert(
        &**txn,
        NewUser {
            email: &email,
            username: &username,
            password_hash: hash_password(account.password)?,
            api_token: account.api_token.map(str::to_string).unwrap_or_else(|| random_hex(20)),
            first_name: "",
            last_name: "",
            allow_newsletters: account.allow_newsletters,
            is_superuser: organization.is_none(),
            now,
        },
    )
    .await?;
    let user = match organization {
        Some(org) => queries::organizations::add_member(&**txn, org.id, user, ROLE_MEMBER.code(), now).await?,
        None => {
            let org = queries::organizations::insert(&**txn, DEFAULT_ORGANIZATION_TITLE, random_hex(20), user.id, now).await?;
            queries::organizations::add_member(&**txn, org.id, user, ROLE_OWNER.code(), now).await?
        }
    };
    Ok(user)
}
