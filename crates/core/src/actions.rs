//! Data Manager bulk actions (`/api/dm/actions/`), each run in one write transaction holding
//! the project lock, so it applies to every selected task or to none, and leaves task and
//! project counters and the project summary right. Behaviour follows Label Studio 1.23.2
//! (`label_studio/data_manager/actions/`).

use std::collections::HashSet;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{json, Value};
use tessera_db::counters::{self, TaskSet};
use tessera_db::entities::project;
use tessera_db::filters::CompiledQuery;
use tessera_db::queries::annotations::NewAnnotation;
use tessera_db::{queries, time, Db, WriteTxn};

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::summary::Summary;
use crate::tasks;
use crate::webhooks::emit::{emit_for, listens};
use crate::webhooks::Action as WebhookAction;
use crate::{dm, scope};

/// One action as the Data Manager lists it.
#[derive(Debug, Clone, Copy)]
pub struct Action {
    pub id: &'static str,
    pub title: &'static str,
    pub order: i32,
    /// One permission, or several that are all required.
    pub permissions: &'static [&'static str],
    pub reload: bool,
    /// Whether the dialog has a form, loaded from `/api/dm/actions/{id}/form/`.
    pub has_form: bool,
    pub dialog: &'static str,
}

/// Every action, in display order.
pub const ACTIONS: &[Action] = &[
    Action {
        id: "retrieve_tasks_predictions",
        title: "Retrieve Predictions",
        order: 90,
        permissions: &["predictions.any"],
        reload: false,
        has_form: false,
        dialog: "Ask the project's connected ML backends to predict the selected tasks.",
    },
    Action {
        id: "predictions_to_annotations",
        title: "Create Annotations From Predictions",
        order: 91,
        permissions: &["tasks.change"],
        reload: false,
        has_form: true,
        dialog: "Copy the chosen predictions of each selected task into annotations owned by you.",
    },
    Action {
        id: "remove_duplicates",
        title: "Remove Duplicated Tasks",
        order: 95,
        permissions: &["projects.change", "tasks.delete"],
        reload: false,
        has_form: false,
        dialog: "Keep one task per distinct data: annotations of the duplicates move to the kept task and the duplicates are deleted.",
    },
    Action {
        id: "delete_tasks",
        title: "Delete Tasks",
        order: 100,
        permissions: &["tasks.delete"],
        reload: true,
        has_form: false,
        dialog: "Delete the selected tasks with their annotations, predictions and drafts.",
    },
    Action {
        id: "delete_tasks_annotations",
        title: "Delete Annotations",
        order: 101,
        permissions: &["tasks.change", "annotations.delete"],
        reload: false,
        has_form: true,
        dialog: "Delete the annotations and drafts of the selected tasks, of everyone or of one annotator.",
    },
    Action {
        id: "delete_tasks_predictions",
        title: "Delete Predictions",
        order: 102,
        permissions: &["predictions.any"],
        reload: false,
        has_form: false,
        dialog: "Delete every prediction of the selected tasks.",
    },
    Action {
        id: "delete_ground_truths",
        title: "Delete Ground Truths",
        order: 103,
        permissions: &["tasks.change", "annotations.change"],
        reload: false,
        has_form: false,
        dialog: "Remove the ground-truth mark from the annotations of the selected tasks (the annotations stay).",
    },
];

/// An action by id.
pub fn find(id: &str) -> CoreResult<&'static Action> {
    ACTIONS
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| CoreError::BadRequest(format!("Can't find '{id}' in registered actions")))
}

/// What an action reports. Absent fields are left out of the response.
#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processed_items: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reload: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Everything an action runs with.
pub struct Run<'a> {
    pub txn: &'a WriteTxn,
    pub project: &'a project::Model,
    pub user_id: i64,
    pub selection: &'a CompiledQuery,
    pub body: &'a Value,
}

/// Runs `action` on the selected tasks.
pub async fn perform(action: &Action, run: Run<'_>) -> CoreResult<Outcome> {
    crate::storages::export::annotations_changed(&**run.txn, run.project.id).await?;
    queries::projects::lock(&**run.txn, run.project.id).await?;
    let ids = queries::tasks::filtered_ids(&**run.txn, run.selection).await?;
    match action.id {
        "delete_tasks" => delete_tasks(&run, &ids).await,
        "delete_tasks_annotations" => delete_annotations(&run, &ids).await,
        "delete_tasks_predictions" => {
            let deleted = queries::predictions::delete_of_tasks(&**run.txn, &ids).await?;
            recount(&run, &ids, false).await?;
            Ok(Outcome {
                processed_items: Some(deleted),
                detail: Some(format!("Deleted {deleted} predictions")),
                ..Outcome::default()
            })
        }
        "delete_ground_truths" => {
            let changed = queries::annotations::clear_ground_truth(&**run.txn, &ids).await?;
            recount(&run, &ids, true).await?;
            Ok(Outcome {
                processed_items: Some(changed),
                detail: Some(format!("Deleted {changed} ground truths")),
                ..Outcome::default()
            })
        }
        "predictions_to_annotations" => predictions_to_annotations(&run, &ids).await,
        "remove_duplicates" => remove_duplicates(&run).await,
        "retrieve_tasks_predictions" => {
            let count = ids.len();
            let detail = if crate::ml::predict::queue(&**run.txn, run.project, &ids).await? {
                format!("Retrieving predictions for {count} tasks in the background")
            } else {
                "No ML backend is connected to this project, so no predictions were retrieved"
                    .into()
            };
            Ok(Outcome {
                processed_items: Some(count as u64),
                detail: Some(detail),
                ..Outcome::default()
            })
        }
        other => Err(CoreError::BadRequest(format!(
            "Can't find '{other}' in registered actions"
        ))),
    }
}

/// Recounts the tasks (in chunks), optionally stamping them as changed by the user.
async fn recount(run: &Run<'_>, ids: &[i64], touch: bool) -> CoreResult<()> {
    let touch = touch.then(|| (run.user_id, time::now()));
    for chunk in ids.chunks(counters::ID_CHUNK) {
        counters::recount_tasks(
            &**run.txn,
            run.project.id,
            run.project.skip_queue,
            TaskSet::Ids(chunk),
            touch,
        )
        .await?;
    }
    Ok(())
}

async fn delete_tasks(run: &Run<'_>, ids: &[i64]) -> CoreResult<Outcome> {
    // Counted under the project lock `perform` took, so a concurrent import cannot make a
    // partial selection look like every task.
    let current = queries::projects::find_by_id(&**run.txn, run.project.id)
        .await?
        .map_or(0, |p| p.task_number);
    let everything = ids.len() as i64 == current;
    let selected = if everything {
        TaskSet::All
    } else {
        TaskSet::Ids(ids)
    };
    tasks::delete(run.txn, run.project.id, selected).await?;
    let left = queries::projects::find_by_id(&**run.txn, run.project.id)
        .await?
        .map_or(0, |p| p.task_number);
    // An emptied project loses its tabs, and the Data Manager reloads.
    if left == 0 {
        queries::views::delete_all(&**run.txn, run.project.id).await?;
    }
    let count = ids.len();
    Ok(Outcome {
        processed_items: Some(count as u64),
        reload: Some(left == 0),
        detail: Some(format!("Deleted {count} tasks")),
    })
}

/// Reads an optional user id from the body (`"annotator": "2"` or `2`).
fn annotator(body: &Value) -> CoreResult<Option<i64>> {
    match body.get("annotator") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(value) => value
            .as_i64()
            .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
            .map(Some)
            .ok_or_else(|| CoreError::field("annotator", "A valid integer is required.")),
    }
}

/// Removes annotation results from the project summary.
async fn forget_results(
    run: &Run<'_>,
    results: impl Iterator<Item = Value>,
    sign: i64,
) -> CoreResult<()> {
    let (annotations, labels) = queries::projects::summary(&**run.txn, run.project.id).await?;
    let mut summary = Summary::load(&annotations, &labels);
    for result in results {
        summary.count_result(&result, sign);
    }
    let (annotations, labels) = summary.to_json();
    queries::projects::set_summary(&**run.txn, run.project.id, &annotations, &labels).await?;
    Ok(())
}

async fn delete_annotations(run: &Run<'_>, ids: &[i64]) -> CoreResult<Outcome> {
    let annotator = annotator(run.body)?;
    let annotations = queries::annotations::of_tasks_by(&**run.txn, ids, annotator).await?;
    let touched: Vec<i64> = annotations
        .iter()
        .map(|a| a.task_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let results = annotations.iter().filter_map(|a| {
        a.result
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
    });
    forget_results(run, results, -1).await?;
    let annotation_ids: Vec<i64> = annotations.iter().map(|a| a.id).collect();
    let deleted = queries::annotations::delete_many(&**run.txn, &annotation_ids).await?;
    for chunk in ids.chunks(counters::ID_CHUNK) {
        queries::drafts::delete_of_tasks(&**run.txn, chunk, annotator).await?;
    }
    recount(run, &touched, true).await?;
    let action = WebhookAction::AnnotationsDeleted;
    emit_for(&**run.txn, run.project, action, &annotation_ids).await?;
    Ok(Outcome {
        processed_items: Some(deleted),
        detail: Some(format!("Deleted {deleted} annotations")),
        ..Outcome::default()
    })
}

async fn predictions_to_annotations(run: &Run<'_>, ids: &[i64]) -> CoreResult<Outcome> {
    let versions: Option<Vec<String>> = match run.body.get("model_version") {
        None | Some(Value::Null) => None,
        Some(Value::String(v)) => Some(vec![v.clone()]),
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect(),
        ),
        Some(_) => {
            return Err(CoreError::field(
                "model_version",
                "Expected a model version or a list of them.",
            ))
        }
    };
    let predictions =
        queries::predictions::without_annotations(&**run.txn, ids, versions.as_deref()).await?;
    let count = predictions.len();
    let touched: Vec<i64> = predictions
        .iter()
        .map(|p| p.task_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let results: Vec<Value> = predictions
        .iter()
        .filter_map(|p| serde_json::from_str(&p.result).ok())
        .collect();
    let prediction_ids: Vec<i64> = predictions.iter().map(|p| p.id).collect();
    let rows = predictions
        .into_iter()
        .map(|p| NewAnnotation {
            task_id: p.task_id,
            completed_by_id: Some(run.user_id),
            result_count: serde_json::from_str::<Value>(&p.result)
                .map_or(0, |r| crate::annotations::result_count(&r)),
            result: Some(p.result),
            was_cancelled: false,
            ground_truth: false,
            lead_time: None,
            import_id: None,
            bulk_created: false,
            prediction: "{}".into(),
            parent_prediction_id: Some(p.id),
            parent_annotation_id: None,
            unique_id: Some(uuid::Uuid::now_v7().to_string()),
            draft_created_at: None,
            last_action: Some("prediction".into()),
            updated_by_id: Some(run.user_id),
        })
        .collect();
    queries::annotations::insert_many(&**run.txn, run.project.id, rows, time::now()).await?;
    let project = run.project;
    let action = WebhookAction::AnnotationsCreated;
    if listens(
        &**run.txn,
        project.organization_id,
        Some(project.id),
        action,
    )
    .await?
    {
        let made = queries::annotations::ids_from_predictions(&**run.txn, &prediction_ids).await?;
        emit_for(&**run.txn, project, action, &made).await?;
    }
    forget_results(run, results.into_iter(), 1).await?;
    recount(run, &touched, true).await?;
    Ok(Outcome {
        detail: Some(format!("Created {count} annotations")),
        ..Outcome::default()
    })
}

/// Per group of tasks with equal data: keep the first task that has annotations (or the first
/// task), move the other tasks' annotations to it, delete the rest.
async fn remove_duplicates(run: &Run<'_>) -> CoreResult<Outcome> {
    let mut groups: IndexMap<String, Vec<queries::tasks::Duplicate>> = IndexMap::new();
    for task in queries::tasks::duplicates(&**run.txn, run.selection).await? {
        groups.entry(task.data.clone()).or_default().push(task);
    }
    let mut removing = Vec::new();
    let mut keeping = Vec::new();
    for group in groups.values().filter(|g| g.len() > 1) {
        let kept = group
            .iter()
            .find(|t| t.annotations > 0)
            .unwrap_or(&group[0])
            .id;
        for task in group.iter().filter(|t| t.id != kept) {
            if task.annotations > 0 {
                queries::annotations::move_to_task(&**run.txn, task.id, kept).await?;
            }
            removing.push(task.id);
        }
        keeping.push(kept);
    }
    recount(run, &keeping, false).await?;
    tasks::delete(run.txn, run.project.id, TaskSet::Ids(&removing)).await?;
    Ok(Outcome::default())
}

/// Which tasks an action runs on, as the request names them (query-string texts).
pub struct Selection<'a> {
    /// `?project=`.
    pub project: Option<&'a str>,
    /// `?view=`: the view whose filters and ordering apply.
    pub view: Option<&'a str>,
    /// `?query=`: a Data Manager query as JSON text; else the body's selection.
    pub query: Option<&'a str>,
}

/// The project `?project=` names; anything else is its 404.
async fn project_of(db: &Db, actor: &Actor, param: Option<&str>) -> CoreResult<project::Model> {
    let id = param
        .and_then(|p| p.parse::<i64>().ok())
        .ok_or_else(|| CoreError::no_match("Project"))?;
    scope::project(db.conn(), actor, id).await
}

/// Runs action `id` on the selected tasks of a project the actor sees, all or nothing.
pub async fn run(
    db: &Db,
    actor: &Actor,
    id: &str,
    selection: Selection<'_>,
    body: &Value,
) -> CoreResult<Outcome> {
    let project = project_of(db, actor, selection.project).await?;
    let action = find(id)?;
    let view = selection.view.and_then(|v| v.parse::<i64>().ok());
    let selected = dm::resolve(db.conn(), actor, Some(project.id), view, || match selection
        .query
        .filter(|q| !q.is_empty())
    {
        Some(text) => dm::parse_query_param(text),
        None => dm::body_query(body),
    })
    .await?;
    let txn = db.write().await?;
    // Counters may have moved since the project was read; the action works on fresh ones.
    let project = queries::projects::find_by_id(&*txn, project.id)
        .await?
        .ok_or_else(|| CoreError::no_match("Project"))?;
    let run = Run {
        txn: &txn,
        project: &project,
        user_id: actor.user.id,
        selection: &selected.query,
        body,
    };
    let outcome = perform(action, run).await?;
    txn.commit().await?;
    Ok(outcome)
}

/// The form of an action's dialog in a project (`?project=`): the annotator to delete for, or
/// the predictions to copy.
pub async fn form(db: &Db, actor: &Actor, id: &str, project: Option<&str>) -> CoreResult<Value> {
    let project = project_of(db, actor, project).await?;
    let action = find(id)?;
    let conn = db.conn();
    Ok(match action.id {
        "delete_tasks_annotations" => {
            let users = queries::users::annotators_of_project(conn, project.id).await?;
            let options: Vec<Value> = users
                .iter()
                .map(|u| {
                    let full = format!("{} {}", u.first_name, u.last_name)
                        .trim()
                        .to_string();
                    let label = [full.as_str(), u.username.as_str(), u.email.as_str()]
                        .into_iter()
                        .find(|s| !s.is_empty())
                        .unwrap_or_default();
                    json!({"value": u.id.to_string(), "label": label})
                })
                .collect();
            json!([{"columnCount": 1, "fields": [{"type": "select", "name": "annotator", "label": "Annotator", "options": options, "placeholder": "All", "searchable": true}]}])
        }
        "predictions_to_annotations" => {
            let mut versions = queries::predictions::model_versions(conn, project.id).await?;
            let first = project.model_version.clone();
            if !first.is_empty() {
                versions.retain(|v| *v != first);
                versions.insert(0, first.clone());
            }
            json!([{"columnCount": 1, "fields": [{"type": "select", "name": "model_version", "label": "Choose predictions", "options": versions, "value": first}]}])
        }
        _ => json!([]),
    })
}
