//! The supervisor: owns every piece of background work of one process — job workers and
//! maintenance loops — keeps loops going when a step panics, and stops them all on shutdown.

use std::future::Future;
use std::time::Duration;

use tessera_db::Db;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::queue;
use crate::worker::{self, Registry, WorkerConfig};

/// How long finished jobs are kept for the features that started them to read.
pub const FINISHED_JOB_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// A loop whose step panicked waits this long before its next step.
const AFTER_PANIC: Duration = Duration::from_secs(5);

/// Background work of one process.
pub struct Supervisor {
    stop: CancellationToken,
    tasks: JoinSet<()>,
}

impl Default for Supervisor {
    fn default() -> Supervisor {
        Supervisor::new()
    }
}

impl Supervisor {
    pub fn new() -> Supervisor {
        Supervisor {
            stop: CancellationToken::new(),
            tasks: JoinSet::new(),
        }
    }

    /// Runs a job worker for `registry`'s kinds, and the hourly removal of finished jobs older
    /// than [`FINISHED_JOB_RETENTION`].
    pub fn spawn_worker(&mut self, db: Db, registry: Registry, config: WorkerConfig) {
        self.tasks
            .spawn(worker::run(db.clone(), registry, config, self.stop.clone()));
        self.spawn_loop("finished job cleanup", move || {
            let db = db.clone();
            async move {
                let before = queue::now_ms() - FINISHED_JOB_RETENTION.as_millis() as i64;
                let removed = async {
                    let txn = db.write().await?;
                    let removed = queue::delete_finished(&*txn, before).await?;
                    txn.commit().await?;
                    Ok::<_, sea_orm::DbErr>(removed)
                };
                match removed.await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "removed old finished jobs"),
                    Err(err) => tracing::warn!(error = %err, "removing old finished jobs failed"),
                }
                Duration::from_secs(3600)
            }
        });
    }

    /// Runs `step` again and again until shutdown, waiting the pause each step returns. A
    /// step that panics is logged and the loop goes on.
    pub fn spawn_loop<F, Fut>(&mut self, name: &'static str, mut step: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Duration> + Send + 'static,
    {
        let stop = self.stop.clone();
        self.tasks.spawn(async move {
            loop {
                let pause = match tokio::spawn(step()).await {
                    Ok(pause) => pause,
                    Err(err) => {
                        tracing::error!(task = name, error = %err, "a background step panicked");
                        AFTER_PANIC
                    }
                };
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        });
    }

    /// Stops every loop and worker; workers first let their runs in progress end.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}
