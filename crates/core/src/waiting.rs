//! Waiting a little for background work before answering: a request that started a job polls
//! its state until the job is done or the wait is over, then answers the state as it is.

use std::future::Future;
use std::time::Duration;

use crate::error::CoreResult;

/// How often the state is read while waiting.
const POLL: Duration = Duration::from_millis(100);

/// Polls `running` until it says the work is over or `max` has passed.
pub(crate) async fn while_running<F, Fut>(max: Duration, mut running: F) -> CoreResult<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = CoreResult<bool>>,
{
    let deadline = tokio::time::Instant::now() + max;
    while running().await? && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}
