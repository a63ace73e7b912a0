//! Machine-learning backends (Label Studio's `ml` app): a project's model servers, checked
//! through their `/health` and `/setup` when added, changed or looked at (their state and error
//! follow), asked to train, to list their versions, to predict a random task as a test and to
//! pre-annotate interactively for the editor, and to predict tasks in the background
//! ([`predict`]). `docs/research/ml-backends-label-studio-1.23.2.md`
//! is the contract; Basic-auth passwords are sealed and never answered.

pub mod connector;
pub mod model_versions;
pub mod predict;

use std::time::Duration;

use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use serde::Serialize;
use serde_json::{json, Value};
use tessera_db::entities::{ml_backend, project, task, webhook};
use tessera_db::queries::webhooks::Listed;
use tessera_db::{queries, time, Db};
use tessera_outbound::Outbound;

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::Fields;
use crate::payload;
use crate::scope;
use crate::sealed::Sealer;
use connector::{MlApi, MlError};

/// What model servers need: the guarded client, the key that seals passwords, and the address
/// they are told Tessera has (for fetching task data).
pub struct MlEnv<'a> {
    pub outbound: &'a Outbound,
    pub sealer: &'a Sealer,
    pub hostname: String,
}

/// What the background jobs that talk to model servers own: the guarded client, the sealer and
/// the address model servers are told Tessera has.
#[derive(Clone)]
pub struct JobEnv {
    pub outbound: Outbound,
    pub sealer: Sealer,
    pub hostname: String,
}

impl JobEnv {
    /// The borrowed form the use cases take.
    pub fn env(&self) -> MlEnv<'_> {
        MlEnv {
            outbound: &self.outbound,
            sealer: &self.sealer,
            hostname: self.hostname.clone(),
        }
    }
}

/// Label Studio's state codes and their words.
const STATES: [(&str, &str); 5] = [
    ("CO", "Connected"),
    ("DI", "Disconnected"),
    ("ER", "Error"),
    ("TR", "Training"),
    ("PR", "Predicting"),
];
/// The authentication methods.
const AUTH_METHODS: [&str; 2] = ["NONE", "BASIC_AUTH"];

/// A backend as Label Studio's `MLBackendSerializer` answers it, field for field.
#[derive(Serialize)]
pub struct MlOut {
    pub id: i64,
    pub state: String,
    pub readable_state: &'static str,
    pub is_interactive: bool,
    pub url: String,
    pub error_message: Option<String>,
    pub title: String,
    pub auth_method: String,
    pub basic_auth_user: String,
    pub basic_auth_pass_is_set: bool,
    pub description: String,
    pub extra_params: Value,
    pub model_version: String,
    pub timeout: f64,
    pub created_at: String,
    pub updated_at: String,
    pub auto_update: bool,
    pub project: i64,
}

fn render(m: ml_backend::Model) -> MlOut {
    MlOut {
        readable_state: STATES
            .iter()
            .find(|(code, _)| *code == m.state)
            .map_or("Disconnected", |(_, words)| words),
        id: m.id,
        state: m.state,
        is_interactive: m.is_interactive,
        url: m.url,
        error_message: m.error_message,
        title: m.title,
        auth_method: m.auth_method,
        basic_auth_user: m.basic_auth_user,
        basic_auth_pass_is_set: m.basic_auth_pass.is_some(),
        description: m.description,
        extra_params: m
            .extra_params
            .as_deref()
            .map_or(Value::Null, payload::json_of),
        model_version: m.model_version,
        timeout: m.timeout,
        created_at: time::format(&m.created_at),
        updated_at: time::format(&m.updated_at),
        auto_update: m.auto_update,
        project: m.project_id,
    }
}

/// The connection a backend's settings make.
fn api<'a>(env: &'a MlEnv<'_>, m: &ml_backend::Model) -> MlApi<'a> {
    let password = m
        .basic_auth_pass
        .as_deref()
        .and_then(|sealed| env.sealer.open(sealed).ok())
        .and_then(|v| v.as_str().map(str::to_string));
    let auth = password.map(|pass| (m.basic_auth_user.clone(), pass));
    MlApi::new(env.outbound, &m.url, auth)
}

/// Label Studio's project id for model servers: `<id>.<creation time in seconds>`.
fn project_uid(project: &project::Model) -> String {
    format!("{}.{}", project.id, project.created_at.timestamp())
}

/// The `/setup` body: the project, its config, where Tessera is and a token of the project's
/// creator for fetching task data, and the backend's extra parameters.
async fn setup_body(
    db: &Db,
    env: &MlEnv<'_>,
    project: &project::Model,
    extra_params: Option<&str>,
) -> CoreResult<Value> {
    let token = match project.created_by_id {
        Some(id) => queries::users::find(db.conn(), id)
            .await?
            .map(|u| u.api_token),
        None => None,
    };
    Ok(json!({
        "project": project_uid(project),
        "schema": project.label_config,
        "hostname": env.hostname,
        "access_token": token,
        "extra_params": extra_params.map_or(Value::Null, payload::json_of),
    }))
}

/// Label Studio's words for a failed health check.
fn health_failed(url: &str, err: &MlError) -> String {
    if err.status == Some(401) {
        return "Able to connect to ML Server, but authentication parameters were either not \
                provided or are incorrect."
            .into();
    }
    format!(
        "Can't connect to ML backend {url}, health check failed. Make sure it is up and your \
         firewall is properly configured. <a href=\"https://labelstud.io/guide/ml.html\">Learn \
         more</a> about how to set up an ML backend. Additional info: {}",
        err.message
    )
}

/// Label Studio's words for a failed setup.
fn setup_failed(url: &str, err: &MlError) -> String {
    format!(
        "Successfully connected to {url} but it doesn't look like a valid ML backend. Reason: \
         {}.\nCheck the ML backend server console logs to check the status.There might be \
         something wrong with your model or it might be incompatible with the current labeling \
         configuration.",
        err.message
    )
}

/// Checks a backend's settings as Label Studio does before saving them: `/health`, then
/// `/setup`; the model version setup answered.
async fn check(
    db: &Db,
    env: &MlEnv<'_>,
    project: &project::Model,
    m: &ml_backend::Model,
) -> CoreResult<Option<String>> {
    let server = api(env, m);
    if let Err(err) = server.health().await {
        return Err(CoreError::field(
            "non_field_errors",
            health_failed(&m.url, &err),
        ));
    }
    let body = setup_body(db, env, project, m.extra_params.as_deref()).await?;
    match server.setup(&body).await {
        Ok(answer) => Ok(version_of(&answer)),
        Err(err) => Err(CoreError::field(
            "non_field_errors",
            setup_failed(&m.url, &err),
        )),
    }
}

/// The model version in a server's answer; label-studio-ml 1.0 answers numbers as well as text.
fn version_of(answer: &Value) -> Option<String> {
    match &answer["model_version"] {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Label Studio's `update_state`: a failed health check disconnects (the last error stays), a
/// failed setup is an error, a good one connects and (with `auto_update`) brings the model
/// version; saved when something changed.
async fn refresh(db: &Db, env: &MlEnv<'_>, m: ml_backend::Model) -> CoreResult<ml_backend::Model> {
    let project = queries::projects::find_by_id(db.conn(), m.project_id)
        .await?
        .ok_or_else(|| CoreError::no_match("Project"))?;
    let server = api(env, &m);
    let mut next = m.clone();
    match server.health().await {
        Err(_) => next.state = "DI".into(),
        Ok(_) => {
            let body = setup_body(db, env, &project, m.extra_params.as_deref()).await?;
            match server.setup(&body).await {
                Err(err) => {
                    next.state = "ER".into();
                    next.error_message = Some(err.message);
                }
                Ok(answer) => {
                    next.state = "CO".into();
                    next.error_message = None;
                    if let (true, Some(version)) = (m.auto_update, version_of(&answer)) {
                        next.model_version = version;
                    }
                }
            }
        }
    }
    if next == m {
        return Ok(m);
    }
    save_state(db, &next).await
}

/// Stores a backend's state, error and model version.
async fn save_state(db: &Db, m: &ml_backend::Model) -> CoreResult<ml_backend::Model> {
    let mut active = m.clone().into_active_model();
    active.state = Set(m.state.clone());
    active.error_message = Set(m.error_message.clone());
    active.model_version = Set(m.model_version.clone());
    active.updated_at = Set(time::now());
    let txn = db.write().await?;
    let saved = queries::ml_backends::update(&*txn, active).await?;
    txn.commit().await?;
    Ok(saved)
}

/// A backend of a project the actor sees.
async fn find(db: &Db, actor: &Actor, id: i64) -> CoreResult<(ml_backend::Model, project::Model)> {
    let not_found = || CoreError::no_match("MLBackend");
    let m = queries::ml_backends::find(db.conn(), id)
        .await?
        .ok_or_else(not_found)?;
    let project = scope::project(db.conn(), actor, m.project_id)
        .await
        .map_err(|_| not_found())?;
    Ok((m, project))
}

/// `GET /api/ml/?project=&is_interactive=`: a project's backends, each checked (Label Studio
/// refreshes their states on every list).
pub async fn list(
    db: &Db,
    env: &MlEnv<'_>,
    actor: &Actor,
    project: Option<&str>,
    is_interactive: Option<bool>,
) -> CoreResult<Vec<MlOut>> {
    let id = project
        .and_then(|p| p.trim().parse::<i64>().ok())
        .ok_or_else(|| CoreError::no_match("Project"))?;
    let project = scope::project(db.conn(), actor, id).await?;
    let mut out = Vec::new();
    for m in queries::ml_backends::of_project(db.conn(), project.id, is_interactive).await? {
        out.push(render(refresh(db, env, m).await?));
    }
    Ok(out)
}

/// `GET /api/ml/{id}`: the backend, checked.
pub async fn get(db: &Db, env: &MlEnv<'_>, actor: &Actor, id: i64) -> CoreResult<MlOut> {
    let (m, _) = find(db, actor, id).await?;
    Ok(render(refresh(db, env, m).await?))
}

/// The settings a body gives (absent: unchanged, or Label Studio's default on create).
struct Settings {
    url: Option<String>,
    title: Option<String>,
    description: Option<String>,
    is_interactive: Option<bool>,
    auth_method: Option<String>,
    basic_auth_user: Option<String>,
    /// `Some(None)`: keep the current password (Label Studio ignores an empty one).
    basic_auth_pass: Option<Option<String>>,
    extra_params: Option<Option<String>>,
    model_version: Option<String>,
    timeout: Option<f64>,
    auto_update: Option<bool>,
}

fn read_settings(fields: &mut Fields) -> Settings {
    let text =
        |fields: &mut Fields, key: &str| fields.nullable_string(key).map(Option::unwrap_or_default);
    Settings {
        url: fields.string("url"),
        title: text(fields, "title"),
        description: text(fields, "description"),
        is_interactive: fields.boolean("is_interactive"),
        auth_method: fields.choice("auth_method", &AUTH_METHODS),
        basic_auth_user: text(fields, "basic_auth_user"),
        basic_auth_pass: fields
            .nullable_string("basic_auth_pass")
            .map(|p| p.filter(|p| !p.is_empty())),
        extra_params: fields
            .raw("extra_params")
            .map(|v| (!v.is_null()).then(|| v.to_string())),
        model_version: text(fields, "model_version"),
        timeout: fields.nullable_float("timeout").map(|t| t.unwrap_or(100.0)),
        auto_update: fields.boolean("auto_update"),
    }
}

/// Applies `settings` to `m` (the password sealed).
fn apply(m: &mut ml_backend::Model, settings: Settings, sealer: &Sealer) {
    if let Some(v) = settings.url {
        m.url = v;
    }
    if let Some(v) = settings.title {
        m.title = v;
    }
    if let Some(v) = settings.description {
        m.description = v;
    }
    if let Some(v) = settings.is_interactive {
        m.is_interactive = v;
    }
    if let Some(v) = settings.auth_method {
        m.auth_method = v;
    }
    if let Some(v) = settings.basic_auth_user {
        m.basic_auth_user = v;
    }
    if let Some(Some(pass)) = settings.basic_auth_pass {
        m.basic_auth_pass = Some(sealer.seal(&Value::String(pass)));
    }
    if let Some(v) = settings.extra_params {
        m.extra_params = v;
    }
    if let Some(v) = settings.model_version {
        m.model_version = v;
    }
    if let Some(v) = settings.timeout {
        m.timeout = v;
    }
    if let Some(v) = settings.auto_update {
        m.auto_update = v;
    }
}

/// Label Studio's rule: Basic auth needs a user and a password given (or kept).
fn check_auth(m: &ml_backend::Model) -> CoreResult<()> {
    if m.auth_method == "BASIC_AUTH"
        && (m.basic_auth_user.is_empty() || m.basic_auth_pass.is_none())
    {
        return Err(CoreError::field(
            "non_field_errors",
            "Authentication username and password is required for Basic Authentication.",
        ));
    }
    Ok(())
}

/// `POST /api/ml/`: adds a backend to a project after checking it (`/health`, `/setup`). As in
/// Label Studio, the project's model version becomes the backend's title when it had none, and
/// the project gets a webhook to `<url>/webhook` (training events) unless it has one.
pub async fn create(db: &Db, env: &MlEnv<'_>, actor: &Actor, body: &Value) -> CoreResult<MlOut> {
    let mut fields = Fields::new(body)?;
    fields.require(&["url", "project"]);
    let project_id = fields.primary_key("project");
    let settings = read_settings(&mut fields);
    fields.finish()?;
    let project = scope::project(db.conn(), actor, project_id.unwrap_or_default()).await?;
    let url = settings.url.clone().unwrap_or_default();
    crate::saved_urls::check(env.outbound, &url).await?;
    let now = time::now();
    let mut m = ml_backend::Model {
        id: 0,
        project_id: project.id,
        url: String::new(),
        title: "default".into(),
        description: String::new(),
        state: "DI".into(),
        error_message: None,
        is_interactive: false,
        auth_method: "NONE".into(),
        basic_auth_user: String::new(),
        basic_auth_pass: None,
        extra_params: None,
        model_version: String::new(),
        timeout: 100.0,
        auto_update: true,
        created_at: now,
        updated_at: now,
    };
    apply(&mut m, settings, env.sealer);
    check_auth(&m)?;
    let version = check(db, env, &project, &m).await?;
    m.state = "CO".into();
    if let (true, Some(version)) = (m.auto_update, version) {
        m.model_version = version;
    }
    let txn = db.write().await?;
    let mut active = m.clone().into_active_model();
    active.id = sea_orm::ActiveValue::NotSet;
    let saved = queries::ml_backends::insert(&*txn, active).await?;
    if project.show_collab_predictions && project.model_version.is_empty() {
        queries::projects::set_model_version(&*txn, project.id, &saved.title).await?;
    }
    add_training_webhook(&*txn, &project, &saved.url).await?;
    txn.commit().await?;
    Ok(render(saved))
}

/// The project's webhook to `<url>/webhook` for every event, as Label Studio adds with a
/// backend (left in place when the backend goes, as there).
async fn add_training_webhook<C: sea_orm::ConnectionTrait>(
    conn: &C,
    project: &project::Model,
    url: &str,
) -> CoreResult<()> {
    let target = format!("{}/webhook", url.trim_end_matches('/'));
    let existing =
        queries::webhooks::list(conn, project.organization_id, Listed::Project(project.id)).await?;
    if existing.iter().any(|hook| hook.url == target) {
        return Ok(());
    }
    let now = time::now();
    queries::webhooks::insert(
        conn,
        webhook::ActiveModel {
            organization_id: Set(project.organization_id),
            project_id: Set(Some(project.id)),
            url: Set(target),
            send_payload: Set(true),
            send_for_all_actions: Set(true),
            headers: Set("{}".into()),
            is_active: Set(true),
            secret: Set(None),
            consecutive_failures: Set(0),
            last_failure_at: Set(None),
            last_failure: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// `PATCH`/`PUT /api/ml/{id}`: changes a backend after checking the settings it would have
/// (Label Studio checks only the fields sent, and fails on a PATCH without `url`); a renamed
/// backend renames the project's model version when it was the backend's title.
pub async fn update(
    db: &Db,
    env: &MlEnv<'_>,
    actor: &Actor,
    id: i64,
    body: &Value,
) -> CoreResult<MlOut> {
    let (current, project) = find(db, actor, id).await?;
    let mut fields = Fields::new(body)?;
    let settings = read_settings(&mut fields);
    fields.finish()?;
    if let Some(url) = &settings.url {
        crate::saved_urls::check(env.outbound, url).await?;
    }
    let mut m = current.clone();
    apply(&mut m, settings, env.sealer);
    check_auth(&m)?;
    let version = check(db, env, &project, &m).await?;
    m.state = "CO".into();
    m.error_message = None;
    if let (true, Some(version)) = (m.auto_update, version) {
        m.model_version = version;
    }
    m.updated_at = time::now();
    let txn = db.write().await?;
    // Every setting as it now is.
    let active = m.clone().into_active_model().reset_all();
    let saved = queries::ml_backends::update(&*txn, active).await?;
    if current.title != saved.title && project.model_version == current.title {
        queries::projects::set_model_version(&*txn, project.id, &saved.title).await?;
    }
    txn.commit().await?;
    Ok(render(saved))
}

/// `DELETE /api/ml/{id}`: the project's model version is cleared when it was the backend's
/// title.
pub async fn delete(db: &Db, actor: &Actor, id: i64) -> CoreResult<()> {
    let (m, project) = find(db, actor, id).await?;
    let txn = db.write().await?;
    queries::ml_backends::delete(&*txn, m.id).await?;
    if project.model_version == m.title {
        queries::projects::set_model_version(&*txn, project.id, "").await?;
    }
    txn.commit().await?;
    Ok(())
}

/// What `/api/ml/{id}/versions` answers: the status and the body.
pub async fn versions(
    db: &Db,
    env: &MlEnv<'_>,
    actor: &Actor,
    id: i64,
) -> CoreResult<(u16, Value)> {
    let (m, _) = find(db, actor, id).await?;
    Ok(match api(env, &m).versions().await {
        Ok(answer) => (
            200,
            json!({"versions": answer.get("versions").cloned().unwrap_or(json!([]))}),
        ),
        // Model servers without the route (label-studio-ml 2.x): the version known.
        Err(MlError {
            status: Some(404), ..
        }) => (
            200,
            json!({"versions": [m.model_version], "message": "Upgrade your ML backend version to latest."}),
        ),
        Err(err) => (err.status.unwrap_or(500), json!({"error": err.message})),
    })
}

/// `POST /api/ml/{id}/train`: sends `START_TRAINING` with the project to the backend's
/// `/webhook`; the backend's state says how it went (`TR`, or `ER` with the error).
pub async fn train(db: &Db, env: &MlEnv<'_>, actor: &Actor, id: i64) -> CoreResult<()> {
    let (m, project) = find(db, actor, id).await?;
    train_backend(db, env, &m, &project).await
}

/// Sends `START_TRAINING` to one backend and records how it went.
async fn train_backend(
    db: &Db,
    env: &MlEnv<'_>,
    m: &ml_backend::Model,
    project: &project::Model,
) -> CoreResult<()> {
    let project_out =
        serde_json::to_value(payload::webhook_project_out(project)).map_err(anyhow::Error::from)?;
    let body = json!({"action": "START_TRAINING", "project": project_out});
    let timeout = Duration::from_secs_f64(m.timeout.clamp(1.0, 3600.0));
    let mut next = m.clone();
    match api(env, m).webhook(&body, timeout).await {
        Ok(_) => {
            next.state = "TR".into();
            next.error_message = None;
        }
        Err(err) => {
            next.state = "ER".into();
            next.error_message = Some(err.message);
        }
    }
    save_state(db, &next).await?;
    Ok(())
}

/// The model version whose predictions a project uses: when the project's `model_version` names
/// one of its backends (Label Studio's "live model"), the version that backend's predictions
/// carry; else the project's `model_version` itself.
pub async fn predictions_version<C: sea_orm::ConnectionTrait>(
    conn: &C,
    project: &project::Model,
) -> CoreResult<String> {
    let live = live_backend(conn, project.id, &project.model_version).await?;
    Ok(live.map_or_else(|| project.model_version.clone(), |m| m.model_version))
}

/// The backend among `backends` whose title is `version`: the "live model" a project's model
/// version names (none for an empty version).
pub fn titled<'a>(
    backends: &'a [ml_backend::Model],
    version: &str,
) -> Option<&'a ml_backend::Model> {
    backends
        .iter()
        .find(|m| !version.is_empty() && m.title == version)
}

/// The backend of project `project_id` whose title is `version` (see [`titled`]).
pub async fn live_backend<C: sea_orm::ConnectionTrait>(
    conn: &C,
    project_id: i64,
    version: &str,
) -> CoreResult<Option<ml_backend::Model>> {
    if version.is_empty() {
        return Ok(None);
    }
    let backends = queries::ml_backends::of_project(conn, project_id, None).await?;
    Ok(titled(&backends, version).cloned())
}

/// The job kind that asks every backend of a project to train.
pub const TRAIN_JOB: &str = "ml.train";

/// After an annotation of `project` is saved: when the project trains every
/// `min_annotations_to_start_training` annotations and their count is a multiple of it, asks
/// its backends to train (in the background, as Label Studio does after the save, for an update
/// as well as a new one).
pub async fn annotation_saved<C: sea_orm::ConnectionTrait>(
    conn: &C,
    project: &project::Model,
) -> CoreResult<()> {
    let every = i64::from(project.min_annotations_to_start_training);
    if every <= 0 {
        return Ok(());
    }
    let count = queries::annotations::count_of_project(conn, project.id).await?;
    if count == 0 || count % every != 0 {
        return Ok(());
    }
    if queries::ml_backends::of_project(conn, project.id, None)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let job = tessera_jobs::NewJob::new(TRAIN_JOB, json!({"project": project.id}))
        .for_project(project.organization_id, project.id)
        .singleton(&format!("{TRAIN_JOB}:{}", project.id));
    tessera_jobs::queue::enqueue(conn, job).await?;
    Ok(())
}

/// Runs a training job: every backend of the project is asked to train.
pub async fn run_training(
    ctx: tessera_jobs::JobContext,
    env: JobEnv,
) -> Result<tessera_jobs::Done, tessera_jobs::JobError> {
    let project_id = ctx.payload()["project"].as_i64().unwrap_or_default();
    let db = ctx.db().clone();
    let Some(project) = queries::projects::find_by_id(db.conn(), project_id).await? else {
        return Ok(ctx.done(json!({"skipped": "the project is gone"})));
    };
    let env = env.env();
    let backends = queries::ml_backends::of_project(db.conn(), project.id, None).await?;
    for m in &backends {
        train_backend(&db, &env, m, &project).await?;
    }
    Ok(ctx.done(json!({"backends": backends.len()})))
}

/// Tasks as model servers receive them (Label Studio's `TaskSimpleSerializer`): each task with
/// its annotations and predictions (two queries for all of them).
async fn tasks_for_model(
    db: &Db,
    project: &project::Model,
    tasks: &[task::Model],
) -> CoreResult<Vec<Value>> {
    let ids: Vec<i64> = tasks.iter().map(|t| t.id).collect();
    let annotations = queries::annotations::of_tasks(db.conn(), &ids).await?;
    let predictions = queries::predictions::of_tasks(db.conn(), &ids).await?;
    let first_key = payload::first_data_key(project);
    let now = time::now();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        let mut rendered = payload::task_model_out(t, first_key.as_deref());
        let own_annotations: Vec<Value> = annotations
            .iter()
            .filter(|a| a.task_id == t.id)
            .map(payload::annotation_model_out)
            .collect();
        let own_predictions: Vec<_> = predictions
            .iter()
            .filter(|p| p.task_id == t.id)
            .map(|p| payload::prediction_out(p.clone(), &now))
            .collect();
        if let Value::Object(map) = &mut rendered {
            map.insert("annotations".into(), Value::Array(own_annotations));
            map.insert(
                "predictions".into(),
                serde_json::to_value(own_predictions).map_err(anyhow::Error::from)?,
            );
        }
        out.push(rendered);
    }
    Ok(out)
}

/// The `/predict` body for `tasks` of `project` (with the editor's `context`, if any).
fn predict_body(project: &project::Model, tasks: Vec<Value>, context: Value) -> Value {
    json!({
        "tasks": tasks,
        "project": project_uid(project),
        "label_config": project.label_config,
        "params": {
            "login": project.task_data_login,
            "password": project.task_data_password,
            "context": context,
        },
    })
}

/// `POST /api/ml/{id}/predict/test?random=true`: a random task of the project predicted, nothing
/// stored: `{status, error_message, url, task, request, response}`; `None` without `random`
/// (Label Studio implements nothing else).
pub async fn predict_test(
    db: &Db,
    env: &MlEnv<'_>,
    actor: &Actor,
    id: i64,
    random: bool,
) -> CoreResult<Option<Value>> {
    let (m, project) = find(db, actor, id).await?;
    if !random {
        return Ok(None);
    }
    let Some(t) = queries::tasks::random_of_project(db.conn(), project.id).await? else {
        return Err(CoreError::BadRequest(
            "Project has no tasks to run prediction on, import at least 1 task to run prediction"
                .into(),
        ));
    };
    let request = predict_body(
        &project,
        tasks_for_model(db, &project, std::slice::from_ref(&t)).await?,
        Value::Null,
    );
    let timeout = Duration::from_secs_f64(m.timeout.clamp(1.0, 3600.0));
    let url = format!("{}/predict", m.url.trim_end_matches('/'));
    let (status, error, response) = match api(env, &m).predict(&request, timeout).await {
        Ok(answer) => (
            200,
            None,
            answer.get("results").cloned().unwrap_or(Value::Null),
        ),
        Err(err) => (err.status.unwrap_or(0), Some(err.message), Value::Null),
    };
    let simple = request["tasks"][0].clone();
    Ok(Some(json!({
        "status": status,
        "error_message": error,
        "url": url,
        "task": simple,
        "request": request,
        "response": response,
    })))
}

/// `POST /api/ml/{id}/interactive-annotating` (`{task, context}`): the editor's smart tools ask
/// the backend about one task with what the annotator just drew; `{"data": <first result>}`, or
/// `{"errors": [...]}` (a 200 either way, as in Label Studio). Nothing is stored.
pub async fn interactive(
    db: &Db,
    env: &MlEnv<'_>,
    actor: &Actor,
    id: i64,
    body: &Value,
) -> CoreResult<Value> {
    let (m, project) = find(db, actor, id).await?;
    let mut fields = Fields::new(body)?;
    fields.require(&["task"]);
    let task_id = fields.integer("task");
    fields.finish()?;
    let context = body.get("context").cloned().unwrap_or(Value::Null);
    let t = queries::tasks::find(db.conn(), task_id.unwrap_or_default())
        .await?
        .filter(|t| t.project_id == project.id)
        .ok_or_else(|| CoreError::NotFound("Not found.".into()))?;
    if !m.is_interactive {
        return Ok(
            json!({"errors": ["Model is not set to be used for interactive preannotations"]}),
        );
    }
    let request = predict_body(
        &project,
        tasks_for_model(db, &project, std::slice::from_ref(&t)).await?,
        context,
    );
    let timeout = Duration::from_secs_f64(m.timeout.clamp(1.0, 3600.0));
    Ok(match api(env, &m).predict(&request, timeout).await {
        Err(err) => json!({"errors": [err.message]}),
        Ok(answer) => match answer.get("results").and_then(Value::as_array) {
            None => {
                json!({"errors": ["Incorrect response from ML service: ML backend returns an incorrect response, it must be a dict."]})
            }
            Some(results) if results.is_empty() => {
                json!({"errors": ["Incorrect response from ML service: ML backend has to return list with more than 1 result."]})
            }
            Some(results) => json!({"data": results[0]}),
        },
    })
}
