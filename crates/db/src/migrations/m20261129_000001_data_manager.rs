//! The Data Manager and the labeling stream: saved views (tabs), drafts, task locks, the
//! label-stream history, and the index `/next` walks.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, double_null, integer, string, text, text_null,
    timestamp_with_time_zone,
};

use super::schema::{created_updated, fk, id, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000001_data_manager"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};

        // `/next` walks a project's unlabeled tasks in id order, asking of each whether the
        // user annotated it: without the pair index SQLite answers that from the user's
        // annotations, which at a million imported annotations is a scan per task.
        manager
            .create_index(index("tasks", &["project_id", "is_labeled", "id"]).take())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_annotations_task_id")
                    .table(Alias::new("annotations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("annotations", &["task_id", "completed_by_id"]).take())
            .await?;

        let mut views = Table::create();
        views
            .table(Alias::new("views"))
            .col(id())
            .col(big_integer(Alias::new("project_id")))
            .col(big_integer_null(Alias::new("user_id")))
            .col(integer(Alias::new("order")))
            .col(text(Alias::new("data")))
            .col(text_null(Alias::new("filters")))
            .col(text(Alias::new("ordering")))
            .col(text_null(Alias::new("selected_items")))
            .foreign_key(&mut fk("views", "project_id", "projects", Cascade))
            .foreign_key(&mut fk("views", "user_id", "users", SetNull));
        manager
            .create_table(created_updated(&mut views).take())
            .await?;
        manager
            .create_index(index("views", &["project_id", "order"]).take())
            .await?;

        let mut drafts = Table::create();
        drafts
            .table(Alias::new("drafts"))
            .col(id())
            .col(big_integer(Alias::new("task_id")))
            .col(big_integer(Alias::new("project_id")))
            .col(big_integer_null(Alias::new("annotation_id")))
            .col(big_integer(Alias::new("user_id")))
            .col(text(Alias::new("result")))
            .col(double_null(Alias::new("lead_time")))
            .col(boolean(Alias::new("was_postponed")))
            .col(big_integer_null(Alias::new("import_id")))
            // No foreign keys to tasks and annotations: PostgreSQL runs a cascade as one query
            // per deleted parent row, which doubled the time of deleting 100,000 tasks. Task and
            // annotation deletion remove their drafts themselves (`queries::tasks::delete`,
            // `queries::annotations`); the project key still cascades.
            .foreign_key(&mut fk("drafts", "project_id", "projects", Cascade))
            .foreign_key(&mut fk("drafts", "user_id", "users", Cascade));
        manager
            .create_table(created_updated(&mut drafts).take())
            .await?;
        manager
            .create_index(index("drafts", &["task_id"]).take())
            .await?;
        manager
            .create_index(index("drafts", &["annotation_id"]).take())
            .await?;
        manager
            .create_index(index("drafts", &["user_id", "project_id"]).take())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("task_locks"))
                    .col(id())
                    .col(big_integer(Alias::new("task_id")))
                    .col(big_integer(Alias::new("project_id")))
                    .col(big_integer(Alias::new("user_id")))
                    .col(string(Alias::new("unique_id")))
                    .col(timestamp_with_time_zone(Alias::new("expire_at")))
                    // No foreign key to tasks, for the reason given for drafts.
                    .foreign_key(&mut fk("task_locks", "project_id", "projects", Cascade))
                    .foreign_key(&mut fk("task_locks", "user_id", "users", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("task_locks", &["task_id"]).take())
            .await?;
        manager
            .create_index(index("task_locks", &["user_id", "project_id"]).take())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("label_stream_history"))
                    .col(id())
                    .col(big_integer(Alias::new("project_id")))
                    .col(big_integer(Alias::new("user_id")))
                    // No foreign key: history outlives deleted tasks, as in Label Studio.
                    .col(big_integer(Alias::new("task_id")))
                    .col(big_integer_null(Alias::new("annotation_id")))
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    .foreign_key(&mut fk(
                        "label_stream_history",
                        "project_id",
                        "projects",
                        Cascade,
                    ))
                    .foreign_key(&mut fk("label_stream_history", "user_id", "users", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "label_stream_history",
                    &["user_id", "project_id", "task_id"],
                )
                .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_tasks_project_id_is_labeled_id")
                    .table(Alias::new("tasks"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_annotations_task_id_completed_by_id")
                    .table(Alias::new("annotations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("annotations", &["task_id"]).take())
            .await?;
        for table in ["label_stream_history", "task_locks", "drafts", "views"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
