//! Predictions from a project's model server as a background job (the Data Manager's "Retrieve
//! Predictions"): the selected tasks go to `/predict` 32 at a time, each answer is stored as the
//! tasks' predictions (the model version the server gives, else the backend's) in its own
//! transaction, so memory stays flat whatever the selection and a run cut short resumes where it
//! stopped (tasks already predicted by the backend's version are skipped). A batch the server
//! fails is recorded in the backend's state and error, and the others go on.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use tessera_db::entities::{ml_backend, project};
use tessera_db::queries::predictions::NewPrediction;
use tessera_db::{queries, Db};
use tessera_jobs::{Done, JobContext, JobError, NewJob};

use super::{api, predict_body, save_state, tasks_for_model, MlEnv};
use crate::error::{CoreError, CoreResult};
use crate::webhooks::WebhookEnv;

/// The job kind.
pub const JOB: &str = "ml.predict";

/// Tasks sent to `/predict` at once.
const BATCH: usize = 32;

/// Asks the project's first backend (Label Studio uses the first) for predictions of `task_ids`
/// in the background; `false` when the project has no backend.
pub async fn queue<C: ConnectionTrait>(
    conn: &C,
    project: &project::Model,
    task_ids: &[i64],
) -> CoreResult<bool> {
    let Some(backend) = queries::ml_backends::of_project(conn, project.id, None)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(false);
    };
    let job = NewJob::new(JOB, json!({"backend": backend.id, "tasks": task_ids}))
        .for_project(project.organization_id, project.id)
        .max_attempts(3);
    tessera_jobs::queue::enqueue(conn, job).await?;
    Ok(true)
}

/// Runs a prediction job.
pub async fn run(ctx: JobContext, env: WebhookEnv) -> Result<Done, JobError> {
    let payload = ctx.payload().clone();
    let db = ctx.db().clone();
    let backend_id = payload["backend"].as_i64().unwrap_or_default();
    let Some(backend) = queries::ml_backends::find(db.conn(), backend_id).await? else {
        return Ok(ctx.done(json!({"skipped": "the backend is gone"})));
    };
    let Some(project) = queries::projects::find_by_id(db.conn(), backend.project_id).await? else {
        return Ok(ctx.done(json!({"skipped": "the project is gone"})));
    };
    let ids: Vec<i64> = payload["tasks"]
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    // The job needs no address of Tessera's: it does not set the server up.
    let env = MlEnv {
        outbound: &env.outbound,
        sealer: &env.sealer,
        hostname: String::new(),
    };
    let (mut stored, mut failed) = (0u64, 0u64);
    for (done, chunk) in ids.chunks(BATCH).enumerate() {
        match predict_batch(&db, &env, &backend, &project, chunk).await {
            Ok(count) => stored += count,
            Err(message) => {
                failed += chunk.len() as u64;
                let mut errored = backend.clone();
                errored.state = "ER".into();
                errored.error_message = Some(message);
                save_state(&db, &errored).await?;
            }
        }
        let tasks = ((done + 1) * BATCH).min(ids.len());
        let progress = json!({"tasks": tasks, "predictions": stored, "failed": failed});
        ctx.progress(progress).await?;
    }
    Ok(ctx.done(json!({"predictions": stored, "failed_tasks": failed})))
}

/// Predicts the tasks of `chunk` the backend's version has not predicted yet and stores the
/// answers; how many predictions were stored, or why the server's answer was refused.
async fn predict_batch(
    db: &Db,
    env: &MlEnv<'_>,
    backend: &ml_backend::Model,
    project: &project::Model,
    chunk: &[i64],
) -> Result<u64, String> {
    let load = async {
        let mut tasks = queries::tasks::find_many(db.conn(), chunk).await?;
        tasks.retain(|t| t.project_id == project.id);
        let predicted = queries::predictions::of_tasks(db.conn(), chunk).await?;
        tasks.retain(|t| {
            !predicted
                .iter()
                .any(|p| p.task_id == t.id && p.model_version == backend.model_version)
        });
        let rendered = tasks_for_model(db, project, &tasks).await?;
        Ok::<_, CoreError>((tasks, rendered))
    };
    let (tasks, rendered) = load.await.map_err(|err| err.to_string())?;
    if tasks.is_empty() {
        return Ok(0);
    }
    let request = predict_body(project, rendered, Value::Null);
    let timeout = Duration::from_secs_f64(backend.timeout.clamp(1.0, 3600.0));
    let answer = api(env, backend)
        .predict(&request, timeout)
        .await
        .map_err(|err| err.message)?;
    let results = answer["results"]
        .as_array()
        .ok_or("the ML backend's answer has no \"results\" list")?;
    if results.len() != tasks.len() {
        return Err(format!(
            "the ML backend answered {} results for {} tasks",
            results.len(),
            tasks.len()
        ));
    }
    let mut rows = Vec::new();
    for (task, answer) in tasks.iter().zip(results) {
        // One prediction, or several, per task.
        let items = match answer {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        for item in items {
            let Some(result) = item.get("result").filter(|r| r.is_array()) else {
                continue;
            };
            rows.push(NewPrediction {
                task_id: task.id,
                result: result.to_string(),
                model_version: item["model_version"]
                    .as_str()
                    .map_or_else(|| backend.model_version.clone(), str::to_string),
                score: item["score"].as_f64(),
            });
        }
    }
    let count = rows.len() as u64;
    let save = async {
        let txn = db.write().await?;
        crate::predictions::add_many(&*txn, project, rows).await?;
        txn.commit().await?;
        Ok::<_, CoreError>(())
    };
    save.await.map_err(|err| err.to_string())?;
    Ok(count)
}
