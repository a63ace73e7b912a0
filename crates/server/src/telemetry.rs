//! Logging setup: `RUST_LOG` filters, default `info` for Tessera and `warn` for libraries.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (idempotent: a second call is ignored).
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,tessera_server=info,tessera_db=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
