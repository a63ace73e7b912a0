//! `export_conversions`: a snapshot converted to another format (Label Studio's
//! `converted_formats`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "export_conversions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub snapshot_id: i64,
    pub export_type: String,
    /// `created`, `in_progress`, `failed` or `completed`.
    pub status: String,
    /// The media key of the converted file, once written.
    pub file: Option<String>,
    pub traceback: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
