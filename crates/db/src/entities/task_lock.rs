//! `task_locks`: a task handed to an annotator by `/next`, reserved until it expires or they
//! submit or skip it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "task_locks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub task_id: i64,
    pub project_id: i64,
    pub user_id: i64,
    /// The `unique_lock_id` shown to the annotator.
    pub unique_id: String,
    pub expire_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
