//! Users' `last_activity` (shown on the People page), advanced as they use Tessera: at most once
//! per [`INTERVAL`] per user, written in the background so that no request waits for it.

use chrono::Duration;
use tessera_db::entities::user;
use tessera_db::{queries, time};

use crate::state::AppState;

/// How stale `last_activity` may get before a request moves it.
const INTERVAL: Duration = Duration::minutes(5);

/// Notes that `user` is active now, if their last note is older than [`INTERVAL`].
pub fn note(state: &AppState, user: &user::Model) {
    let now = time::now();
    let since = now - INTERVAL;
    if user.last_activity >= since {
        return;
    }
    let db = state.db.clone();
    let user_id = user.id;
    tokio::spawn(async move {
        let written = async {
            let txn = db.write().await?;
            queries::users::note_activity(&*txn, user_id, now, since).await?;
            txn.commit().await
        };
        if let Err(err) = written.await {
            tracing::debug!(error = %err, user_id, "noting activity failed");
        }
    });
}
