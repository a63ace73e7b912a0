//! Sending a webhook's deliveries: one job per webhook at a time (a singleton), in the order
//! they were recorded (for changes of one object, the order they happened; on PostgreSQL two
//! transactions committing at once may be heard the other way round). A failed attempt
//! (an error status, a timeout, a refused connection, an address the SSRF guard refuses) is
//! recorded on the delivery and the webhook, and the delivery is tried again after a growing
//! delay — the deliveries behind it wait — until its attempts run out and it is marked failed.
//!
//! A delivery is sent at least once: a worker killed between sending and recording sends it
//! again. Each request carries the delivery's id (`X-Tessera-Delivery`) for receivers that want
//! exactly once.

use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use hmac::{Hmac, Mac};
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use sha2::Sha256;
use tessera_db::entities::{webhook, webhook_delivery};
use tessera_db::queries::webhooks::{self as stored, Attempt};
use tessera_db::time;
use tessera_jobs::{Done, JobContext, JobError, NewJob};

use super::WebhookEnv;

/// The job kind that sends one webhook's pending deliveries.
pub const JOB: &str = "webhook.deliver";

/// The header naming the delivery (the same on every attempt).
pub const DELIVERY_HEADER: &str = "x-tessera-delivery";
/// The header naming the action.
pub const EVENT_HEADER: &str = "x-tessera-event";
/// The header carrying `sha256=<hex HMAC-SHA256 of the body>` when the webhook has a secret.
pub const SIGNATURE_HEADER: &str = "x-tessera-signature-256";

/// How deliveries are timed.
#[derive(Debug, Clone)]
pub struct Timing {
    /// How long a receiver has to answer.
    pub timeout: Duration,
    /// The delay before the first retry; each later one is four times the one before, up to an
    /// hour.
    pub retry_base: Duration,
    /// Attempts before a delivery is given up.
    pub attempts: i32,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(10),
            attempts: 6,
        }
    }
}

impl Timing {
    /// The delay after attempt number `attempt` failed.
    fn backoff(&self, attempt: i32) -> Duration {
        let factor = 4u32.saturating_pow(attempt.saturating_sub(1).clamp(0, 10) as u32);
        self.retry_base
            .saturating_mul(factor)
            .min(Duration::from_secs(3600))
    }
}

/// How often delivered and failed deliveries older than [`LOG_KEPT`] are removed.
pub const LOG_CLEANUP_EVERY: Duration = Duration::from_secs(3600);
/// How long the delivery log keeps ended deliveries.
pub const LOG_KEPT: Duration = Duration::from_secs(7 * 24 * 3600);

/// Removes ended deliveries older than [`LOG_KEPT`]; how many.
pub async fn forget_old(db: &tessera_db::Db) -> Result<u64, sea_orm::DbErr> {
    let before = Utc::now() - chrono::Duration::from_std(LOG_KEPT).unwrap_or_default();
    let mut removed = 0;
    // In chunks: the writer is not held for a large log at once.
    loop {
        let txn = db.write().await?;
        let chunk = stored::delete_finished_deliveries(&*txn, before, 1_000).await?;
        txn.commit().await?;
        removed += chunk;
        if chunk == 0 {
            return Ok(removed);
        }
    }
}

/// How often the sweep looks for webhooks with due deliveries and no job to send them.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Asks for a run of every active webhook with a due delivery. A delivery's job is asked for
/// in the transaction that records it, but on PostgreSQL a job that was already waiting may
/// start before that transaction commits and miss it; a job that failed for good leaves its
/// deliveries waiting too. This sweep sends them within [`SWEEP_EVERY`].
pub async fn sweep(db: &tessera_db::Db) -> Result<usize, sea_orm::DbErr> {
    let due = stored::with_due_deliveries(db.conn(), time::now()).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let txn = db.write().await?;
    for webhook_id in &due {
        queue(&*txn, *webhook_id, 0).await?;
    }
    txn.commit().await?;
    Ok(due.len())
}

/// Asks for the webhook's deliveries to be sent `delay_ms` from now (one waiting job per
/// webhook covers any number of asks).
pub async fn queue<C: ConnectionTrait>(
    conn: &C,
    webhook_id: i64,
    delay_ms: i64,
) -> Result<(), sea_orm::DbErr> {
    let job = NewJob::new(JOB, json!({"webhook": webhook_id}))
        .singleton(&format!("{JOB}:{webhook_id}"))
        .delay_ms(delay_ms);
    tessera_jobs::queue::enqueue(conn, job).await?;
    Ok(())
}

/// Deliveries read at once.
const BATCH: u64 = 20;
/// How long one run sends before it makes way for other jobs (it asks for the next run).
const RUN_FOR: Duration = Duration::from_secs(30);

/// Runs a delivery job: sends the webhook's due deliveries in order until none is left or the
/// oldest must wait for its retry.
pub async fn run(ctx: JobContext, env: WebhookEnv) -> Result<Done, JobError> {
    let webhook_id = ctx.payload()["webhook"].as_i64().unwrap_or_default();
    let db = ctx.db().clone();
    let mut sent = 0u64;
    let started = std::time::Instant::now();
    loop {
        if started.elapsed() > RUN_FOR {
            return wait_for_retry(ctx, &db, webhook_id, 0, sent).await;
        }
        let Some(hook) = stored::find(db.conn(), webhook_id).await? else {
            return Ok(ctx.done(json!({"skipped": "the webhook is gone"})));
        };
        if !hook.is_active {
            // What waits is sent when the webhook is turned back on.
            return Ok(ctx.done(json!({"sent": sent, "held": "inactive"})));
        }
        let batch = stored::next_pending(db.conn(), webhook_id, BATCH).await?;
        if batch.is_empty() {
            return Ok(ctx.done(json!({"sent": sent})));
        }
        for delivery in batch {
            let wait = (delivery.next_attempt_at - Utc::now()).num_milliseconds();
            if wait > 0 {
                return wait_for_retry(ctx, &db, webhook_id, wait, sent).await;
            }
            let failed = attempt(&db, &env, &hook, &delivery).await?;
            sent += 1;
            if failed {
                // The deliveries behind it wait for its retry (read again: it may be given up).
                break;
            }
        }
        // Renews the lease between batches and notices a cancellation.
        ctx.progress(json!({"sent": sent})).await?;
    }
}

/// Ends the run, asking for another `wait_ms` from now (when the oldest delivery's retry is due,
/// or at once after a long run).
async fn wait_for_retry(
    ctx: JobContext,
    db: &tessera_db::Db,
    webhook_id: i64,
    wait_ms: i64,
    sent: u64,
) -> Result<Done, JobError> {
    let txn = db.write().await?;
    queue(&*txn, webhook_id, wait_ms).await?;
    txn.commit().await?;
    Ok(ctx.done(json!({"sent": sent, "next_in_ms": wait_ms})))
}

/// Sends a delivery once and records how it went; whether it failed.
async fn attempt(
    db: &tessera_db::Db,
    env: &WebhookEnv,
    hook: &webhook::Model,
    delivery: &webhook_delivery::Model,
) -> Result<bool, JobError> {
    let outcome = send(env, hook, delivery).await;
    let attempts = delivery.attempts + 1;
    let now = time::now();
    let failed = outcome.is_err();
    let attempt = match outcome {
        Ok(status) => Attempt {
            delivery_id: delivery.id,
            attempts,
            status: stored::DELIVERED,
            next_attempt_at: now,
            response_status: Some(i32::from(status)),
            error: None,
            now,
        },
        Err(failure) => Attempt {
            delivery_id: delivery.id,
            attempts,
            status: if attempts >= env.delivery.attempts {
                stored::FAILED
            } else {
                stored::PENDING
            },
            next_attempt_at: now
                + chrono::Duration::from_std(env.delivery.backoff(attempts)).unwrap_or_default(),
            response_status: failure.status.map(i32::from),
            error: Some(failure.message),
            now,
        },
    };
    let txn = db.write().await?;
    stored::record_attempt(&*txn, hook.id, attempt).await?;
    txn.commit().await?;
    Ok(failed)
}

/// Why an attempt failed.
struct Failure {
    /// The receiver's status, when it answered.
    status: Option<u16>,
    message: String,
}

/// POSTs a delivery's body with the webhook's headers (and signature); the receiver's
/// success status.
async fn send(
    env: &WebhookEnv,
    hook: &webhook::Model,
    delivery: &webhook_delivery::Model,
) -> Result<u16, Failure> {
    let headers = headers_for(env, hook, delivery);
    match env
        .outbound
        .post(
            &hook.url,
            headers,
            Bytes::from(delivery.body.clone()),
            env.delivery.timeout,
        )
        .await
    {
        Ok(status) if (200..300).contains(&status) => Ok(status),
        Ok(status) => Err(Failure {
            status: Some(status),
            message: format!("the receiver answered {status}"),
        }),
        Err(err) => Err(Failure {
            status: None,
            message: err.to_string(),
        }),
    }
}

/// The request's headers: JSON, the delivery's id and action, the signature when the webhook
/// has a secret, and the webhook's own headers last (they may replace the others, as in Label
/// Studio, where they are passed to `requests` as they are).
fn headers_for(
    env: &WebhookEnv,
    hook: &webhook::Model,
    delivery: &webhook_delivery::Model,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        HeaderName::from_static(DELIVERY_HEADER),
        HeaderValue::from(delivery.id),
    );
    if let Ok(value) = HeaderValue::from_str(&delivery.action) {
        headers.insert(HeaderName::from_static(EVENT_HEADER), value);
    }
    if let Some(secret) = hook
        .secret
        .as_deref()
        .and_then(|sealed| env.sealer.open(sealed).ok())
        .and_then(|v| v.as_str().map(str::to_string))
    {
        if let Ok(value) = HeaderValue::from_str(&signature(&secret, delivery.body.as_bytes())) {
            headers.insert(HeaderName::from_static(SIGNATURE_HEADER), value);
        }
    }
    if let Ok(Value::Object(custom)) = serde_json::from_str::<Value>(&hook.headers) {
        for (name, value) in custom {
            let (Ok(name), Some(Ok(value))) = (
                HeaderName::from_bytes(name.as_bytes()),
                value.as_str().map(HeaderValue::from_str),
            ) else {
                continue;
            };
            headers.insert(name, value);
        }
    }
    headers
}

/// `sha256=` and the hex HMAC-SHA256 of `body` keyed with `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_the_hmac_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        let timing = Timing::default();
        assert_eq!(timing.backoff(1), Duration::from_secs(10));
        assert_eq!(timing.backoff(2), Duration::from_secs(40));
        assert_eq!(timing.backoff(3), Duration::from_secs(160));
        assert_eq!(timing.backoff(9), Duration::from_secs(3600));
    }
}
