//! Shared application state handed to every handler.

use std::path::PathBuf;
use std::sync::Arc;

use tessera_db::Db;
use tessera_outbound::Outbound;

use crate::auth::jwt::JwtKeys;
use crate::config::Config;

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub jwt: Arc<JwtKeys>,
    /// The one client for requests to other servers (SSRF-guarded).
    pub outbound: Outbound,
}

impl AppState {
    /// Root folder of uploaded media.
    pub fn media_root(&self) -> PathBuf {
        self.config.media_root()
    }
}
