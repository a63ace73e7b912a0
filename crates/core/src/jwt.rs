//! JWT personal access tokens, as Label Studio's `jwt_auth` app issues them (simplejwt, HS256).
//!
//! A personal access token is a long-lived *refresh* token (`token_type: "refresh"`, 200 years);
//! clients exchange it at `/api/token/refresh/` for a 5-minute *access* token sent as
//! `Authorization: Bearer`. `user_id` is a string claim, as simplejwt writes it.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Lifetime of an access token.
pub const ACCESS_TTL_SECONDS: i64 = 300;
/// Lifetime of a personal access (refresh) token: 200 years, as Label Studio.
pub const REFRESH_TTL_DAYS: i64 = 365 * 200;

/// The claims of both token types.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub token_type: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub user_id: String,
}

impl Claims {
    /// The user id claim as a number.
    pub fn user_id(&self) -> Option<i64> {
        self.user_id.parse().ok()
    }
}

/// Signing and verification keys derived from the instance secret.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// A freshly signed token with its claims.
pub struct Issued {
    pub token: String,
    pub claims: Claims,
}

impl JwtKeys {
    /// Keys for HS256 with `secret`.
    pub fn new(secret: &[u8]) -> JwtKeys {
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    fn issue(
        &self,
        token_type: &str,
        user_id: i64,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> anyhow::Result<Issued> {
        let claims = Claims {
            token_type: token_type.to_string(),
            exp: (now + ttl).timestamp(),
            iat: now.timestamp(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
            user_id: user_id.to_string(),
        };
        let token = self.sign(&claims)?;
        Ok(Issued { token, claims })
    }

    /// Signs `claims` as they are.
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// A new personal access (refresh) token.
    pub fn issue_refresh(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
        ttl_days: i64,
    ) -> anyhow::Result<Issued> {
        self.issue(
            "refresh",
            user_id,
            now,
            Duration::days(ttl_days.clamp(1, REFRESH_TTL_DAYS)),
        )
    }

    /// A new short-lived access token.
    pub fn issue_access(&self, user_id: i64, now: DateTime<Utc>) -> anyhow::Result<Issued> {
        self.issue(
            "access",
            user_id,
            now,
            Duration::seconds(ACCESS_TTL_SECONDS),
        )
    }

    /// Verifies signature and expiry and that the token has the expected type.
    pub fn verify(&self, token: &str, token_type: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_aud = false;
        let claims = decode::<Claims>(token, &self.decoding, &validation)
            .ok()?
            .claims;
        (claims.token_type == token_type).then_some(claims)
    }
}

/// The first two segments of a JWT (header and payload), which is how Label Studio lists tokens.
pub fn without_signature(token: &str) -> String {
    match token.rfind('.') {
        Some(pos) => token[..pos].to_string(),
        None => token.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_and_verifies_by_type() {
        let keys = JwtKeys::new(b"secret");
        let now = Utc::now();
        let refresh = keys.issue_refresh(7, now, 30).unwrap();
        assert_eq!(
            keys.verify(&refresh.token, "refresh").unwrap().user_id(),
            Some(7)
        );
        assert!(keys.verify(&refresh.token, "access").is_none());
        let access = keys.issue_access(7, now).unwrap();
        assert!(keys.verify(&access.token, "access").is_some());
        assert!(JwtKeys::new(b"other")
            .verify(&access.token, "access")
            .is_none());
        let expired = keys
            .issue_access(7, now - Duration::seconds(ACCESS_TTL_SECONDS + 5))
            .unwrap();
        assert!(keys.verify(&expired.token, "access").is_none());
        assert_eq!(without_signature("a.b.c"), "a.b");
    }
}
