//! `export_snapshots`: an export of a project made into a stored file by a background job.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "export_snapshots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub project_id: i64,
    pub title: String,
    pub created_by_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// `created`, `in_progress`, `failed` or `completed`.
    pub status: String,
    /// The hex MD5 of the file (empty until it is written).
    pub md5: String,
    /// JSON object: `{"task_number": N}` once written.
    pub counters: String,
    /// JSON object: `task_filter_options`, `annotation_filter_options`, `serialization_options`.
    pub options: String,
    /// The media key of the file, once written.
    pub file: Option<String>,
    pub traceback: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
