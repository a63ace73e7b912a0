//! Tasks one at a time (creating and changing one from Label Studio's serializer bodies) and
//! deleting tasks with everything that depends on them: project counters (by the query) and the
//! project summary (the annotation kinds and labels of the deleted tasks are forgotten; at zero
//! tasks the summary starts over, as Label Studio resets it) and the overlap cohort.

use serde_json::Value;
use tessera_db::counters::{TaskSet, TaskTally};
use tessera_db::entities::{project, task};
use tessera_db::queries::tasks::NewTask;
use tessera_db::{queries, time, Db, WriteTxn};

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::{pk_of, Fields};
use crate::import;
use crate::overlap;
use crate::payload::first_data_key;
use crate::projects::config_of;
use crate::scope;
use crate::summary::Summary;
use crate::webhooks::emit::{emit, emit_for, listens};
use crate::webhooks::Action;

/// Deletes one task the actor sees.
pub async fn delete_one(db: &Db, actor: &Actor, id: i64) -> CoreResult<()> {
    let (task, project) = scope::task(db.conn(), actor, id).await?;
    let txn = db.write().await?;
    delete(&txn, project.id, TaskSet::Ids(&[task.id])).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes every task of a project the actor sees.
pub async fn delete_all(db: &Db, actor: &Actor, project_id: i64) -> CoreResult<()> {
    let project = scope::project(db.conn(), actor, project_id).await?;
    let txn = db.write().await?;
    delete_heard_by(&txn, project.id, TaskSet::All, Heard::Organization).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes `tasks` of a project (its webhooks hear of them); returns how many went.
pub async fn delete(txn: &WriteTxn, project_id: i64, tasks: TaskSet<'_>) -> CoreResult<u64> {
    delete_heard_by(txn, project_id, tasks, Heard::Project).await
}

/// Whose webhooks hear of deleted tasks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Heard {
    /// The project's and the organization's, with the project in the body.
    Project,
    /// The organization's own only, without the project: Label Studio's
    /// `DELETE /api/projects/{id}/tasks/`.
    Organization,
}

async fn delete_heard_by(
    txn: &WriteTxn,
    project_id: i64,
    tasks: TaskSet<'_>,
    heard: Heard,
) -> CoreResult<u64> {
    crate::storages::export::annotations_changed(&**txn, project_id).await?;
    let (created_annotations, created_labels) =
        queries::projects::lock_summary(&**txn, project_id).await?;
    // Under the project's lock: no import adds tasks the event would not name.
    let heard_of = deleted_for_webhooks(txn, project_id, &tasks, heard).await?;
    if let TaskSet::Ids(ids) = tasks {
        let mut summary = Summary::load(&created_annotations, &created_labels);
        for annotation in queries::annotations::of_tasks_by(&**txn, ids, None).await? {
            if let Some(result) = annotation
                .result
                .as_deref()
                .and_then(|text| serde_json::from_str::<Value>(text).ok())
            {
                summary.count_result(&result, -1);
            }
        }
        let (annotations, labels) = summary.to_json();
        queries::projects::set_summary(&**txn, project_id, &annotations, &labels).await?;
    }
    let deleted = queries::tasks::delete(&**txn, project_id, tasks).await?;
    let Some(project) = queries::projects::find_by_id(&**txn, project_id).await? else {
        return Ok(deleted);
    };
    if project.task_number == 0 {
        queries::projects::reset_summary(&**txn, project_id).await?;
    }
    let changed = overlap::Changed {
        task_number: true,
        ..overlap::Changed::default()
    };
    overlap::update(txn, &project, changed).await?;
    if let Some(event) = heard_of {
        let action = Action::TasksDeleted;
        emit(&**txn, event.organization, event.place, action, &event.ids).await?;
    }
    Ok(deleted)
}

/// A `TASKS_DELETED` to record once the tasks are gone: the organization, the project it is
/// told about, and the ids.
struct DeletedTasks {
    organization: i64,
    place: Option<i64>,
    ids: Vec<i64>,
}

/// What webhooks will hear of a deletion, gathered before it (the ids of a whole project are
/// read only when a webhook listens); `None` when none does.
async fn deleted_for_webhooks(
    txn: &WriteTxn,
    project_id: i64,
    tasks: &TaskSet<'_>,
    heard: Heard,
) -> CoreResult<Option<DeletedTasks>> {
    let Some(project) = queries::projects::find_by_id(&**txn, project_id).await? else {
        return Ok(None);
    };
    let organization = project.organization_id;
    let place = (heard == Heard::Project).then_some(project_id);
    if !listens(&**txn, organization, place, Action::TasksDeleted).await? {
        return Ok(None);
    }
    let ids = match tasks {
        TaskSet::Ids(ids) => ids.to_vec(),
        TaskSet::All => queries::tasks::ids_of_project(&**txn, project_id).await?,
    };
    Ok(Some(DeletedTasks {
        organization,
        place,
        ids,
    }))
}

/// Reads `data` (an object) and `meta` for a task update.
fn read_data_meta(fields: &mut Fields) -> (Option<String>, Option<String>) {
    let data = match fields.raw("data") {
        None => None,
        Some(Value::Object(map)) => Some(Value::Object(map.clone()).to_string()),
        Some(Value::Array(list)) => Some(Value::Array(list.clone()).to_string()),
        Some(Value::Null) => {
            fields.error("data", "This field may not be null.");
            None
        }
        Some(_) => {
            fields.error("data", "Value must be valid JSON.");
            None
        }
    };
    let meta = fields.raw("meta").map(|m| {
        if m.is_null() {
            "{}".to_string()
        } else {
            m.to_string()
        }
    });
    (data, meta)
}

/// Fields of Label Studio's task serializer that Tessera keeps itself (`is_labeled`,
/// `inner_id`), checked all the same; the `overlap` given, if any.
fn check_serializer_fields(fields: &mut Fields) -> Option<i32> {
    fields.boolean("is_labeled");
    fields.big_integer("inner_id");
    fields.int32("overlap")
}

/// Creates one task from a `TaskSerializer` body, its data checked against the project's
/// config as Label Studio does (`non_field_errors`); an unknown project is a 404. Returns the
/// task and its project.
pub async fn create(
    db: &Db,
    actor: &Actor,
    body: &Value,
) -> CoreResult<(task::Model, project::Model)> {
    let mut fields = Fields::new(body)?;
    // A null project is as good as none; a null `data` is refused as null.
    if fields.raw("project").is_none_or(Value::is_null) {
        fields.error("project", "This field is required.");
    }
    match fields.raw("data") {
        None => fields.error("data", "This field is required."),
        Some(Value::Null) => fields.error("data", "This field may not be null."),
        Some(_) => {}
    }
    let overlap = check_serializer_fields(&mut fields);
    let file_upload = fields.nullable_primary_key("file_upload").flatten();
    fields.finish()?;
    let project_id =
        pk_of(&body["project"]).ok_or_else(|| CoreError::NotFound("Not found.".into()))?;
    let txn = db.write().await?;
    let project = queries::projects::find(&*txn, actor.viewer(), project_id)
        .await?
        .ok_or_else(|| CoreError::no_match("Project"))?;
    if let Some(upload) = file_upload {
        let found = queries::file_uploads::find(&*txn, upload).await?;
        if found.is_none_or(|f| f.project_id != project.id) {
            return Err(CoreError::missing("file_upload", upload));
        }
    }
    let (data, meta) = (&body["data"], body.get("meta"));
    let config = config_of(&project);
    let data = import::check_new_task(
        data,
        meta,
        config.as_ref(),
        first_data_key(&project).as_deref(),
    )
    .map_err(|message| CoreError::field("non_field_errors", message))?;
    let new = NewTask {
        data: data.to_string(),
        meta: meta
            .filter(|m| !m.is_null())
            .map_or_else(|| "{}".into(), Value::to_string),
        overlap: overlap.unwrap_or(project.maximum_annotations).max(1),
        tally: TaskTally::default(),
        file_upload_id: file_upload,
        updated_by_id: None,
    };
    let task = queries::tasks::insert_one(&*txn, project.id, new, time::now()).await?;
    emit_for(&*txn, &project, Action::TasksCreated, &[task.id]).await?;
    txn.commit().await?;
    Ok((task, project))
}

/// Changes task `id`'s `data` and `meta` from a body (the task stays in its project; naming
/// another, unknown one is refused). Returns the task and its project.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    body: &Value,
) -> CoreResult<(task::Model, project::Model)> {
    let (task, project) = scope::task(db.conn(), actor, id).await?;
    let mut fields = Fields::new(body)?;
    let (data, meta) = read_data_meta(&mut fields);
    check_serializer_fields(&mut fields);
    if let Some(Some(other)) = fields.nullable_primary_key("project") {
        if other != project.id
            && queries::projects::find(db.conn(), actor.viewer(), other)
                .await?
                .is_none()
        {
            fields.missing("project", other);
        }
    }
    fields.finish()?;
    let txn = db.write().await?;
    queries::tasks::update_fields(&*txn, task.id, data, meta, actor.user.id, time::now()).await?;
    let task = queries::tasks::find(&*txn, task.id)
        .await?
        .ok_or_else(|| CoreError::no_match("Task"))?;
    txn.commit().await?;
    Ok((task, project))
}
