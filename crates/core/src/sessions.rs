//! Browser sessions: an opaque key the browser holds; the database keeps only its SHA-256.

use chrono::Duration;
use tessera_db::{queries, time, Db, WriteTxn};

use crate::error::CoreResult;
use crate::secrets::{random_hex, sha256_hex};

/// Server-side session lifetime (Django's default two weeks).
pub const TTL_DAYS: i64 = 14;

/// Starts a session of `user_id` in the transaction; the key to hand to the browser.
pub async fn start(txn: &WriteTxn, user_id: i64) -> CoreResult<String> {
    let key = random_hex(32);
    let now = time::now();
    let expires = now + Duration::days(TTL_DAYS);
    queries::auth::insert_session(&**txn, sha256_hex(&key), user_id, now, expires).await?;
    Ok(key)
}

/// The user of the live session `key`, if any.
pub async fn user_of(db: &Db, key: &str) -> CoreResult<Option<i64>> {
    Ok(queries::auth::session_user(db.conn(), &sha256_hex(key), time::now()).await?)
}

/// Ends the session `key` (an unknown one is no error).
pub async fn end(db: &Db, key: &str) -> CoreResult<()> {
    let txn = db.write().await?;
    queries::auth::delete_session(&*txn, &sha256_hex(key)).await?;
    txn.commit().await?;
    Ok(())
}
