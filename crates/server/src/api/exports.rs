//! `GET /api/projects/{id}/export` (streamed), `/export/formats`, export snapshots
//! (`/api/projects/{id}/exports/…`), and the removed v1 routes.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use md5::{Digest, Md5};
use tessera_core::export::media::MediaReader;
use tessera_core::export::{export, ExportRequest};
use tessera_core::fields::query_bool;
use tessera_core::scope;
use tessera_core::snapshots::{self, Download};
use tessera_db::time;
use tessera_formats::export::{Format, FormatInfo};

use crate::api::{exact, slashed};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{ApiPath, JsonBody};
use crate::state::AppState;

/// Reads the export parameters: `exportType` (or `export_type`), `download_all_tasks`,
/// repeated `ids[]` (or `ids`), `annotations__completed_by__only_id` (bare `completed_by` ids),
/// `escape_formulas` (CSV/TSV, default true) and `interpolate_key_frames` (video tracking).
fn parse_request(query: Option<&str>) -> ApiResult<ExportRequest> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let type_name = get("exportType").or(get("export_type")).unwrap_or("JSON");
    let format = Format::parse(type_name).ok_or_else(|| {
        ApiError::BadRequest(format!("{type_name} is not supported export format"))
    })?;
    // Label Studio reads `ids[]`; the official SDK sends repeated `ids`, so both are honoured.
    // An id that is not a number is refused: ignoring it would export the whole project.
    let ids = pairs
        .iter()
        .filter(|(k, _)| k == "ids[]" || k == "ids")
        .map(|(key, v)| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::field(key, format!("\"{v}\" is not a valid task id.")))
        })
        .collect::<ApiResult<Vec<i64>>>()?;
    let only_id =
        get("annotations__completed_by__only_id").or(get("annotations__completed_by.only_id"));
    Ok(ExportRequest {
        download_resources: query_bool("download_resources", get("download_resources"), true)?,
        format,
        all_tasks: query_bool("download_all_tasks", get("download_all_tasks"), false)?,
        ids: (!ids.is_empty()).then_some(ids),
        completed_by_only_id: query_bool("annotations__completed_by__only_id", only_id, false)?,
        escape_formulas: query_bool("escape_formulas", get("escape_formulas"), true)?,
        interpolate_key_frames: query_bool(
            "interpolate_key_frames",
            get("interpolate_key_frames"),
            false,
        )?,
    })
}

async fn export_project(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let project = scope::project(state.db.conn(), &caller, id).await?;
    let request = parse_request(query.as_deref())?;
    let now = time::now();
    let digest = hex::encode(Md5::digest(format!(
        "{}:{}:{}",
        project.id,
        now.timestamp_micros(),
        query.unwrap_or_default()
    )));
    let media = MediaReader::new(
        state.db.clone(),
        state.media.clone(),
        state.storage.clone(),
        project.id,
        project.organization_id,
    );
    let exported = export(state.db.clone(), media, project.clone(), request).await?;
    let name = format!(
        "project-{}-at-{}-{}.{}",
        project.id,
        now.format("%Y-%m-%d-%H-%M"),
        &digest[..8],
        exported.extension
    );
    let mut response = Body::from_stream(exported.body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(exported.content_type),
    );
    attachment(&mut response, &name)?;
    Ok(response)
}

async fn export_formats(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<FormatInfo>>> {
    let project = scope::project(state.db.conn(), &caller, id).await?;
    Ok(Json(tessera_core::export::formats(&project)))
}

async fn list_snapshots(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<serde_json::Value>>> {
    Ok(Json(snapshots::list(&state.db, &caller, id).await?))
}

async fn create_snapshot(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let created = snapshots::create(&state.db, &caller, id, &body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn get_snapshot(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, pk)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(snapshots::get(&state.db, &caller, id, pk).await?))
}

async fn delete_snapshot(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, pk)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    snapshots::delete(&state.db, &state.media, &caller, id, pk).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A download's name headers: `Content-Disposition` and Label Studio's `filename`.
fn attachment(response: &mut Response, name: &str) -> ApiResult<()> {
    let value = |text: &str| HeaderValue::from_str(text).map_err(|e| ApiError::Internal(e.into()));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(&format!("attachment; filename=\"{name}\""))?,
    );
    headers.insert("filename", value(name)?);
    Ok(())
}

#[derive(serde::Deserialize)]
struct DownloadQuery {
    #[serde(rename = "exportType")]
    export_type: Option<String>,
}

async fn download_snapshot(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, pk)): ApiPath<(i64, i64)>,
    crate::payload::ApiQuery(query): crate::payload::ApiQuery<DownloadQuery>,
) -> ApiResult<Response> {
    let export_type = query.export_type.filter(|t| !t.is_empty());
    let with = snapshots::convert::Converting {
        db: state.db.clone(),
        media: state.media.clone(),
        env: state.storage.clone(),
    };
    let download = snapshots::download(&with, &caller, id, pk, export_type.as_deref()).await?;
    let (mut response, name) = match download {
        // Label Studio answers this one in plain text.
        Download::NotCompleted => {
            return Ok((StatusCode::NOT_FOUND, "Export is not completed").into_response())
        }
        Download::Stored { name, body } => {
            let mut response = Body::from_stream(body).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            (response, name)
        }
        Download::Converted {
            name,
            content_type,
            body,
        } => {
            let mut response = Body::from_stream(body).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            (response, name)
        }
    };
    attachment(&mut response, &name)?;
    Ok(response)
}

async fn convert_snapshot(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, pk)): ApiPath<(i64, i64)>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(
        snapshots::start_conversion(&state.db, &caller, id, pk, &body).await?,
    ))
}

/// The v1 export routes that Label Studio Enterprise v2 removed.
async fn removed_export(ApiPath(id): ApiPath<i64>) -> ApiError {
    ApiError::Bare(StatusCode::GONE, format!("This endpoint was removed. Export annotations with GET /api/projects/{id}/export?exportType=JSON"))
}

pub(crate) fn routes(router: axum::Router<AppState>) -> Router<AppState> {
    let router = exact(router, "/api/projects/{id}/export", get(export_project));
    let router = exact(
        router,
        "/api/projects/{id}/export/formats",
        get(export_formats),
    );
    let router = slashed(
        router,
        "/api/projects/{id}/exports/",
        get(list_snapshots).post(create_snapshot),
    );
    let router = exact(
        router,
        "/api/projects/{id}/exports/{pk}",
        get(get_snapshot).delete(delete_snapshot),
    );
    let router = exact(
        router,
        "/api/projects/{id}/exports/{pk}/download",
        get(download_snapshot),
    );
    let router = exact(
        router,
        "/api/projects/{id}/exports/{pk}/convert",
        post(convert_snapshot),
    );
    let router = slashed(router, "/api/projects/{id}/results/", get(removed_export));
    slashed(
        router,
        "/api/projects/{id}/completions/",
        get(removed_export),
    )
}
