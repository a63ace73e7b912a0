//! `file_uploads`: files received by the import endpoint, stored under the data dir.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "file_uploads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub project_id: i64,
    pub user_id: Option<i64>,
    /// Path relative to the media root, e.g. `upload/3/1a2b3c4d-tasks.csv`.
    pub file: String,
    pub size: i64,
    pub created_at: DateTimeUtc,
    /// The file's name on the client, as uploaded (`file` holds a shortened, sanitized one).
    pub original_name: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
