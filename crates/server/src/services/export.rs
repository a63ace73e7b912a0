//! Streaming exports: tasks are read in id order, a batch at a time, and written to the response
//! as they are converted, so memory stays flat however large the project is.
//!
//! JSON copies the stored JSON text of data, results and prediction snapshots straight into the
//! output (no parse and re-serialize). JSON_MIN writes one record per annotation. CSV/TSV need
//! their columns before the first row, so they read the tasks twice: once for the columns, once
//! for the rows.

use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;
use futures_util::Stream;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tessera_db::entities::{annotation, file_upload, project, task};
use tessera_db::{queries, time, Db};
use tessera_formats::export::{self as convert, Format, RowAnnotation};
use tessera_formats::import::UNDEFINED_KEY;
use tessera_labelconfig::LabelConfig;

use crate::services::render::{basename, first_data_key, Users};

/// Tasks per batch.
const BATCH: u64 = 500;

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub format: Format,
    /// Include tasks without annotations.
    pub all_tasks: bool,
    /// Only these task ids.
    pub ids: Option<Vec<i64>>,
    /// `completed_by` as a bare id instead of the `{id, email, first_name, last_name}` object.
    pub completed_by_only_id: bool,
}

/// The annotation as the JSON export writes it (Label Studio's export serializer order).
#[derive(Serialize)]
struct ExportAnnotation {
    id: i64,
    completed_by: Value,
    result: Box<RawValue>,
    was_cancelled: bool,
    ground_truth: bool,
    created_at: String,
    updated_at: String,
    draft_created_at: Option<String>,
    lead_time: Option<f64>,
    prediction: Box<RawValue>,
    result_count: i32,
    unique_id: Option<String>,
    import_id: Option<i64>,
    last_action: Option<String>,
    bulk_created: bool,
    task: i64,
    project: i64,
    updated_by: Option<i64>,
    parent_prediction: Option<i64>,
    parent_annotation: Option<i64>,
    last_created_by: Option<i64>,
}

/// The task as the JSON export writes it.
#[derive(Serialize)]
struct ExportTask {
    id: i64,
    annotations: Vec<ExportAnnotation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_upload: Option<String>,
    drafts: Vec<Value>,
    predictions: Vec<i64>,
    data: Box<RawValue>,
    meta: Box<RawValue>,
    created_at: String,
    updated_at: String,
    allow_skip: bool,
    inner_id: i64,
    total_annotations: i32,
    cancelled_annotations: i32,
    total_predictions: i32,
    comment_count: i32,
    unresolved_comment_count: i32,
    last_comment_updated_at: Option<String>,
    project: i64,
    updated_by: Option<i64>,
    comment_authors: Vec<i64>,
}

fn raw(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_string()).unwrap_or_else(|_| RawValue::from_string("null".into()).expect("null is JSON"))
}

/// Stored data text with `$undefined$` renamed (only parsed when the key is present).
fn data_text(text: &str, first_key: Option<&str>) -> String {
    match first_key {
        Some(key) if text.contains(UNDEFINED_KEY) => crate::services::render::task_data(text, Some(key)).to_string(),
        _ => text.to_string(),
    }
}

/// One batch of tasks with everything the converters need.
struct Batch {
    tasks: Vec<task::Model>,
    annotations: HashMap<i64, Vec<annotation::Model>>,
    predictions: HashMap<i64, Vec<i64>>,
    uploads: HashMap<i64, String>,
}

async fn next_batch(db: &Db, project_id: i64, after: i64, request: &ExportRequest) -> Result<Batch, sea_orm::DbErr> {
    let conn = db.conn();
    let tasks = queries::tasks::batch_after(conn, project_id, after, BATCH, !request.all_tasks, request.ids.as_deref()).await?;
    let ids: Vec<i64> = tasks.iter().map(|t| t.id).collect();
    let mut annotations: HashMap<i64, Vec<annotation::Model>> = HashMap::new();
    for a in queries::annotations::of_tasks(conn, &ids).await? {
        annotations.entry(a.task_id).or_default().push(a);
    }
    let mut predictions: HashMap<i64, Vec<i64>> = HashMap::new();
    for (task_id, id) in queries::predictions::ids_of_tasks(conn, &ids).await? {
        predictions.entry(task_id).or_default().push(id);
    }
    let upload_ids: Vec<i64> = tasks.iter().filter_map(|t| t.file_upload_id).collect();
    let uploads = queries::file_uploads::find_many(conn, &upload_ids)
        .await?
        .into_iter()
        .map(|u: file_upload::Model| (u.id, basename(&u.file)))
        .collect();
    Ok(Batch { tasks, annotations, predictions, uploads })
}

fn io_error(err: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(err.to_string())
}

fn export_annotation(a: annotation::Model, users: &Users, only_id: bool) -> ExportAnnotation {
    ExportAnnotation {
        id: a.id,
        completed_by: if only_id { a.completed_by_id.map_or(Value::Null, Value::from) } else { users.export_object(a.completed_by_id) },
        result: raw(a.result.as_deref().unwrap_or("null")),
        was_cancelled: a.was_cancelled,
        ground_truth: a.ground_truth,
        created_at: time::format(&a.created_at),
        updated_at: time::format(&a.updated_at),
        draft_created_at: a.draft_created_at.as_ref().map(time::format),
        lead_time: a.lead_time,
        prediction: raw(&a.prediction),
        result_count: a.result_count,
        unique_id: a.unique_id,
        import_id: a.import_id,
        last_action: a.last_action,
        bulk_created: a.bulk_created,
        task: a.task_id,
        project: a.project_id,
        updated_by: a.updated_by_id,
        parent_prediction: a.parent_prediction_id,
        parent_annotation: a.parent_annotation_id,
        last_created_by: a.last_created_by_id,
    }
}

fn json_task(t: task::Model, batch: &mut Batch, users: &Users, first_key: Option<&str>, only_id: bool) -> ExportTask {
    let annotations = batch.annotations.remove(&t.id).unwrap_or_default();
    ExportTask {
        id: t.id,
        annotations: annotations.into_iter().map(|a| export_annotation(a, users, only_id)).collect(),
        file_upload: t.file_upload_id.and_then(|id| batch.uploads.get(&id).cloned()),
        drafts: Vec::new(),
        predictions: batch.predictions.remove(&t.id).unwrap_or_default(),
        data: raw(&data_text(&t.data, first_key)),
        meta: raw(&t.meta),
        created_at: time::format(&t.created_at),
        updated_at: time::format(&t.updated_at),
        allow_skip: t.allow_skip,
        inner_id: t.inner_id,
        total_annotations: t.total_annotations,
        cancelled_annotations: t.cancelled_annotations,
        total_predictions: t.total_predictions,
        comment_count: 0,
        unresolved_comment_count: 0,
        last_comment_updated_at: None,
        project: t.project_id,
        updated_by: t.updated_by_id,
        comment_authors: Vec::new(),
    }
}

/// The flat rows of one task for JSON_MIN/CSV/TSV, with its (renamed) data.
fn flat_rows(config: &LabelConfig, t: &task::Model, annotations: &[annotation::Model], first_key: Option<&str>) -> (Map<String, Value>, Vec<Map<String, Value>>) {
    let data = match crate::services::render::task_data(&t.data, first_key) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let results: Vec<Value> =
        annotations.iter().map(|a| a.result.as_deref().and_then(|r| serde_json::from_str(r).ok()).unwrap_or(Value::Null)).collect();
    let row_annotations: Vec<RowAnnotation> = annotations
        .iter()
        .zip(&results)
        .map(|(a, result)| RowAnnotation {
            id: a.id,
            completed_by: a.completed_by_id,
            result,
            was_cancelled: a.was_cancelled,
            created_at: time::format(&a.created_at),
            updated_at: time::format(&a.updated_at),
            lead_time: a.lead_time,
        })
        .collect();
    let rows = convert::task_rows(config, t.id, &data, &row_annotations);
    (data, rows)
}

/// The export as a byte stream.
pub fn stream(db: Db, project: project::Model, request: ExportRequest) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    async_stream::try_stream! {
        let config = LabelConfig::parse(&project.label_config).unwrap_or_else(|_| LabelConfig::parse("<View></View>").expect("empty config parses"));
        let first_key = first_data_key(&project);
        let control_names: BTreeSet<String> = config.controls.keys().cloned().collect();
        let mut users = Users::default();
        let sep = if request.format == Format::Tsv { '\t' } else { ',' };

        let mut columns: Vec<String> = Vec::new();
        if matches!(request.format, Format::Csv | Format::Tsv) {
            let mut set = BTreeSet::new();
            let mut after = 0;
            loop {
                let mut batch = next_batch(&db, project.id, after, &request).await.map_err(io_error)?;
                let Some(last) = batch.tasks.last() else { break };
                after = last.id;
                for t in &batch.tasks {
                    let annotations = batch.annotations.remove(&t.id).unwrap_or_default();
                    let (data, rows) = flat_rows(&config, t, &annotations, first_key.as_deref());
                    convert::csv_columns(&mut set, &data, &rows, &control_names);
                }
            }
            if set.is_empty() {
                set.extend(["annotation_id", "annotator", "created_at", "lead_time", "updated_at"].map(String::from));
            }
            columns = set.into_iter().collect();
            yield Bytes::from(convert::csv_header(&columns, sep));
        }

        match request.format {
            Format::Json => yield Bytes::from_static(b"["),
            Format::JsonMin => yield Bytes::from_static(b"[\n"),
            Format::Csv | Format::Tsv => {}
        }
        let mut first = true;
        let mut after = 0;
        loop {
            let mut batch = next_batch(&db, project.id, after, &request).await.map_err(io_error)?;
            let Some(last) = batch.tasks.last() else { break };
            after = last.id;
            let mut out: Vec<u8> = Vec::with_capacity(256 * batch.tasks.len());
            if request.format == Format::Json {
                users.load_more(db.conn(), batch.annotations.values().flatten().map(|a| a.completed_by_id)).await.map_err(io_error)?;
            }
            let tasks = std::mem::take(&mut batch.tasks);
            for t in tasks {
                match request.format {
                    Format::Json => {
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        let task = json_task(t, &mut batch, &users, first_key.as_deref(), request.completed_by_only_id);
                        serde_json::to_writer(&mut out, &task).map_err(io_error)?;
                    }
                    Format::JsonMin => {
                        let annotations = batch.annotations.remove(&t.id).unwrap_or_default();
                        for row in flat_rows(&config, &t, &annotations, first_key.as_deref()).1 {
                            if !first {
                                out.extend_from_slice(b",\n");
                            }
                            first = false;
                            out.extend_from_slice(&convert::json_min_record(&row));
                        }
                    }
                    Format::Csv | Format::Tsv => {
                        let annotations = batch.annotations.remove(&t.id).unwrap_or_default();
                        let (data, rows) = flat_rows(&config, &t, &annotations, first_key.as_deref());
                        for row in rows {
                            out.extend_from_slice(convert::csv_line(&columns, &row, &data, &control_names, sep).as_bytes());
                        }
                    }
                }
            }
            yield Bytes::from(out);
        }
        match request.format {
            Format::Json => yield Bytes::from_static(b"]"),
            Format::JsonMin => yield Bytes::from_static(b"\n]"),
            Format::Csv | Format::Tsv => {}
        }
    }
}
