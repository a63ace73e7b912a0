//! Tessera's HTTP server: the axum application, authentication, API handlers and services.

pub mod api;
pub mod auth;
pub mod background;
pub mod config;
pub mod error;
pub mod payload;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web_assets;
