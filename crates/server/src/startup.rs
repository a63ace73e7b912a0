//! Building and running the application: a testable `Application` that binds its own listener.

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::services::bootstrap;
use crate::state::AppState;
use crate::web_assets::WebAssets;
use tessera_core::jwt::JwtKeys;

/// A built server, bound to a port, not yet serving.
pub struct Application {
    port: u16,
    listener: TcpListener,
    router: axum::Router,
    /// This process's background work (`None` with `--workers 0`).
    background: Option<tessera_jobs::Supervisor>,
}

impl Application {
    /// Connects and migrates the database, makes sure the first admin exists, binds the listener.
    pub async fn build(mut config: Config) -> anyhow::Result<Application> {
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let port = listener.local_addr()?.port();
        // With port 0 the system chose one: Tessera's own address names it.
        config.port = port;
        let db = tessera_db::Db::connect_with(&config.database_url, config.db_options()).await?;
        db.migrate().await?;
        db.spawn_checkpointer();
        let media = config.media()?;
        let web = WebAssets::new(config.web_dir.clone());
        crate::api::user_pages::find_editor_bundle(&web);
        let secret = bootstrap::secret_key(&db, config.secret_key.as_deref()).await?;
        let outbound = outbound(&config);
        let storage = storage_env(&config, &outbound, &secret);
        let webhooks = webhook_env(&config, &storage);
        let background = crate::background::start(&db, &media, &storage, &webhooks, &config);
        let first_run = bootstrap::first_admin(&db, &config).await?;
        let state = AppState {
            db,
            config: Arc::new(config),
            jwt: Arc::new(JwtKeys::new(secret.as_bytes())),
            outbound,
            media,
            web,
            storage,
            webhooks,
        };
        if first_run == bootstrap::FirstRun::AwaitingFirstSignup && !state.config.quiet {
            println!(
                "Tessera has no account yet. Open {}/user/signup/ and sign up:",
                state.config.local_url()
            );
            println!("  the first account owns the organization (LABEL_STUDIO_USERNAME creates one instead).");
        }
        let router = crate::api::router(state);
        Ok(Application {
            port,
            listener,
            router,
            background,
        })
    }

    /// The bound port (useful when configured with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process is stopped (Ctrl-C or SIGTERM).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        tracing::info!(
            "Tessera listening on http://{}",
            self.listener.local_addr()?
        );
        let service = self
            .router
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        if let Some(background) = self.background {
            background.shutdown().await;
        }
        Ok(())
    }
}

/// `tessera worker`: this process's background work without the HTTP server, until Ctrl-C
/// or SIGTERM.
pub async fn run_worker(config: Config) -> anyhow::Result<()> {
    let db = tessera_db::Db::connect_with(&config.database_url, config.db_options()).await?;
    db.migrate().await?;
    db.spawn_checkpointer();
    let media = config.media()?;
    let secret = bootstrap::secret_key(&db, config.secret_key.as_deref()).await?;
    let storage = storage_env(&config, &outbound(&config), &secret);
    let webhooks = webhook_env(&config, &storage);
    let Some(background) = crate::background::start(&db, &media, &storage, &webhooks, &config)
    else {
        anyhow::bail!("--workers 0: a worker with no workers has nothing to do");
    };
    tracing::info!(
        workers = config.workers,
        "Tessera worker running on {}",
        tessera_db::redact_url(&config.database_url)
    );
    shutdown_signal().await;
    background.shutdown().await;
    Ok(())
}

/// The guarded client for requests to other servers.
fn outbound(config: &Config) -> tessera_outbound::Outbound {
    tessera_outbound::Outbound::new(tessera_outbound::OutboundConfig {
        allow: config.outbound_allow.clone(),
        ..Default::default()
    })
}

/// What cloud storages need, with their secrets sealed by a key derived from the server's.
fn storage_env(
    config: &Config,
    outbound: &tessera_outbound::Outbound,
    secret: &str,
) -> tessera_core::storages::connect::StorageEnv {
    tessera_core::storages::connect::StorageEnv {
        outbound: outbound.clone(),
        sealer: tessera_core::sealed::Sealer::new(secret.as_bytes()),
        local_files: config.local_files.clone(),
        azure_endpoint: config.azure_blob_endpoint.clone(),
        gcs_endpoint: config.gcs_endpoint.clone(),
    }
}

/// What webhooks need: the same guarded client and sealer as cloud storages, and the delivery
/// timing configured.
fn webhook_env(
    config: &Config,
    storage: &tessera_core::storages::connect::StorageEnv,
) -> tessera_core::webhooks::WebhookEnv {
    tessera_core::webhooks::WebhookEnv {
        outbound: storage.outbound.clone(),
        sealer: storage.sealer.clone(),
        delivery: config.webhook_delivery.clone(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
