//! Signing in with a password, throttled: failures are counted per address and account, per
//! address, and per account (from many addresses), each with its limit, in the database so that
//! every instance sees them; a locked sign-in is refused before the password is checked.

use std::net::IpAddr;

use tessera_db::{queries, time, Db, WriteTxn};

use crate::error::CoreResult;
use crate::{secrets, sessions};

/// Failed sign-ins one address may have for one account within [`THROTTLE_WINDOW_MINUTES`]
/// before that address is locked out of that account.
const PAIR_FAILURES: i32 = 5;
/// Failed sign-ins one address may have within the window (across accounts) before it is locked.
const ADDRESS_FAILURES: i32 = 20;
/// Failed sign-ins an account may have within the window from every address together before
/// it is locked for everyone: only a distributed attack gets there, so a stranger cannot lock a
/// known user out from one address.
const ACCOUNT_FAILURES: i32 = 100;
/// The window failures are counted in, and how long a lock lasts.
const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// The throttling counters a sign-in of `email` from `client` touches, with their limits. An
/// IPv6 client counts as its /64 network, which one subscriber usually holds whole.
pub fn throttle_keys(client: IpAddr, email: &str) -> [(String, i32); 3] {
    let address = match client {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => format!(
                "{}/64",
                std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))
            ),
        },
    };
    let email = email.trim().to_lowercase();
    [
        (format!("pair:{address}|{email}"), PAIR_FAILURES),
        (format!("address:{address}"), ADDRESS_FAILURES),
        (format!("account:{email}"), ACCOUNT_FAILURES),
    ]
}

/// Whether someone at `client` may try a password for `email` now: `Err` with the lockout message
/// when the address is locked out of the account, the address is locked, or the account is.
async fn sign_in_allowed(db: &Db, client: IpAddr, email: &str) -> CoreResult<Result<(), String>> {
    let now = time::now();
    let keys = throttle_keys(client, email).map(|(key, _)| key);
    Ok(
        match queries::auth::locked_until(db.conn(), &keys, now).await? {
            Some(until) => {
                let minutes = ((until - now).num_seconds() + 59) / 60;
                Err(format!(
                    "Too many failed sign-in attempts. Try again in {minutes} minute{}.",
                    if minutes == 1 { "" } else { "s" }
                ))
            }
            None => Ok(()),
        },
    )
}

/// Counts a wrong password for `email` from `client` (or forgets that address's failures for
/// the account after a right one), in the caller's transaction.
async fn count_sign_in(
    txn: &WriteTxn,
    client: IpAddr,
    email: &str,
    succeeded: bool,
) -> CoreResult<()> {
    let keys = throttle_keys(client, email);
    if succeeded {
        queries::auth::clear_login_failures(&**txn, &keys[0].0).await?;
        return Ok(());
    }
    let (now, window) = (
        time::now(),
        chrono::Duration::minutes(THROTTLE_WINDOW_MINUTES),
    );
    for (key, limit) in &keys {
        queries::auth::record_login_failure(&**txn, key, *limit, window, window, now).await?;
    }
    Ok(())
}

/// What a password attempt came to, throttled and counted in the returned transaction.
pub enum Attempt {
    /// Too many failures: the lockout message (nothing counted).
    Locked(String),
    /// A wrong password, or an account that cannot sign in.
    Wrong(WriteTxn),
    /// The account, proven by its password.
    Proven(Box<tessera_db::entities::user::Model>, WriteTxn),
}

/// Checks `password` against `account` (the account `email` names, if any) for someone at
/// `client`: refused while locked out; hashed even without a usable account, so that timing does
/// not tell which accounts exist or are deactivated; the outcome counted for throttling.
pub async fn try_password(
    db: &Db,
    client: IpAddr,
    email: &str,
    account: Option<tessera_db::entities::user::Model>,
    password: &str,
) -> CoreResult<Attempt> {
    if let Err(message) = sign_in_allowed(db, client, email).await? {
        return Ok(Attempt::Locked(message));
    }
    let account = account.filter(|u| u.is_active);
    let proven =
        secrets::verify_password_of(password, account.as_ref().map(|u| u.password.as_str()));
    let txn = db.write().await?;
    count_sign_in(&txn, client, email, proven).await?;
    Ok(match account.filter(|_| proven) {
        Some(user) => Attempt::Proven(Box::new(user), txn),
        None => Attempt::Wrong(txn),
    })
}

/// What a sign-in came to.
pub enum SignIn {
    /// Too many failures: the lockout message.
    Locked(String),
    /// A wrong email or password (counted).
    Wrong,
    /// Signed in: the new session's key.
    SignedIn { session_key: String },
}

/// Signs in with an email and password from `client` (throttled, see [`try_password`]),
/// starting a session.
pub async fn log_in(db: &Db, client: IpAddr, email: &str, password: &str) -> CoreResult<SignIn> {
    let account = queries::users::find_by_email(db.conn(), email.trim()).await?;
    let (user, txn) = match try_password(db, client, email, account, password).await? {
        Attempt::Locked(message) => return Ok(SignIn::Locked(message)),
        Attempt::Wrong(txn) => {
            txn.commit().await?;
            return Ok(SignIn::Wrong);
        }
        Attempt::Proven(user, txn) => (user, txn),
    };
    let session_key = sessions::start(&txn, user.id).await?;
    txn.commit().await?;
    Ok(SignIn::SignedIn { session_key })
}

#[cfg(test)]
mod tests {
    #[test]
    fn ipv6_clients_are_throttled_by_their_64_network() {
        let key = |address: &str| {
            super::throttle_keys(address.parse().unwrap(), "A@Example.com ")[0]
                .0
                .clone()
        };
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(
            key("2001:db8:1:2::1"),
            "pair:2001:db8:1:2::/64|a@example.com"
        );
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
    }
}
