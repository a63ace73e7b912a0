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

/// The job finishing what opening `task_ids` started: one waiting job per backend and tasks,
/// however often they are opened meanwhile.
fn opened_job(backend: &ml_backend::Model, project: &project::Model, task_ids: &[i64]) -> NewJob {
    let ids: Vec<String> = task_ids.iter().map(i64::to_string).collect();
    job(backend, project, task_ids).singleton(&format!("{JOB}:{}:{}", backend.id, ids.join(",")))
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
            Err(Failure::Server(message)) => {
                failed += chunk.len() as u64;
                record_failure(&db, &backend, message).await?;
            }
            Err(Failure::Tessera(err)) => return Err(err.into()),
        }
        let tasks = ((done + 1) * BATCH).min(ids.len());
        let progress = json!({"tasks": tasks, "predictions": stored, "failed": failed});
        ctx.progress(progress).await?;
    }
    Ok(ctx.done(json!({"predictions": stored, "failed_tasks": failed})))
}

/// Why a batch was not predicted.
enum Failure {
    /// The model server failed or answered something unusable: the backend's state says so.
    Server(String),
    /// Tessera's own work (its database) failed: not the server's fault.
    Tessera(CoreError),
}

impl From<CoreError> for Failure {
    fn from(err: CoreError) -> Failure {
        Failure::Tessera(err)
    }
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
    // The project's settings first: most opens ask nothing, and read no backend.
    let wanted = match opened {
        Opened::Detail(_) => {
            project.evaluate_predictions_automatically || project.show_collab_predictions
        }
        Opened::Next(_) => project.show_collab_predictions && !project.model_version.is_empty(),
        Opened::Listed(_) => project.evaluate_predictions_automatically,
    };
    if !wanted {
        return Ok(false);
    }
    let backends = queries::ml_backends::of_project(db.conn(), project.id, None).await?;
    let Some(backend) = backends.first() else {
        return Ok(false);
    };
    let without_predictions = |ids: Vec<i64>| async move {
        let predicted = queries::predictions::ids_of_tasks(db.conn(), &ids).await?;
        Ok::<_, CoreError>(
            ids.into_iter()
                .filter(|id| !predicted.iter().any(|(task, _)| task == id))
                .collect::<Vec<i64>>(),
        )
    };
    let ids: Vec<i64> = match opened {
        Opened::Detail(id) => without_predictions(vec![id]).await?,
        Opened::Next(id) if super::titled(&backends, &project.model_version).is_some() => vec![id],
        Opened::Next(_) => Vec::new(),
        Opened::Listed(ids) => without_predictions(ids.to_vec()).await?,
    };
    if ids.is_empty() {
        return Ok(false);
    }
    // The tasks are served whatever happens here: a failure is the backend's state or a log line.
    match predict_opened(db, on_open, project, backend, &ids).await {
        Ok(stored) => Ok(stored),
        Err(err) => {
            tracing::warn!(project = project.id, error = %err, "predicting opened tasks failed");
            Ok(false)
        }
    }
}

/// [`when_opened`]'s prediction of `ids`: checked first, as Label Studio does before every
/// prediction, all of it within the wait; past it, a job does it again in full.
async fn predict_opened(
    db: &Db,
    on_open: &OnOpen<'_>,
    project: &project::Model,
    backend: &ml_backend::Model,
    ids: &[i64],
) -> CoreResult<bool> {
    let env = &on_open.env;
    let work = async {
        let checked = refresh(db, env, backend.clone()).await?;
        if !ready(&checked) {
            return Ok(false);
        }
        let mut stored = 0;
        for chunk in ids.chunks(BATCH) {
            match predict_batch(db, env, &checked, project, chunk).await {
                Ok(count) => stored += count,
                Err(Failure::Server(message)) => {
                    record_failure(db, &checked, message).await?;
                    return Ok(stored > 0);
                }
                Err(Failure::Tessera(err)) => return Err(err),
            }
        }
        Ok::<_, CoreError>(stored > 0)
    };
    match tokio::time::timeout(on_open.wait, work).await {
        Ok(done) => done,
        Err(_) => {
            let txn = db.write().await?;
            tessera_jobs::queue::enqueue(&*txn, opened_job(backend, project, ids)).await?;
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
/// answers; how many predictions were stored, or why not. A server answering one result for
/// several tasks is asked task by task, as Label Studio does: the tasks it predicts are stored
/// even when it fails others.
async fn predict_batch(
    db: &Db,
    env: &MlEnv<'_>,
    backend: &ml_backend::Model,
    project: &project::Model,
    chunk: &[i64],
) -> Result<u64, Failure> {
    let mut tasks = queries::tasks::find_many(db.conn(), chunk)
        .await
        .map_err(CoreError::from)?;
    tasks.retain(|t| t.project_id == project.id);
    let predicted = queries::predictions::of_tasks(db.conn(), chunk)
        .await
        .map_err(CoreError::from)?;
    tasks.retain(|t| {
        !predicted
            .iter()
            .any(|p| p.task_id == t.id && p.model_version == backend.model_version)
    });
    if tasks.is_empty() {
        return Ok(0);
    }
    let rendered = tasks_for_model(db, project, &tasks).await?;
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
    let results = ask(rendered.clone()).await.map_err(Failure::Server)?;
    let (answered, refused) = if results.len() == 1 && tasks.len() > 1 {
        let mut answered = Vec::with_capacity(tasks.len());
        let mut refused = None;
        for (task, one) in tasks.iter().zip(rendered) {
            match ask(vec![one]).await {
                Ok(single) if single.len() == 1 => answered.push((task.id, single[0].clone())),
                Ok(single) => refused = Some(mismatch(single.len(), 1)),
                Err(message) => refused = Some(message),
            }
        }
        (answered, refused)
    } else if results.len() == tasks.len() {
        (tasks.iter().map(|t| t.id).zip(results).collect(), None)
    } else {
        return Err(Failure::Server(mismatch(results.len(), tasks.len())));
    };
    let count = store(db, backend, project, &answered).await?;
    match refused {
        Some(message) => Err(Failure::Server(message)),
        None => Ok(count),
    }
}

/// Stores the server's answers (one prediction or several per task) in one transaction; how
/// many. A task another request or instance predicted with the same version meanwhile keeps
/// the prediction it has: the check is made again under the project's lock.
async fn store(
    db: &Db,
    backend: &ml_backend::Model,
    project: &project::Model,
    answered: &[(i64, Value)],
) -> CoreResult<u64> {
    let mut rows = Vec::new();
    for (task_id, answer) in answered {
        let items = match answer {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        for item in items {
            let Some(result) = item.get("result").filter(|r| r.is_array()) else {
                continue;
            };
            rows.push(NewPrediction {
                task_id: *task_id,
                result: result.to_string(),
                model_version: item["model_version"]
                    .as_str()
                    .map_or_else(|| backend.model_version.clone(), str::to_string),
                score: item["score"].as_f64(),
            });
        }
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let txn = db.write().await?;
    queries::projects::lock(&*txn, project.id).await?;
    let tasks: Vec<i64> = answered.iter().map(|(id, _)| *id).collect();
    let existing = queries::predictions::of_tasks(&*txn, &tasks).await?;
    rows.retain(|row| {
        !existing
            .iter()
            .any(|p| p.task_id == row.task_id && p.model_version == row.model_version)
    });
    let count = rows.len() as u64;
    if count > 0 {
        crate::predictions::add_many(&*txn, project, rows).await?;
    }
    txn.commit().await?;
    Ok(count)
}
