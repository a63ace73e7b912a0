//! `labels`: an organization's labels (the labels manager).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "labels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    /// JSON text: a string, or a taxonomy path.
    pub value: String,
    pub title: String,
    pub description: Option<String>,
    pub approved: bool,
    pub created_by_id: Option<i64>,
    pub approved_by_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
