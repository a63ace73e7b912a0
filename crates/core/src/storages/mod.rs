//! Cloud storages (Label Studio's `io_storages`): a project's import storages, whose objects
//! become tasks, and export storages, which receive its annotations; for S3, Azure Blob, Redis
//! Google Cloud Storage and local folders. Secrets are sealed at rest and never answered. Syncs run as background jobs
//! ([`sync`]).

pub mod connect;
pub mod export;
pub mod kinds;
mod listing;
pub mod local;
pub mod resolve;
pub mod sync;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::{json, Map, Value};
use tessera_db::entities::storage;
use tessera_db::queries::storages::{NewStorage, StorageChanges};
use tessera_db::{queries, time, Db};
use tessera_jobs::NewJob;

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::Fields;
use crate::scope;
use connect::{StorageEnv, Values};
use kinds::{Direction, Kind, Slot};

/// The longest storage title.
const MAX_TITLE: usize = 256;
/// The statuses a storage can be in.
pub const STATUSES: [&str; 6] = [
    "initialized",
    "queued",
    "in_progress",
    "failed",
    "completed",
    "completed_with_errors",
];

/// A storage type as `/api/storages/types` lists it.
#[derive(Serialize)]
pub struct TypeOut {
    pub name: &'static str,
    pub title: &'static str,
}

/// The storage types.
pub fn types() -> Vec<TypeOut> {
    Kind::ALL
        .into_iter()
        .map(|kind| TypeOut {
            name: kind.name(),
            title: kind.title(),
        })
        .collect()
}

/// A stored JSON object column.
fn object_of(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn kind_of(model: &storage::Model) -> Kind {
    Kind::from_name(&model.kind).unwrap_or(Kind::S3)
}

fn direction_of(model: &storage::Model) -> Direction {
    if model.direction == Direction::Export.name() {
        Direction::Export
    } else {
        Direction::Import
    }
}

/// A storage as Label Studio's serializer answers it, in its key order (`type` left out of
/// PATCH answers, as DRF leaves it out there).
pub fn render(model: &storage::Model, with_type: bool) -> Value {
    let (kind, direction) = (kind_of(model), direction_of(model));
    let settings = object_of(&model.settings);
    let mut out = Map::new();
    for slot in kinds::layout(kind, direction) {
        let (name, value) = match slot {
            Slot::Secret(_) => continue,
            Slot::Setting(name) => (name, settings.get(name).cloned().unwrap_or(Value::Null)),
            Slot::Common(name) => (
                name,
                match name {
                    "id" => json!(model.id),
                    "type" if !with_type => continue,
                    "type" => json!(kind.name()),
                    "last_sync" => json!(model.last_sync.as_ref().map(time::format)),
                    "last_sync_count" => json!(model.last_sync_count),
                    "last_sync_job" => json!(model.last_sync_job),
                    "status" => json!(model.status),
                    "traceback" => json!(model.traceback),
                    "meta" => Value::Object(object_of(&model.meta)),
                    "title" => json!(model.title),
                    "description" => json!(model.description),
                    "created_at" => json!(time::format(&model.created_at)),
                    "project" => json!(model.project_id),
                    _ => Value::Null,
                },
            ),
        };
        out.insert(name.to_string(), value);
    }
    Value::Object(out)
}

/// A storage of a project the actor sees, of this type and direction.
async fn find(
    db: &Db,
    actor: &Actor,
    kind: Kind,
    direction: Direction,
    id: i64,
) -> CoreResult<storage::Model> {
    let found = queries::storages::find(db.conn(), id)
        .await?
        .filter(|s| s.kind == kind.name() && s.direction == direction.name())
        .ok_or_else(|| CoreError::NotFound("Not found.".into()))?;
    scope::project(db.conn(), actor, found.project_id)
        .await
        .map_err(|_| CoreError::NotFound("Not found.".into()))?;
    Ok(found)
}

/// The project a list's `?project=` names (required).
async fn listed_project(db: &Db, actor: &Actor, project: Option<&str>) -> CoreResult<i64> {
    let text = project
        .filter(|p| !p.is_empty())
        .ok_or_else(|| CoreError::field("project", "This field is required."))?;
    let id = text
        .parse::<i64>()
        .map_err(|_| CoreError::no_match("Project"))?;
    Ok(scope::project(db.conn(), actor, id).await?.id)
}

/// The storages of one type of a project (`?project=` required).
pub async fn list(
    db: &Db,
    actor: &Actor,
    kind: Kind,
    direction: Direction,
    project: Option<&str>,
) -> CoreResult<Vec<Value>> {
    let project_id = listed_project(db, actor, project).await?;
    let listed =
        queries::storages::of_project(db.conn(), project_id, direction.name(), Some(kind.name()))
            .await?;
    Ok(listed.iter().map(|s| render(s, true)).collect())
}

/// Every storage of a project, type by type in Label Studio's order; an empty list when
/// `?project=` names no project the actor sees, as Label Studio answers.
pub async fn list_all(
    db: &Db,
    actor: &Actor,
    direction: Direction,
    project: Option<&str>,
) -> CoreResult<Vec<Value>> {
    let Ok(project_id) = listed_project(db, actor, project).await else {
        return Ok(Vec::new());
    };
    let mut listed =
        queries::storages::of_project(db.conn(), project_id, direction.name(), None).await?;
    listed.sort_by_key(|s| {
        let rank = Kind::ALL.iter().position(|k| k.name() == s.kind);
        (rank, s.id)
    });
    Ok(listed.iter().map(|s| render(s, true)).collect())
}

/// A storage body read: the common fields given and the type's settings and secrets.
struct Body {
    project: Option<i64>,
    title: Option<Option<String>>,
    description: Option<Option<String>>,
    status: Option<String>,
    traceback: Option<Option<String>>,
    meta: Option<Map<String, Value>>,
    last_sync: Option<Option<DateTime<Utc>>>,
    last_sync_count: Option<Option<i64>>,
    last_sync_job: Option<Option<String>>,
    settings: Map<String, Value>,
    secrets: Map<String, Value>,
}

/// Reads a storage body as Label Studio's serializer does; `project` is checked when given and
/// required unless `partial`.
async fn read_body(
    db: &Db,
    actor: &Actor,
    kind: Kind,
    direction: Direction,
    body: &Value,
    partial: bool,
) -> CoreResult<Body> {
    let mut fields = Fields::new(body)?;
    let project = match fields.raw("project") {
        None if partial => None,
        None => {
            fields.error("project", "This field is required.");
            None
        }
        Some(_) => fields.nullable_primary_key("project").and_then(|p| {
            if p.is_none() {
                fields.error("project", "This field may not be null.");
            }
            p
        }),
    };
    let title = fields.nullable_string("title");
    if title
        .as_ref()
        .and_then(Option::as_ref)
        .is_some_and(|t| t.chars().count() > MAX_TITLE)
    {
        fields.error(
            "title",
            format!("Ensure this field has no more than {MAX_TITLE} characters."),
        );
    }
    let description = fields.nullable_string("description");
    let status = match fields.raw("status") {
        Some(_) => fields.choice("status", &STATUSES),
        None => None,
    };
    let traceback = fields.nullable_string("traceback");
    let meta = match fields.raw("meta") {
        Some(Value::Null) => Some(Map::new()),
        Some(_) => fields.object("meta"),
        None => None,
    };
    let last_sync = match fields.nullable_string("last_sync") {
        None => None,
        Some(None) => Some(None),
        Some(Some(text)) => match DateTime::parse_from_rfc3339(&text) {
            Ok(at) => Some(Some(at.with_timezone(&Utc))),
            Err(_) => {
                fields.error("last_sync", "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].");
                None
            }
        },
    };
    let last_sync_count = fields.nullable_integer("last_sync_count");
    let last_sync_job = fields.nullable_string("last_sync_job");
    let (settings, secrets) = kinds::read(&mut fields, kind, direction);
    fields.finish()?;
    if let Some(project_id) = project {
        scope::project(db.conn(), actor, project_id)
            .await
            .map_err(|_| CoreError::missing("project", project_id))?;
    }
    Ok(Body {
        project,
        title,
        description,
        status,
        traceback,
        meta,
        last_sync,
        last_sync_count,
        last_sync_job,
        settings,
        secrets,
    })
}

/// Local-files paths are kept as Label Studio normalizes them.
fn normalized(kind: Kind, mut settings: Map<String, Value>) -> Map<String, Value> {
    if kind == Kind::LocalFiles {
        if let Some(Value::String(path)) = settings.get("path") {
            let path = connect::normalize_path(path);
            settings.insert("path".into(), Value::String(path));
        }
    }
    settings
}

/// Whether a write must check the connection, as Label Studio decides: S3 when the body names a
/// bucket, the other types always (an export storage always on create).
fn checks_connection(kind: Kind, direction: Direction, body: &Body, creating: bool) -> bool {
    match kind {
        Kind::S3 => {
            body.settings
                .get("bucket")
                .and_then(Value::as_str)
                .is_some_and(|b| !b.trim().is_empty())
                || (creating && direction == Direction::Export)
        }
        _ => true,
    }
}

/// Creates a storage; an export storage starts its first sync at once, as Label Studio's does.
pub async fn create(
    db: &Db,
    env: &StorageEnv,
    actor: &Actor,
    kind: Kind,
    direction: Direction,
    body: &Value,
) -> CoreResult<Value> {
    let read = read_body(db, actor, kind, direction, body, false).await?;
    let project_id = read.project.expect("required");
    let mut settings = kinds::default_settings(kind, direction);
    settings.extend(normalized(kind, read.settings.clone()));
    if checks_connection(kind, direction, &read, true) {
        let values = Values {
            kind,
            direction,
            settings: &settings,
            secrets: &read.secrets,
        };
        connect::check(&values, env).await?;
    }
    let txn = db.write().await?;
    let new = NewStorage {
        project_id,
        direction: direction.name(),
        kind: kind.name(),
        title: read.title.flatten(),
        description: read.description.flatten(),
        settings: Value::Object(settings).to_string(),
        secrets: connect::seal(&read.secrets, &env.sealer),
    };
    let mut created = queries::storages::insert(&*txn, new, time::now()).await?;
    if direction == Direction::Export {
        created = sync::queue(&txn, &created, actor).await?;
    }
    txn.commit().await?;
    Ok(render(&created, true))
}

/// One storage of a project the actor sees.
pub async fn get(
    db: &Db,
    actor: &Actor,
    kind: Kind,
    direction: Direction,
    id: i64,
) -> CoreResult<Value> {
    Ok(render(&find(db, actor, kind, direction, id).await?, true))
}

/// The changes a body makes to a stored storage (merged settings and secrets).
fn changes_of(
    current: &storage::Model,
    kind: Kind,
    read: Body,
    secrets: Map<String, Value>,
    env: &StorageEnv,
) -> StorageChanges {
    let mut settings = object_of(&current.settings);
    settings.extend(normalized(kind, read.settings));
    StorageChanges {
        project_id: read.project,
        title: read.title,
        description: read.description,
        settings: Some(Value::Object(settings).to_string()),
        secrets: Some(connect::seal(&secrets, &env.sealer)),
        status: read.status,
        traceback: read.traceback,
        meta: read.meta.map(|m| Value::Object(m).to_string()),
        last_sync: read.last_sync,
        last_sync_count: read.last_sync_count.map(|c| c.map(|c| c as i32)),
        last_sync_job: read.last_sync_job,
    }
}

/// Changes a storage (PATCH: any fields; PUT: `project` required), checking the connection with
/// the stored values merged with the body's.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &Db,
    env: &StorageEnv,
    actor: &Actor,
    kind: Kind,
    direction: Direction,
    id: i64,
    body: &Value,
    partial: bool,
) -> CoreResult<Value> {
    let current = find(db, actor, kind, direction, id).await?;
    let read = read_body(db, actor, kind, direction, body, partial).await?;
    let mut secrets = connect::unseal(current.secrets.as_deref(), &env.sealer)?;
    secrets.extend(read.secrets.clone());
    let mut settings = object_of(&current.settings);
    settings.extend(normalized(kind, read.settings.clone()));
    if checks_connection(kind, direction, &read, false) {
        let values = Values {
            kind,
            direction,
            settings: &settings,
            secrets: &secrets,
        };
        connect::check(&values, env).await?;
    }
    let changes = changes_of(&current, kind, read, secrets, env);
    let txn = db.write().await?;
    let updated = queries::storages::update(&*txn, current.id, changes, time::now()).await?;
    txn.commit().await?;
    Ok(render(&updated, !partial))
}

/// Deletes a storage; its tasks stay (they lose their storage file name).
pub async fn delete(
    db: &Db,
    actor: &Actor,
    kind: Kind,
    direction: Direction,
    id: i64,
) -> CoreResult<()> {
    let found = find(db, actor, kind, direction, id).await?;
    let txn = db.write().await?;
    queries::storages::delete(&*txn, found.id).await?;
    txn.commit().await?;
    Ok(())
}

/// A storage body's settings and secrets, ready to connect with: with `id`, an existing
/// storage's secrets fill those the body leaves out, and the body's fields are saved to it first,
/// as Label Studio does.
async fn prepare(
    db: &Db,
    env: &StorageEnv,
    actor: &Actor,
    kind: Kind,
    direction: Direction,
    body: &Value,
) -> CoreResult<(Map<String, Value>, Map<String, Value>)> {
    let existing = match body.get("id").and_then(crate::fields::pk_of) {
        Some(id) => Some(find(db, actor, kind, direction, id).await?),
        None => None,
    };
    let read = read_body(db, actor, kind, direction, body, false).await?;
    let mut secrets = match &existing {
        Some(current) => connect::unseal(current.secrets.as_deref(), &env.sealer)?,
        None => Map::new(),
    };
    secrets.extend(read.secrets.clone());
    let mut settings = match &existing {
        Some(current) => object_of(&current.settings),
        None => kinds::default_settings(kind, direction),
    };
    settings.extend(normalized(kind, read.settings.clone()));
    if let Some(current) = existing {
        let changes = changes_of(&current, kind, read, secrets.clone(), env);
        let txn = db.write().await?;
        queries::storages::update(&*txn, current.id, changes, time::now()).await?;
        txn.commit().await?;
    }
    Ok((settings, secrets))
}

/// Checks a storage body's connection (see [`prepare`] for `id`).
pub async fn validate(
    db: &Db,
    env: &StorageEnv,
    actor: &Actor,
    kind: Kind,
    direction: Direction,
    body: &Value,
) -> CoreResult<()> {
    let (settings, secrets) = prepare(db, env, actor, kind, direction, body).await?;
    let values = Values {
        kind,
        direction,
        settings: &settings,
        secrets: &secrets,
    };
    connect::check(&values, env).await?;
    Ok(())
}

/// Files a preview lists unless the body's `limit` says otherwise.
const PREVIEW_LIMIT: i64 = 100;

/// How long a preview lists before it answers with what it found.
const PREVIEW_TIME: std::time::Duration = std::time::Duration::from_secs(30);

/// The objects an import storage body would sync (`POST /api/storages/<type>/files`): up to
/// `limit` of `{key, last_modified, size}`, then an entry of nulls when there are more (or one
/// naming the timeout when listing took too long). The body is checked as by [`validate`].
pub async fn files(
    db: &Db,
    env: &StorageEnv,
    actor: &Actor,
    kind: Kind,
    body: &Value,
) -> CoreResult<Value> {
    let limit = match body.get("limit") {
        None | Some(Value::Null) => PREVIEW_LIMIT,
        Some(value) => crate::fields::pk_of(value)
            .ok_or_else(|| CoreError::field("limit", "A valid integer is required."))?,
    };
    let direction = Direction::Import;
    let (settings, secrets) = prepare(db, env, actor, kind, direction, body).await?;
    let values = Values {
        kind,
        direction,
        settings: &settings,
        secrets: &secrets,
    };
    let remote = connect::check(&values, env).await?;
    let mut objects = listing::Listing::of(&values)?.objects(&remote);
    let deadline = tokio::time::Instant::now() + PREVIEW_TIME;
    let mut files = Vec::new();
    loop {
        let object = match tokio::time::timeout_at(deadline, objects.next()).await {
            Ok(Some(object)) => object.map_err(|err| {
                tracing::warn!(error = %err, "listing a storage's files failed");
                CoreError::field("non_field_errors", "Failed to list storage files")
            })?,
            Ok(None) => break,
            Err(_) => {
                files.push(json!({"key": "... storage scan timeout reached ...", "last_modified": null, "size": null}));
                break;
            }
        };
        files.push(json!({
            "key": object.key,
            "last_modified": object.last_modified.as_ref().map(time::format),
            "size": object.size,
        }));
        if files.len() as i64 >= limit {
            files.push(json!({"key": null, "last_modified": null, "size": null}));
            break;
        }
    }
    Ok(json!({ "files": files }))
}

/// What a sync request came to.
pub enum Synced {
    /// The storage as it is after waiting for the sync (finished, or still running).
    Storage(Value),
    /// The storage cannot be synced (`synchronizable` is off).
    NotSynchronizable(i64),
}

/// How long a sync request waits for the sync to finish before answering with the storage as it
/// is (Label Studio's community edition syncs inside the request; big syncs here go on in the
/// background and the answer says `queued` or `in_progress`).
const SYNC_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Starts a sync of a storage (one at a time per storage) and waits a little for it.
pub async fn start_sync(
    db: &Db,
    env: &StorageEnv,
    actor: &Actor,
    kind: Kind,
    direction: Direction,
    id: i64,
) -> CoreResult<Synced> {
    let found = find(db, actor, kind, direction, id).await?;
    let settings = object_of(&found.settings);
    if settings.get("synchronizable").and_then(Value::as_bool) == Some(false) {
        return Ok(Synced::NotSynchronizable(found.id));
    }
    let secrets = connect::unseal(found.secrets.as_deref(), &env.sealer)?;
    let values = Values {
        kind,
        direction,
        settings: &settings,
        secrets: &secrets,
    };
    connect::check(&values, env).await?;
    let txn = db.write().await?;
    let queued = sync::queue(&txn, &found, actor).await?;
    txn.commit().await?;
    let waited = sync::wait(db, queued.id, SYNC_WAIT).await?;
    Ok(Synced::Storage(render(&waited, true)))
}

/// Enqueues the job that syncs `storage` (re-exports, for an export storage).
pub(crate) fn sync_job(storage_id: i64, user_id: i64) -> NewJob {
    NewJob::new(sync::JOB, json!({"storage": storage_id, "user": user_id}))
        .singleton(&format!("{}:{storage_id}", sync::JOB))
        .max_attempts(5)
}
