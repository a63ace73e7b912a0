//! Query functions per resource, generic over the connection (pool or transaction).

pub mod annotations;
pub mod auth;
pub mod drafts;
pub mod export_snapshots;
pub mod file_uploads;
pub mod invites;
pub mod labels;
pub mod ml_backends;
pub mod organizations;
pub mod predictions;
pub mod project_members;
pub mod projects;
pub mod scim;
pub mod search;
pub mod storages;
pub mod stream;
pub mod tasks;
pub mod users;
pub mod views;
pub mod webhooks;
pub mod workspaces;
