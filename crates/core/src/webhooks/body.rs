//! The bodies Label Studio's webhooks send: `{"action", <key>: objects, "project": …,
//! <nested>: …}`, the objects rendered by [`crate::payload`] as they are in the transaction that
//! changed them (Label Studio renders them right after its request).

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use serde_json::{json, Map, Value};
use tessera_db::entities::project;
use tessera_db::queries;

use super::actions::Action;
use crate::error::CoreResult;
use crate::payload;

/// The body of `action` on the objects `ids`; `None` when they are gone (Label Studio then
/// sends only the action).
pub(super) async fn body<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    action: Action,
    project: Option<&project::Model>,
    ids: &[i64],
) -> CoreResult<Option<Value>> {
    let mut out = Map::new();
    out.insert("action".into(), json!(action.name()));
    let only_ids = || -> Value {
        let list: Vec<Value> = ids.iter().map(|id| json!({"id": id})).collect();
        if action.many() {
            Value::Array(list)
        } else {
            list.into_iter().next().unwrap_or(Value::Null)
        }
    };
    let mut nested: Option<(&str, Value)> = None;
    let objects = match action {
        Action::ProjectDeleted
        | Action::TasksDeleted
        | Action::AnnotationsDeleted
        | Action::LabelLinkDeleted => only_ids(),
        Action::ProjectCreated | Action::ProjectUpdated => {
            let Some(found) = queries::projects::find_by_id(conn, ids[0]).await? else {
                return Ok(None);
            };
            project_value(&found)?
        }
        Action::TasksCreated => {
            let tasks = queries::tasks::find_many(conn, ids).await?;
            if tasks.is_empty() {
                return Ok(None);
            }
            let first_key = project.and_then(payload::first_data_key);
            Value::Array(
                tasks
                    .iter()
                    .map(|t| payload::task_model_out(t, first_key.as_deref()))
                    .collect(),
            )
        }
        Action::AnnotationCreated | Action::AnnotationUpdated | Action::AnnotationsCreated => {
            let annotations = queries::annotations::find_many(conn, ids).await?;
            if annotations.is_empty() {
                return Ok(None);
            }
            let task_ids: Vec<i64> = annotations.iter().map(|a| a.task_id).collect();
            let first_key = project.and_then(payload::first_data_key);
            let tasks: HashMap<i64, Value> = queries::tasks::find_many(conn, &task_ids)
                .await?
                .iter()
                .map(|t| (t.id, payload::task_model_out(t, first_key.as_deref())))
                .collect();
            let task_of = |id: i64| tasks.get(&id).cloned().unwrap_or(Value::Null);
            let rendered: Vec<Value> = annotations
                .iter()
                .map(payload::annotation_model_out)
                .collect();
            let task_list: Vec<Value> = annotations.iter().map(|a| task_of(a.task_id)).collect();
            if action.many() {
                nested = Some(("task", Value::Array(task_list)));
                Value::Array(rendered)
            } else {
                nested = Some(("task", task_list.into_iter().next().unwrap_or(Value::Null)));
                rendered.into_iter().next().unwrap_or(Value::Null)
            }
        }
        Action::LabelLinkCreated | Action::LabelLinkUpdated => {
            let links = crate::labels::webhook_links(conn, organization_id, ids).await?;
            if links.is_empty() {
                return Ok(None);
            }
            if action.many() {
                Value::Array(links.into_iter().map(|(link, _)| link).collect())
            } else {
                let (link, label) = links.into_iter().next().expect("not empty");
                nested = Some(("label", label));
                link
            }
        }
    };
    out.insert(action.key().into(), objects);
    if let Some(project) = project {
        out.insert("project".into(), project_value(project)?);
    }
    if let Some((key, value)) = nested {
        out.insert(key.into(), value);
    }
    Ok(Some(Value::Object(out)))
}

/// The project as webhooks send it, as JSON.
fn project_value(project: &project::Model) -> CoreResult<Value> {
    Ok(serde_json::to_value(payload::webhook_project_out(project)).map_err(anyhow::Error::from)?)
}
