//! An import request end to end, once its body has been read into items and stored files:
//! recording the uploads, importing the items (or only uploading, for the wizard), answering
//! Label Studio's counts; re-importing files uploaded earlier; and importing predictions for
//! existing tasks.

use serde::Serialize;
use serde_json::{json, Map, Value};
use tessera_db::counters::TaskSet;
use tessera_db::entities::project;
use tessera_db::queries::file_uploads::NewUpload;
use tessera_db::queries::predictions::NewPrediction;
use tessera_db::{queries, time, Db};
use tessera_formats::import as formats;
use tessera_jobs::NewJob;
use tessera_labelconfig::pyrepr;
use tessera_storage::Media;

use crate::actor::Actor;
use crate::error::CoreResult;
use crate::fields::{pk_of, query_bool, Fields};
use crate::import::{self, refuse, ItemJson, RawItem};
use crate::intake::{Collected, FileTally};
use crate::predictions::{self, normalize_result};
use crate::projects::config_of;
use crate::{scope, tasks};

/// The job that refreshes the planner's statistics after a bulk import.
pub const STATISTICS_REFRESH: &str = "statistics.refresh";

/// Imports at least this large refresh the planner's statistics afterwards.
const STATISTICS_AFTER: usize = 5_000;

/// The import response, in Label Studio's key order (`duration` is the caller's to fill).
#[derive(Serialize)]
pub struct ImportOut {
    pub task_count: usize,
    pub annotation_count: Option<usize>,
    pub prediction_count: Option<usize>,
    pub duration: f64,
    pub file_upload_ids: Vec<i64>,
    pub could_be_tasks_list: bool,
    pub found_formats: Value,
    pub data_columns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_ids: Option<Vec<i64>>,
}

impl ImportOut {
    /// The answer to a re-import of no files: nothing imported.
    pub fn nothing() -> ImportOut {
        ImportOut {
            task_count: 0,
            annotation_count: Some(0),
            prediction_count: Some(0),
            duration: 0.0,
            file_upload_ids: Vec::new(),
            could_be_tasks_list: false,
            found_formats: Value::Object(Map::new()),
            data_columns: Vec::new(),
            task_ids: None,
        }
    }
}

/// An import's query-string options, as given.
#[derive(Default)]
pub struct ImportOptions<'a> {
    /// A Django boolean, true when absent: import the items, not only upload the files.
    pub commit_to_project: Option<&'a str>,
    /// A Django boolean: answer the new tasks' ids.
    pub return_task_ids: Option<&'a str>,
    /// Comma-separated data fields moved into predictions.
    pub preannotated_from_fields: Option<&'a str>,
}

/// `preannotated_from_fields=a,b`: moves those data fields of every item into predictions
/// (Label Studio's `reformat_predictions`), e.g. a CSV column holding a model's label.
fn predictions_from_fields(
    items: &mut [(ItemJson, Option<usize>)],
    fields: &[&str],
) -> CoreResult<()> {
    for (index, (json, _)) in items.iter_mut().enumerate() {
        let item = std::mem::replace(json, ItemJson::Parsed(Value::Null)).into_value();
        let mut data = match item.get("data").cloned().unwrap_or_else(|| item.clone()) {
            Value::Object(map) => map,
            _ => continue,
        };
        let mut predictions = Vec::new();
        for field in fields {
            let result = data.shift_remove(*field).ok_or_else(|| {
                refuse(format!(
                    "Error at item {index}: field \"{field}\" is not in task data"
                ))
            })?;
            predictions.push(json!({"result": result}));
        }
        *json = ItemJson::Parsed(json!({"data": data, "predictions": predictions}));
    }
    Ok(())
}

/// Records the collected files as uploads and imports the items into `project` (a project the
/// actor sees), all in one transaction.
pub async fn run(
    db: &Db,
    actor: &Actor,
    project: &project::Model,
    mut collected: Collected,
    options: ImportOptions<'_>,
) -> CoreResult<ImportOut> {
    if let Some(fields) = options.preannotated_from_fields.filter(|f| !f.is_empty()) {
        let fields: Vec<&str> = fields.split(',').map(str::trim).collect();
        predictions_from_fields(&mut collected.items, &fields)?;
    }
    // Bulk work without a client's filter: a big import's statements may run long.
    let txn = db.write_unbounded().await?;
    let mut file_upload_ids = Vec::with_capacity(collected.files.len());
    for file in &collected.files {
        let upload = NewUpload {
            project_id: project.id,
            user_id: actor.user.id,
            file: &file.relative,
            original_name: &file.original,
            size: file.size,
        };
        let upload = queries::file_uploads::insert(&*txn, upload, time::now()).await?;
        file_upload_ids.push(upload.id);
    }
    let items: Vec<RawItem> = collected
        .items
        .into_iter()
        .map(|(item, file)| RawItem {
            item,
            file_upload_id: file.map(|index| file_upload_ids[index]),
        })
        .collect();
    let mut response = ImportOut {
        task_count: items.len(),
        annotation_count: None,
        prediction_count: None,
        duration: 0.0,
        file_upload_ids,
        could_be_tasks_list: collected.could_be_tasks_list,
        found_formats: collected.found_formats,
        data_columns: collected.data_columns,
        task_ids: None,
    };
    if !query_bool("commit_to_project", options.commit_to_project, true)? {
        txn.commit().await?;
        return Ok(response);
    }
    let imported =
        import::import(&txn, project, actor.organization_id, actor.user.id, items).await?;
    response.annotation_count = Some(imported.annotation_count);
    response.prediction_count = Some(imported.prediction_count);
    if query_bool("return_task_ids", options.return_task_ids, false)? {
        response.task_ids = Some(imported.task_ids);
    }
    if response.task_count >= STATISTICS_AFTER {
        let refresh = NewJob::new(STATISTICS_REFRESH, Value::Null).singleton(STATISTICS_REFRESH);
        tessera_jobs::queue::enqueue(&*txn, refresh).await?;
    }
    txn.commit().await?;
    Ok(response)
}

/// The tasks of files uploaded earlier (`{"file_upload_ids": [...], "files_as_tasks_list"}`,
/// an import sent with `commit_to_project=false`, as the web app's wizard does on selection),
/// replacing the tasks those files made before, in one transaction. Unknown ids are skipped, as
/// Label Studio skips them; `None` when no ids were given (nothing is imported).
pub async fn reimport(
    db: &Db,
    media: &Media,
    actor: &Actor,
    project_id: i64,
    body: &Value,
) -> CoreResult<Option<ImportOut>> {
    let project = scope::project(db.conn(), actor, project_id).await?;
    let mut fields = Fields::new(body)?;
    let wanted: Vec<i64> = match fields.raw("file_upload_ids") {
        None | Some(Value::Null) => Vec::new(),
        Some(_) => {
            let listed = fields.list("file_upload_ids").unwrap_or_default();
            let ids: Option<Vec<i64>> = listed.iter().map(pk_of).collect();
            if ids.is_none() {
                fields.error("file_upload_ids", "A valid integer is required.");
            }
            ids.unwrap_or_default()
        }
    };
    let as_list = fields.boolean("files_as_tasks_list").unwrap_or(true);
    fields.finish()?;
    if wanted.is_empty() {
        return Ok(None);
    }
    let mut response = ImportOut::nothing();
    let uploads = queries::file_uploads::of_project(db.conn(), project.id, Some(&wanted)).await?;
    let data_keys = config_of(&project).map_or(0, |c| c.data_types.len());
    let mut items = Vec::new();
    let mut tally = FileTally::default();
    for upload in &uploads {
        let bytes = media.get(&upload.file).await?;
        let ext = formats::extension(&upload.file);
        let parsed = tally.read(&ext, &bytes, &upload.file, data_keys, as_list)?;
        items.extend(parsed.into_iter().map(|item| RawItem {
            item: ItemJson::Parsed(item),
            file_upload_id: Some(upload.id),
        }));
    }
    response.file_upload_ids = uploads.iter().map(|u| u.id).collect();
    (
        response.found_formats,
        response.could_be_tasks_list,
        response.data_columns,
    ) = tally.finish();
    response.task_count = items.len();
    let txn = db.write_unbounded().await?;
    let replaced =
        queries::tasks::ids_from_uploads(&*txn, project.id, &response.file_upload_ids).await?;
    if !replaced.is_empty() {
        tasks::delete(&txn, project.id, TaskSet::Ids(&replaced)).await?;
    }
    if !items.is_empty() {
        let project = scope::project(&*txn, actor, project_id).await?;
        let imported =
            import::import(&txn, &project, actor.organization_id, actor.user.id, items).await?;
        response.annotation_count = Some(imported.annotation_count);
        response.prediction_count = Some(imported.prediction_count);
    }
    txn.commit().await?;
    Ok(Some(response))
}

/// Imports `[{"task", "result", "score", "model_version"}]` into a project's tasks; how many
/// predictions were created (results the config cannot hold are skipped).
pub async fn predictions(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    body: &Value,
) -> CoreResult<usize> {
    let project = scope::project(db.conn(), actor, project_id).await?;
    let Value::Array(items) = body else {
        return Err(refuse("Expected a list of predictions"));
    };
    let config = config_of(&project);
    let txn = db.write_unbounded().await?;
    let mut rows = Vec::new();
    for item in items {
        let task = match item.get("task").and_then(Value::as_i64) {
            Some(task_id) => queries::tasks::find(&*txn, task_id)
                .await?
                .filter(|t| t.project_id == project.id),
            None => None,
        };
        let Some(task) = task else {
            return Err(refuse(format!(
                "{} contains invalid \"task\" field: corresponding task ID couldn't be retrieved from project {} (id={}) tasks",
                pyrepr::repr(item),
                project.title.clone().unwrap_or_default(),
                project.id
            )));
        };
        let Ok(Some(result)) =
            normalize_result(config.as_ref(), item.get("result").unwrap_or(&Value::Null))
        else {
            continue;
        };
        rows.push(NewPrediction {
            task_id: task.id,
            result: result.to_string(),
            model_version: item
                .get("model_version")
                .and_then(Value::as_str)
                .unwrap_or("undefined")
                .to_string(),
            score: item.get("score").and_then(Value::as_f64),
        });
    }
    let created = rows.len();
    predictions::add_many(&*txn, &project, rows).await?;
    txn.commit().await?;
    Ok(created)
}
