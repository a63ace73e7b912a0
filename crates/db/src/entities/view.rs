//! `views`: a saved Data Manager tab of a project.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "views")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub project_id: i64,
    pub user_id: Option<i64>,
    pub order: i32,
    /// JSON object: the view's `data` without `filters` and `ordering`.
    pub data: String,
    /// JSON `{"conjunction", "items"}`, or NULL when the view never had filters.
    pub filters: Option<String>,
    /// JSON list of column names.
    pub ordering: String,
    /// JSON `selectedItems`, set at creation only.
    pub selected_items: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
