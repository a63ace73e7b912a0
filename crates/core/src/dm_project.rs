//! The Data Manager's project-level reads: the task table's columns and the project with what
//! the actor may do in the manager (`label_studio/data_manager/functions.py` `get_all_columns`
//! and `data_manager/api.py`).

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{json, Map, Value};
use tessera_db::entities::project;
use tessera_db::{queries, Db};
use tessera_formats::import::UNDEFINED_KEY;

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::payload::{Counters, ProjectResponse};
use crate::{projects, scope};

/// The project the `?project=` parameter names (as its text); anything else is its 404.
async fn named_project(db: &Db, actor: &Actor, param: Option<&str>) -> CoreResult<project::Model> {
    let id = param
        .and_then(|p| p.parse::<i64>().ok())
        .ok_or_else(|| CoreError::no_match("Project"))?;
    scope::project(db.conn(), actor, id).await
}

/// One fixed column: `(id, title, type, help, visible in explore, visible in labeling)`.
type Fixed = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    bool,
);

const FIXED_COLUMNS: &[Fixed] = &[
    ("id", "ID", "Number", "Task ID", true, false),
    (
        "inner_id",
        "Inner ID",
        "Number",
        "Internal task ID starting from 1 for the current project",
        false,
        false,
    ),
    (
        "completed_at",
        "Completed",
        "Datetime",
        "Last annotation date",
        true,
        false,
    ),
    (
        "total_annotations",
        "Annotations",
        "Number",
        "Total annotations per task",
        true,
        true,
    ),
    (
        "cancelled_annotations",
        "Cancelled",
        "Number",
        "Total cancelled (skipped) annotations",
        true,
        false,
    ),
    (
        "total_predictions",
        "Predictions",
        "Number",
        "Total predictions per task",
        true,
        false,
    ),
    (
        "annotators",
        "Annotated by",
        "List",
        "All users who completed the task",
        true,
        false,
    ),
    (
        "annotations_results",
        "Annotation results",
        "String",
        "Annotation results stacked over all annotations",
        false,
        false,
    ),
    (
        "annotations_ids",
        "Annotation IDs",
        "String",
        "Annotation IDs stacked over all annotations",
        false,
        false,
    ),
    (
        "predictions_score",
        "Prediction score",
        "Number",
        "Average prediction score over all task predictions",
        false,
        false,
    ),
    (
        "predictions_model_versions",
        "Prediction model versions",
        "List",
        "Model versions aggregated over all predictions",
        false,
        false,
    ),
    (
        "predictions_results",
        "Prediction results",
        "String",
        "Prediction results stacked over all predictions",
        false,
        false,
    ),
    (
        "file_upload",
        "Upload filename",
        "String",
        "Filename of uploaded file",
        false,
        false,
    ),
    (
        "storage_filename",
        "Storage filename",
        "String",
        "Filename from import storage",
        false,
        false,
    ),
    (
        "created_at",
        "Created at",
        "Datetime",
        "Task creation time",
        false,
        false,
    ),
    (
        "updated_at",
        "Updated at",
        "Datetime",
        "Task update time",
        false,
        false,
    ),
    (
        "updated_by",
        "Updated by",
        "List",
        "User who did the last task update",
        false,
        false,
    ),
    (
        "avg_lead_time",
        "Lead Time",
        "Time",
        "Average lead time over all annotations",
        false,
        false,
    ),
    (
        "draft_exists",
        "Drafts",
        "Boolean",
        "True if at least one draft exists for the task",
        false,
        false,
    ),
];

/// The task table's columns: data columns first (the config's, then keys seen only in imported
/// data as `Unknown`), then the fixed task columns, then the `data` parent.
pub async fn columns(db: &Db, actor: &Actor, project: Option<&str>) -> CoreResult<Vec<Value>> {
    let project = named_project(db, actor, project).await?;
    let conn = db.conn();
    let config_types: IndexMap<String, Value> =
        serde_json::from_str(&project.data_types).unwrap_or_default();
    let config_types: IndexMap<String, String> = config_types
        .into_iter()
        .filter(|(key, _)| !key.contains('['))
        .map(|(key, value)| (key, value.as_str().unwrap_or("String").to_string()))
        .collect();
    let mut types = config_types.clone();
    let imported: IndexMap<String, Value> =
        serde_json::from_str(&project.summary_all_data_columns).unwrap_or_default();
    for key in imported.keys() {
        types.entry(key.clone()).or_insert_with(|| "Unknown".into());
    }
    if !config_types.is_empty() {
        types.shift_remove(UNDEFINED_KEY);
    }
    let mut out = Vec::new();
    let mut children = Vec::new();
    for (key, kind) in &types {
        let kind = if ["Image", "Audio", "AudioPlus", "Video", "Unknown"].contains(&kind.as_str()) {
            kind.as_str()
        } else {
            "String"
        };
        out.push(json!({
            "id": key,
            "title": if key == UNDEFINED_KEY { "data" } else { key.as_str() },
            "type": kind,
            "target": "tasks",
            "parent": "data",
            "visibility_defaults": {"explore": true, "labeling": config_types.contains_key(key) || key == UNDEFINED_KEY},
            "project_defined": true,
        }));
        children.push(key.clone());
    }
    let members: Vec<i64> = queries::users::list_in_organization(conn, actor.organization_id)
        .await?
        .iter()
        .map(|u| u.id)
        .collect();
    let mut versions = queries::predictions::model_versions(conn, project.id).await?;
    if !project.model_version.is_empty() && !versions.contains(&project.model_version) {
        versions.push(project.model_version.clone());
    }
    for (id, title, kind, help, explore, labeling) in FIXED_COLUMNS {
        let mut column = Map::new();
        column.insert("id".into(), json!(id));
        column.insert("title".into(), json!(title));
        column.insert("type".into(), json!(kind));
        column.insert("target".into(), json!("tasks"));
        column.insert("help".into(), json!(help));
        match *id {
            "annotators" | "updated_by" => {
                column.insert("schema".into(), json!({"items": members}));
            }
            "predictions_model_versions" => {
                column.insert(
                    "schema".into(),
                    json!({"items": versions, "multiple": true}),
                );
            }
            _ => {}
        }
        column.insert(
            "visibility_defaults".into(),
            json!({"explore": explore, "labeling": labeling}),
        );
        column.insert("project_defined".into(), json!(false));
        out.push(Value::Object(column));
    }
    out.push(json!({"id": "data", "title": "data", "type": "List", "target": "tasks", "children": children, "project_defined": false}));
    Ok(out)
}

/// `/api/dm/project/`: the project (counters left out, as Label Studio's view shows them) plus
/// what the actor may do in the Data Manager.
#[derive(Serialize)]
pub struct DmProject {
    #[serde(flatten)]
    pub project: ProjectResponse,
    pub can_delete_tasks: bool,
    pub can_manage_annotations: bool,
    pub can_manage_tasks: bool,
    pub source_syncing: bool,
    pub target_syncing: bool,
    pub task_count: i64,
    pub annotation_count: i64,
}

/// The project `?project=` names, as the Data Manager reads it.
pub async fn project(db: &Db, actor: &Actor, project: Option<&str>) -> CoreResult<DmProject> {
    let project = named_project(db, actor, project).await?;
    let (task_count, annotation_count) = (
        project.task_number,
        project.total_annotations_number + project.skipped_annotations_number,
    );
    let project = projects::render(db, actor, vec![project], Counters::Hidden, true)
        .await?
        .remove(0);
    Ok(DmProject {
        project,
        can_delete_tasks: true,
        can_manage_annotations: true,
        can_manage_tasks: true,
        source_syncing: false,
        target_syncing: false,
        task_count,
        annotation_count,
    })
}
