//! The server's own services: what needs its configuration or request state (first-run
//! bootstrap, activity notes). The use cases are in `tessera-core`.

pub mod activity;
pub mod bootstrap;
