//! Startup chores: the JWT secret and the first admin account. Their writes are not held to
//! the statement timeout (like migrations, they take nothing from a client, and a tight timeout
//! must not stop a server from starting on a busy machine).

use tessera_core::accounts::{self, NewAccount};
use tessera_core::secrets::random_hex;
use tessera_db::{queries, Db};

use crate::config::Config;

/// The JWT signing secret: from config, else generated once and kept in the database so that
/// every instance sharing the database signs alike.
pub async fn secret_key(db: &Db, configured: Option<&str>) -> anyhow::Result<String> {
    if let Some(secret) = configured {
        return Ok(secret.to_string());
    }
    let txn = db.write_unbounded().await?;
    let secret = queries::auth::setting_or_insert(&*txn, "jwt_secret", &random_hex(32)).await?;
    txn.commit().await?;
    Ok(secret)
}

/// What the first start found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstRun {
    /// Accounts exist (or the configured admin was just made).
    Ready,
    /// No account and none configured: the first person to sign up founds the organization
    /// and owns it, as with Label Studio.
    AwaitingFirstSignup,
}

/// Creates the configured admin (`LABEL_STUDIO_USERNAME`) if missing and prints how to log in.
/// Without one, no account is made: the first sign-up owns the organization.
pub async fn first_admin(db: &Db, config: &Config) -> anyhow::Result<FirstRun> {
    let txn = db.write_unbounded().await?;
    let Some(email) = config.admin_email.clone() else {
        let empty = queries::users::count(&*txn).await? == 0;
        txn.commit().await?;
        return Ok(if empty {
            FirstRun::AwaitingFirstSignup
        } else {
            FirstRun::Ready
        });
    };
    if let Some(existing) = queries::users::find_by_email(&*txn, &email).await? {
        if let Some(token) = config
            .admin_token
            .as_deref()
            .filter(|token| *token != existing.api_token)
        {
            queries::users::set_token(&*txn, existing.id, token).await?;
        }
        // Ended explicitly: a dropped transaction's rollback waits for the connection's next use,
        // holding its locks (and blocking other instances' migrations) until then.
        txn.commit().await?;
        return Ok(FirstRun::Ready);
    }
    let generated_password = config.admin_password.is_none().then(|| random_hex(12));
    let password = config
        .admin_password
        .clone()
        .or_else(|| generated_password.clone())
        .unwrap_or_default();
    let user = accounts::create(
        &txn,
        NewAccount {
            email: &email,
            password: &password,
            api_token: config.admin_token.as_deref(),
            allow_newsletters: None,
            username_from_email: false,
            organization_id: None,
            role: accounts::ROLE_MEMBER,
        },
    )
    .await?;
    txn.commit().await?;
    if !config.quiet {
        println!("Tessera admin account: {email}");
        if let Some(password) = generated_password {
            println!("  password (generated): {password}");
        }
        println!("  API token: {}", user.api_token);
    }
    Ok(FirstRun::Ready)
}
