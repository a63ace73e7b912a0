//! Shared application state handed to every handler.

use std::sync::Arc;

use tessera_db::Db;
use tessera_outbound::Outbound;
use tessera_storage::Media;

use crate::config::Config;
use crate::web_assets::WebAssets;
use tessera_core::jwt::JwtKeys;
use tessera_core::storages::connect::StorageEnv;

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub jwt: Arc<JwtKeys>,
    /// The one client for requests to other servers (SSRF-guarded).
    pub outbound: Outbound,
    /// Stored files: uploads and avatars.
    pub media: Media,
    /// The web app's files.
    pub web: WebAssets,
    /// What cloud storages need: the guarded client, the sealer of their secrets, the
    /// local-files rules.
    pub storage: StorageEnv,
    /// What webhooks need: the guarded client, the sealer of their secrets, delivery timing.
    pub webhooks: tessera_core::webhooks::WebhookEnv,
}

impl AppState {
    /// What the model servers need, telling them Tessera is at its own address
    /// ([`Config::own_url`]).
    pub fn ml_env(&self) -> tessera_core::ml::MlEnv<'_> {
        tessera_core::ml::MlEnv {
            outbound: &self.outbound,
            sealer: &self.storage.sealer,
            hostname: self.config.own_url(),
        }
    }

    /// What predicting a task as it is opened needs (`--ml-open-wait`).
    pub fn on_open(&self) -> tessera_core::ml::predict::OnOpen<'_> {
        tessera_core::ml::predict::OnOpen {
            env: self.ml_env(),
            wait: self.config.ml_open_wait,
        }
    }
}
