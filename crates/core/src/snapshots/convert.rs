//! A snapshot in another format: converted from the snapshot's own file (the data as it was when
//! the snapshot was made) as the file is read, on the fly for a download or once by a conversion
//! job.

use std::collections::BTreeSet;

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{json, Map, Value};
use tessera_db::entities::{export_snapshot, project};
use tessera_db::{queries, Db};
use tessera_formats::export::{self as flat, CsvStyle, Format, RowAnnotation};
use tessera_jobs::{Done, JobContext, JobError};
use tessera_labelconfig::LabelConfig;
use tessera_storage::Media;

use crate::error::{CoreError, CoreResult};
use crate::export::files::{self, tasks_of, TaskStream};
use crate::export::media::MediaReader;
use crate::export::{config_for, Export};
use crate::storages::connect::StorageEnv;

/// The job kind that converts a snapshot (`{"conversion": id}`).
pub const JOB: &str = "export.convert";

/// The flat rows of a task as the snapshot holds it.
fn rows_of(config: &LabelConfig, task: &Value) -> (Map<String, Value>, Vec<Map<String, Value>>) {
    let data = task["data"].as_object().cloned().unwrap_or_default();
    let annotations = task["annotations"].as_array().cloned().unwrap_or_default();
    let text = |a: &Value, key: &str| a[key].as_str().unwrap_or_default().to_string();
    let rows: Vec<RowAnnotation> = annotations
        .iter()
        .map(|a| RowAnnotation {
            id: a["id"].as_i64().unwrap_or_default(),
            // `completed_by` is an id, or the user when the snapshot expanded it.
            completed_by: a["completed_by"]
                .as_i64()
                .or_else(|| a["completed_by"]["id"].as_i64()),
            result: &a["result"],
            was_cancelled: a["was_cancelled"].as_bool().unwrap_or(false),
            created_at: text(a, "created_at"),
            updated_at: text(a, "updated_at"),
            lead_time: a["lead_time"].as_f64(),
        })
        .collect();
    let rows = flat::task_rows(
        config,
        task["id"].as_i64().unwrap_or_default(),
        &data,
        &rows,
    );
    (data, rows)
}

/// The tasks of a stored snapshot, read as its bytes arrive.
async fn tasks(media: &Media, file: &str) -> std::io::Result<TaskStream> {
    let (_, body) = media.stream(file).await.map_err(std::io::Error::other)?;
    Ok(tasks_of(
        body.map(|chunk| chunk.map_err(std::io::Error::other)),
    ))
}

/// What converting a snapshot needs besides the snapshot: where files are and what reads media.
#[derive(Clone)]
pub struct Converting {
    pub db: Db,
    pub media: Media,
    pub env: StorageEnv,
}

/// The snapshot stored under `file` written in `format`: the flat formats converted from the
/// file as it is read (CSV and TSV read it twice: columns first, then rows), the file formats
/// through their converters.
pub async fn export(
    with: &Converting,
    project: project::Model,
    file: String,
    format: Format,
    download_resources: bool,
) -> CoreResult<Export> {
    let config = config_for(&project, format)?;
    if !format.is_flat() {
        let reader = MediaReader::new(
            with.db.clone(),
            with.media.clone(),
            with.env.clone(),
            project.id,
            project.organization_id,
        );
        let tasks = tasks(&with.media, &file)
            .await
            .map_err(anyhow::Error::from)?;
        return files::convert(tasks, config, format, download_resources, reader).await;
    }
    Ok(Export {
        extension: format.extension(),
        content_type: format.content_type(),
        body: flat(with.media.clone(), config, file, format).boxed(),
    })
}

/// A snapshot in a flat format, as a stream of bytes.
fn flat(
    media: Media,
    config: LabelConfig,
    file: String,
    format: Format,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    async_stream::try_stream! {
        if format == Format::Json {
            let (_, mut body) = media.stream(&file).await.map_err(std::io::Error::other)?;
            while let Some(chunk) = body.next().await {
                yield chunk.map_err(std::io::Error::other)?;
            }
            return;
        }
        if format == Format::JsonMin {
            yield Bytes::from_static(b"[\n");
            let mut first = true;
            let mut reader = tasks(&media, &file).await?;
            while let Some(tasks) = reader.next().await {
                let mut out = Vec::new();
                for task in &tasks? {
                    for row in rows_of(&config, task).1 {
                        if !first {
                            out.extend_from_slice(b",\n");
                        }
                        first = false;
                        out.extend_from_slice(&flat::json_min_record(&row));
                    }
                }
                if !out.is_empty() {
                    yield Bytes::from(out);
                }
            }
            yield Bytes::from_static(b"\n]");
            return;
        }
        let controls: BTreeSet<String> = config.controls.keys().cloned().collect();
        let style = CsvStyle {
            separator: if format == Format::Tsv { '\t' } else { ',' },
            escape_formulas: true,
        };
        let mut set = BTreeSet::new();
        let mut reader = tasks(&media, &file).await?;
        while let Some(tasks) = reader.next().await {
            for task in &tasks? {
                let (data, rows) = rows_of(&config, task);
                flat::csv_columns(&mut set, &data, &rows, &controls);
            }
        }
        if set.is_empty() {
            set.extend(flat::EMPTY_COLUMNS.map(String::from));
        }
        let columns: Vec<String> = set.into_iter().collect();
        yield Bytes::from(flat::csv_header(&columns, style));
        let mut reader = tasks(&media, &file).await?;
        while let Some(tasks) = reader.next().await {
            let mut out = String::new();
            for task in &tasks? {
                let (data, rows) = rows_of(&config, task);
                for row in &rows {
                    out.push_str(&flat::csv_line(&columns, row, &data, &controls, style));
                }
            }
            if !out.is_empty() {
                yield Bytes::from(out);
            }
        }
    }
}

/// The media key of a snapshot's conversion: beside the snapshot, with the format's name and
/// the output's extension.
pub(super) fn converted_key(
    snapshot: &export_snapshot::Model,
    format: Format,
    extension: &str,
) -> String {
    let file = snapshot.file.clone().unwrap_or_default();
    let stem = file.strip_suffix(".json").unwrap_or(&file);
    format!("{stem}-{}.{extension}", format.name())
}

/// Runs a conversion job (`{"conversion", "download_resources"}`): the conversion ends
/// `completed` with its file, or `failed`.
pub async fn run(ctx: JobContext, with: Converting) -> Result<Done, JobError> {
    let id = ctx.payload()["conversion"].as_i64().unwrap_or_default();
    let download_resources = ctx.payload()["download_resources"]
        .as_bool()
        .unwrap_or(false);
    let db = ctx.db().clone();
    let Some(conversion) = queries::export_snapshots::find_conversion(db.conn(), id).await? else {
        return Ok(ctx.done(json!({"skipped": "the conversion is gone"})));
    };
    set(&db, id, "in_progress", None, None).await?;
    let stored = convert_stored(
        &with,
        conversion.snapshot_id,
        &conversion.export_type,
        download_resources,
    )
    .await;
    match stored {
        Ok(file) => {
            if !set(&db, id, "completed", Some(file.clone()), None).await? {
                // Deleted with its snapshot while it was being written: its file goes too.
                with.media.delete(&file).await.ok();
            }
        }
        Err(err) => {
            set(&db, id, "failed", None, Some(err.to_string())).await?;
        }
    }
    Ok(ctx.done(json!({"conversion": id})))
}

/// Records a conversion's state; `false` when it is gone.
async fn set(
    db: &Db,
    id: i64,
    status: &str,
    file: Option<String>,
    traceback: Option<String>,
) -> Result<bool, JobError> {
    let txn = db.write().await?;
    let kept =
        queries::export_snapshots::set_conversion(&*txn, id, status, file, traceback).await?;
    txn.commit().await?;
    Ok(kept)
}

/// Converts a stored snapshot and stores the result; its media key.
async fn convert_stored(
    with: &Converting,
    snapshot_id: i64,
    export_type: &str,
    download_resources: bool,
) -> CoreResult<String> {
    let db = &with.db;
    let snapshot = queries::export_snapshots::find(db.conn(), snapshot_id)
        .await?
        .ok_or_else(|| CoreError::no_match("Export"))?;
    let file = snapshot
        .file
        .as_deref()
        .ok_or_else(|| CoreError::BadRequest("The export has no file to convert.".into()))?;
    let format = Format::parse(export_type).ok_or_else(|| {
        CoreError::BadRequest(format!("{export_type} is not supported export format"))
    })?;
    let project = queries::projects::find_by_id(db.conn(), snapshot.project_id)
        .await?
        .ok_or_else(|| CoreError::no_match("Project"))?;
    let converted = export(with, project, file.to_string(), format, download_resources).await?;
    let key = converted_key(&snapshot, format, converted.extension);
    let mut out = with.media.writer(&key).await.map_err(anyhow::Error::from)?;
    let mut body = converted.body;
    let written: CoreResult<()> = async {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(anyhow::Error::from)?;
            out.write(&chunk).await.map_err(anyhow::Error::from)?;
        }
        Ok(())
    }
    .await;
    match written {
        Ok(()) => out.finish().await.map_err(anyhow::Error::from)?,
        Err(err) => {
            out.abort().await.ok();
            return Err(err);
        }
    }
    Ok(key)
}
