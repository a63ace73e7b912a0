//! Startup chores: the JWT secret and the first admin account.

use tessera_db::{queries, Db};

use crate::auth::secrets::random_hex;
use crate::config::Config;
use crate::services::accounts::{self, NewAccount};

/// The JWT signing secret: from config, else generated once and kept in the database so that
/// every instance sharing the database signs alike.
pub async fn secret_key(db: &Db, configured: Option<&str>) -> anyhow::Result<String> {
    if let Some(secret) = configured {
        return Ok(secret.to_string());
    }
    let txn = db.write().await?;
    let secret = queries::auth::setting_or_insert(&*txn, "jwt_secret", &random_hex(32)).await?;
    txn.commit().await?;
    Ok(secret)
}

/// Creates the configured admin if missing (or a generated one when the database has no users),
/// and prints how to log in.
pub async fn first_admin(db: &Db, config: &Config) -> anyhow::Result<()> {
    let txn = db.write().await?;
    let no_users = queries::users::count(&*txn).await? == 0;
    let email = match (&config.admin_email, no_users) {
        (Some(email), _) => email.clone(),
        (None, true) => "admin@localhost".to_string(),
        (None, false) => return Ok(txn.commit().await?),
    };
    if let Some(existing) = queries::users::find_by_email(&*txn, &email).await? {
        if let Some(token) = config.admin_token.as_deref().filter(|token| *token != existing.api_token) {
            queries::users::set_token(&*txn, existing.id, token).await?;
        }
        // Ended explicitly: a dropped transaction's rollback waits for the connection's next use,
        // holding its locks (and blocking other instances' migrations) until then.
        txn.commit().await?;
        return Ok(());
    }
    let generated_password = config.admin_password.is_none().then(|| random_hex(12));
    let password = config.admin_password.clone().or_else(|| generated_password.clone()).unwrap_or_default();
    let user = accounts::create(
        &txn,
        NewAccount {
            email: &email,
            password: &password,
            api_token: config.admin_token.as_deref(),
            allow_newsletters: None,
            username_from_email: false,
            organization_id: None,
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
    Ok(())
}
