//! The Data Manager's project-level routes: `/api/dm/columns/` (the task table's columns) and
//! `/api/dm/project/` (the project with the manager's capabilities), as in
//! `label_studio/data_manager/functions.py` `get_all_columns` and `data_manager/api.py`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tessera_core::payload::{Counters, ProjectResponse};
use tessera_core::scope;
use tessera_db::entities::project;
use tessera_db::queries;
use tessera_formats::import::UNDEFINED_KEY;

use crate::api::projects::respond;
use crate::api::slashed;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::ApiQuery;
use crate::state::AppState;

#[derive(Deserialize)]
struct ProjectParam {
    project: Option<String>,
}

async fn named_project(
    state: &AppState,
    caller: &Caller,
    param: Option<&str>,
) -> ApiResult<project::Model> {
    let id = param
        .and_then(|p| p.parse::<i64>().ok())
        .ok_or_else(|| ApiError::no_match("Project"))?;
    Ok(scope::project(state.db.conn(), caller, id).await?)
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

#[derive(Serialize)]
struct Columns {
    columns: Vec<Value>,
}

/// Data columns first (the config's, then keys seen only in imported data as `Unknown`), then
/// the fixed task columns, then the `data` parent.
async fn columns(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ProjectParam>,
) -> ApiResult<Json<Columns>> {
    let project = named_project(&state, &caller, params.project.as_deref()).await?;
    let conn = state.db.conn();
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
    let members: Vec<i64> = queries::users::list_in_organization(conn, caller.organization_id)
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
    Ok(Json(Columns { columns: out }))
}

/// `/api/dm/project/`: the project (counters left out, as Label Studio's view shows them) plus
/// what the caller may do in the Data Manager.
#[derive(Serialize)]
struct DmProject {
    #[serde(flatten)]
    project: ProjectResponse,
    can_delete_tasks: bool,
    can_manage_annotations: bool,
    can_manage_tasks: bool,
    source_syncing: bool,
    target_syncing: bool,
    task_count: i64,
    annotation_count: i64,
}

async fn dm_project(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ProjectParam>,
) -> ApiResult<Json<DmProject>> {
    let project = named_project(&state, &caller, params.project.as_deref()).await?;
    let (task_count, annotation_count) = (
        project.task_number,
        project.total_annotations_number + project.skipped_annotations_number,
    );
    let project = respond(&state, &caller, project, Counters::Hidden).await?;
    Ok(Json(DmProject {
        project,
        can_delete_tasks: true,
        can_manage_annotations: true,
        can_manage_tasks: true,
        source_syncing: false,
        target_syncing: false,
        task_count,
        annotation_count,
    }))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/api/dm/columns/", get(columns));
    slashed(router, "/api/dm/project/", get(dm_project))
}
