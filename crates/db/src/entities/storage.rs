//! `storages`: a project's cloud storage, for import or export, of any type.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "storages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub project_id: i64,
    /// `import` or `export`.
    pub direction: String,
    /// `s3`, `gcs`, `azure`, `redis` or `localfiles`.
    pub kind: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// JSON object: the type's settings other than secrets.
    pub settings: String,
    /// The type's secrets as a JSON object, sealed with the server's secret.
    pub secrets: Option<String>,
    pub status: String,
    pub last_sync: Option<DateTimeUtc>,
    pub last_sync_count: Option<i32>,
    pub last_sync_job: Option<String>,
    pub traceback: Option<String>,
    /// JSON object: the last sync's counters and timings.
    pub meta: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
