//! Tessera's use cases without HTTP: projects, tasks, import, annotations, predictions, the Data
//! Manager, export, people. Each takes an [`Actor`] (who, in which organization, with which
//! role) and typed or JSON input, and fails with a [`CoreError`]; the server's handlers parse,
//! authorize, call one of these and render, and background jobs call the same functions.

pub mod accounts;
pub mod actions;
pub mod actor;
pub mod annotations;
pub mod dm;
pub mod dm_project;
pub mod drafts;
pub mod error;
pub mod export;
pub mod fields;
pub mod import;
pub mod import_runs;
pub mod intake;
pub mod invitations;
pub mod jwt;
pub mod labels;
pub mod mail;
pub mod ml;
pub mod next_task;
pub mod organizations;
pub mod orphan_uploads;
pub mod overlap;
pub mod payload;
pub mod permissions;
pub mod predictions;
pub mod project_members;
pub mod projects;
pub mod roles;
pub mod saved_urls;
pub mod scim;
pub mod scope;
pub mod sealed;
pub mod secrets;
pub mod sessions;
pub mod sign_in;
pub mod sign_up;
pub mod snapshots;
pub mod storages;
pub mod stream;
pub mod summary;
pub mod task_lists;
pub mod tasks;
pub mod tokens;
pub mod uploads;
pub mod users;
pub mod views;
mod waiting;
pub mod webhooks;
pub mod workspaces;

pub use actor::Actor;
pub use error::{CoreError, CoreResult};
