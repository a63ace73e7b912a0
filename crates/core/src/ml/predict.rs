//! Predictions from a project's model server as a background job (the Data Manager's "Retrieve
//! Predictions"): the selected tasks go to `/predict` 32 at a time, each answer is stored as the
//! tasks' predictions (the model version the server gives, else the backend's) in its own
//! transaction, so memory stays flat whatever the selection and a run cut short resumes where it
//! stopped (tasks already predicted by the backend's version are skipped). A batch the server
//! fails is recorded in the backend's state and error, and the others go on.
//!
//! Label Studio also predicts a task on the spot when it is opened ([`when_opened`]); Tessera
//! waits a bounded time for that answer and leaves the rest to this job.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use tessera_db::entities::{ml_backend, project};
use tessera_db::queries::predictions::NewPrediction;
use tessera_db::{queries, Db};
use tessera_jobs::{Done, JobContext, JobError, NewJob};

use super::{api, predict_body, refresh, save_state, tasks_for_model, JobEnv, MlEnv};
use crate::error::{CoreError, CoreResult};

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
    tessera_jobs::queue::enqueue(conn, job(&backend, project, task_ids)).await?;
    Ok(true)
}

/// The job that predicts `task_ids` with `backend`.
fn job(backend: &ml_backend::Model, project: &project::Model, task_ids: &[i64]) -> NewJob {
    NewJob::new(JOB, json!({"backend": backend.id, "tasks": task_ids}))
        .for_project(project.organization_id, project.id)
        .max_attempts(3)
}

/// Runs a prediction job: the backend is checked first, as Label Studio does before it predicts
/// (a server that restarted learns its project again), and a backend that is not connected
/// predicts nothing.
pub async fn run(ctx: JobContext, env: JobEnv) -> Result<Done, JobError> {
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
    let env = env.env();
    let backend = refresh(&db, &env, backend).await?;
    if !ready(&backend) {
        return Ok(ctx.done(json!({"skipped": "the backend is not connected"})));
    }
    let (mut stored, mut failed) = (0u64, 0u64);
    for (done, chunk) in ids.chunks(BATCH).enumerate() {
        match predict_batch(&db, &env, &backend, &project, chunk).await {
            Ok(count) => stored += count,
            Err(message) => {
                failed += chunk.len() as u64;
                record_failure(&db, &backend, message).await?;
            }
        }
        let tasks = ((done + 1) * BATCH).min(ids.len());
        let progress = json!({"tasks": tasks, "predictions": stored, "failed": failed});
        ctx.progress(progress).await?;
    }
    Ok(ctx.done(json!({"predictions": stored, "failed_tasks": failed})))
}

/// Records in the backend's state why the server's predictions were refused.
async fn record_failure(db: &Db, backend: &ml_backend::Model, message: String) -> CoreResult<()> {
    let mut errored = backend.clone();
    errored.state = "ER".into();
    errored.error_message = Some(message);
    save_state(db, &errored).await?;
    Ok(())
}

/// Where tasks are opened: the places Label Studio predicts tasks on the spot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened<'a> {
    /// `GET /api/tasks/{id}`: predicted when the project shows or evaluates predictions and the
    /// task has none yet.
    Detail(i64),
    /// `/api/projects/{id}/next`: predicted when the project shows predictions and its model
    /// version names one of its backends (the "live model").
    Next(i64),
    /// A Data Manager page: its tasks without predictions, when the project evaluates
    /// predictions automatically.
    Listed(&'a [i64]),
}

/// What predicting a task as it is opened needs: the model servers' environment and how long
/// the request waits for the answer.
pub struct OnOpen<'a> {
    pub env: MlEnv<'a>,
    pub wait: Duration,
}

/// Predicts tasks that are being opened, as Label Studio does, with the project's first backend
/// (checked first; skipped when it is not connected). The request waits at most `wait`; past it
/// the prediction goes on as a job and the tasks are served without it. A refused answer is
/// recorded in the backend's state; the tasks are served either way. Whether predictions were
/// stored.
pub async fn when_opened(
    db: &Db,
    on_open: &OnOpen<'_>,
    project: &project::Model,
    opened: Opened<'_>,
) -> CoreResult<bool> {
    let env = &on_open.env;
    let backends = queries::ml_backends::of_project(db.conn(), project.id, None).await?;
    let Some(backend) = backends.first() else {
        return Ok(false);
    };
    let without_predictions = |ids: Vec<i64>| async move {
        let predicted = queries::predictions::of_tasks(db.conn(), &ids).await?;
        Ok::<_, CoreError>(
            ids.into_iter()
                .filter(|id| !predicted.iter().any(|p| p.task_id == *id))
                .collect::<Vec<i64>>(),
        )
    };
    let ids: Vec<i64> = match opened {
        Opened::Detail(id)
            if project.evaluate_predictions_automatically || project.show_collab_predictions =>
        {
            without_predictions(vec![id]).await?
        }
        Opened::Next(id)
            if project.show_collab_predictions
                && backends.iter().any(|m| m.title == project.model_version) =>
        {
            vec![id]
        }
        Opened::Listed(ids) if project.evaluate_predictions_automatically => {
            without_predictions(ids.to_vec()).await?
        }
        _ => Vec::new(),
    };
    if ids.is_empty() {
        return Ok(false);
    }
    // Checked first, as Label Studio does before every prediction; all of it within the wait.
    let work = async {
        let checked = refresh(db, env, backend.clone()).await?;
        if !ready(&checked) {
            return Ok(Ok(0));
        }
        let mut stored = 0;
        for chunk in ids.chunks(BATCH) {
            match predict_batch(db, env, &checked, project, chunk).await {
                Ok(count) => stored += count,
                Err(message) => return Ok(Err((checked, message))),
            }
        }
        Ok::<_, CoreError>(Ok(stored))
    };
    match tokio::time::timeout(on_open.wait, work).await {
        Ok(Ok(Ok(stored))) => Ok(stored > 0),
        Ok(Ok(Err((checked, message)))) => {
            record_failure(db, &checked, message).await?;
            Ok(false)
        }
        Ok(Err(err)) => Err(err),
        Err(_) => {
            let txn = db.write().await?;
            tessera_jobs::queue::enqueue(&*txn, job(backend, project, &ids)).await?;
            txn.commit().await?;
            Ok(false)
        }
    }
}

/// Whether a backend's last check connected it (Label Studio predicts only then).
fn ready(backend: &ml_backend::Model) -> bool {
    !matches!(backend.state.as_str(), "DI" | "ER")
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
    let timeout = Duration::from_secs_f64(backend.timeout.clamp(1.0, 3600.0));
    let server = api(env, backend);
    let ask = |tasks: Vec<Value>| {
        let request = predict_body(project, tasks, Value::Null);
        let server = &server;
        async move {
            let answer = server
                .predict(&request, timeout)
                .await
                .map_err(|err| err.message)?;
            match answer.get("results") {
                Some(Value::Array(results)) => Ok(results.clone()),
                _ => Err("the ML backend's answer has no \"results\" list".to_string()),
            }
        }
    };
    let mismatch = |results: usize, tasks: usize| {
        format!("the ML backend answered {results} results for {tasks} tasks")
    };
    let mut results = ask(rendered.clone()).await?;
    if results.len() == 1 && tasks.len() > 1 {
        // A server that answers one result for several tasks is asked again task by task, as
        // Label Studio does.
        results = Vec::with_capacity(tasks.len());
        for one in rendered {
            let mut single = ask(vec![one]).await?;
            if single.len() != 1 {
                return Err(mismatch(single.len(), 1));
            }
            results.append(&mut single);
        }
    }
    if results.len() != tasks.len() {
        return Err(mismatch(results.len(), tasks.len()));
    }
    let mut rows = Vec::new();
    for (task, answer) in tasks.iter().zip(&results) {
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
