//! Sessions, issued JWTs and instance settings (the JWT signing secret).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::entities::{auth_session, jwt_token, login_attempt};

/// Stores a session under the hash of its cookie value.
pub async fn insert_session<C: ConnectionTrait>(
    conn: &C,
    key_hash: String,
    user_id: i64,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    auth_session::ActiveModel {
        key_hash: Set(key_hash),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(conn)
    .await
    .map(|_| ())
}

/// The user id of a live session.
pub async fn session_user<C: ConnectionTrait>(
    conn: &C,
    key_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    Ok(auth_session::Entity::find_by_id(key_hash.to_string())
        .filter(auth_session::Column::ExpiresAt.gt(now))
        .one(conn)
        .await?
        .map(|session| session.user_id))
}

/// Ends a session.
pub async fn delete_session<C: ConnectionTrait>(conn: &C, key_hash: &str) -> Result<(), DbErr> {
    auth_session::Entity::delete_by_id(key_hash.to_string())
        .exec(conn)
        .await
        .map(|_| ())
}

/// Ends every session of a user and blacklists their live personal access tokens (role
/// changes, deactivation, password changes).
pub async fn sign_out_everywhere<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    auth_session::Entity::delete_many()
        .filter(auth_session::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    jwt_token::Entity::update_many()
        .col_expr(
            jwt_token::Column::BlacklistedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(jwt_token::Column::UserId.eq(user_id))
        .filter(jwt_token::Column::BlacklistedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Records an issued personal access token.
pub async fn insert_jwt<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    jti: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<jwt_token::Model, DbErr> {
    jwt_token::ActiveModel {
        user_id: Set(user_id),
        jti: Set(jti.to_string()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        blacklisted_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// An issued token by its `jti`.
pub async fn find_jwt<C: ConnectionTrait>(
    conn: &C,
    jti: &str,
) -> Result<Option<jwt_token::Model>, DbErr> {
    jwt_token::Entity::find()
        .filter(jwt_token::Column::Jti.eq(jti))
        .one(conn)
        .await
}

/// The user's tokens that are neither blacklisted nor expired, oldest first.
pub async fn live_jwts<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<jwt_token::Model>, DbErr> {
    jwt_token::Entity::find()
        .filter(jwt_token::Column::UserId.eq(user_id))
        .filter(jwt_token::Column::BlacklistedAt.is_null())
        .filter(jwt_token::Column::ExpiresAt.gt(now))
        .order_by_asc(jwt_token::Column::Id)
        .all(conn)
        .await
}

/// Blacklists a token; returns false if it was unknown or already blacklisted.
pub async fn blacklist_jwt<C: ConnectionTrait>(
    conn: &C,
    jti: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = jwt_token::Entity::update_many()
        .col_expr(
            jwt_token::Column::BlacklistedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(jwt_token::Column::Jti.eq(jti))
        .filter(jwt_token::Column::BlacklistedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Reads an instance setting, inserting `default` first if it is missing (race-free across instances).
pub async fn setting_or_insert<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    default: &str,
) -> Result<String, DbErr> {
    use sea_orm::sea_query::{Alias, Expr, Query};
    let insert = Query::insert()
        .into_table(Alias::new("instance_settings"))
        .columns([Alias::new("key"), Alias::new("value")])
        .values_panic([key.into(), default.into()])
        .on_conflict(
            OnConflict::column(Alias::new("key"))
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    crate::exec(conn, &insert).await?;
    let select = Query::select()
        .column(Alias::new("value"))
        .from(Alias::new("instance_settings"))
        .and_where(Expr::col(Alias::new("key")).eq(key))
        .to_owned();
    let row = conn
        .query_one(conn.get_database_backend().build(&select))
        .await?;
    match row {
        Some(row) => row.try_get("", "value"),
        None => Err(DbErr::RecordNotFound(format!("setting {key}"))),
    }
}

/// When sign-ins are refused for any of these keys, if they are now.
pub async fn locked_until<C: ConnectionTrait>(
    conn: &C,
    keys: &[String],
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let rows = login_attempt::Entity::find()
        .filter(login_attempt::Column::Key.is_in(keys.iter().cloned()))
        .filter(login_attempt::Column::LockedUntil.gt(now))
        .all(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|r| r.locked_until).max())
}

/// Counts a failed sign-in for `key`: failures older than `window` start a new count, and the
/// `limit`-th failure within it locks the key for `lock`.
pub async fn record_login_failure<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    limit: i32,
    window: chrono::Duration,
    lock: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    // The row is created if missing and then locked (PostgreSQL; SQLite has one writer), so
    // that concurrent failures each count.
    let blank = login_attempt::ActiveModel {
        key: Set(key.to_string()),
        failures: Set(0),
        window_started_at: Set(now),
        locked_until: Set(None),
    };
    login_attempt::Entity::insert(blank)
        .on_conflict(
            OnConflict::column(login_attempt::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .do_nothing()
        .exec(conn)
        .await?;
    let current = login_attempt::Entity::find_by_id(key.to_string())
        .lock_exclusive()
        .one(conn)
        .await?;
    let (failures, started) = match current {
        Some(row) if row.window_started_at + window > now => {
            (row.failures + 1, row.window_started_at)
        }
        _ => (1, now),
    };
    let row = login_attempt::ActiveModel {
        key: Set(key.to_string()),
        failures: Set(failures),
        window_started_at: Set(started),
        locked_until: Set((failures >= limit).then(|| now + lock)),
    };
    login_attempt::Entity::insert(row)
        .on_conflict(
            OnConflict::column(login_attempt::Column::Key)
                .update_columns([
                    login_attempt::Column::Failures,
                    login_attempt::Column::WindowStartedAt,
                    login_attempt::Column::LockedUntil,
                ])
                .to_owned(),
        )
        .exec(conn)
        .await?;
    Ok(())
}

/// Forgets the failed sign-ins of `key` (after a successful one).
pub async fn clear_login_failures<C: ConnectionTrait>(conn: &C, key: &str) -> Result<(), DbErr> {
    login_attempt::Entity::delete_by_id(key.to_string())
        .exec(conn)
        .await
        .map(|_| ())
}
