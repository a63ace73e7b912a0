//! Importing tasks with their annotations and predictions, all-or-nothing.
//!
//! Every item is validated (`TaskValidator` in `label_studio/tasks/validation.py`); if any
//! fails, the request is refused with one message per item, aligned with the input (`{}` for good
//! items, at most 100 entries), and nothing is written. Otherwise tasks, annotations and
//! predictions are inserted with multi-row statements in the caller's transaction, with task
//! counters computed in memory and the project's counters and data columns moved once.
//!
//! Items arrive as raw JSON text and are parsed one at a time: each is checked, then reduced to
//! the text that will be stored, and its parsed tree dropped. A 100,000-task body never exists
//! as one tree, which at that size costs more (in fresh memory) than all the parsing.

use std::collections::HashMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tessera_db::counters::{self, AnnotationFacts, ProjectSums, TaskTally};
use tessera_db::entities::project;
use tessera_db::queries::annotations::NewAnnotation;
use tessera_db::queries::predictions::NewPrediction;
use tessera_db::queries::tasks::NewTask;
use tessera_db::{queries, time, WriteTxn};
use tessera_formats::import::UNDEFINED_KEY;
use tessera_labelconfig::{pyrepr, LabelConfig};

use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::overlap;
use crate::predictions::normalize_result;
use crate::projects::config_of;
use crate::summary::DataColumns;
use crate::webhooks::emit::emit_for;
use crate::webhooks::Action as WebhookAction;

/// Most per-item messages a refusal lists (Label Studio's limit).
const MAX_ERRORS: usize = 100;

/// An item's JSON: parsed already (rows of an uploaded file) or still text (a request body).
pub enum ItemJson {
    Parsed(Value),
    Raw(Box<RawValue>),
}

impl ItemJson {
    /// The parsed item (raw text was valid JSON when it was split off its body).
    pub fn into_value(self) -> Value {
        match self {
            ItemJson::Parsed(value) => value,
            ItemJson::Raw(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
        }
    }
}

/// One item and the upload it came from.
pub struct RawItem {
    pub item: ItemJson,
    pub file_upload_id: Option<i64>,
}

struct PreparedAnnotation {
    /// JSON text of the result list.
    result: String,
    completed_by: i64,
    ground_truth: bool,
    was_cancelled: bool,
    lead_time: Option<f64>,
    import_id: Option<i64>,
}

struct PreparedPrediction {
    /// JSON text of the normalized result.
    result: String,
    score: Option<f64>,
    model_version: String,
}

/// A checked item reduced to what is stored: JSON texts and facts.
struct PreparedTask {
    data: String,
    meta: String,
    annotations: Vec<PreparedAnnotation>,
    predictions: Vec<PreparedPrediction>,
    file_upload_id: Option<i64>,
}

/// What an import created.
pub struct Imported {
    pub task_ids: Vec<i64>,
    pub annotation_count: usize,
    pub prediction_count: usize,
}

/// Organization members by id and by email, for `completed_by` in imported annotations.
pub struct Annotators {
    by_id: HashMap<i64, ()>,
    by_email: HashMap<String, i64>,
    caller: i64,
}

impl Annotators {
    /// Loads the organization's members.
    pub async fn load(txn: &WriteTxn, organization_id: i64, caller: i64) -> CoreResult<Annotators> {
        let users = queries::users::list_in_organization(&**txn, organization_id).await?;
        Ok(Annotators {
            by_id: users.iter().map(|u| (u.id, ())).collect(),
            by_email: users.into_iter().map(|u| (u.email, u.id)).collect(),
            caller,
        })
    }

    fn resolve(&self, completed_by: Option<&Value>) -> Result<i64, String> {
        match completed_by {
            None | Some(Value::Null) => Ok(self.caller),
            Some(Value::Number(n)) => n
                .as_i64()
                .filter(|id| self.by_id.contains_key(id))
                .ok_or_else(|| format!("Import data contains completed_by={n} which is not a valid annotator's email or ID")),
            Some(Value::String(email)) => self.by_email(email),
            Some(Value::Object(map)) => match map.get("email").and_then(Value::as_str) {
                Some(email) => self.by_email(email),
                None => Err("It's expected to have 'email' field in 'completed_by' data in annotations".to_string()),
            },
            Some(other) => Err(format!("Import data contains completed_by={other} which is not a valid annotator's email or ID")),
        }
    }

    fn by_email(&self, email: &str) -> Result<i64, String> {
        self.by_email
            .get(&email.to_lowercase())
            .copied()
            .ok_or_else(|| format!("Unknown annotator's email {email}"))
    }
}

/// `object[key]` as a number (numeric text too); missing and null are `None`, anything else is
/// an error naming the field.
fn float(object: &Map<String, Value>, key: &str) -> Result<Option<f64>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) if s.trim().parse::<f64>().is_ok() => Ok(s.trim().parse().ok()),
        Some(other) => Err(format!(
            "\"{key}\" must be a number, not {}",
            pyrepr::str(other)
        )),
    }
}

/// `object[key]` as a boolean (`default` when missing or null); anything else is an error.
fn flag(object: &Map<String, Value>, key: &str, default: bool) -> Result<bool, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(format!(
            "\"{key}\" must be true or false, not {}",
            pyrepr::str(other)
        )),
    }
}

/// The objects of `item[key]`; an item that is not an object is an error.
fn objects<'a>(
    item: &'a Map<String, Value>,
    key: &str,
) -> Result<Vec<&'a Map<String, Value>>, String> {
    list_of(item, key)?
        .iter()
        .map(|entry| {
            entry.as_object().ok_or_else(|| {
                format!(
                    "Task[{key}] items must be dicts, not {}",
                    pyrepr::str(entry)
                )
            })
        })
        .collect()
}

/// An annotation's facts, read before its `result` is moved out of the item.
struct AnnotationMeta {
    completed_by: i64,
    ground_truth: bool,
    was_cancelled: bool,
    lead_time: Option<f64>,
    import_id: Option<i64>,
}

/// What checking an item found. Checking only borrows the item, so a failure can still quote
/// it; only items of an import that passes as a whole are then taken apart ([`take`]).
struct Checked {
    task_form: bool,
    annotations: Vec<AnnotationMeta>,
    predictions: Vec<PreparedPrediction>,
}

/// The keys whose lists hold annotations (`completions` is the pre-v2 name).
const ANNOTATION_KEYS: [&str; 2] = ["annotations", "completions"];

fn check_annotations(
    item: &Map<String, Value>,
    annotators: &Annotators,
) -> Result<Vec<AnnotationMeta>, String> {
    let mut out = Vec::new();
    for key in ANNOTATION_KEYS {
        for annotation in objects(item, key)? {
            let Some(result) = annotation.get("result") else {
                return Err("Annotation must have \"result\" fields".to_string());
            };
            if !result.is_array() {
                return Err("\"result\" field in annotation must be list".to_string());
            }
            out.push(AnnotationMeta {
                completed_by: annotators.resolve(annotation.get("completed_by"))?,
                ground_truth: flag(annotation, "ground_truth", true)?,
                was_cancelled: flag(annotation, "was_cancelled", false)?,
                lead_time: float(annotation, "lead_time")?,
                import_id: annotation.get("id").and_then(Value::as_i64),
            });
        }
    }
    Ok(out)
}

fn check_predictions(
    item: &Map<String, Value>,
    config: Option<&LabelConfig>,
) -> Result<Vec<PreparedPrediction>, String> {
    let mut out = Vec::new();
    for prediction in objects(item, "predictions")? {
        let Some(result) = prediction.get("result") else {
            return Err("Prediction must have \"result\" fields".to_string());
        };
        let result = normalize_result(config, result)?.unwrap_or(Value::Null);
        let model_version = match prediction.get("model_version") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => "undefined".to_string(),
            Some(other) => other.to_string(),
        };
        out.push(PreparedPrediction {
            result: result.to_string(),
            // Label Studio stores a score it cannot read as none.
            score: float(prediction, "score").ok().flatten(),
            model_version,
        });
    }
    Ok(out)
}

/// `item[key]` as a list (missing or null is empty).
fn list_of<'a>(item: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], String> {
    match item.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(list)) => Ok(list),
        Some(_) => Err(format!("Task[{key}] must be list")),
    }
}

/// Checks one item; the error is the message after `Error at item N: `.
fn check(
    raw: &Value,
    config: Option<&LabelConfig>,
    first_key: Option<&str>,
    annotators: &Annotators,
) -> Result<Checked, String> {
    let Value::Object(item) = raw else {
        return Err("Task root must be dict with \"data\", \"meta\", \"annotations\", \"predictions\" fields".to_string());
    };
    let task_form = item.contains_key("data");
    let (data, checked) = if task_form {
        let Some(Value::Object(data)) = item.get("data") else {
            return Err("Task[data] must be dict or list".to_string());
        };
        if !matches!(
            item.get("meta"),
            None | Some(Value::Null | Value::Object(_) | Value::Array(_))
        ) {
            return Err("Task[meta] must be dict or list".to_string());
        }
        let checked = Checked {
            task_form,
            annotations: check_annotations(item, annotators)?,
            predictions: check_predictions(item, config)?,
        };
        (data, checked)
    } else {
        (
            item,
            Checked {
                task_form,
                annotations: Vec::new(),
                predictions: Vec::new(),
            },
        )
    };
    check_data(data, config, first_key, task_form)?;
    Ok(checked)
}

/// Checks one task's data against the config (`TaskValidator`), with Label Studio's messages;
/// `task_form` says whether it came under a `data` key.
fn check_data(
    data: &Map<String, Value>,
    config: Option<&LabelConfig>,
    first_key: Option<&str>,
    task_form: bool,
) -> Result<(), String> {
    if data.values().any(has_nul) || data.keys().any(|k| k.contains('\0')) {
        return Err(NUL_IN_DATA.to_string());
    }
    let Some(config) = config else { return Ok(()) };
    let assume = |message: String| {
        let assume = if task_form {
            " [assume: item[\"data\"] = task root with values]"
        } else {
            " [assume: item as is = task root with values] "
        };
        format!("{message}{assume}")
    };
    match first_key.filter(|_| data.contains_key(UNDEFINED_KEY)) {
        Some(key) => config
            .validate_task_data(&Value::Object(renamed(data.clone(), key)))
            .map_err(assume),
        None => config.validate_task_data_map(data).map_err(assume),
    }
}

/// Checks the `data` and `meta` of one task created through `POST /api/tasks/` as Label Studio
/// does (its `TaskSerializer`): the same rules, and messages, as an imported task's. Returns the
/// data to store (`$undefined$` under the config's first data key, as imports store it).
pub fn check_new_task(
    data: &Value,
    meta: Option<&Value>,
    config: Option<&LabelConfig>,
    first_key: Option<&str>,
) -> Result<Value, String> {
    if !matches!(
        meta,
        None | Some(Value::Null | Value::Object(_) | Value::Array(_))
    ) {
        return Err("Task[meta] must be dict or list".to_string());
    }
    match data {
        Value::Object(map) => {
            check_data(map, config, first_key, true)?;
            Ok(Value::Object(match first_key {
                Some(key) => renamed(map.clone(), key),
                None => map.clone(),
            }))
        }
        Value::Array(_) => check_data(&Map::new(), config, first_key, true).map(|()| data.clone()),
        _ => Err("Task[data] must be dict or list".to_string()),
    }
}

use tessera_db::dialect::has_nul;

/// Why stored task data must not hold the NUL character: PostgreSQL's `jsonb`, which the Data
/// Manager reads task data through, refuses it. Refused on both databases alike.
pub const NUL_IN_DATA: &str =
    "Task data contains a NUL character (\\u0000), which cannot be stored";

/// `data` with `$undefined$` stored under `key`.
fn renamed(mut data: Map<String, Value>, key: &str) -> Map<String, Value> {
    if let Some(value) = data.shift_remove(UNDEFINED_KEY) {
        data.insert(key.to_string(), value);
    }
    data
}

/// Reduces a checked item to the texts to store, counting its data keys into the columns.
fn take(
    raw: Value,
    checked: Checked,
    first_key: Option<&str>,
    columns: &mut DataColumns,
) -> PreparedTask {
    let Value::Object(mut item) = raw else {
        unreachable!("checked items are objects")
    };
    // The item's own key order does not matter (its data's does), so swap_remove is fine here.
    let (data, meta, results) = if checked.task_form {
        let data = match item.swap_remove("data") {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        let meta = match item.swap_remove("meta") {
            Some(meta @ (Value::Object(_) | Value::Array(_))) => meta,
            _ => Value::Object(Map::new()),
        };
        let mut results = Vec::with_capacity(checked.annotations.len());
        for key in ANNOTATION_KEYS {
            if let Some(Value::Array(list)) = item.swap_remove(key) {
                for annotation in list {
                    if let Value::Object(mut annotation) = annotation {
                        results.push(annotation.swap_remove("result").unwrap_or(Value::Null));
                    }
                }
            }
        }
        (data, meta, results)
    } else {
        (item, Value::Object(Map::new()), Vec::new())
    };
    let data = match first_key {
        Some(key) => renamed(data, key),
        None => data,
    };
    columns.add(&data);
    let annotations = checked
        .annotations
        .into_iter()
        .zip(results)
        .map(|(meta, result)| PreparedAnnotation {
            result: result.to_string(),
            completed_by: meta.completed_by,
            ground_truth: meta.ground_truth,
            was_cancelled: meta.was_cancelled,
            lead_time: meta.lead_time,
            import_id: meta.import_id,
        })
        .collect();
    PreparedTask {
        data: Value::Object(data).to_string(),
        meta: meta.to_string(),
        annotations,
        predictions: checked.predictions,
        file_upload_id: None,
    }
}

/// The 400 an import answers with: one entry per item (`{}` when fine), at most 100.
fn refusal(errors: Vec<Option<String>>) -> CoreError {
    let mut list: Vec<Value> = Vec::new();
    for (i, error) in errors.into_iter().enumerate() {
        if i + 1 == MAX_ERRORS {
            list.push(Value::String("...".into()));
            break;
        }
        list.push(error.map_or(Value::Object(Map::new()), Value::String));
    }
    let mut fields = FieldErrors::new();
    fields.insert("non_field_errors".into(), Value::Array(list));
    CoreError::Validation(fields)
}

/// A refusal with one message (`load_tasks: ...`, file problems).
pub fn refuse(message: impl Into<String>) -> CoreError {
    let mut fields = FieldErrors::new();
    fields.insert(
        "non_field_errors".into(),
        Value::Array(vec![Value::String(message.into())]),
    );
    CoreError::Validation(fields)
}

/// Validates every item and, only if all pass, writes them.
pub async fn import(
    txn: &WriteTxn,
    project: &project::Model,
    organization_id: i64,
    caller: i64,
    items: Vec<RawItem>,
) -> CoreResult<Imported> {
    if items.is_empty() {
        return Err(refuse("load_tasks: No tasks added"));
    }
    let config = config_of(project);
    let first_key = config
        .as_ref()
        .and_then(|c| c.data_keys().next().map(str::to_string));
    let annotators = Annotators::load(txn, organization_id, caller).await?;
    // Lock the project row first, then read it as it is now: concurrent writers to the same
    // project wait here instead of overwriting each other's data columns.
    queries::projects::lock_summary(&**txn, project.id).await?;
    let project = queries::projects::find(
        &**txn,
        queries::projects::Viewer::organization(project.organization_id),
        project.id,
    )
    .await?
    .ok_or_else(|| CoreError::no_match("Project"))?;
    let mut columns = DataColumns::load(
        &project.summary_all_data_columns,
        &project.summary_common_data_columns,
        project.task_number > 0,
    );
    let mut prepared = Vec::with_capacity(items.len());
    let mut errors: Vec<Option<String>> = Vec::with_capacity(items.len());
    let mut failed = false;
    for (index, raw) in items.into_iter().enumerate() {
        let item = raw.item.into_value();
        match check(&item, config.as_ref(), first_key.as_deref(), &annotators) {
            Ok(checked) => {
                errors.push(None);
                if !failed {
                    let task = take(item, checked, first_key.as_deref(), &mut columns);
                    prepared.push(PreparedTask {
                        file_upload_id: raw.file_upload_id,
                        ..task
                    });
                }
            }
            Err(message) => {
                failed = true;
                prepared = Vec::new();
                errors.push(Some(format!(
                    "Error at item {index}: {message} :: {}",
                    pyrepr::str(&item)
                )));
            }
        }
    }
    if failed {
        return Err(refusal(errors));
    }
    if prepared.iter().any(|task| !task.annotations.is_empty()) {
        crate::storages::export::annotations_changed(&**txn, project.id).await?;
    }
    write(txn, &project, prepared, columns).await
}

/// Inserts the prepared tasks, then their annotations and predictions; their texts are moved
/// into the rows, not copied.
async fn write(
    txn: &WriteTxn,
    project: &project::Model,
    mut tasks: Vec<PreparedTask>,
    columns: DataColumns,
) -> CoreResult<Imported> {
    let now = time::now();
    let overlap = project.maximum_annotations.max(1);
    let mut sums = ProjectSums::default();
    let mut new_tasks = Vec::with_capacity(tasks.len());
    for task in &mut tasks {
        let facts: Vec<AnnotationFacts> = task
            .annotations
            .iter()
            .map(|a| AnnotationFacts {
                was_cancelled: a.was_cancelled,
                ground_truth: a.ground_truth,
                has_result: true,
                completed_by: Some(a.completed_by),
            })
            .collect();
        let tally = TaskTally::of(&facts, task.predictions.len(), overlap, project.skip_queue);
        sums.add_task(&tally);
        new_tasks.push(NewTask {
            data: std::mem::take(&mut task.data),
            meta: std::mem::take(&mut task.meta),
            overlap,
            tally,
            file_upload_id: task.file_upload_id,
            updated_by_id: None,
        });
    }
    let first_inner_id =
        queries::projects::allocate_inner_ids(&**txn, project.id, tasks.len() as i64).await?;
    let task_ids =
        queries::tasks::insert_many(&**txn, project.id, first_inner_id, new_tasks, now).await?;

    let mut annotations = Vec::new();
    let mut predictions = Vec::new();
    let mut last_version = None;
    for (task, task_id) in tasks.into_iter().zip(&task_ids) {
        for a in task.annotations {
            annotations.push(NewAnnotation {
                task_id: *task_id,
                completed_by_id: Some(a.completed_by),
                result: Some(a.result),
                was_cancelled: a.was_cancelled,
                ground_truth: a.ground_truth,
                lead_time: a.lead_time,
                import_id: a.import_id,
                result_count: 0,
                bulk_created: true,
                prediction: "{}".into(),
                parent_prediction_id: None,
                parent_annotation_id: None,
                // Time-ordered (v7) ids append to the unique index instead of splitting random pages.
                unique_id: Some(uuid::Uuid::now_v7().to_string()),
                draft_created_at: None,
                last_action: None,
                // Nobody has updated an imported annotation yet (Label Studio: null).
                updated_by_id: None,
            });
        }
        for p in task.predictions {
            last_version = Some(p.model_version.clone());
            predictions.push(NewPrediction {
                task_id: *task_id,
                result: p.result,
                model_version: p.model_version,
                score: p.score,
            });
        }
    }
    let imported = Imported {
        annotation_count: annotations.len(),
        prediction_count: predictions.len(),
        task_ids,
    };
    queries::annotations::insert_many(&**txn, project.id, annotations, now).await?;
    queries::predictions::insert_many(&**txn, project.id, predictions, now).await?;
    counters::apply_project_delta(&**txn, project.id, &sums).await?;

    // Imported annotations stay out of `created_annotations`/`created_labels`: Label Studio
    // counts only annotations made after the import there.
    let (all, common) = columns.to_json();
    queries::projects::set_data_columns(&**txn, project.id, &all, &common).await?;
    if let (true, Some(version)) = (project.model_version.is_empty(), last_version) {
        queries::projects::set_model_version(&**txn, project.id, &version).await?;
    }
    let changed = overlap::Changed {
        task_number: true,
        ..overlap::Changed::default()
    };
    overlap::update(txn, project, changed).await?;
    imported_events(txn, project, &imported).await?;
    Ok(imported)
}

/// Tells the webhooks listening: `TASKS_CREATED` (Label Studio's import sends no
/// `ANNOTATIONS_CREATED` for annotations that come with the tasks).
async fn imported_events(
    txn: &WriteTxn,
    project: &project::Model,
    imported: &Imported,
) -> CoreResult<()> {
    emit_for(
        &**txn,
        project,
        WebhookAction::TasksCreated,
        &imported.task_ids,
    )
    .await
}
