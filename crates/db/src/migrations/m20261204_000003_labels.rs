//! The labels manager (Label Studio's `labels_manager`): an organization's labels and the
//! project controls they are linked to.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, boolean, string, text, text_null};

use super::schema::{created_updated, fk, id, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000003_labels"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        let mut labels = Table::create();
        labels
            .table(Alias::new("labels"))
            .col(id())
            .col(big_integer(Alias::new("organization_id")))
            // JSON text: a string, or a taxonomy path (a list of strings).
            .col(text(Alias::new("value")))
            .col(string(Alias::new("title")))
            .col(text_null(Alias::new("description")))
            .col(boolean(Alias::new("approved")).default(false))
            .col(big_integer_null(Alias::new("created_by_id")))
            .col(big_integer_null(Alias::new("approved_by_id")))
            .foreign_key(&mut fk(
                "labels",
                "organization_id",
                "organizations",
                Cascade,
            ))
            .foreign_key(&mut fk("labels", "created_by_id", "users", SetNull))
            .foreign_key(&mut fk("labels", "approved_by_id", "users", SetNull));
        manager
            .create_table(created_updated(&mut labels).take())
            .await?;
        manager
            .create_index(
                index("labels", &["organization_id", "value"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("label_links"))
                    .col(id())
                    .col(big_integer(Alias::new("project_id")))
                    .col(big_integer(Alias::new("label_id")))
                    .col(string(Alias::new("from_name")))
                    .foreign_key(&mut fk("label_links", "project_id", "projects", Cascade))
                    .foreign_key(&mut fk("label_links", "label_id", "labels", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("label_links", &["project_id", "label_id"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index("label_links", &["label_id"]).take())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("label_links")).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Alias::new("labels")).to_owned())
            .await
    }
}
