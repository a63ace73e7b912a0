//! Import routes: `POST /api/projects/{id}/import` (JSON bodies and multipart files), the
//! deprecated `/tasks/bulk/`, `/import/predictions`, file uploads and serving `/data/upload/`.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use tessera_core::fields::query_bool;
use tessera_core::import::{self, refuse, ItemJson, RawItem};
use tessera_core::intake::{check_extension, Collected, FileIntake, FileTally, SavedFiles};
use tessera_core::predictions::{self, normalize_result};
use tessera_core::projects::config_of;
use tessera_core::scope;
use tessera_db::counters::TaskSet;
use tessera_db::entities::{file_upload, project};
use tessera_db::queries::file_uploads::NewUpload;
use tessera_db::queries::predictions::NewPrediction;
use tessera_db::{queries, time};
use tessera_formats::import as formats;
use tessera_jobs::NewJob;
use tessera_labelconfig::pyrepr;
use tessera_storage::{Media, MediaError};

use crate::api::{exact, slashed};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{parse_json, read_body, refuse_unsupported, ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

/// Imports at least this large refresh the planner's statistics afterwards.
const STATISTICS_AFTER: usize = 5_000;

/// Most files one import request may carry (Django's `DATA_UPLOAD_MAX_NUMBER_FILES`).
const MAX_FILES: usize = 100;

#[derive(Deserialize, Default)]
struct ImportParams {
    commit_to_project: Option<String>,
    return_task_ids: Option<String>,
    preannotated_from_fields: Option<String>,
}

/// `preannotated_from_fields=a,b`: moves those data fields of every item into predictions
/// (Label Studio's `reformat_predictions`), e.g. a CSV column holding a model's label.
fn predictions_from_fields(
    items: &mut [(ItemJson, Option<usize>)],
    fields: &[&str],
) -> ApiResult<()> {
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

/// The import response, in Label Studio's key order.
#[derive(Serialize)]
struct ImportResponse {
    task_count: usize,
    annotation_count: Option<usize>,
    prediction_count: Option<usize>,
    duration: f64,
    file_upload_ids: Vec<i64>,
    could_be_tasks_list: bool,
    found_formats: Value,
    data_columns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_ids: Option<Vec<i64>>,
}

fn json_items(body: Value) -> ApiResult<Vec<(ItemJson, Option<usize>)>> {
    let items = match body {
        Value::Array(items) => items,
        Value::Object(map) => vec![Value::Object(map)],
        _ => return Err(refuse("load_tasks: No data found in DATA or in FILES").into()),
    };
    Ok(items
        .into_iter()
        .map(|item| (ItemJson::Parsed(item), None))
        .collect())
}

/// A JSON request body split into its items, each kept as text until the import parses it:
/// a list of tasks or a single task. Anything else goes through [`json_items`].
fn raw_json_items(bytes: &[u8]) -> ApiResult<Vec<(ItemJson, Option<usize>)>> {
    let malformed =
        |err: serde_json::Error| ApiError::BadRequest(format!("JSON parse error - {err}"));
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => {
            let items: Vec<Box<RawValue>> = serde_json::from_slice(bytes).map_err(malformed)?;
            Ok(items
                .into_iter()
                .map(|item| (ItemJson::Raw(item), None))
                .collect())
        }
        Some(b'{') => {
            let item: Box<RawValue> = serde_json::from_slice(bytes).map_err(malformed)?;
            Ok(vec![(ItemJson::Raw(item), None)])
        }
        _ => json_items(parse_json(bytes)?),
    }
}

/// Stores every uploaded file and parses it into items (no database work: the write
/// transaction opens only once the whole body has been read).
async fn collect_files(
    state: &AppState,
    project: &project::Model,
    mut multipart: Multipart,
    saved: &mut SavedFiles,
) -> ApiResult<Collected> {
    let mut intake = FileIntake::new(&state.media, project, saved);
    let mut files = 0;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let Some(original) = field.file_name().map(str::to_string) else {
            continue;
        };
        files += 1;
        if files > MAX_FILES {
            return Err(refuse(
                "The number of files exceeded settings.DATA_UPLOAD_MAX_NUMBER_FILES.",
            )
            .into());
        }
        let ext = check_extension(&original)?;
        let bytes = field.bytes().await.map_err(multipart_error)?;
        intake.add(&original, &ext, bytes).await?;
    }
    if files == 0 {
        return Err(refuse("load_tasks: No data found in DATA or in FILES").into());
    }
    Ok(intake.finish())
}

/// Downloads the file at `url` (through the SSRF-guarded client, at most `--max-body-size`
/// bytes) and reads it as an uploaded file named by the last segment of its final URL.
async fn collect_url(
    state: &AppState,
    project: &project::Model,
    url: &str,
    saved: &mut SavedFiles,
) -> ApiResult<Collected> {
    let fetched = state
        .outbound
        .get(url.trim(), state.config.max_body_size as u64)
        .await
        .map_err(|err| refuse(err.to_string()))?;
    let name = fetched
        .url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .filter(|name| !name.is_empty())
        .map(|name| {
            percent_encoding::percent_decode_str(name)
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_else(|| "download".to_string());
    let ext = check_extension(&name)?;
    let mut intake = FileIntake::new(&state.media, project, saved);
    intake.add(&name, &ext, fetched.body).await?;
    Ok(intake.finish())
}

fn multipart_error(err: axum::extract::multipart::MultipartError) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge("Request body is larger than the configured limit".into())
    } else {
        ApiError::BadRequest(err.body_text())
    }
}

/// Parses the body into items according to its content type.
async fn collect(
    state: &AppState,
    project: &project::Model,
    request: Request,
    saved: &mut SavedFiles,
) -> ApiResult<Collected> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(request, &())
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        return collect_files(state, project, multipart, saved).await;
    }
    let bytes = read_body(request, &()).await?;
    let items = if content_type.starts_with("application/x-www-form-urlencoded") {
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let url = form
            .into_iter()
            .find(|(k, _)| k == "url")
            .map(|(_, v)| v)
            .filter(|url| !url.trim().is_empty())
            .ok_or_else(|| refuse("\"url\" is not found in request data"))?;
        // Label Studio reads the field as tasks when it is JSON (quotes may be single).
        match serde_json::from_str(&url.replace('\'', "\"")) {
            Ok(inline) => json_items(inline)?,
            Err(_) => return collect_url(state, project, &url, saved).await,
        }
    } else {
        refuse_unsupported(&content_type)?;
        raw_json_items(&bytes)?
    };
    Ok(Collected {
        items,
        found_formats: json!([]),
        ..Collected::empty()
    })
}

async fn import_tasks(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<ImportParams>,
    request: Request,
) -> ApiResult<(StatusCode, Json<ImportResponse>)> {
    let started = Instant::now();
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let mut saved = SavedFiles::default();
    let outcome = run_import(&state, &caller, &project, &params, request, &mut saved).await;
    match outcome {
        Ok(response) => Ok((
            StatusCode::CREATED,
            Json(ImportResponse {
                duration: started.elapsed().as_secs_f64(),
                ..response
            }),
        )),
        Err(err) => {
            saved.remove_all(&state.media).await;
            Err(err)
        }
    }
}

async fn run_import(
    state: &AppState,
    caller: &Caller,
    project: &project::Model,
    params: &ImportParams,
    request: Request,
    saved: &mut SavedFiles,
) -> ApiResult<ImportResponse> {
    let mut collected = collect(state, project, request, saved).await?;
    if let Some(fields) = params
        .preannotated_from_fields
        .as_deref()
        .filter(|f| !f.is_empty())
    {
        let fields: Vec<&str> = fields.split(',').map(str::trim).collect();
        predictions_from_fields(&mut collected.items, &fields)?;
    }
    // Bulk work without a client's filter: a big import's statements may run long.
    let txn = state.db.write_unbounded().await?;
    let mut file_upload_ids = Vec::with_capacity(collected.files.len());
    for file in &collected.files {
        let upload = NewUpload {
            project_id: project.id,
            user_id: caller.user.id,
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
    let mut response = ImportResponse {
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
    if !query_bool(
        "commit_to_project",
        params.commit_to_project.as_deref(),
        true,
    )? {
        txn.commit().await?;
        return Ok(response);
    }
    let imported =
        import::import(&txn, project, caller.organization_id, caller.user.id, items).await?;
    response.annotation_count = Some(imported.annotation_count);
    response.prediction_count = Some(imported.prediction_count);
    if query_bool("return_task_ids", params.return_task_ids.as_deref(), false)? {
        response.task_ids = Some(imported.task_ids);
    }
    if response.task_count >= STATISTICS_AFTER {
        let refresh = NewJob::new(crate::background::STATISTICS_REFRESH, Value::Null)
            .singleton(crate::background::STATISTICS_REFRESH);
        tessera_jobs::queue::enqueue(&*txn, refresh).await?;
    }
    txn.commit().await?;
    Ok(response)
}

/// `POST /api/projects/{id}/reimport`: the tasks of files uploaded earlier (an import sent
/// with `commit_to_project=false`, as the web app's wizard does on selection), replacing the
/// tasks those files made before, in one transaction. Unknown ids are skipped, as Label Studio
/// skips them; no ids imports nothing.
async fn reimport(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<ImportResponse>)> {
    let started = Instant::now();
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let mut fields = tessera_core::fields::Fields::new(&body)?;
    let wanted: Vec<i64> = match fields.raw("file_upload_ids") {
        None | Some(Value::Null) => Vec::new(),
        Some(_) => {
            let listed = fields.list("file_upload_ids").unwrap_or_default();
            let ids: Option<Vec<i64>> = listed.iter().map(tessera_core::fields::pk_of).collect();
            if ids.is_none() {
                fields.error("file_upload_ids", "A valid integer is required.");
            }
            ids.unwrap_or_default()
        }
    };
    let as_list = fields.boolean("files_as_tasks_list").unwrap_or(true);
    fields.finish()?;
    let mut response = ImportResponse {
        task_count: 0,
        annotation_count: Some(0),
        prediction_count: Some(0),
        duration: 0.0,
        file_upload_ids: Vec::new(),
        could_be_tasks_list: false,
        found_formats: Value::Object(Map::new()),
        data_columns: Vec::new(),
        task_ids: None,
    };
    if wanted.is_empty() {
        return Ok((StatusCode::OK, Json(response)));
    }
    let uploads =
        queries::file_uploads::of_project(state.db.conn(), project.id, Some(&wanted)).await?;
    let data_keys = config_of(&project).map_or(0, |c| c.data_types.len());
    let mut items = Vec::new();
    let mut tally = FileTally::default();
    for upload in &uploads {
        let bytes = state.media.get(&upload.file).await?;
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
    let txn = state.db.write_unbounded().await?;
    let replaced =
        queries::tasks::ids_from_uploads(&*txn, project.id, &response.file_upload_ids).await?;
    if !replaced.is_empty() {
        tessera_core::tasks::delete(&txn, project.id, TaskSet::Ids(&replaced)).await?;
    }
    if !items.is_empty() {
        let project = scope::project(&*txn, &caller, id).await?;
        let imported = import::import(
            &txn,
            &project,
            caller.organization_id,
            caller.user.id,
            items,
        )
        .await?;
        response.annotation_count = Some(imported.annotation_count);
        response.prediction_count = Some(imported.prediction_count);
    }
    txn.commit().await?;
    response.duration = started.elapsed().as_secs_f64();
    Ok((StatusCode::CREATED, Json(response)))
}

#[derive(Serialize)]
struct Created {
    created: usize,
}

/// `POST /api/projects/{id}/import/predictions`: `[{"task", "result", "score", "model_version"}]`.
async fn import_predictions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let Value::Array(items) = body else {
        return Err(refuse("Expected a list of predictions").into());
    };
    let config = config_of(&project);
    let txn = state.db.write_unbounded().await?;
    let mut rows = Vec::new();
    for item in &items {
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
            )).into());
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
    Ok((StatusCode::CREATED, Json(Created { created })))
}

/// `FileUploadSerializer`: `{id, file, size}`, plus the name the file had when uploaded.
#[derive(Serialize)]
struct UploadOut {
    id: i64,
    file: String,
    size: Option<i64>,
    original_name: Option<String>,
}

impl From<file_upload::Model> for UploadOut {
    fn from(upload: file_upload::Model) -> UploadOut {
        UploadOut {
            id: upload.id,
            file: upload.file,
            size: Some(upload.size),
            original_name: upload.original_name,
        }
    }
}

#[derive(Deserialize)]
struct UploadListParams {
    ids: Option<String>,
    all: Option<String>,
}

async fn list_uploads(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<UploadListParams>,
) -> ApiResult<Json<Vec<UploadOut>>> {
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let ids: Option<Vec<i64>> = match params.ids.as_deref() {
        Some(text) => Some(
            serde_json::from_str(text)
                .map_err(|_| ApiError::field("ids", "Expected a JSON list of ids, e.g. [1,2]"))?,
        ),
        None => None,
    };
    if ids.is_none() && !query_bool("all", params.all.as_deref(), false)? && !project.is_draft {
        return Ok(Json(Vec::new()));
    }
    let uploads =
        queries::file_uploads::of_project(state.db.conn(), project.id, ids.as_deref()).await?;
    Ok(Json(
        uploads
            .into_iter()
            .filter(|u| u.user_id == Some(caller.user.id))
            .map(UploadOut::from)
            .collect(),
    ))
}

#[derive(Serialize)]
struct Deleted {
    deleted: u64,
}

async fn delete_uploads(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Deleted>> {
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let wanted: Option<Vec<i64>> = match body.get("file_upload_ids") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            serde_json::from_value(value.clone())
                .map_err(|_| ApiError::field("file_upload_ids", "Expected a list of ids."))?,
        ),
    };
    let txn = state.db.write().await?;
    let uploads = queries::file_uploads::of_project(&*txn, project.id, wanted.as_deref()).await?;
    let ids: Vec<i64> = uploads.iter().map(|u| u.id).collect();
    let deleted = queries::file_uploads::delete(&*txn, &ids).await?;
    txn.commit().await?;
    for upload in uploads {
        remove_upload_file(&state.media, &upload.file).await;
    }
    Ok(Json(Deleted { deleted }))
}

async fn get_upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UploadOut>> {
    Ok(Json(
        scope::upload(state.db.conn(), &caller, id).await?.into(),
    ))
}

async fn delete_upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let upload = scope::upload(state.db.conn(), &caller, id).await?;
    let txn = state.db.write().await?;
    queries::file_uploads::delete(&*txn, &[upload.id]).await?;
    txn.commit().await?;
    remove_upload_file(&state.media, &upload.file).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a deleted upload's file (a failure is logged: the orphan sweep retries it).
async fn remove_upload_file(media: &Media, key: &str) {
    if let Err(err) = media.delete(key).await {
        tracing::warn!(error = %err, "removing a deleted upload's file failed");
    }
}

/// `GET /data/upload/{project}/{file}`: an uploaded file, for members of its organization.
async fn serve_upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((project_id, name)): ApiPath<(i64, String)>,
) -> ApiResult<Response> {
    scope::project(state.db.conn(), &caller, project_id).await?;
    let relative = format!("upload/{project_id}/{name}");
    let upload = queries::file_uploads::find_by_file(state.db.conn(), &relative)
        .await?
        .ok_or_else(|| ApiError::NotFound("Not found.".into()))?;
    let (_, stream) = match state.media.stream(&upload.file).await {
        Ok(found) => found,
        Err(MediaError::NotFound(_) | MediaError::InvalidKey(_)) => {
            return Err(ApiError::NotFound("Not found.".into()))
        }
        Err(err) => return Err(err.into()),
    };
    let mime = mime_guess::from_path(&name).first_or_octet_stream();
    let body = Body::from_stream(stream);
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_SECURITY_POLICY, "sandbox".to_string()),
        ],
        body,
    )
        .into_response())
}

/// The import routes; they accept bodies up to `max_body` (uploads), unlike the rest of the API.
pub(crate) fn routes(router: Router<AppState>, max_body: usize) -> Router<AppState> {
    let big = || DefaultBodyLimit::max(max_body);
    let router = exact(
        router,
        "/api/projects/{id}/import",
        post(import_tasks).layer(big()),
    );
    let router = slashed(
        router,
        "/api/projects/{id}/tasks/bulk/",
        post(import_tasks).layer(big()),
    );
    let router = slashed(router, "/api/projects/{id}/reimport", post(reimport));
    let router = exact(
        router,
        "/api/projects/{id}/import/predictions",
        post(import_predictions).layer(big()),
    );
    let router = exact(
        router,
        "/api/projects/{id}/file-uploads",
        get(list_uploads).delete(delete_uploads),
    );
    let router = exact(
        router,
        "/api/import/file-upload/{id}",
        get(get_upload).delete(delete_upload),
    );
    exact(router, "/data/upload/{project}/{name}", get(serve_upload))
}
