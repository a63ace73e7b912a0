//! Syncing a storage, as a background job (one at a time per storage, safe to run again after
//! a crash): an import storage's new objects become tasks, linked to their object and row so
//! that a re-sync skips them; an export storage writes every annotation again ([`export`]). The storage's status
//! fields follow Label Studio's (`queued`, `in_progress`, `completed`, `completed_with_errors`,
//! `failed`, with `meta` counters), and progress is written while it runs.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::{json, Map, Value};
use tessera_db::counters::TaskSet;
use tessera_db::entities::{project, storage};
use tessera_db::queries::storages::{NewLink, StorageChanges};
use tessera_db::{queries, time, Db, WriteTxn};
use tessera_formats::import::UNDEFINED_KEY;
use tessera_jobs::{Done, JobContext, JobError};
use tessera_storage::remote::{Remote, RemoteObject};

use super::connect::{self, StorageEnv, Values};
use super::export;
use super::kinds::{Direction, Kind};
use super::listing::Listing;
use super::{direction_of, kind_of, object_of, sync_job};
use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::import::{self, ItemJson, RawItem};
use crate::tasks;

/// The job kind of a storage sync.
pub const JOB: &str = "storage.sync";

/// Keys looked up against existing links at once.
const KEY_BATCH: usize = 1000;
/// Tasks written in one transaction.
const TASK_BATCH: usize = 1000;
/// Objects read from the bucket at once.
const READ_AT_ONCE: usize = 16;
/// How often progress is written while a sync runs.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// A time as Label Studio writes it into `meta` (Python's `str(datetime)`).
fn meta_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string()
}

/// Marks a storage queued (Label Studio's fields reset, `meta.attempts` counted) and enqueues
/// its sync in the caller's transaction; at most one waits per storage.
pub async fn queue(
    txn: &WriteTxn,
    storage: &storage::Model,
    actor: &Actor,
) -> CoreResult<storage::Model> {
    let attempts = object_of(&storage.meta)
        .get("attempts")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let now = time::now();
    let job = tessera_jobs::queue::enqueue(&**txn, sync_job(storage.id, actor.user.id)).await?;
    let changes = StorageChanges {
        status: Some("queued".into()),
        last_sync: Some(None),
        last_sync_count: Some(None),
        last_sync_job: Some(Some(job.id().to_string())),
        meta: Some(json!({"attempts": attempts + 1, "time_queued": meta_time(now)}).to_string()),
        ..StorageChanges::default()
    };
    Ok(queries::storages::update(&**txn, storage.id, changes, now).await?)
}

/// The storage once its sync has finished, or as it is after `max`.
pub async fn wait(db: &Db, id: i64, max: Duration) -> CoreResult<storage::Model> {
    crate::waiting::while_running(max, || async move {
        let status = queries::storages::status_of(db.conn(), id).await?;
        Ok(matches!(status.as_deref(), Some("queued" | "in_progress")))
    })
    .await?;
    queries::storages::find(db.conn(), id)
        .await?
        .ok_or_else(|| CoreError::NotFound("Not found.".into()))
}

/// Runs a sync job (`{"storage": id, "user": id}`): the storage's final status records how it
/// went; the job itself fails only when the database does.
pub async fn run(ctx: JobContext, env: StorageEnv) -> Result<Done, JobError> {
    let storage_id = ctx.payload()["storage"].as_i64().unwrap_or_default();
    let user_id = ctx.payload()["user"].as_i64().unwrap_or_default();
    let db = ctx.db().clone();
    let Some(storage) = queries::storages::find(db.conn(), storage_id).await? else {
        return Ok(ctx.done(json!({"skipped": "the storage is gone"})));
    };
    let started = time::now();
    let mut meta = object_of(&storage.meta);
    meta.insert("time_in_progress".into(), json!(meta_time(started)));
    meta.insert("time_last_ping".into(), json!(meta_time(started)));
    set(&db, storage.id, "in_progress", &meta, |_| {}).await?;
    let mut sync = Sync {
        ctx: &ctx,
        db: &db,
        env: &env,
        storage: &storage,
        user_id,
        meta,
        started,
        created: 0,
        existed: 0,
        deleted: 0,
        updated: 0,
        errors: Vec::new(),
        last_progress: Instant::now(),
    };
    let outcome = match direction_of(&storage) {
        Direction::Import => sync.import().await,
        Direction::Export => sync.export().await,
    };
    let result = json!({"created": sync.created, "existed": sync.existed});
    sync.finish(outcome).await?;
    Ok(ctx.done(result))
}

/// Writes a storage's status and `meta`, and whatever else `more` sets.
async fn set(
    db: &Db,
    id: i64,
    status: &str,
    meta: &Map<String, Value>,
    more: impl FnOnce(&mut StorageChanges),
) -> Result<(), JobError> {
    let mut changes = StorageChanges {
        status: Some(status.to_string()),
        meta: Some(Value::Object(meta.clone()).to_string()),
        ..StorageChanges::default()
    };
    more(&mut changes);
    let txn = db.write().await?;
    queries::storages::update(&*txn, id, changes, time::now()).await?;
    txn.commit().await?;
    Ok(())
}

/// One run of a sync.
struct Sync<'a> {
    ctx: &'a JobContext,
    db: &'a Db,
    env: &'a StorageEnv,
    storage: &'a storage::Model,
    /// Who the sync runs for (tasks' `updated_by`, imported annotations' authors).
    user_id: i64,
    meta: Map<String, Value>,
    started: DateTime<Utc>,
    /// Tasks created in this run.
    created: u64,
    /// Tasks of objects synced before (skipped).
    existed: u64,
    /// Tasks deleted because their object vanished.
    deleted: u64,
    /// Tasks brought up to date because their object changed.
    updated: u64,
    /// Objects that could not become tasks (the sync goes on without them).
    errors: Vec<String>,
    last_progress: Instant,
}

/// A task read from an object, waiting to be written.
struct Pending {
    value: Value,
    key: String,
    row_index: i32,
    version: Option<String>,
}

impl Sync<'_> {
    fn elapsed(&self) -> f64 {
        (time::now() - self.started).num_microseconds().unwrap_or(0) as f64 / 1e6
    }

    /// Writes progress, at most every [`PROGRESS_EVERY`].
    async fn progress(&mut self) -> Result<(), JobError> {
        if self.last_progress.elapsed() < PROGRESS_EVERY {
            return Ok(());
        }
        self.last_progress = Instant::now();
        self.meta
            .insert("time_last_ping".into(), json!(meta_time(time::now())));
        self.meta.insert("duration".into(), json!(self.elapsed()));
        if direction_of(self.storage) == Direction::Import {
            self.meta
                .insert("tasks_existed".into(), json!(self.existed));
        }
        let count = self.created as i32;
        set(self.db, self.storage.id, "in_progress", &self.meta, |c| {
            c.last_sync_count = Some(Some(count));
        })
        .await?;
        self.ctx
            .progress(json!({"tasks_created": self.created, "tasks_existed": self.existed}))
            .await
    }

    /// Writes every annotation again, reporting progress between pages.
    async fn export(&mut self) -> CoreResult<()> {
        let mut writer = export::Writer::open(self.db, self.env, self.storage, true).await?;
        while writer.page(self.db, self.storage).await? {
            self.created = writer.written;
            self.progress()
                .await
                .map_err(|err| CoreError::Internal(err.into()))?;
        }
        self.created = writer.finish(self.db, self.storage).await?;
        Ok(())
    }

    /// Records how the sync ended.
    async fn finish(mut self, outcome: CoreResult<()>) -> Result<(), JobError> {
        let now = time::now();
        self.meta.insert("duration".into(), json!(self.elapsed()));
        match outcome {
            Ok(()) => {
                self.meta
                    .insert("time_completed".into(), json!(meta_time(now)));
                let (counter, count) = match direction_of(self.storage) {
                    Direction::Import => ("tasks_existed", self.existed),
                    Direction::Export => ("total_annotations", self.created),
                };
                self.meta.insert(counter.into(), json!(count));
                if self.updated > 0 {
                    self.meta
                        .insert("tasks_updated".into(), json!(self.updated));
                }
                if self.deleted > 0 {
                    self.meta
                        .insert("tasks_deleted".into(), json!(self.deleted));
                }
                let status = if self.errors.is_empty() {
                    "completed"
                } else {
                    self.meta
                        .insert("tasks_failed_validation".into(), json!(self.errors.len()));
                    "completed_with_errors"
                };
                let count = self.created as i32;
                let traceback = (!self.errors.is_empty()).then(|| self.errors.join("\n"));
                set(self.db, self.storage.id, status, &self.meta, |c| {
                    c.last_sync = Some(Some(now));
                    c.last_sync_count = Some(Some(count));
                    if traceback.is_some() {
                        c.traceback = Some(traceback);
                    }
                })
                .await
            }
            Err(err) => {
                self.meta
                    .insert("time_failure".into(), json!(meta_time(now)));
                let message = match err {
                    CoreError::Validation(fields) => fields
                        .values()
                        .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                        .filter_map(|m| m.as_str().map(str::to_string))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    other => other.to_string(),
                };
                set(self.db, self.storage.id, "failed", &self.meta, |c| {
                    c.traceback = Some(Some(message));
                })
                .await
            }
        }
    }

    /// Lists the bucket and makes tasks of the objects not synced before.
    async fn import(&mut self) -> CoreResult<()> {
        let storage = self.storage;
        let (kind, direction) = (kind_of(storage), Direction::Import);
        let settings = object_of(&storage.settings);
        let secrets = connect::unseal(storage.secrets.as_deref(), &self.env.sealer)?;
        let values = Values {
            kind,
            direction,
            settings: &settings,
            secrets: &secrets,
        };
        let remote = connect::connect(&values, self.env)?;
        let project = queries::projects::find_by_id(self.db.conn(), storage.project_id)
            .await?
            .ok_or_else(|| CoreError::no_match("Project"))?;
        let reading = Reading {
            kind,
            use_blob_urls: values.flag("use_blob_urls") && kind != Kind::Redis,
            bucket: values.bucket().unwrap_or_default(),
            local_root: self.env.local_files.root.clone(),
            refresh_changed: values.flag("update_changed_tasks"),
        };
        let track_vanished = values.flag("delete_vanished_tasks");
        let mut seen = HashSet::new();
        let mut listing = Listing::of(&values)?.objects(&remote);
        let mut keys: Vec<RemoteObject> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        loop {
            let next = listing.next().await;
            let done = next.is_none();
            if let Some(object) = next {
                let object = object?;
                if track_vanished {
                    seen.insert(object.key.clone());
                }
                keys.push(object);
            }
            if keys.len() >= KEY_BATCH || (done && !keys.is_empty()) {
                let batch = std::mem::take(&mut keys);
                self.read_new(&remote, &reading, &project, batch, &mut pending)
                    .await?;
            }
            if pending.len() >= TASK_BATCH || (done && !pending.is_empty()) {
                let batch = std::mem::take(&mut pending);
                self.write(&project, batch).await?;
            }
            self.progress()
                .await
                .map_err(|err| CoreError::Internal(err.into()))?;
            if done {
                break;
            }
        }
        if track_vanished {
            let gone =
                queries::storages::tasks_of_vanished(self.db.conn(), storage.id, &seen).await?;
            if !gone.is_empty() {
                let txn = self.db.write_unbounded().await?;
                self.deleted = tasks::delete(&txn, project.id, TaskSet::Ids(&gone)).await?;
                txn.commit().await?;
            }
        }
        Ok(())
    }

    /// Reads the objects of `batch` that no task was made of yet into `pending`.
    async fn read_new(
        &mut self,
        remote: &Remote,
        reading: &Reading,
        project: &project::Model,
        batch: Vec<RemoteObject>,
        pending: &mut Vec<Pending>,
    ) -> CoreResult<()> {
        let keys: Vec<String> = batch.iter().map(|o| o.key.clone()).collect();
        let linked = queries::storages::linked_keys(self.db.conn(), self.storage.id, &keys).await?;
        let mut taken = HashSet::new();
        let mut new = Vec::new();
        for object in batch {
            if let Some((tasks, version)) = linked.get(&object.key) {
                self.existed += tasks;
                let changed = object.version.is_some() && *version != object.version;
                if reading.refresh_changed && changed && taken.insert(object.key.clone()) {
                    let values = reading.tasks_of(remote, &object.key).await?;
                    self.refresh(project, &object, values, pending).await?;
                }
                continue;
            }
            if taken.insert(object.key.clone()) {
                new.push(object);
            }
        }
        // Objects are read several at a time: a bucket answers each after a network round trip.
        let mut read = futures_util::stream::iter(new.into_iter().map(|object| async move {
            let values = reading.tasks_of(remote, &object.key).await;
            (object, values)
        }))
        .buffered(READ_AT_ONCE);
        while let Some((object, values)) = read.next().await {
            for (row_index, value) in values?.into_iter().enumerate() {
                pending.push(Pending {
                    value,
                    key: object.key.clone(),
                    row_index: row_index as i32,
                    version: object.version.clone(),
                });
            }
        }
        Ok(())
    }

    /// Brings the tasks of a changed object up to date: each row's task takes the row's data
    /// (its annotations stay), rows the object gained become tasks, and the tasks of rows it
    /// lost are deleted.
    async fn refresh(
        &mut self,
        project: &project::Model,
        object: &RemoteObject,
        values: Vec<Value>,
        pending: &mut Vec<Pending>,
    ) -> CoreResult<()> {
        let tasks =
            queries::storages::tasks_of_key(self.db.conn(), self.storage.id, &object.key).await?;
        let txn = self.db.write().await?;
        let now = time::now();
        for (task_id, row) in &tasks {
            if let Some(value) = values.get(*row as usize) {
                let data = match value.get("data") {
                    Some(data @ Value::Object(_)) => data,
                    _ => value,
                };
                queries::tasks::update_fields(
                    &*txn,
                    *task_id,
                    Some(data.to_string()),
                    None,
                    self.user_id,
                    now,
                )
                .await?;
                self.updated += 1;
            }
        }
        let lost: Vec<i64> = tasks
            .iter()
            .filter(|(_, row)| *row as usize >= values.len())
            .map(|(task, _)| *task)
            .collect();
        if !lost.is_empty() {
            self.deleted += tasks::delete(&txn, project.id, TaskSet::Ids(&lost)).await?;
        }
        queries::storages::set_version(
            &*txn,
            self.storage.id,
            &object.key,
            object.version.as_deref(),
        )
        .await?;
        txn.commit().await?;
        let known: HashSet<i32> = tasks.iter().map(|(_, row)| *row).collect();
        for (row, value) in values.into_iter().enumerate() {
            if !known.contains(&(row as i32)) {
                pending.push(Pending {
                    value,
                    key: object.key.clone(),
                    row_index: row as i32,
                    version: object.version.clone(),
                });
            }
        }
        Ok(())
    }

    /// Writes tasks and their links in one transaction; when some are refused, writes object by
    /// object so that the others still go in, and records the refusals.
    async fn write(&mut self, project: &project::Model, batch: Vec<Pending>) -> CoreResult<()> {
        let values: Vec<Value> = batch.iter().map(|p| p.value.clone()).collect();
        match self.write_once(project, &batch, values).await {
            Err(CoreError::Validation(_)) => {}
            other => return other,
        }
        let mut start = 0;
        while start < batch.len() {
            let key = &batch[start].key;
            let end = start + batch[start..].iter().take_while(|p| &p.key == key).count();
            let group = &batch[start..end];
            let values = group.iter().map(|p| p.value.clone()).collect();
            match self.write_once(project, group, values).await {
                Err(CoreError::Validation(fields)) => {
                    let message = fields
                        .values()
                        .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                        .filter_map(|m| m.as_str().map(str::to_string))
                        .collect::<Vec<_>>()
                        .join("; ");
                    self.errors
                        .push(format!("Validation error for task from {key}: {message}"));
                }
                other => other?,
            }
            start = end;
        }
        Ok(())
    }

    async fn write_once(
        &mut self,
        project: &project::Model,
        batch: &[Pending],
        values: Vec<Value>,
    ) -> CoreResult<()> {
        let items = values
            .into_iter()
            .map(|value| RawItem {
                item: ItemJson::Parsed(value),
                file_upload_id: None,
            })
            .collect();
        let txn = self.db.write_unbounded().await?;
        let imported =
            import::import(&txn, project, project.organization_id, self.user_id, items).await?;
        let links = batch
            .iter()
            .zip(&imported.task_ids)
            .map(|(pending, task_id)| NewLink {
                task_id: *task_id,
                key: pending.key.clone(),
                row_index: pending.row_index,
                version: pending.version.clone(),
            })
            .collect();
        queries::storages::link(&*txn, self.storage.id, links, time::now()).await?;
        txn.commit().await?;
        self.created += imported.task_ids.len() as u64;
        Ok(())
    }
}

/// How objects of one storage become tasks.
struct Reading {
    kind: Kind,
    use_blob_urls: bool,
    bucket: String,
    local_root: std::path::PathBuf,
    /// Bring tasks up to date when their object changed (Tessera's `update_changed_tasks`).
    refresh_changed: bool,
}

/// The extensions a task file may have (one without an extension is read as JSON too).
const TASK_EXTENSIONS: [&str; 3] = ["json", "jsonl", "parquet"];

impl Reading {
    /// The task data of an object in "files" mode: its URI under the first data key.
    fn blob_task(&self, key: &str) -> Value {
        let uri = match self.kind {
            Kind::LocalFiles => {
                let relative = std::path::Path::new(key)
                    .strip_prefix(&self.local_root)
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_else(|_| key.to_string());
                format!(
                    "/data/local-files/?d={}",
                    percent_encoding::utf8_percent_encode(&relative, PATH_QUOTE)
                )
            }
            kind => format!(
                "{}://{}/{key}",
                kind.scheme().unwrap_or_default(),
                self.bucket
            ),
        };
        json!({"data": {UNDEFINED_KEY: uri}})
    }

    /// The tasks an object holds.
    async fn tasks_of(&self, remote: &Remote, key: &str) -> CoreResult<Vec<Value>> {
        if self.use_blob_urls {
            return Ok(vec![self.blob_task(key)]);
        }
        let name = key.rsplit('/').next().unwrap_or(key).to_lowercase();
        if let Some((_, extension)) = name.rsplit_once('.').filter(|(stem, _)| !stem.is_empty()) {
            if !TASK_EXTENSIONS.contains(&extension) {
                return Err(CoreError::BadRequest(format!(
                    "File \"{key}\" is not a JSON/JSONL/Parquet file. Only .json, .jsonl, and .parquet files can be processed.\nIf you're trying to import non-JSON data (images, audio, text, etc.), edit storage settings and enable \"Files\" import method"
                )));
            }
        }
        let bytes = remote
            .get(key)
            .await
            .map_err(|err| CoreError::BadRequest(err.to_string()))?;
        parse_tasks(key, &bytes)
    }
}

/// What Label Studio's `quote` leaves as is in a path.
const PATH_QUOTE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

/// The tasks in an object's body: a JSON list (one task per item), one JSON object, or JSON
/// lines.
fn parse_tasks(key: &str, bytes: &Bytes) -> CoreResult<Vec<Value>> {
    let refused = || {
        CoreError::BadRequest(format!(
            "Can't import JSON-formatted tasks from {key}. If you're trying to import binary objects, perhaps you forgot to enable \"Files\" import method?"
        ))
    };
    let text = std::str::from_utf8(bytes).map_err(|_| refused())?;
    let tasks = match text.trim_start().chars().next() {
        Some('[') => match serde_json::from_str::<Value>(text).map_err(|_| refused())? {
            Value::Array(items) => items,
            _ => return Err(refused()),
        },
        Some('{') => match serde_json::from_str::<Value>(text) {
            Ok(one) => vec![one],
            Err(_) => text
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(|line| serde_json::from_str(line).map_err(|_| refused()))
                .collect::<CoreResult<Vec<Value>>>()?,
        },
        _ => return Err(refused()),
    };
    if tasks.iter().any(|task| !task.is_object()) {
        return Err(refused());
    }
    Ok(tasks)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use serde_json::json;

    use super::parse_tasks;

    #[test]
    fn objects_hold_a_task_a_list_or_json_lines() {
        let parse = |text: &str| parse_tasks("k", &Bytes::from(text.to_string()));
        assert_eq!(
            parse(r#"{"text": "one"}"#).unwrap(),
            vec![json!({"text": "one"})]
        );
        assert_eq!(parse(r#" [{"a": 1}, {"a": 2}]"#).unwrap().len(), 2);
        assert_eq!(parse("{\"a\": 1}\n\n{\"a\": 2}\n").unwrap().len(), 2);
        assert!(parse("").is_err());
        assert!(parse("{bad").is_err());
        assert!(parse(r#"["not an object"]"#).is_err());
    }
}
