//! Predictions: creating and changing them from Label Studio's serializer bodies, the one write
//! sequence every prediction write goes through (lock the project, write, recount the tasks),
//! and results as Label Studio normalizes them (`Prediction.prepare_prediction_result`,
//! `label_studio/tasks/models.py`): a list of regions as is; a dict wrapped as one region of the
//! first control whose type is a key of it; a string or number as the value of the first
//! single-valued control (`choices`, `rating`, `number`, `textarea`) of a matching type.

use sea_orm::{ConnectionTrait, IntoActiveModel, Set};
use serde_json::{json, Value};
use tessera_db::counters::{self, TaskSet};
use tessera_db::entities::{prediction, project};
use tessera_db::queries;
use tessera_db::queries::predictions::NewPrediction;
use tessera_db::{time, Db};
use tessera_labelconfig::LabelConfig;

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::Fields;
use crate::payload::{prediction_out, PredictionOut};
use crate::projects::config_of;
use crate::scope;

/// Normalizes a prediction result; `Ok(None)` when nothing in the config can hold it.
pub fn normalize_result(
    config: Option<&LabelConfig>,
    result: &Value,
) -> Result<Option<Value>, String> {
    let controls = || config.into_iter().flat_map(|c| c.controls.values());
    let region = |control: &tessera_labelconfig::Control, value: Value| json!([{"from_name": control.name, "to_name": control.to_name.join(","), "type": control.result_type(), "value": value}]);
    match result {
        Value::Array(items) => {
            if items.iter().all(Value::is_object) {
                Ok(Some(result.clone()))
            } else {
                Err("Each item in prediction result should be dict".to_string())
            }
        }
        Value::Object(map) => Ok(controls()
            .find(|c| map.contains_key(&c.result_type()))
            .map(|c| region(c, result.clone()))),
        Value::String(_) | Value::Number(_) | Value::Bool(_) => {
            let fits = |kind: &str| match kind {
                "choices" | "textarea" => result.is_string(),
                "rating" => result.is_i64() || result.is_boolean(),
                "number" => result.is_number(),
                _ => false,
            };
            if let Value::Number(n) = result {
                if n.is_f64() && !controls().any(|c| c.result_type() == "number") {
                    return Err(format!(
                        "Incorrect format <class 'float'> for prediction result {n}"
                    ));
                }
            }
            Ok(controls().find(|c| fits(&c.result_type())).map(|c| {
                let key = if c.result_type() == "textarea" {
                    "text".to_string()
                } else {
                    c.result_type()
                };
                region(c, json!({ key: [result.clone()] }))
            }))
        }
        Value::Null => Err("This field may not be null.".to_string()),
    }
}

/// The tasks `rows` name, each once.
fn task_ids(rows: &[NewPrediction]) -> Vec<i64> {
    let mut ids: Vec<i64> = rows.iter().map(|row| row.task_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Recounts the prediction counters of `tasks` after a prediction write, in its transaction.
async fn recount<C: ConnectionTrait>(
    conn: &C,
    project: &project::Model,
    tasks: &[i64],
) -> CoreResult<()> {
    counters::recount_tasks(
        conn,
        project.id,
        project.skip_queue,
        TaskSet::Ids(tasks),
        None,
    )
    .await?;
    Ok(())
}

/// Adds one prediction to a task of `project`, inside the caller's transaction `conn`: the
/// project is locked (writes of its counters queue behind each other) and the task's counters
/// follow. Every prediction write (the API, imports, ML backends) goes through here or
/// [`add_many`].
pub async fn add<C: ConnectionTrait>(
    conn: &C,
    project: &project::Model,
    new: NewPrediction,
) -> CoreResult<prediction::Model> {
    queries::projects::lock(conn, project.id).await?;
    let task = new.task_id;
    let saved = queries::predictions::insert_one(conn, project.id, new, time::now()).await?;
    recount(conn, project, &[task]).await?;
    Ok(saved)
}

/// Adds many predictions to tasks of `project` at once (see [`add`]).
pub async fn add_many<C: ConnectionTrait>(
    conn: &C,
    project: &project::Model,
    rows: Vec<NewPrediction>,
) -> CoreResult<()> {
    let tasks = task_ids(&rows);
    queries::projects::lock(conn, project.id).await?;
    queries::predictions::insert_many(conn, project.id, rows, time::now()).await?;
    recount(conn, project, &tasks).await
}

/// Deletes a prediction of `project`; its task's counters follow (see [`add`]).
pub async fn remove<C: ConnectionTrait>(
    conn: &C,
    project: &project::Model,
    prediction: &prediction::Model,
) -> CoreResult<()> {
    queries::projects::lock(conn, project.id).await?;
    queries::predictions::delete(conn, prediction.id).await?;
    recount(conn, project, &[prediction.task_id]).await
}

/// Deletes a prediction the actor sees, in the caller's transaction `conn` (see [`remove`]).
pub async fn delete<C: ConnectionTrait>(conn: &C, actor: &Actor, id: i64) -> CoreResult<()> {
    let (current, project) = scope::prediction(conn, actor, id).await?;
    remove(conn, &project, &current).await
}

/// One prediction the actor sees.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> CoreResult<PredictionOut> {
    let (prediction, _) = scope::prediction(db.conn(), actor, id).await?;
    Ok(prediction_out(prediction, &time::now()))
}

/// The predictions of the projects the actor sees, of one task or project when given.
pub async fn list(
    db: &Db,
    actor: &Actor,
    task: Option<i64>,
    project: Option<i64>,
) -> CoreResult<Vec<PredictionOut>> {
    let conn = db.conn();
    let projects = queries::projects::visible_ids(conn, actor.viewer()).await?;
    let rows = queries::predictions::list(conn, &projects, task, project).await?;
    let now = time::now();
    Ok(rows.into_iter().map(|p| prediction_out(p, &now)).collect())
}

/// Reads and normalizes `result` against the project's config.
fn read_result(fields: &mut Fields, project: &project::Model) -> Option<Value> {
    let raw = fields.raw("result")?.clone();
    let config = config_of(project);
    match normalize_result(config.as_ref(), &raw) {
        Ok(value) => Some(value.unwrap_or(Value::Null)),
        Err(message) => {
            fields.error("result", message);
            None
        }
    }
}

/// Creates a prediction from a `PredictionSerializer` body (`task`, `result`, `score`,
/// `model_version`; `cluster` and `mislabeling` checked and ignored) inside the caller's
/// transaction `conn`. The task must be in a project the actor sees; an absent model version
/// is the project's.
pub async fn create<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    body: &Value,
) -> CoreResult<prediction::Model> {
    let mut fields = Fields::new(body)?;
    fields.require(&["result", "task"]);
    let task_id = fields.primary_key("task");
    // Stored by Label Studio's serializer, unused by Tessera; checked all the same.
    fields.nullable_integer("cluster");
    fields.nullable_float("mislabeling");
    if let Some(Some(id)) = fields.nullable_primary_key("project") {
        if queries::projects::find(conn, actor.viewer(), id)
            .await?
            .is_none()
        {
            fields.missing("project", id);
        }
    }
    let task = match task_id {
        Some(id) => queries::tasks::find(conn, id).await?,
        None => None,
    };
    let project = match &task {
        Some(task) => queries::projects::find(conn, actor.viewer(), task.project_id).await?,
        None => None,
    };
    let (Some(task), Some(project)) = (task, project) else {
        if let Some(id) = task_id {
            fields.missing("task", id);
        }
        fields.finish()?;
        return Err(CoreError::field("task", "This field is required."));
    };
    let result = read_result(&mut fields, &project);
    let score = fields.nullable_float("score").flatten();
    let model_version = fields.nullable_string("model_version").flatten();
    fields.finish()?;
    let new = NewPrediction {
        task_id: task.id,
        result: result.unwrap_or(Value::Null).to_string(),
        model_version: model_version.unwrap_or_else(|| project.model_version.clone()),
        score,
    };
    add(conn, &project, new).await
}

/// Changes `result`, `score` and `model_version` of prediction `id` (one the actor sees) from a
/// body, inside the caller's transaction `conn`.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: i64,
    body: &Value,
) -> CoreResult<prediction::Model> {
    let (current, project) = scope::prediction(conn, actor, id).await?;
    let mut fields = Fields::new(body)?;
    let result = read_result(&mut fields, &project);
    let score = fields.nullable_float("score");
    let model_version = fields.string("model_version");
    fields.finish()?;
    let mut active = current.into_active_model();
    if let Some(result) = result {
        active.result = Set(result.to_string());
    }
    if let Some(score) = score {
        active.score = Set(score);
    }
    if let Some(version) = model_version {
        active.model_version = Set(version);
    }
    active.updated_at = Set(time::now());
    Ok(queries::predictions::update(conn, active).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_shorthands() {
        let config = LabelConfig::parse(r#"<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="A"/></Choices></View>"#).unwrap();
        let wrapped = normalize_result(Some(&config), &json!("A"))
            .unwrap()
            .unwrap();
        assert_eq!(
            wrapped,
            json!([{"from_name": "c", "to_name": "t", "type": "choices", "value": {"choices": ["A"]}}])
        );
        let dict = normalize_result(Some(&config), &json!({"choices": ["A"]}))
            .unwrap()
            .unwrap();
        assert_eq!(dict[0]["from_name"], "c");
        assert_eq!(normalize_result(Some(&config), &json!(5)).unwrap(), None);
        assert!(normalize_result(Some(&config), &json!(["x"])).is_err());
    }
}
