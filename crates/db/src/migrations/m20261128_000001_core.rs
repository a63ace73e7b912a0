//! The core schema: organizations, users, auth, projects, tasks, annotations, predictions, uploads.
//!
//! JSON documents (task data, results, configs derived from XML) are stored as TEXT in both
//! backends: the text we wrote is the text we read back, so key order survives (PostgreSQL's
//! `jsonb` would sort keys) and exports can copy stored JSON straight into the response.

use sea_orm_migration::prelude::*;

use super::schema::{created_updated, fk, id, index};
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, double, double_null, integer, string, string_null,
    string_uniq, text, text_null, timestamp_with_time_zone, timestamp_with_time_zone_null,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000001_core"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("instance_settings"))
                    .col(string(Alias::new("key")).primary_key())
                    .col(text(Alias::new("value")))
                    .take(),
            )
            .await?;

        let mut organizations = Table::create();
        organizations
            .table(Alias::new("organizations"))
            .col(id())
            .col(string(Alias::new("title")))
            .col(string_uniq(Alias::new("token")))
            .col(big_integer_null(Alias::new("created_by_id")))
            .col(string_null(Alias::new("contact_info")));
        manager
            .create_table(created_updated(&mut organizations).take())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("users"))
                    .col(id())
                    .col(string_uniq(Alias::new("email")))
                    .col(string(Alias::new("username")))
                    .col(string(Alias::new("password")))
                    .col(string(Alias::new("first_name")))
                    .col(string(Alias::new("last_name")))
                    .col(string(Alias::new("phone")))
                    .col(string_null(Alias::new("avatar")))
                    .col(boolean(Alias::new("is_active")))
                    .col(boolean(Alias::new("is_superuser")))
                    .col(big_integer_null(Alias::new("active_organization_id")))
                    .col(
                        ColumnDef::new(Alias::new("allow_newsletters"))
                            .boolean()
                            .null(),
                    )
                    .col(text(Alias::new("custom_hotkeys")))
                    .col(string_uniq(Alias::new("api_token")))
                    .col(timestamp_with_time_zone(Alias::new("date_joined")))
                    .col(timestamp_with_time_zone(Alias::new("last_activity")))
                    .foreign_key(&mut fk(
                        "users",
                        "active_organization_id",
                        "organizations",
                        SetNull,
                    ))
                    .take(),
            )
            .await?;

        let mut members = Table::create();
        members
            .table(Alias::new("organization_members"))
            .col(id())
            .col(big_integer(Alias::new("organization_id")))
            .col(big_integer(Alias::new("user_id")))
            .col(string(Alias::new("role")))
            .col(timestamp_with_time_zone_null(Alias::new("deleted_at")))
            .foreign_key(&mut fk(
                "organization_members",
                "organization_id",
                "organizations",
                Cascade,
            ))
            .foreign_key(&mut fk("organization_members", "user_id", "users", Cascade));
        manager
            .create_table(created_updated(&mut members).take())
            .await?;
        manager
            .create_index(
                index("organization_members", &["organization_id", "user_id"])
                    .unique()
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("auth_sessions"))
                    .col(string(Alias::new("key_hash")).primary_key())
                    .col(big_integer(Alias::new("user_id")))
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    .col(timestamp_with_time_zone(Alias::new("expires_at")))
                    .foreign_key(&mut fk("auth_sessions", "user_id", "users", Cascade))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("jwt_tokens"))
                    .col(id())
                    .col(big_integer(Alias::new("user_id")))
                    .col(string_uniq(Alias::new("jti")))
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    .col(timestamp_with_time_zone(Alias::new("expires_at")))
                    .col(timestamp_with_time_zone_null(Alias::new("blacklisted_at")))
                    .foreign_key(&mut fk("jwt_tokens", "user_id", "users", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("jwt_tokens", &["user_id"]).take())
            .await?;

        let mut projects = Table::create();
        projects
            .table(Alias::new("projects"))
            .col(id())
            .col(big_integer(Alias::new("organization_id")))
            .col(big_integer_null(Alias::new("created_by_id")))
            .col(big_integer_null(Alias::new("workspace_id")))
            .col(string_null(Alias::new("title")))
            .col(text(Alias::new("description")))
            .col(text(Alias::new("label_config")))
            .col(text(Alias::new("expert_instruction")))
            .col(boolean(Alias::new("show_instruction")))
            .col(boolean(Alias::new("show_skip_button")))
            .col(boolean(Alias::new("enable_empty_annotation")))
            .col(boolean(Alias::new("show_annotation_history")))
            .col(string(Alias::new("color")))
            .col(integer(Alias::new("maximum_annotations")))
            .col(boolean(Alias::new("is_published")))
            .col(text(Alias::new("model_version")))
            .col(boolean(Alias::new("is_draft")))
            .col(integer(Alias::new("min_annotations_to_start_training")))
            .col(boolean(Alias::new("show_collab_predictions")))
            .col(string(Alias::new("sampling")))
            .col(boolean(Alias::new("show_ground_truth_first")))
            .col(boolean(Alias::new("show_overlap_first")))
            .col(integer(Alias::new("overlap_cohort_percentage")))
            .col(text_null(Alias::new("task_data_login")))
            .col(text_null(Alias::new("task_data_password")))
            .col(text(Alias::new("control_weights")))
            .col(boolean(Alias::new("evaluate_predictions_automatically")))
            .col(string(Alias::new("skip_queue")))
            .col(boolean(Alias::new("reveal_preannotations_interactively")))
            .col(boolean(Alias::new("annotator_evaluation_enabled")))
            .col(timestamp_with_time_zone_null(Alias::new("pinned_at")))
            .col(text(Alias::new("data_types")))
            .col(big_integer(Alias::new("task_number")))
            .col(big_integer(Alias::new("finished_task_number")))
            .col(big_integer(Alias::new("total_annotations_number")))
            .col(big_integer(Alias::new("skipped_annotations_number")))
            .col(big_integer(Alias::new("ground_truth_number")))
            .col(big_integer(Alias::new("useful_annotation_number")))
            .col(big_integer(Alias::new("num_tasks_with_annotations")))
            .col(big_integer(Alias::new("total_predictions_number")))
            .col(big_integer(Alias::new("last_inner_id")))
            .col(text(Alias::new("summary_all_data_columns")))
            .col(text(Alias::new("summary_common_data_columns")))
            .col(text(Alias::new("summary_created_annotations")))
            .col(text(Alias::new("summary_created_labels")))
            .foreign_key(&mut fk(
                "projects",
                "organization_id",
                "organizations",
                Cascade,
            ))
            .foreign_key(&mut fk("projects", "created_by_id", "users", SetNull));
        manager
            .create_table(created_updated(&mut projects).take())
            .await?;
        manager
            .create_index(index("projects", &["organization_id", "created_at"]).take())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("file_uploads"))
                    .col(id())
                    .col(big_integer(Alias::new("project_id")))
                    .col(big_integer_null(Alias::new("user_id")))
                    .col(string(Alias::new("file")))
                    .col(big_integer(Alias::new("size")))
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    .foreign_key(&mut fk("file_uploads", "project_id", "projects", Cascade))
                    .foreign_key(&mut fk("file_uploads", "user_id", "users", SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("file_uploads", &["project_id"]).take())
            .await?;

        let mut tasks = Table::create();
        tasks
            .table(Alias::new("tasks"))
            .col(id())
            .col(big_integer(Alias::new("project_id")))
            .col(big_integer(Alias::new("inner_id")))
            .col(text(Alias::new("data")))
            .col(text(Alias::new("meta")))
            .col(boolean(Alias::new("is_labeled")))
            .col(integer(Alias::new("overlap")))
            .col(integer(Alias::new("total_annotations")))
            .col(integer(Alias::new("cancelled_annotations")))
            .col(integer(Alias::new("total_predictions")))
            .col(integer(Alias::new("ground_truth_annotations")))
            .col(integer(Alias::new("useful_annotations")))
            .col(timestamp_with_time_zone_null(Alias::new("completed_at")))
            .col(big_integer_null(Alias::new("file_upload_id")))
            .col(big_integer_null(Alias::new("updated_by_id")))
            .col(boolean(Alias::new("allow_skip")))
            .foreign_key(&mut fk("tasks", "project_id", "projects", Cascade))
            .foreign_key(&mut fk("tasks", "file_upload_id", "file_uploads", SetNull))
            .foreign_key(&mut fk("tasks", "updated_by_id", "users", SetNull));
        manager
            .create_table(created_updated(&mut tasks).take())
            .await?;
        manager
            .create_index(index("tasks", &["project_id", "inner_id"]).unique().take())
            .await?;
        manager
            .create_index(index("tasks", &["project_id", "id"]).take())
            .await?;
        manager
            .create_index(index("tasks", &["file_upload_id"]).take())
            .await?;

        let mut annotations = Table::create();
        annotations
            .table(Alias::new("annotations"))
            .col(id())
            .col(big_integer(Alias::new("task_id")))
            .col(big_integer(Alias::new("project_id")))
            .col(big_integer_null(Alias::new("completed_by_id")))
            .col(text_null(Alias::new("result")))
            .col(boolean(Alias::new("was_cancelled")))
            .col(boolean(Alias::new("ground_truth")))
            .col(timestamp_with_time_zone_null(Alias::new(
                "draft_created_at",
            )))
            .col(double_null(Alias::new("lead_time")))
            .col(big_integer_null(Alias::new("import_id")))
            .col(string_null(Alias::new("last_action")))
            .col(boolean(Alias::new("bulk_created")))
            .col(big_integer_null(Alias::new("updated_by_id")))
            .col(big_integer_null(Alias::new("parent_prediction_id")))
            .col(big_integer_null(Alias::new("parent_annotation_id")))
            .col(big_integer_null(Alias::new("last_created_by_id")))
            .col(text(Alias::new("prediction")))
            .col(integer(Alias::new("result_count")))
            .col(string_null(Alias::new("unique_id")).unique_key())
            .foreign_key(&mut fk("annotations", "task_id", "tasks", Cascade))
            .foreign_key(&mut fk("annotations", "project_id", "projects", Cascade))
            .foreign_key(&mut fk("annotations", "completed_by_id", "users", SetNull))
            .foreign_key(&mut fk("annotations", "updated_by_id", "users", SetNull));
        manager
            .create_table(created_updated(&mut annotations).take())
            .await?;
        manager
            .create_index(index("annotations", &["task_id"]).take())
            .await?;
        manager
            .create_index(index("annotations", &["project_id", "id"]).take())
            .await?;
        manager
            .create_index(index("annotations", &["completed_by_id"]).take())
            .await?;

        let mut predictions = Table::create();
        predictions
            .table(Alias::new("predictions"))
            .col(id())
            .col(big_integer(Alias::new("task_id")))
            .col(big_integer(Alias::new("project_id")))
            .col(text(Alias::new("result")))
            .col(text(Alias::new("model_version")))
            .col(double_null(Alias::new("score")))
            .col(big_integer_null(Alias::new("cluster")))
            .col(text_null(Alias::new("neighbors")))
            .col(double(Alias::new("mislabeling")))
            .col(big_integer_null(Alias::new("model_id")))
            .col(big_integer_null(Alias::new("model_run_id")))
            .foreign_key(&mut fk("predictions", "task_id", "tasks", Cascade))
            .foreign_key(&mut fk("predictions", "project_id", "projects", Cascade));
        manager
            .create_table(created_updated(&mut predictions).take())
            .await?;
        manager
            .create_index(index("predictions", &["task_id"]).take())
            .await?;
        manager
            .create_index(index("predictions", &["project_id", "id"]).take())
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "predictions",
            "annotations",
            "tasks",
            "file_uploads",
            "projects",
            "jwt_tokens",
            "auth_sessions",
            "organization_members",
            "users",
            "organizations",
            "instance_settings",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
