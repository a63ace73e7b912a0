//! Streaming exports: tasks are read in id order, a batch at a time, and written to the response
//! as they are converted, so memory stays flat however large the project is. The file formats
//! (COCO, YOLO, ...) are converted from the JSON export as it streams ([`files`]).
//!
//! JSON copies the stored JSON text of data, results and prediction snapshots straight into the
//! output (no parse and re-serialize). JSON_MIN writes one record per annotation. CSV/TSV need
//! their columns before the first row, so they read the tasks twice: once for the columns, once
//! for the rows.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;
use futures_util::Stream;
use serde::Serialize;
use serde_json::{Map, Value};
use tessera_db::dialect::ExportBatch;
use tessera_db::entities::{annotation, file_upload, project, task};
use tessera_db::{queries, time, Db};
use tessera_formats::export::{self as convert, Format, RowAnnotation};
use tessera_formats::import::UNDEFINED_KEY;
use tessera_formats::video::interpolate_key_frames;
use tessera_labelconfig::LabelConfig;

use crate::error::{CoreError, CoreResult};
use crate::payload::{basename, first_data_key};

pub mod files;
pub mod media;

/// Tasks per batch.
const BATCH: u64 = 2_000;

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
    /// CSV/TSV: neutralize cells a spreadsheet would run as formulas.
    pub escape_formulas: bool,
    /// Video tracking sequences with every frame between key frames filled in.
    pub interpolate_key_frames: bool,
    /// File formats: pack the media the format leaves to this option (VOC images, ASR audio).
    pub download_resources: bool,
}

/// An export ready to send: its extension, media type and bytes.
pub struct Export {
    pub extension: &'static str,
    pub content_type: &'static str,
    pub body: files::IoStream,
}

/// The project's parsed config (an empty one if it does not parse).
fn project_config(project: &project::Model) -> LabelConfig {
    crate::projects::config_of(project)
        .unwrap_or_else(|| LabelConfig::parse("<View></View>").expect("empty config parses"))
}

/// `/export/formats`: every format, those the project's config can produce enabled.
pub fn formats(project: &project::Model) -> Vec<tessera_formats::export::FormatInfo> {
    tessera_formats::export::formats(&project_config(project))
}

/// The project's config, if it can produce `format`; a 400 naming the format otherwise.
pub fn config_for(project: &project::Model, format: Format) -> CoreResult<LabelConfig> {
    let config = project_config(project);
    if !tessera_formats::export::available(&config).contains(&format) {
        return Err(CoreError::BadRequest(format!(
            "{} is not supported export format",
            format.name()
        )));
    }
    Ok(config)
}

/// Exports a project: flat formats straight from the database, file formats converted from
/// its JSON export as it streams (`media` reads the media they need).
pub async fn export(
    db: Db,
    media: media::MediaReader,
    project: project::Model,
    request: ExportRequest,
) -> CoreResult<Export> {
    let format = request.format;
    let config = config_for(&project, format)?;
    if format.is_flat() {
        return Ok(Export {
            extension: format.extension(),
            content_type: format.content_type(),
            body: Box::pin(stream(db, project, request)),
        });
    }
    let json = ExportRequest {
        format: Format::Json,
        ..request.clone()
    };
    let tasks = files::tasks_of(stream(db, project, json));
    let converted =
        files::convert(tasks, config, format, request.download_resources, media).await?;
    Ok(Export {
        extension: converted.extension,
        content_type: converted.content_type,
        body: converted.body,
    })
}

/// A JSON object written field by field. The export copies stored JSON text (task data,
/// results, prediction snapshots) straight into the output; going through `serde_json::Value` or
/// `RawValue` would parse every document again only to print it unchanged.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut Vec<u8>) -> Object<'a> {
        out.push(b'{');
        Object { out, first: true }
    }

    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    /// A value serialized by serde (numbers, strings, options, small objects).
    fn value<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> &mut Self {
        let out = self.key(key);
        serde_json::to_writer(&mut *out, value).expect("in-memory serialization cannot fail");
        self
    }

    /// Stored JSON text, copied as it is (`null` when absent).
    fn json(&mut self, key: &str, text: Option<&str>) -> &mut Self {
        let out = self.key(key);
        out.extend_from_slice(text.unwrap_or("null").as_bytes());
        self
    }

    fn time(&mut self, key: &str, at: Option<&chrono::DateTime<chrono::Utc>>) -> &mut Self {
        self.value(key, &at.map(time::format))
    }

    fn end(&mut self) {
        self.out.push(b'}');
    }
}

/// Whether the project's config tracks objects in video (Label Studio interpolates key frames
/// only then).
pub(crate) fn tracks_video(project: &project::Model) -> bool {
    project_config(project)
        .controls
        .values()
        .any(|control| control.tag.eq_ignore_ascii_case("VideoRectangle"))
}

/// A stored annotation document (JSON text) with its tracking sequences interpolated.
fn interpolated_doc(doc: &str) -> Cow<'_, str> {
    let Ok(mut annotation) = serde_json::from_str::<Value>(doc) else {
        return Cow::Borrowed(doc);
    };
    if let Value::Array(results) = &annotation["result"] {
        annotation["result"] = Value::Array(interpolate_key_frames(results));
    }
    Cow::Owned(annotation.to_string())
}

/// Whether task data may hold `$undefined$` keys that must be renamed on the way out (then the
/// JSON export goes row by row instead of letting the database render whole batches).
fn needs_renaming(project: &project::Model) -> bool {
    first_data_key(project).is_some() && project.summary_all_data_columns.contains(UNDEFINED_KEY)
}

/// Stored data text with `$undefined$` renamed (only parsed when the key is present).
fn data_text<'a>(text: &'a str, first_key: Option<&str>) -> Cow<'a, str> {
    match first_key {
        Some(key) if text.contains(UNDEFINED_KEY) => {
            Cow::Owned(crate::payload::task_data(text, Some(key)).to_string())
        }
        _ => Cow::Borrowed(text),
    }
}

/// One batch of tasks with everything the converters need: annotation rows for the flat
/// formats, annotation JSON documents (rendered by the database) for JSON.
struct Batch {
    tasks: Vec<task::Model>,
    annotations: HashMap<i64, Vec<annotation::Model>>,
    annotation_docs: HashMap<i64, Vec<String>>,
    predictions: HashMap<i64, Vec<i64>>,
    uploads: HashMap<i64, String>,
}

async fn next_batch(
    db: Db,
    project_id: i64,
    after: i64,
    request: ExportRequest,
) -> Result<Batch, sea_orm::DbErr> {
    let conn = db.conn();
    let tasks = queries::tasks::batch_after(
        conn,
        project_id,
        after,
        BATCH,
        !request.all_tasks,
        request.ids.as_deref(),
    )
    .await?;
    let ids: Vec<i64> = tasks.iter().map(|t| t.id).collect();
    let mut annotations: HashMap<i64, Vec<annotation::Model>> = HashMap::new();
    let mut annotation_docs: HashMap<i64, Vec<String>> = HashMap::new();
    if request.format == Format::Json {
        for (task_id, doc) in
            queries::annotations::export_json_of_tasks(conn, &ids, request.completed_by_only_id)
                .await?
        {
            annotation_docs.entry(task_id).or_default().push(doc);
        }
    } else {
        for a in queries::annotations::of_tasks(conn, &ids).await? {
            annotations.entry(a.task_id).or_default().push(a);
        }
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
    Ok(Batch {
        tasks,
        annotations,
        annotation_docs,
        predictions,
        uploads,
    })
}

/// Batches in id order; the next batch is read while the caller converts the current one, so the
/// database thread and the converting thread work at the same time.
struct Batches {
    db: Db,
    project_id: i64,
    request: ExportRequest,
    pending: Option<tokio::task::JoinHandle<Result<Batch, sea_orm::DbErr>>>,
}

impl Batches {
    fn start(db: &Db, project_id: i64, request: &ExportRequest) -> Batches {
        let pending = tokio::spawn(next_batch(db.clone(), project_id, 0, request.clone()));
        Batches {
            db: db.clone(),
            project_id,
            request: request.clone(),
            pending: Some(pending),
        }
    }

    async fn next(&mut self) -> Result<Option<Batch>, std::io::Error> {
        let Some(pending) = self.pending.take() else {
            return Ok(None);
        };
        let batch = pending.await.map_err(io_error)?.map_err(io_error)?;
        let Some(last) = batch.tasks.last() else {
            return Ok(None);
        };
        self.pending = Some(tokio::spawn(next_batch(
            self.db.clone(),
            self.project_id,
            last.id,
            self.request.clone(),
        )));
        Ok(Some(batch))
    }
}

fn io_error(err: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(err.to_string())
}

/// Writes a task in Label Studio's export order (`file_upload` only for uploaded tasks).
fn write_task(
    out: &mut Vec<u8>,
    t: &task::Model,
    batch: &Batch,
    first_key: Option<&str>,
    interpolate: bool,
) {
    let mut object = Object::new(out);
    object.value("id", &t.id);
    let list = object.key("annotations");
    list.push(b'[');
    for (i, doc) in batch
        .annotation_docs
        .get(&t.id)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if i > 0 {
            list.push(b',');
        }
        if interpolate {
            list.extend_from_slice(interpolated_doc(doc).as_bytes());
        } else {
            list.extend_from_slice(doc.as_bytes());
        }
    }
    list.push(b']');
    if let Some(name) = t.file_upload_id.and_then(|id| batch.uploads.get(&id)) {
        object.value("file_upload", name);
    }
    object
        .json("drafts", Some("[]"))
        .value(
            "predictions",
            batch
                .predictions
                .get(&t.id)
                .map(Vec::as_slice)
                .unwrap_or_default(),
        )
        .json("data", Some(&data_text(&t.data, first_key)))
        .json("meta", Some(&t.meta))
        .time("created_at", Some(&t.created_at))
        .time("updated_at", Some(&t.updated_at))
        .value("allow_skip", &t.allow_skip)
        .value("inner_id", &t.inner_id)
        .value("total_annotations", &t.total_annotations)
        .value("cancelled_annotations", &t.cancelled_annotations)
        .value("total_predictions", &t.total_predictions)
        .value("comment_count", &0)
        .value("unresolved_comment_count", &0)
        .json("last_comment_updated_at", None)
        .value("project", &t.project_id)
        .value("updated_by", &t.updated_by_id)
        .json("comment_authors", Some("[]"))
        .end();
}

/// The flat rows of one task for JSON_MIN/CSV/TSV, with its (renamed) data.
fn flat_rows(
    config: &LabelConfig,
    t: &task::Model,
    annotations: &[annotation::Model],
    first_key: Option<&str>,
    interpolate: bool,
) -> (Map<String, Value>, Vec<Map<String, Value>>) {
    let data = match crate::payload::task_data(&t.data, first_key) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let results: Vec<Value> = annotations
        .iter()
        .map(|a| {
            let result = a
                .result
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok())
                .unwrap_or(Value::Null);
            match result {
                Value::Array(results) if interpolate => {
                    Value::Array(interpolate_key_frames(&results))
                }
                other => other,
            }
        })
        .collect();
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

/// A flat-format export as a byte stream.
fn stream(
    db: Db,
    project: project::Model,
    request: ExportRequest,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    async_stream::try_stream! {
        let config = project_config(&project);
        let first_key = first_data_key(&project);
        let interpolate = request.interpolate_key_frames && tracks_video(&project);
        let control_names: BTreeSet<String> = config.controls.keys().cloned().collect();
        let style = convert::CsvStyle { separator: if request.format == Format::Tsv { '\t' } else { ',' }, escape_formulas: request.escape_formulas };

        let mut columns: Vec<String> = Vec::new();
        if matches!(request.format, Format::Csv | Format::Tsv) {
            let mut set = BTreeSet::new();
            let mut batches = Batches::start(&db, project.id, &request);
            while let Some(mut batch) = batches.next().await? {
                for t in &batch.tasks {
                    let annotations = batch.annotations.remove(&t.id).unwrap_or_default();
                    let (data, rows) = flat_rows(&config, t, &annotations, first_key.as_deref(), interpolate);
                    convert::csv_columns(&mut set, &data, &rows, &control_names);
                }
            }
            if set.is_empty() {
                set.extend(convert::EMPTY_COLUMNS.map(String::from));
            }
            columns = set.into_iter().collect();
            yield Bytes::from(convert::csv_header(&columns, style));
        }

        match request.format {
            Format::Json => yield Bytes::from_static(b"["),
            Format::JsonMin => yield Bytes::from_static(b"[\n"),
            _ => {}
        }
        if request.format == Format::Json && !needs_renaming(&project) && !interpolate {
            let mut after = 0;
            let mut first = true;
            loop {
                let batch = ExportBatch {
                    project_id: project.id,
                    after_id: after,
                    limit: BATCH,
                    only_annotated: !request.all_tasks,
                    ids: request.ids.as_deref(),
                    completed_by_only_id: request.completed_by_only_id,
                };
                let Some((docs, last)) = queries::tasks::export_json_batch(db.conn(), &batch).await.map_err(io_error)? else { break };
                after = last;
                if !first {
                    yield Bytes::from_static(b",");
                }
                first = false;
                yield Bytes::from(docs);
            }
            yield Bytes::from_static(b"]");
            return;
        }
        let mut first = true;
        let mut batches = Batches::start(&db, project.id, &request);
        while let Some(mut batch) = batches.next().await? {
            let mut out: Vec<u8> = Vec::with_capacity(256 * batch.tasks.len());
            let tasks = std::mem::take(&mut batch.tasks);
            for t in tasks {
                match request.format {
                    Format::Json => {
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        write_task(&mut out, &t, &batch, first_key.as_deref(), interpolate);
                    }
                    Format::JsonMin => {
                        let annotations = batch.annotations.remove(&t.id).unwrap_or_default();
                        for row in flat_rows(&config, &t, &annotations, first_key.as_deref(), interpolate).1 {
                            if !first {
                                out.extend_from_slice(b",\n");
                            }
                            first = false;
                            out.extend_from_slice(&convert::json_min_record(&row));
                        }
                    }
                    // CSV and TSV: `export` sends only the flat formats here.
                    _ => {
                        let annotations = batch.annotations.remove(&t.id).unwrap_or_default();
                        let (data, rows) = flat_rows(&config, &t, &annotations, first_key.as_deref(), interpolate);
                        for row in rows {
                            out.extend_from_slice(convert::csv_line(&columns, &row, &data, &control_names, style).as_bytes());
                        }
                    }
                }
            }
            yield Bytes::from(out);
        }
        match request.format {
            Format::Json => yield Bytes::from_static(b"]"),
            Format::JsonMin => yield Bytes::from_static(b"\n]"),
            _ => {}
        }
    }
}
