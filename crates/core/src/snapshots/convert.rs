//! A snapshot in another format: converted from the snapshot's own file (the data as it was when
//! the snapshot was made), on the fly for a download or once by a conversion job.

use std::collections::BTreeSet;

use bytes::Bytes;
use serde_json::{json, Map, Value};
use tessera_db::entities::{export_snapshot, project};
use tessera_db::{queries, Db};
use tessera_formats::export::{self as flat, CsvStyle, Format, RowAnnotation};
use tessera_jobs::{Done, JobContext, JobError};
use tessera_labelconfig::LabelConfig;
use tessera_storage::Media;

use crate::error::{CoreError, CoreResult};

/// The job kind that converts a snapshot (`{"conversion": id}`).
pub const JOB: &str = "export.convert";

/// The columns of a CSV/TSV export without any (Label Studio's).
const EMPTY_COLUMNS: [&str; 5] = [
    "annotation_id",
    "annotator",
    "created_at",
    "lead_time",
    "updated_at",
];

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

/// The snapshot's tasks (its JSON file) written in `format`.
pub fn convert(project: &project::Model, snapshot: &[u8], format: Format) -> CoreResult<Bytes> {
    if format == Format::Json {
        return Ok(Bytes::copy_from_slice(snapshot));
    }
    let tasks: Vec<Value> = serde_json::from_slice(snapshot)
        .map_err(|err| CoreError::BadRequest(format!("the snapshot cannot be read: {err}")))?;
    let config = LabelConfig::parse(&project.label_config)
        .unwrap_or_else(|_| LabelConfig::parse("<View></View>").expect("empty config parses"));
    let converted: Vec<_> = tasks.iter().map(|task| rows_of(&config, task)).collect();
    let mut out = Vec::new();
    match format {
        Format::Json => {}
        Format::JsonMin => {
            out.extend_from_slice(b"[\n");
            let records: Vec<Vec<u8>> = converted
                .iter()
                .flat_map(|(_, rows)| rows.iter().map(flat::json_min_record))
                .collect();
            out.extend_from_slice(&records.join(&b",\n"[..]));
            out.extend_from_slice(b"\n]");
        }
        Format::Csv | Format::Tsv => {
            let controls: BTreeSet<String> = config.controls.keys().cloned().collect();
            let style = CsvStyle {
                separator: if format == Format::Tsv { '\t' } else { ',' },
                escape_formulas: true,
            };
            let mut set = BTreeSet::new();
            for (data, rows) in &converted {
                flat::csv_columns(&mut set, data, rows, &controls);
            }
            if set.is_empty() {
                set.extend(EMPTY_COLUMNS.map(String::from));
            }
            let columns: Vec<String> = set.into_iter().collect();
            out.extend_from_slice(flat::csv_header(&columns, style).as_bytes());
            for (data, rows) in &converted {
                for row in rows {
                    out.extend_from_slice(
                        flat::csv_line(&columns, row, data, &controls, style).as_bytes(),
                    );
                }
            }
        }
    }
    Ok(Bytes::from(out))
}

/// The media key of a snapshot's conversion: beside the snapshot, with the format's extension.
pub(super) fn converted_key(snapshot: &export_snapshot::Model, format: Format) -> String {
    let file = snapshot.file.clone().unwrap_or_default();
    let stem = file.strip_suffix(".json").unwrap_or(&file);
    format!("{stem}-{}.{}", format.name(), format.extension())
}

/// Runs a conversion job: the conversion ends `completed` with its file, or `failed`.
pub async fn run(ctx: JobContext, media: Media) -> Result<Done, JobError> {
    let id = ctx.payload()["conversion"].as_i64().unwrap_or_default();
    let db = ctx.db().clone();
    let Some(conversion) = queries::export_snapshots::find_conversion(db.conn(), id).await? else {
        return Ok(ctx.done(json!({"skipped": "the conversion is gone"})));
    };
    set(&db, id, "in_progress", None, None).await?;
    match convert_stored(&db, &media, conversion.snapshot_id, &conversion.export_type).await {
        Ok(file) => set(&db, id, "completed", Some(file), None).await?,
        Err(err) => set(&db, id, "failed", None, Some(err.to_string())).await?,
    }
    Ok(ctx.done(json!({"conversion": id})))
}

async fn set(
    db: &Db,
    id: i64,
    status: &str,
    file: Option<String>,
    traceback: Option<String>,
) -> Result<(), JobError> {
    let txn = db.write().await?;
    queries::export_snapshots::set_conversion(&*txn, id, status, file, traceback).await?;
    txn.commit().await?;
    Ok(())
}

/// Converts a stored snapshot and stores the result; its media key.
async fn convert_stored(
    db: &Db,
    media: &Media,
    snapshot_id: i64,
    export_type: &str,
) -> CoreResult<String> {
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
    let bytes = media.get(file).await.map_err(anyhow::Error::from)?;
    let converted = convert(&project, &bytes, format)?;
    let key = converted_key(&snapshot, format);
    media
        .put(&key, converted)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(key)
}
