//! Business rules that are more than one query: accounts, import, export, annotations.

pub mod accounts;
pub mod actions;
pub mod activity;
pub mod annotations;
pub mod bootstrap;
pub mod dm;
pub mod export;
pub mod import;
pub mod mail;
pub mod next_task;
pub mod orphan_uploads;
pub mod overlap;
pub mod predictions;
pub mod projects;
pub mod render;
pub mod scope;
pub mod summary;
pub mod tasks;
