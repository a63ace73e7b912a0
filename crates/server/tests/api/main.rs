//! API tests: each spawns a real Tessera over HTTP, on SQLite by default and on PostgreSQL when
//! `TEST_DATABASE_URL` is set (`.ci/run` runs the suite both ways).

mod actions;
mod annotations;
mod auth;
mod background;
mod compatibility;
mod data_manager;
mod exports;
mod first_run;
mod helpers;
mod imports;
mod ml;
mod organizations;
mod payload_equality;
mod people;
mod permissions;
mod predictions;
mod projects;
mod scim;
mod security;
mod snapshots;
mod storages;
mod stream;
mod tasks;
mod users;
mod web;
mod webhooks;
mod workspaces;
