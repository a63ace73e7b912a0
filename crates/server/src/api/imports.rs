//! Import routes: `POST /api/projects/{id}/import` (JSON bodies and multipart files), the
//! deprecated `/tasks/bulk/`, `/import/predictions`, file uploads and serving them
//! (`/data/upload/`, `/storage-data/uploaded/`).

use std::time::Instant;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use tessera_core::import::{refuse, ItemJson};
use tessera_core::import_runs::{self, ImportOptions, ImportOut};
use tessera_core::intake::{check_extension, Collected, FileIntake, SavedFiles};
use tessera_core::scope;
use tessera_core::uploads::{self, UploadOut};
use tessera_db::entities::project;

use crate::api::{exact, slashed};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{parse_json, read_body, refuse_unsupported, ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

/// Most files one import request may carry (Django's `DATA_UPLOAD_MAX_NUMBER_FILES`).
const MAX_FILES: usize = 100;

#[derive(Deserialize, Default)]
struct ImportParams {
    commit_to_project: Option<String>,
    return_task_ids: Option<String>,
    preannotated_from_fields: Option<String>,
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
) -> ApiResult<(StatusCode, Json<ImportOut>)> {
    let started = Instant::now();
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let mut saved = SavedFiles::default();
    let options = ImportOptions {
        commit_to_project: params.commit_to_project.as_deref(),
        return_task_ids: params.return_task_ids.as_deref(),
        preannotated_from_fields: params.preannotated_from_fields.as_deref(),
    };
    let outcome = match collect(&state, &project, request, &mut saved).await {
        Ok(collected) => import_runs::run(&state.db, &caller, &project, collected, options)
            .await
            .map_err(ApiError::from),
        Err(err) => Err(err),
    };
    match outcome {
        Ok(response) => Ok((
            StatusCode::CREATED,
            Json(ImportOut {
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

/// `POST /api/projects/{id}/reimport`: the tasks of files uploaded earlier, replacing the
/// tasks those files made before; no ids imports nothing (200).
async fn reimport(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<ImportOut>)> {
    let started = Instant::now();
    match import_runs::reimport(&state.db, &state.media, &caller, id, &body).await? {
        None => Ok((StatusCode::OK, Json(ImportOut::nothing()))),
        Some(response) => Ok((
            StatusCode::CREATED,
            Json(ImportOut {
                duration: started.elapsed().as_secs_f64(),
                ..response
            }),
        )),
    }
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
    let created = import_runs::predictions(&state.db, &caller, id, &body).await?;
    Ok((StatusCode::CREATED, Json(Created { created })))
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
    let listed = uploads::list(
        &state.db,
        &caller,
        id,
        params.ids.as_deref(),
        params.all.as_deref(),
    )
    .await?;
    Ok(Json(listed))
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
    let deleted = uploads::delete_many(&state.db, &state.media, &caller, id, &body).await?;
    Ok(Json(Deleted { deleted }))
}

async fn get_upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UploadOut>> {
    Ok(Json(uploads::get(&state.db, &caller, id).await?))
}

async fn delete_upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    uploads::delete(&state.db, &state.media, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /data/upload/{project}/{file}`: an uploaded file, for members of its organization.
async fn serve_upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((project_id, name)): ApiPath<(i64, String)>,
) -> ApiResult<Response> {
    let stream = uploads::file(&state.db, &state.media, &caller, project_id, &name).await?;
    Ok(upload_response(stream, &name))
}

/// An uploaded file's bytes, typed by its name and sandboxed.
fn upload_response(stream: tessera_storage::ByteStream, name: &str) -> Response {
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_SECURITY_POLICY, "sandbox".to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

#[derive(Deserialize)]
struct StoredFile {
    filepath: Option<String>,
}

/// `GET /storage-data/uploaded/?filepath=upload/{project}/{name}` (or `avatars/{name}`): the
/// same files under the path label-studio-ml tries first. As in Label Studio, no `filepath` is an empty 404 and a
/// file the caller may not read (or that is not there) an empty 403.
async fn serve_stored_upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<StoredFile>,
) -> ApiResult<Response> {
    let Some(filepath) = params.filepath else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let decoded = percent_encoding::percent_decode_str(&filepath).decode_utf8_lossy();
    if let Some(name) = decoded.strip_prefix("avatars/") {
        return Ok(
            match tessera_core::users::avatar(&state.media, name).await {
                Ok(bytes) => crate::api::users::avatar_response(bytes, name),
                Err(_) => StatusCode::FORBIDDEN.into_response(),
            },
        );
    }
    let named = decoded
        .strip_prefix("upload/")
        .and_then(|rest| rest.split_once('/'))
        .and_then(|(project, name)| Some((project.parse::<i64>().ok()?, name)));
    let Some((project_id, name)) = named else {
        return Ok(StatusCode::FORBIDDEN.into_response());
    };
    match uploads::file(&state.db, &state.media, &caller, project_id, name).await {
        Ok(stream) => Ok(upload_response(stream, name)),
        Err(tessera_core::error::CoreError::NotFound(_)) => {
            Ok(StatusCode::FORBIDDEN.into_response())
        }
        Err(err) => Err(err.into()),
    }
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
    let router = exact(router, "/data/upload/{project}/{name}", get(serve_upload));
    slashed(router, "/storage-data/uploaded/", get(serve_stored_upload))
}
