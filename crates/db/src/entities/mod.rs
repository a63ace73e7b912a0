//! SeaORM entities, one module per table. JSON documents are `String` columns holding JSON text.

pub mod annotation;
pub mod auth_session;
pub mod draft;
pub mod file_upload;
pub mod invite;
pub mod jwt_token;
pub mod label;
pub mod label_link;
pub mod login_attempt;
pub mod organization;
pub mod organization_member;
pub mod prediction;
pub mod project;
pub mod project_member;
pub mod scim_token;
pub mod storage;
pub mod storage_export;
pub mod storage_object;
pub mod stream_history;
pub mod task;
pub mod task_lock;
pub mod user;
pub mod view;
pub mod workspace;
pub mod workspace_member;
