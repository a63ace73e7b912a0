//! `storage_objects`: which object (and row of it) of an import storage a task was made of.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "storage_objects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub storage_id: i64,
    pub task_id: i64,
    pub key: String,
    /// The task's place in its object (0 for an object that is one task).
    pub row_index: i32,
    /// What the object was when the task was made of it (ETag or version).
    pub version: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
