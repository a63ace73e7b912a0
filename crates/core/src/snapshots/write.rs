//! Writing a snapshot's file, as a background job: the project's tasks in id order, a batch at
//! a time, filtered and rendered as the snapshot's options say, streamed into media (memory
//! stays flat whatever the size) with its MD5 computed on the way.

use std::collections::HashMap;

use md5::{Digest, Md5};
use serde_json::{json, Value};
use tessera_db::entities::{annotation, export_snapshot, project, task};
use tessera_db::queries::export_snapshots::Finished;
use tessera_db::{queries, time, Db};
use tessera_formats::video::interpolate_key_frames;
use tessera_jobs::{Done, JobContext, JobError};
use tessera_storage::Media;

use super::options::{AnnotationFilter, Only, Options, TaskFilter};
use crate::error::{CoreError, CoreResult};
use crate::payload::{
    basename, draft_out, export_annotation_out, export_task_out, first_data_key, prediction_out,
    Users,
};

/// The job kind that writes a snapshot (`{"snapshot": id}`).
pub const JOB: &str = "export.snapshot";

/// Tasks read at once.
const BATCH: u64 = 1_000;

/// How often a snapshot being written records how far it got.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// A snapshot's `counters`: the tasks it holds.
fn counters(tasks: u64) -> String {
    json!({ "task_number": tasks }).to_string()
}

/// Runs a snapshot job: the snapshot ends `completed` with its file, or `failed` with the
/// reason. A snapshot already finished (a job run again after a crash) is left alone.
pub async fn run(ctx: JobContext, media: Media) -> Result<Done, JobError> {
    let id = ctx.payload()["snapshot"].as_i64().unwrap_or_default();
    let db = ctx.db().clone();
    let Some(snapshot) = queries::export_snapshots::find(db.conn(), id).await? else {
        return Ok(ctx.done(json!({"skipped": "the snapshot is gone"})));
    };
    if matches!(snapshot.status.as_str(), "completed" | "failed") {
        return Ok(ctx.done(json!({"skipped": "already finished"})));
    }
    queries::export_snapshots::start(db.conn(), id).await?;
    let finished = match write(&db, &media, &snapshot, &ctx).await {
        Ok(written) => Finished::Completed {
            file: written.file,
            md5: written.md5,
            counters: counters(written.tasks),
        },
        Err(err) => Finished::Failed(err.to_string()),
    };
    let file = match &finished {
        Finished::Completed { file, .. } => Some(file.clone()),
        Finished::Failed(_) => None,
    };
    let txn = db.write().await?;
    let kept = queries::export_snapshots::finish(&*txn, id, finished, time::now()).await?;
    txn.commit().await?;
    if let (false, Some(file)) = (kept, file) {
        // Deleted while it was being written: its file goes too.
        media.delete(&file).await.ok();
    }
    Ok(ctx.done(json!({"snapshot": id})))
}

/// A written file.
struct Written {
    file: String,
    md5: String,
    tasks: u64,
}

/// The media key of a snapshot's file: `export/<project>/project-<project>-at-<time>-<id>.json`.
fn file_key(snapshot: &export_snapshot::Model) -> String {
    format!(
        "export/{project}/project-{project}-at-{}-{}.json",
        snapshot.created_at.format("%Y-%m-%d-%H-%M"),
        snapshot.id,
        project = snapshot.project_id,
    )
}

async fn write(
    db: &Db,
    media: &Media,
    snapshot: &export_snapshot::Model,
    ctx: &JobContext,
) -> CoreResult<Written> {
    let project = queries::projects::find_by_id(db.conn(), snapshot.project_id)
        .await?
        .ok_or_else(|| CoreError::no_match("Project"))?;
    let options: Options = serde_json::from_str(&snapshot.options).unwrap_or_default();
    let only_ids = match options.tasks.as_ref().and_then(|t| t.view) {
        Some(view) => crate::dm::view_task_ids(db.conn(), project.id, view).await?,
        None => None,
    };
    let file = file_key(snapshot);
    let mut sink = Sink {
        out: media.writer(&file).await.map_err(anyhow::Error::from)?,
        digest: Md5::new(),
    };
    match write_tasks(
        db,
        snapshot.id,
        &project,
        &options,
        only_ids.as_deref(),
        &mut sink,
        ctx,
    )
    .await
    {
        Ok(tasks) => {
            let md5 = hex::encode(sink.digest.finalize());
            sink.out.finish().await.map_err(anyhow::Error::from)?;
            Ok(Written { file, md5, tasks })
        }
        Err(err) => {
            sink.out.abort().await.ok();
            Err(err)
        }
    }
}

/// Where a snapshot's bytes go, hashed on the way.
struct Sink {
    out: tessera_storage::MediaWriter,
    digest: Md5,
}

impl Sink {
    async fn emit(&mut self, bytes: &[u8]) -> CoreResult<()> {
        self.digest.update(bytes);
        self.out.write(bytes).await.map_err(anyhow::Error::from)?;
        Ok(())
    }
}

/// Writes the JSON list of the snapshot's tasks; how many were written.
async fn write_tasks(
    db: &Db,
    snapshot_id: i64,
    project: &project::Model,
    options: &Options,
    only_ids: Option<&[i64]>,
    sink: &mut Sink,
    ctx: &JobContext,
) -> CoreResult<u64> {
    let mut tasks = 0;
    let mut after = 0;
    let mut last_progress = std::time::Instant::now();
    sink.emit(b"[").await?;
    loop {
        let batch = next_batch(db, project, after, only_ids).await?;
        let Some(last) = batch.last() else {
            break;
        };
        after = last.id;
        let mut text = Vec::new();
        for task in render(db, project, options, batch).await? {
            if tasks > 0 {
                text.push(b',');
            }
            serde_json::to_writer(&mut text, &task).map_err(anyhow::Error::from)?;
            tasks += 1;
        }
        sink.emit(&text).await?;
        if last_progress.elapsed() >= PROGRESS_EVERY {
            last_progress = std::time::Instant::now();
            // The counters say how far it got while it runs.
            let txn = db.write().await?;
            queries::export_snapshots::set_counters(&*txn, snapshot_id, counters(tasks)).await?;
            txn.commit().await?;
            ctx.progress(json!({"tasks": tasks}))
                .await
                .map_err(|err| CoreError::Internal(anyhow::anyhow!(err.to_string())))?;
        }
    }
    sink.emit(b"]").await?;
    Ok(tasks)
}

/// The next tasks after `after`, of the view's ids when a view narrows them.
async fn next_batch(
    db: &Db,
    project: &project::Model,
    after: i64,
    only_ids: Option<&[i64]>,
) -> CoreResult<Vec<task::Model>> {
    let ids = next_ids(only_ids, after);
    if ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Vec::new());
    }
    Ok(
        queries::tasks::batch_after(db.conn(), project.id, after, BATCH, false, ids.as_deref())
            .await?,
    )
}

/// The next batch of a view's ids after `after` (none without a view).
fn next_ids(only_ids: Option<&[i64]>, after: i64) -> Option<Vec<i64>> {
    let ids = only_ids?;
    let start = ids.partition_point(|id| *id <= after);
    Some(ids[start..].iter().copied().take(BATCH as usize).collect())
}

/// Whether a task passes `filter`, judged on all its annotations.
fn task_passes(filter: &TaskFilter, task: &task::Model, annotations: &[annotation::Model]) -> bool {
    let wants = |rule: Option<Only>, has: bool| match rule {
        None => true,
        Some(Only::Only) => has,
        Some(Only::Exclude) => !has,
    };
    wants(filter.skipped, annotations.iter().any(|a| a.was_cancelled))
        && wants(filter.finished, task.is_labeled)
        && wants(
            filter.annotated,
            annotations.iter().any(|a| !a.was_cancelled),
        )
}

/// Whether an annotation is of a kind `filter` chose (every annotation when none is chosen).
fn annotation_passes(filter: &AnnotationFilter, a: &annotation::Model) -> bool {
    if !(filter.usual || filter.ground_truth || filter.skipped) {
        return true;
    }
    (filter.usual && !a.was_cancelled && !a.ground_truth)
        || (filter.ground_truth && a.ground_truth)
        || (filter.skipped && a.was_cancelled)
}

/// The users the kept annotations and the drafts name.
fn authors_of(
    kept: &[(task::Model, Vec<annotation::Model>)],
    drafts: &[tessera_db::entities::draft::Model],
) -> Vec<Option<i64>> {
    kept.iter()
        .flat_map(|(_, list)| list.iter().map(|a| a.completed_by_id))
        .chain(drafts.iter().map(|d| Some(d.user_id)))
        .collect()
}

/// Renders a batch of tasks as the snapshot writes them, leaving out filtered tasks.
async fn render(
    db: &Db,
    project: &project::Model,
    options: &Options,
    tasks: Vec<task::Model>,
) -> CoreResult<Vec<Value>> {
    let conn = db.conn();
    let ids: Vec<i64> = tasks.iter().map(|t| t.id).collect();
    let mut annotations: HashMap<i64, Vec<annotation::Model>> = HashMap::new();
    for a in queries::annotations::of_tasks(conn, &ids).await? {
        annotations.entry(a.task_id).or_default().push(a);
    }
    let kept: Vec<(task::Model, Vec<annotation::Model>)> = tasks
        .into_iter()
        .filter_map(|t| {
            let all = annotations.remove(&t.id).unwrap_or_default();
            if let Some(filter) = &options.tasks {
                if !task_passes(filter, &t, &all) {
                    return None;
                }
            }
            let chosen: Vec<annotation::Model> = match &options.annotations {
                Some(filter) => all
                    .into_iter()
                    .filter(|a| annotation_passes(filter, a))
                    .collect(),
                None => all,
            };
            let only_with = options
                .tasks
                .as_ref()
                .is_some_and(|f| f.only_with_annotations);
            (!only_with || !chosen.is_empty()).then_some((t, chosen))
        })
        .collect();
    let kept_ids: Vec<i64> = kept.iter().map(|(t, _)| t.id).collect();
    let drafts = queries::drafts::of_tasks(conn, &kept_ids).await?;
    let predictions = queries::predictions::of_tasks(conn, &kept_ids).await?;
    let authors = authors_of(&kept, &drafts);
    let users = Users::load(conn, authors).await?;
    let upload_ids: Vec<i64> = kept.iter().filter_map(|(t, _)| t.file_upload_id).collect();
    let uploads: HashMap<i64, String> = queries::file_uploads::find_many(conn, &upload_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, basename(&u.file)))
        .collect();
    let now = time::now();
    let mut drafts_of: HashMap<i64, Vec<Value>> = HashMap::new();
    for d in drafts {
        let task_id = d.task_id;
        let value = if options.serialization.drafts {
            serde_json::to_value(draft_out(d, &users, &now)).map_err(anyhow::Error::from)?
        } else {
            Value::from(d.id)
        };
        drafts_of.entry(task_id).or_default().push(value);
    }
    let mut predictions_of: HashMap<i64, Vec<Value>> = HashMap::new();
    for p in predictions {
        let task_id = p.task_id;
        let value = if options.serialization.predictions {
            serde_json::to_value(prediction_out(p, &now)).map_err(anyhow::Error::from)?
        } else {
            Value::from(p.id)
        };
        predictions_of.entry(task_id).or_default().push(value);
    }
    let first_key = first_data_key(project);
    let interpolate =
        options.serialization.interpolate_key_frames && crate::export::tracks_video(project);
    kept.into_iter()
        .map(|(t, list)| {
            let rendered = list
                .iter()
                .map(|a| {
                    let mut out = export_annotation_out(
                        a,
                        a.completed_by_id.and_then(|id| users.get(id)),
                        !options.serialization.completed_by,
                    );
                    if let (true, Value::Array(results)) = (interpolate, &out.result) {
                        out.result = Value::Array(interpolate_key_frames(results));
                    }
                    out
                })
                .collect();
            let upload = t.file_upload_id.and_then(|id| uploads.get(&id).cloned());
            let mut out = export_task_out(&t, rendered, upload, Vec::new(), first_key.as_deref());
            out.drafts = drafts_of.remove(&t.id).unwrap_or_default();
            let mut value = serde_json::to_value(out).map_err(anyhow::Error::from)?;
            value["predictions"] = Value::Array(predictions_of.remove(&t.id).unwrap_or_default());
            Ok(value)
        })
        .collect()
}
