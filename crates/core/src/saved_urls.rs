//! URLs saved for later calls (webhooks, ML backends): checked against the SSRF guard when they
//! are saved, with Label Studio's answers (a 403 naming the blocked range, or its "not allowed"
//! message for other schemes); calls are checked again when made.

use tessera_outbound::{Outbound, OutboundError};

use crate::error::{CoreError, CoreResult};

/// Label Studio's answer to a URL its SSRF protection refuses (a 403).
pub const URL_NOT_ALLOWED: &str = "The provided URL was not allowed. URLs must use http:// or \
    https://, and must not resolve to local or private network addresses when SSRF protection \
    applies.";

/// Refuses a URL the SSRF guard would refuse, and a host that does not resolve (a 400 on `url`).
pub async fn check(outbound: &Outbound, url: &str) -> CoreResult<()> {
    match outbound.check_resolved(url).await {
        Ok(_) => Ok(()),
        Err(OutboundError::Unresolvable(host)) => Err(CoreError::field(
            "url",
            format!("Can't resolve hostname {host}"),
        )),
        Err(blocked @ OutboundError::Blocked(_)) => Err(CoreError::Forbidden(blocked.to_string())),
        Err(_) => Err(CoreError::Forbidden(URL_NOT_ALLOWED.into())),
    }
}
