//! Unauthenticated service endpoints: health and version.

use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::api::slashed;
use crate::error::LS_VERSION;
use crate::state::AppState;

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

#[derive(Serialize)]
struct Version {
    release: &'static str,
    edition: &'static str,
    tessera: &'static str,
}

async fn health() -> Json<Health> {
    Json(Health { status: "UP" })
}

async fn version() -> Json<Version> {
    Json(Version {
        release: LS_VERSION,
        edition: "Community",
        tessera: env!("CARGO_PKG_VERSION"),
    })
}

pub(crate) fn routes(router: axum::Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/health/", get(health));
    slashed(router, "/api/version/", get(version))
}
