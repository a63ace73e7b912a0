//! Export storages: every annotation saved is written to the bucket by a background job
//! (`<prefix>/<annotation id>`, Label Studio's object layout and body), never in the request that
//! saved it; objects of deleted annotations are removed when `can_delete_objects` says so; a
//! sync writes every annotation again.

use std::collections::HashMap;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use sea_orm::ConnectionTrait;
use serde_json::{json, Map, Value};
use tessera_db::entities::{project, storage};
use tessera_db::{queries, time, Db};
use tessera_jobs::{Done, JobContext, JobError, NewJob};
use tessera_storage::remote::Remote;

use super::connect::{self, StorageEnv, Values};
use super::kinds::{Direction, Kind};
use super::{kind_of, object_of};
use crate::error::{CoreError, CoreResult};
use crate::payload::{first_data_key, storage_annotation_out, Users};

/// The job kind that writes a project's changed annotations to one export storage.
pub const JOB: &str = "storage.export";

/// Annotations read and written at once.
const PAGE: u64 = 200;

/// Asks each export storage of the project to write what changed (in the caller's
/// transaction, so that nothing is asked for a change that is rolled back); one waiting job per
/// storage covers any number of changes.
pub async fn annotations_changed<C: ConnectionTrait>(conn: &C, project_id: i64) -> CoreResult<()> {
    for storage_id in queries::storages::export_storage_ids(conn, project_id).await? {
        let job = NewJob::new(JOB, json!({"storage": storage_id}))
            .singleton(&format!("{JOB}:{storage_id}"));
        tessera_jobs::queue::enqueue(conn, job).await?;
    }
    Ok(())
}

/// Runs an export job: writes the storage's changed annotations and removes what it must.
pub async fn run(ctx: JobContext, env: StorageEnv) -> Result<Done, JobError> {
    let storage_id = ctx.payload()["storage"].as_i64().unwrap_or_default();
    let db = ctx.db().clone();
    let Some(storage) = queries::storages::find(db.conn(), storage_id).await? else {
        return Ok(ctx.done(json!({"skipped": "the storage is gone"})));
    };
    match write(&db, &env, &storage, false).await {
        Ok(written) => Ok(ctx.done(json!({"written": written}))),
        // The bucket may come back: try again later (the job's attempts and backoff).
        Err(err) => Err(JobError::Retry(err.to_string())),
    }
}

/// The key of an annotation's object: `<prefix>/<id>` (local files: in the storage's folder;
/// Redis: the id).
fn key_of(kind: Kind, values: &Values, annotation_id: i64) -> String {
    match kind {
        Kind::Redis => annotation_id.to_string(),
        Kind::LocalFiles => format!(
            "{}/{annotation_id}",
            values
                .text("path")
                .map(|p| connect::normalize_path(&p))
                .unwrap_or_default()
                .trim_end_matches('/')
        ),
        _ => match values.prefix() {
            Some(prefix) => format!("{prefix}/{annotation_id}"),
            None => annotation_id.to_string(),
        },
    }
}

/// Writes the annotations the storage does not have as they are (all of them when `all`),
/// then removes or forgets the objects of deleted annotations; how many were written.
pub(super) async fn write(
    db: &Db,
    env: &StorageEnv,
    storage: &storage::Model,
    all: bool,
) -> CoreResult<u64> {
    let mut writer = Writer::open(db, env, storage, all).await?;
    while writer.page(db, storage).await? {}
    writer.finish(db, storage).await
}

/// An export storage's writing, a page of annotations at a time (a sync reports progress
/// between pages).
pub(super) struct Writer {
    remote: Remote,
    kind: Kind,
    settings: Map<String, Value>,
    secrets: Map<String, Value>,
    project: project::Model,
    all: bool,
    /// The last annotation id written.
    after: i64,
    /// Objects written so far.
    pub(super) written: u64,
}

impl Writer {
    /// Connects to the storage's bucket.
    pub(super) async fn open(
        db: &Db,
        env: &StorageEnv,
        storage: &storage::Model,
        all: bool,
    ) -> CoreResult<Writer> {
        let kind = kind_of(storage);
        let settings = object_of(&storage.settings);
        let secrets = connect::unseal(storage.secrets.as_deref(), &env.sealer)?;
        let remote = connect::connect(&Writer::values_of(kind, &settings, &secrets), env)?;
        let project = queries::projects::find_by_id(db.conn(), storage.project_id)
            .await?
            .ok_or_else(|| CoreError::no_match("Project"))?;
        Ok(Writer {
            remote,
            kind,
            settings,
            secrets,
            project,
            all,
            after: 0,
            written: 0,
        })
    }

    fn values_of<'a>(
        kind: Kind,
        settings: &'a Map<String, Value>,
        secrets: &'a Map<String, Value>,
    ) -> Values<'a> {
        Values {
            kind,
            direction: Direction::Export,
            settings,
            secrets,
        }
    }

    /// Writes the next page of annotations; `false` when none was left.
    pub(super) async fn page(&mut self, db: &Db, storage: &storage::Model) -> CoreResult<bool> {
        let annotations = queries::storages::annotations_to_export(
            db.conn(),
            storage.id,
            self.project.id,
            self.all,
            self.after,
            PAGE,
        )
        .await?;
        let Some(last) = annotations.last() else {
            return Ok(false);
        };
        self.after = last.id;
        let values = Writer::values_of(self.kind, &self.settings, &self.secrets);
        self.written += write_page(
            db,
            &self.remote,
            self.kind,
            &values,
            storage,
            &self.project,
            annotations,
        )
        .await?;
        Ok(true)
    }

    /// Removes (with `can_delete_objects`) or forgets the objects of deleted annotations;
    /// how many objects were written in all.
    pub(super) async fn finish(self, db: &Db, storage: &storage::Model) -> CoreResult<u64> {
        let delete_objects = self
            .settings
            .get("can_delete_objects")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        for gone in queries::storages::exports_of_deleted(db.conn(), storage.id).await? {
            if delete_objects {
                self.remote
                    .delete(&gone.key)
                    .await
                    .map_err(|err| CoreError::Upstream(err.to_string()))?;
            }
            let txn = db.write().await?;
            queries::storages::forget_export(&*txn, gone.id).await?;
            txn.commit().await?;
        }
        Ok(self.written)
    }
}

/// Objects written to a bucket at once.
const CONCURRENT_WRITES: usize = 16;

/// Writes one page of annotations (several objects at once), then records the objects written
/// in one transaction.
async fn write_page(
    db: &Db,
    remote: &Remote,
    kind: Kind,
    values: &Values<'_>,
    storage: &storage::Model,
    project: &project::Model,
    annotations: Vec<tessera_db::entities::annotation::Model>,
) -> CoreResult<u64> {
    let task_ids: Vec<i64> = annotations.iter().map(|a| a.task_id).collect();
    let tasks: HashMap<i64, _> = queries::tasks::find_many(db.conn(), &task_ids)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let users = Users::load(db.conn(), annotations.iter().map(|a| a.completed_by_id)).await?;
    let first_key = first_data_key(project);
    let now = time::now();
    let mut objects = Vec::with_capacity(annotations.len());
    for annotation in &annotations {
        let Some(task) = tasks.get(&annotation.task_id) else {
            continue;
        };
        let body = storage_annotation_out(annotation, task, first_key.as_deref(), &users, &now);
        let bytes = if kind == Kind::LocalFiles {
            serde_json::to_vec_pretty(&body)
        } else {
            serde_json::to_vec(&body)
        }
        .map_err(anyhow::Error::from)?;
        objects.push((
            annotation,
            key_of(kind, values, annotation.id),
            Bytes::from(bytes),
        ));
    }
    let puts: Vec<(Remote, String, Bytes)> = objects
        .iter()
        .map(|(_, key, bytes)| (remote.clone(), key.clone(), bytes.clone()))
        .collect();
    futures_util::stream::iter(puts)
        .map(|(remote, key, bytes)| async move {
            remote
                .put(&key, bytes)
                .await
                .map_err(|err| CoreError::Upstream(err.to_string()))
        })
        .buffer_unordered(CONCURRENT_WRITES)
        .try_collect::<Vec<()>>()
        .await?;
    let txn = db.write().await?;
    for (annotation, key, _) in &objects {
        queries::storages::record_export(
            &*txn,
            storage.id,
            annotation.id,
            key,
            annotation.updated_at,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(objects.len() as u64)
}
