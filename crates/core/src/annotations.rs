//! Creating, changing and deleting annotations with everything that follows in the same
//! transaction: task and project counters, `is_labeled`, ground truth, the project summary.

use sea_orm::{ConnectionTrait, IntoActiveModel, Set};
use serde_json::Value;
use tessera_db::counters::{self, TaskSet};
use tessera_db::entities::{annotation, project};
use tessera_db::queries::annotations::NewAnnotation;
use tessera_db::{queries, time, Db, WriteTxn};
use tessera_labelconfig::LabelConfig;

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::Fields;
use crate::payload::{annotation_out, prediction_out, AnnotationOut, CompletedBy, Users};
use crate::permissions::Action;
use crate::projects::config_of;
use crate::scope;
use crate::summary::Summary;
use crate::webhooks::emit::emit_for;
use crate::webhooks::Action as WebhookAction;

/// Number of distinct region ids in a result (Label Studio's `result_count`).
pub fn result_count(result: &Value) -> i32 {
    let Value::Array(items) = result else {
        return 0;
    };
    let mut ids: Vec<Option<&str>> = items
        .iter()
        .map(|r| r.get("id").and_then(Value::as_str))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len() as i32
}

/// Reads and checks `result`: JSON strings are decoded, a non-list is refused, and with a
/// config its regions must name its controls.
fn read_result(fields: &mut Fields, config: Option<&LabelConfig>) -> Option<Option<Value>> {
    let raw = fields.raw("result")?.clone();
    let value = match raw {
        Value::Null => {
            fields.error("result", "This field may not be null.");
            return None;
        }
        Value::String(text) => match serde_json::from_str(&text) {
            Ok(value) => value,
            Err(_) => {
                fields.error(
                    "result",
                    "annotation \"result\" can't be parse from str to JSON",
                );
                return None;
            }
        },
        other => other,
    };
    if !value.is_array() {
        fields.error(
            "result",
            "annotation \"result\" field in annotation must be list",
        );
        return None;
    }
    if let Some(config) = config {
        if let Err(message) = tessera_labelconfig::validate_result(config, &value) {
            fields.error("result", message);
            return None;
        }
    }
    Some(Some(value))
}

async fn check_member(
    txn: &WriteTxn,
    caller: &Actor,
    fields: &mut Fields<'_>,
    key: &str,
) -> CoreResult<Option<i64>> {
    let Some(id) = fields.primary_key(key) else {
        return Ok(None);
    };
    if id != caller.user.id && !caller.sees_others_work() {
        // Annotators work under their own name only.
        return Err(CoreError::Forbidden(
            crate::permissions::FORBIDDEN.to_string(),
        ));
    }
    if queries::organizations::membership(&**txn, caller.organization_id, id)
        .await?
        .is_none()
    {
        fields.missing(key, id);
        return Ok(None);
    }
    Ok(Some(id))
}

/// Updates the project summary by removing `old` and adding `new` results (under the project
/// lock the caller holds).
async fn update_summary(
    txn: &WriteTxn,
    project_id: i64,
    old: Option<&Value>,
    new: Option<&Value>,
) -> CoreResult<()> {
    if old.is_none() && new.is_none() {
        return Ok(());
    }
    let current = queries::projects::summary(&**txn, project_id).await?;
    let mut summary = Summary::load(&current.0, &current.1);
    if let Some(old) = old {
        summary.count_result(old, -1);
    }
    if let Some(new) = new {
        summary.count_result(new, 1);
    }
    let (annotations, labels) = summary.to_json();
    queries::projects::set_summary(&**txn, project_id, &annotations, &labels).await?;
    Ok(())
}

/// Recounts the task, bumps its `updated_at`, keeps ground truth unique per task, tells the
/// webhooks listening for `event`, and starts the ML backends' training when its count is due.
async fn after_change(
    txn: &WriteTxn,
    project: &project::Model,
    annotation: &annotation::Model,
    user: i64,
    event: WebhookAction,
) -> CoreResult<()> {
    if annotation.ground_truth {
        queries::annotations::unset_ground_truth(&**txn, annotation.task_id, annotation.id).await?;
    }
    let touch = Some((user, time::now()));
    counters::recount_tasks(
        &**txn,
        project.id,
        project.skip_queue,
        TaskSet::Ids(&[annotation.task_id]),
        touch,
    )
    .await?;
    emit_for(&**txn, project, event, &[annotation.id]).await?;
    crate::ml::annotation_saved(&**txn, project).await
}

/// Refuses a change of an annotation's ground-truth mark (`wanted` from `current`) by someone
/// who does not manage projects: annotators do not grade their own work.
fn check_ground_truth(caller: &Actor, wanted: bool, current: bool) -> CoreResult<()> {
    if wanted != current && !Action::ManageProjects.allows(caller.role) {
        return Err(CoreError::Forbidden(
            "Only managers, administrators and owners mark ground truth.".into(),
        ));
    }
    Ok(())
}

/// `POST /api/tasks/{id}/annotations/`.
pub async fn create(
    txn: &WriteTxn,
    caller: &Actor,
    task_id: i64,
    body: &Value,
    cancelled_param: bool,
) -> CoreResult<annotation::Model> {
    let (task, project) = scope::task(&**txn, caller, task_id).await?;
    queries::projects::lock(&**txn, project.id).await?;
    crate::storages::export::annotations_changed(&**txn, project.id).await?;
    let config = config_of(&project);
    let mut fields = Fields::new(body)?;
    let result = read_result(&mut fields, config.as_ref()).flatten();
    let was_cancelled = fields.boolean("was_cancelled").unwrap_or(cancelled_param);
    let ground_truth = fields.boolean("ground_truth").unwrap_or(false);
    check_ground_truth(caller, ground_truth, false)?;
    let lead_time = fields.nullable_float("lead_time").flatten();
    let completed_by = check_member(txn, caller, &mut fields, "completed_by")
        .await?
        .unwrap_or(caller.user.id);
    let unique_id = fields.nullable_string("unique_id").flatten();
    let import_id = match fields.raw("import_id") {
        None | Some(Value::Null) => None,
        Some(_) => fields.big_integer("import_id"),
    };
    let last_action = last_action(&mut fields).flatten();
    // The task and project come from the address; given ones must at least exist.
    related_must_exist(txn, caller, &mut fields).await?;
    let parent_prediction = fields.nullable_integer("parent_prediction").flatten();
    let parent_annotation = fields.nullable_integer("parent_annotation").flatten();
    if let Some(id) = parent_prediction {
        let found = queries::predictions::find(&**txn, id)
            .await?
            .is_some_and(|p| p.project_id == project.id);
        if !found {
            fields.missing("parent_prediction", id);
        }
    }
    if let Some(id) = parent_annotation {
        let found = queries::annotations::find(&**txn, id)
            .await?
            .is_some_and(|a| a.project_id == project.id);
        if !found {
            fields.missing("parent_annotation", id);
        }
    }
    let draft = match fields.raw("draft_id") {
        None | Some(Value::Null) => None,
        Some(_) => match fields.integer("draft_id") {
            Some(id) => queries::drafts::find(&**txn, id).await?,
            None => None,
        },
    };
    fields.finish()?;
    if let Some(draft) = &draft {
        if draft.user_id != caller.user.id || draft.task_id != task.id {
            return Err(CoreError::Forbidden(format!(
                "You have no permission to draft id:{}",
                draft.id
            )));
        }
    }

    let prediction = match &result {
        Some(_) => queries::predictions::of_tasks(&**txn, &[task.id])
            .await?
            .into_iter()
            .rev()
            .find(|p| p.model_version == project.model_version)
            .map(|p| {
                serde_json::to_string(&prediction_out(p, &time::now()))
                    .unwrap_or_else(|_| "{}".into())
            }),
        None => None,
    };
    let new = NewAnnotation {
        task_id: task.id,
        completed_by_id: Some(completed_by),
        result_count: result.as_ref().map_or(0, result_count),
        result: result.as_ref().map(Value::to_string),
        was_cancelled,
        ground_truth,
        lead_time,
        import_id,
        bulk_created: false,
        prediction: prediction.unwrap_or_else(|| "{}".to_string()),
        parent_prediction_id: parent_prediction,
        parent_annotation_id: parent_annotation,
        unique_id: Some(unique_id.unwrap_or_else(|| uuid::Uuid::now_v7().to_string())),
        draft_created_at: draft.as_ref().map(|d| d.created_at),
        last_action,
        updated_by_id: Some(caller.user.id),
    };
    let saved = queries::annotations::insert_one(&**txn, project.id, new, time::now())
        .await
        .map_err(|err| {
            if tessera_db::is_unique_violation(&err) {
                CoreError::Conflict("Annotation with this unique id already exists".into())
            } else {
                err.into()
            }
        })?;
    after_change(
        txn,
        &project,
        &saved,
        caller.user.id,
        WebhookAction::AnnotationCreated,
    )
    .await?;
    update_summary(txn, project.id, None, result.as_ref()).await?;
    if let Some(draft) = draft {
        queries::drafts::delete(&**txn, draft.id).await?;
    }
    // The annotator is done with the task: their lock goes, their stream history points here.
    let now = time::now();
    queries::stream::release_lock(&**txn, task.id, caller.user.id, now).await?;
    queries::stream::record_annotation(&**txn, project.id, caller.user.id, task.id, saved.id)
        .await?;
    Ok(saved)
}

/// Label Studio's `ActionType` choices for `last_action`.
const LAST_ACTIONS: &[&str] = &[
    "prediction",
    "propagated_annotation",
    "imported",
    "submitted",
    "updated",
    "skipped",
    "accepted",
    "rejected",
    "fixed_and_accepted",
    "deleted_review",
];

/// `last_action`: `Some(None)` for null, one of [`LAST_ACTIONS`] otherwise.
fn last_action(fields: &mut Fields) -> Option<Option<String>> {
    match fields.raw("last_action")? {
        Value::Null => Some(None),
        _ => fields.choice("last_action", LAST_ACTIONS).map(Some),
    }
}

/// `task` and `project` in an annotation body are not applied (the address names them), but
/// ids of objects the caller cannot see are refused as Label Studio's related fields refuse them.
async fn related_must_exist(
    txn: &WriteTxn,
    caller: &Actor,
    fields: &mut Fields<'_>,
) -> CoreResult<()> {
    if let Some(Some(id)) = fields.nullable_primary_key("project") {
        if queries::projects::find(&**txn, caller.viewer(), id)
            .await?
            .is_none()
        {
            fields.missing("project", id);
        }
    }
    if let Some(Some(id)) = fields.nullable_primary_key("task") {
        // Only "not found" is the client's mistake; a database failure stays one.
        match scope::task(&**txn, caller, id).await {
            Ok(_) => {}
            Err(CoreError::NotFound(_)) => fields.missing("task", id),
            Err(other) => return Err(other),
        }
    }
    Ok(())
}

/// `PATCH /api/annotations/{id}/`: a partial update; `result` is replaced wholesale.
pub async fn update(
    txn: &WriteTxn,
    caller: &Actor,
    id: i64,
    body: &Value,
) -> CoreResult<annotation::Model> {
    let (current, project) = scope::annotation(&**txn, caller, id).await?;
    queries::projects::lock(&**txn, project.id).await?;
    crate::storages::export::annotations_changed(&**txn, project.id).await?;
    let config = config_of(&project);
    let mut fields = Fields::new(body)?;
    let result = read_result(&mut fields, config.as_ref());
    let was_cancelled = fields.boolean("was_cancelled");
    let ground_truth = fields.boolean("ground_truth");
    if let Some(wanted) = ground_truth {
        check_ground_truth(caller, wanted, current.ground_truth)?;
    }
    let lead_time = fields.nullable_float("lead_time");
    let completed_by = check_member(txn, caller, &mut fields, "completed_by").await?;
    let last_action = last_action(&mut fields);
    related_must_exist(txn, caller, &mut fields).await?;
    fields.finish()?;

    let old_result = current
        .result
        .as_deref()
        .and_then(|text| serde_json::from_str::<Value>(text).ok());
    let mut active = current.clone().into_active_model();
    if let Some(result) = &result {
        active.result = Set(result.as_ref().map(Value::to_string));
        active.result_count = Set(result.as_ref().map_or(0, result_count));
    }
    if let Some(v) = was_cancelled {
        active.was_cancelled = Set(v);
    }
    if let Some(v) = ground_truth {
        active.ground_truth = Set(v);
    }
    if let Some(v) = lead_time {
        active.lead_time = Set(v);
    }
    if let Some(v) = completed_by {
        active.completed_by_id = Set(Some(v));
    }
    if let Some(v) = last_action {
        active.last_action = Set(v);
    }
    active.updated_by_id = Set(Some(caller.user.id));
    active.updated_at = Set(time::now());
    let saved = queries::annotations::update(&**txn, active).await?;
    // Saving an annotation discards every draft made on it.
    queries::drafts::delete_of_annotation(&**txn, saved.id).await?;
    after_change(
        txn,
        &project,
        &saved,
        caller.user.id,
        WebhookAction::AnnotationUpdated,
    )
    .await?;
    if let Some(new_result) = result {
        update_summary(txn, project.id, old_result.as_ref(), new_result.as_ref()).await?;
    }
    Ok(saved)
}

/// `DELETE /api/annotations/{id}/`.
pub async fn delete(txn: &WriteTxn, caller: &Actor, id: i64) -> CoreResult<()> {
    let (current, project) = scope::annotation(&**txn, caller, id).await?;
    queries::projects::lock(&**txn, project.id).await?;
    crate::storages::export::annotations_changed(&**txn, project.id).await?;
    queries::annotations::delete(&**txn, current.id).await?;
    counters::recount_tasks(
        &**txn,
        project.id,
        project.skip_queue,
        TaskSet::Ids(&[current.task_id]),
        None,
    )
    .await?;
    let old_result = current
        .result
        .as_deref()
        .and_then(|text| serde_json::from_str::<Value>(text).ok());
    update_summary(txn, project.id, old_result.as_ref(), None).await?;
    let deleted = WebhookAction::AnnotationsDeleted;
    emit_for(&**txn, &project, deleted, &[current.id]).await
}

/// Renders one annotation as the annotation routes answer it (`completed_by` as an id).
pub async fn render<C: ConnectionTrait>(
    conn: &C,
    annotation: annotation::Model,
) -> CoreResult<AnnotationOut> {
    let users = Users::load(conn, [annotation.completed_by_id]).await?;
    Ok(annotation_out(
        annotation,
        &users,
        CompletedBy::Id,
        &time::now(),
    ))
}

/// One annotation the actor sees.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> CoreResult<AnnotationOut> {
    let (annotation, _) = scope::annotation(db.conn(), actor, id).await?;
    render(db.conn(), annotation).await
}

/// A task's annotations that are not cancelled (an annotator sees only their own).
pub async fn of_task(db: &Db, actor: &Actor, task_id: i64) -> CoreResult<Vec<AnnotationOut>> {
    let conn = db.conn();
    let (task, _) = scope::task(conn, actor, task_id).await?;
    let list: Vec<_> = queries::annotations::of_tasks(conn, &[task.id])
        .await?
        .into_iter()
        .filter(|a| {
            !a.was_cancelled
                && (actor.sees_others_work() || a.completed_by_id == Some(actor.user.id))
        })
        .collect();
    let users = Users::load(conn, list.iter().map(|a| a.completed_by_id)).await?;
    let now = time::now();
    Ok(list
        .into_iter()
        .map(|a| annotation_out(a, &users, CompletedBy::Id, &now))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_distinct_region_ids() {
        assert_eq!(
            result_count(&json!([{"id": "a"}, {"id": "a"}, {"id": "b"}])),
            2
        );
        assert_eq!(result_count(&json!([{"x": 1}, {"y": 2}])), 1);
        assert_eq!(result_count(&json!([])), 0);
    }
}
