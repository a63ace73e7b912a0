//! The background work of a Tessera process, under one supervisor: the job kinds it runs and
//! the maintenance loops (the SQLite search indexer, the orphaned-upload sweep). `tessera start`
//! runs it beside the server unless `--workers 0`; `tessera worker` runs only it.

use tessera_core::import_runs::STATISTICS_REFRESH;
use tessera_core::orphan_uploads;
use tessera_core::snapshots;
use tessera_core::storages::{self, connect::StorageEnv};
use tessera_core::webhooks::{self, WebhookEnv};
use tessera_db::Db;
use tessera_jobs::{JobContext, JobError, Registry, Supervisor, WorkerConfig};
use tessera_storage::Media;

use crate::config::Config;

/// Every job kind Tessera runs, with its handler.
pub fn registry(
    db: &Db,
    storage: &StorageEnv,
    webhooks: &WebhookEnv,
    media: &Media,
    ml: &tessera_core::ml::JobEnv,
) -> Registry {
    let mut registry = Registry::default();
    // Refreshes the planner's statistics after a bulk import (`dialect::refresh_statistics`).
    registry.register(STATISTICS_REFRESH, refresh_statistics);
    let env = storage.clone();
    registry.register(storages::sync::JOB, move |ctx| {
        storages::sync::run(ctx, env.clone())
    });
    let env = storage.clone();
    registry.register(storages::export::JOB, move |ctx| {
        storages::export::run(ctx, env.clone())
    });
    let files = media.clone();
    registry.register(snapshots::write::JOB, move |ctx| {
        snapshots::write::run(ctx, files.clone())
    });
    let converting = snapshots::convert::Converting {
        db: db.clone(),
        media: media.clone(),
        env: storage.clone(),
    };
    registry.register(snapshots::convert::JOB, move |ctx| {
        snapshots::convert::run(ctx, converting.clone())
    });
    let env = webhooks.clone();
    registry.register(webhooks::deliver::JOB, move |ctx| {
        webhooks::deliver::run(ctx, env.clone())
    });
    let env = ml.clone();
    registry.register(tessera_core::ml::predict::JOB, move |ctx| {
        tessera_core::ml::predict::run(ctx, env.clone())
    });
    let env = ml.clone();
    registry.register(tessera_core::ml::TRAIN_JOB, move |ctx| {
        tessera_core::ml::run_training(ctx, env.clone())
    });
    registry
}

/// Model servers are reached with the same guarded client and sealer as webhooks, and told
/// Tessera is at its public address.
fn ml_env(webhooks: &WebhookEnv, config: &Config) -> tessera_core::ml::JobEnv {
    tessera_core::ml::JobEnv {
        outbound: webhooks.outbound.clone(),
        sealer: webhooks.sealer.clone(),
        hostname: config.own_url(),
    }
}

async fn refresh_statistics(ctx: JobContext) -> Result<tessera_jobs::Done, JobError> {
    tessera_db::dialect::refresh_statistics(ctx.db().conn()).await?;
    Ok(ctx.done(serde_json::Value::Null))
}

/// Starts this process's background work: `config.workers` jobs at once and the maintenance
/// loops; `None` when `config.workers` is 0.
pub fn start(
    db: &Db,
    media: &Media,
    storage: &StorageEnv,
    webhooks: &WebhookEnv,
    config: &Config,
) -> Option<Supervisor> {
    if config.workers == 0 {
        return None;
    }
    let mut supervisor = Supervisor::new();
    supervisor.spawn_worker(
        db.clone(),
        registry(db, storage, webhooks, media, &ml_env(webhooks, config)),
        WorkerConfig {
            concurrency: config.workers,
            ..WorkerConfig::default()
        },
    );
    if db.indexes_search_in_background() {
        let db = db.clone();
        supervisor.spawn_loop("search indexer", move || {
            let db = db.clone();
            async move { db.index_search_step().await }
        });
    }
    let (sweep_db, media) = (db.clone(), media.clone());
    supervisor.spawn_loop("orphaned upload sweep", move || {
        let (db, media) = (sweep_db.clone(), media.clone());
        async move {
            match orphan_uploads::sweep(&db, &media, orphan_uploads::MIN_AGE).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "removed uploaded files no import recorded"),
                Err(err) => tracing::warn!(error = %err, "sweeping orphaned uploads failed"),
            }
            orphan_uploads::EVERY
        }
    });
    let sweep_db = db.clone();
    supervisor.spawn_loop("webhook delivery sweep", move || {
        let db = sweep_db.clone();
        async move {
            if let Err(err) = webhooks::deliver::sweep(&db).await {
                tracing::warn!(error = %err, "looking for due webhook deliveries failed");
            }
            webhooks::deliver::SWEEP_EVERY
        }
    });
    let db = db.clone();
    supervisor.spawn_loop("webhook delivery log cleanup", move || {
        let db = db.clone();
        async move {
            match webhooks::deliver::forget_old(&db).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "removed old webhook deliveries"),
                Err(err) => tracing::warn!(error = %err, "removing old webhook deliveries failed"),
            }
            webhooks::deliver::LOG_CLEANUP_EVERY
        }
    });
    Some(supervisor)
}
