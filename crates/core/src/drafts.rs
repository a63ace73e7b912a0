//! Drafts: work in progress on a task (or on an annotation), one per user and target, saved as
//! the annotator types; an annotator sees only their own.

use serde_json::Value;
use tessera_db::entities::draft;
use tessera_db::queries::drafts::{DraftChanges, NewDraft};
use tessera_db::{queries, time, Db};

use crate::actor::Actor;
use crate::annotations;
use crate::error::{CoreError, CoreResult};
use crate::fields::Fields;
use crate::scope;

/// The writable fields of a draft body.
#[derive(Debug, Clone, PartialEq)]
struct DraftInput {
    result: Option<Value>,
    lead_time: Option<Option<f64>>,
    was_postponed: Option<bool>,
}

impl DraftInput {
    /// Reads a draft body; `result` is required unless the body is `partial` (a PATCH).
    fn from_json(body: &Value, partial: bool) -> CoreResult<DraftInput> {
        let mut fields = Fields::new(body)?;
        let result = match fields.raw("result") {
            None if !partial => {
                fields.error("result", "This field is required.");
                None
            }
            None => None,
            Some(Value::Null) => {
                fields.error("result", "This field may not be null.");
                None
            }
            Some(Value::Array(items)) => Some(Value::Array(items.clone())),
            Some(_) => {
                fields.error("result", "Expected a list of result regions.");
                None
            }
        };
        let lead_time = fields.nullable_float("lead_time");
        let was_postponed = fields.boolean("was_postponed");
        fields.finish()?;
        Ok(DraftInput {
            result,
            lead_time,
            was_postponed,
        })
    }
}

/// A draft of a project the actor sees (an annotator's own drafts only).
pub async fn find(db: &Db, actor: &Actor, id: i64) -> CoreResult<draft::Model> {
    let conn = db.conn();
    let draft = queries::drafts::find(conn, id)
        .await?
        .filter(|d| actor.sees_others_work() || d.user_id == actor.user.id)
        .ok_or_else(|| CoreError::no_match("AnnotationDraft"))?;
    queries::projects::find(conn, actor.viewer(), draft.project_id)
        .await?
        .ok_or_else(|| CoreError::no_match("AnnotationDraft"))?;
    Ok(draft)
}

/// Every user's drafts of a task, an annotator's own only (none for an unknown task, as in
/// Label Studio).
pub async fn of_task(db: &Db, actor: &Actor, task_id: i64) -> CoreResult<Vec<draft::Model>> {
    let mut drafts = match scope::task(db.conn(), actor, task_id).await {
        Ok((task, _)) => queries::drafts::of_task(db.conn(), task.id).await?,
        Err(CoreError::NotFound(_)) => Vec::new(),
        Err(err) => return Err(err),
    };
    drafts.retain(|d| actor.sees_others_work() || d.user_id == actor.user.id);
    Ok(drafts)
}

/// A new draft of the actor on task `task_id`, or on its annotation `annotation_id`, from a
/// draft body (read once the task and annotation are found, as Label Studio does).
pub async fn create(
    db: &Db,
    actor: &Actor,
    task_id: i64,
    annotation_id: Option<i64>,
    body: &Value,
) -> CoreResult<draft::Model> {
    let (task, _) = scope::task(db.conn(), actor, task_id).await?;
    let annotation = match annotation_id {
        Some(id) => {
            let (annotation, _) = scope::annotation(db.conn(), actor, id).await?;
            if annotation.task_id != task.id {
                return Err(CoreError::no_match("Annotation"));
            }
            Some(annotation.id)
        }
        None => None,
    };
    let input = DraftInput::from_json(body, false)?;
    let txn = db.write().await?;
    let new = NewDraft {
        task_id: task.id,
        project_id: task.project_id,
        annotation_id: annotation,
        user_id: actor.user.id,
        result: input
            .result
            .unwrap_or_else(|| Value::Array(Vec::new()))
            .to_string(),
        lead_time: input.lead_time.flatten(),
        was_postponed: input.was_postponed.unwrap_or(false),
    };
    let draft = queries::drafts::insert(&*txn, new, time::now()).await?;
    txn.commit().await?;
    Ok(draft)
}

/// Changes draft `id` (one the actor sees) with the fields a (partial) draft body holds.
pub async fn update(db: &Db, actor: &Actor, id: i64, body: &Value) -> CoreResult<draft::Model> {
    let draft = find(db, actor, id).await?;
    let input = DraftInput::from_json(body, true)?;
    let changes = DraftChanges {
        result: input.result.map(|r| r.to_string()),
        lead_time: input.lead_time,
        was_postponed: input.was_postponed,
    };
    let txn = db.write().await?;
    queries::drafts::update(&*txn, draft.id, changes, time::now()).await?;
    let draft = queries::drafts::find(&*txn, draft.id)
        .await?
        .ok_or_else(|| CoreError::no_match("AnnotationDraft"))?;
    txn.commit().await?;
    Ok(draft)
}

/// Deletes draft `id` (one the actor sees).
pub async fn delete(db: &Db, actor: &Actor, id: i64) -> CoreResult<()> {
    let draft = find(db, actor, id).await?;
    let txn = db.write().await?;
    queries::drafts::delete(&*txn, draft.id).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes annotation `id` (counters follow) and gives its result to a new task-level draft of
/// the actor.
pub async fn from_annotation(db: &Db, actor: &Actor, id: i64) -> CoreResult<draft::Model> {
    let txn = db.write().await?;
    let (annotation, _) = scope::annotation(&*txn, actor, id).await?;
    annotations::delete(&txn, actor, annotation.id).await?;
    let new = NewDraft {
        task_id: annotation.task_id,
        project_id: annotation.project_id,
        annotation_id: None,
        user_id: actor.user.id,
        result: annotation.result.unwrap_or_else(|| "[]".into()),
        lead_time: annotation.lead_time,
        was_postponed: false,
    };
    let now = time::now();
    let draft = queries::drafts::insert(&*txn, new, now).await?;
    queries::tasks::touch(&*txn, annotation.task_id, actor.user.id, now).await?;
    txn.commit().await?;
    Ok(draft)
}
