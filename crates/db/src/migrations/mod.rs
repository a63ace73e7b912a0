//! One migration set for SQLite and PostgreSQL, written with SeaORM's schema builder.

use sea_orm_migration::prelude::*;

mod m20261128_000001_core;
mod m20261129_000001_data_manager;
mod m20261129_000002_people;
mod m20261129_000003_task_search;
mod m20261129_000004_access;
mod m20261129_000005_invites;
mod m20261204_000001_upload_names;
pub mod m20261204_000002_token_settings;
mod m20261204_000003_labels;
mod m20261206_000001_label_value_index;
mod m20261207_000001_jobs;
mod m20261207_000002_storages;
mod m20261207_000003_export_snapshots;
mod m20261208_000001_webhooks;
mod m20261208_000002_ml_backends;
mod schema;

/// Every migration Tessera knows, in the order they run.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_core::Migration),
            Box::new(m20261129_000001_data_manager::Migration),
            Box::new(m20261129_000002_people::Migration),
            Box::new(m20261129_000003_task_search::Migration),
            Box::new(m20261129_000004_access::Migration),
            Box::new(m20261129_000005_invites::Migration),
            Box::new(m20261204_000001_upload_names::Migration),
            Box::new(m20261204_000002_token_settings::Migration),
            Box::new(m20261204_000003_labels::Migration),
            Box::new(m20261206_000001_label_value_index::Migration),
            Box::new(m20261207_000001_jobs::Migration),
            Box::new(m20261207_000002_storages::Migration),
            Box::new(m20261207_000003_export_snapshots::Migration),
            Box::new(m20261208_000001_webhooks::Migration),
            Box::new(m20261208_000002_ml_backends::Migration),
        ]
    }
}
