//! People around projects: workspaces (named groups of an organization's projects and the
//! people working on them), project members, and roles stored as Label Studio Enterprise's codes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, string, text, timestamp_with_time_zone,
};

use super::schema::{created_updated, fk, id, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000002_people"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};

        let mut workspaces = Table::create();
        workspaces
            .table(Alias::new("workspaces"))
            .col(id())
            .col(big_integer(Alias::new("organization_id")))
            .col(string(Alias::new("title")))
            .col(text(Alias::new("description")))
            .col(string(Alias::new("color")))
            .col(boolean(Alias::new("is_personal")))
            .col(boolean(Alias::new("is_archived")))
            .col(big_integer_null(Alias::new("created_by_id")))
            .foreign_key(&mut fk(
                "workspaces",
                "organization_id",
                "organizations",
                Cascade,
            ))
            .foreign_key(&mut fk("workspaces", "created_by_id", "users", SetNull));
        manager
            .create_table(created_updated(&mut workspaces).take())
            .await?;
        manager
            .create_index(index("workspaces", &["organization_id"]).take())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("workspace_members"))
                    .col(id())
                    .col(big_integer(Alias::new("workspace_id")))
                    .col(big_integer(Alias::new("user_id")))
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    .foreign_key(&mut fk(
                        "workspace_members",
                        "workspace_id",
                        "workspaces",
                        Cascade,
                    ))
                    .foreign_key(&mut fk("workspace_members", "user_id", "users", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("workspace_members", &["workspace_id", "user_id"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index("projects", &["workspace_id"]).take())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("project_members"))
                    .col(id())
                    .col(big_integer(Alias::new("project_id")))
                    .col(big_integer(Alias::new("user_id")))
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    .foreign_key(&mut fk(
                        "project_members",
                        "project_id",
                        "projects",
                        Cascade,
                    ))
                    .foreign_key(&mut fk("project_members", "user_id", "users", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("project_members", &["project_id", "user_id"])
                    .unique()
                    .take(),
            )
            .await?;

        // Roles are stored with Label Studio Enterprise's codes from here on.
        let conn = manager.get_connection();
        for (old, code) in [
            ("owner", "OW"),
            ("administrator", "AD"),
            ("manager", "MA"),
            ("reviewer", "RE"),
            ("annotator", "AN"),
        ] {
            conn.execute_unprepared(&format!(
                "UPDATE organization_members SET role = '{code}' WHERE role = '{old}'"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_projects_workspace_id")
                    .table(Alias::new("projects"))
                    .to_owned(),
            )
            .await?;
        for table in ["project_members", "workspace_members", "workspaces"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
