//! `storage_exports`: the object an export storage wrote for an annotation.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "storage_exports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub storage_id: i64,
    /// The annotation; the link outlives it until its object is removed.
    pub annotation_id: i64,
    pub key: String,
    /// The annotation's `updated_at` when it was written.
    pub exported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
