//! Cloud storages: `/api/storages/<type>/...` (import) and `/api/storages/export/<type>...`
//! (export) for `s3`, `gcs`, `azure`, `redis` and `localfiles`, and the cross-type lists and
//! types, registered with or without trailing slashes as Label Studio registers them. The use
//! cases are `tessera_core::storages`.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::storages::kinds::{Direction, Kind};
use tessera_core::storages::local::{self, Refusal};
use tessera_core::storages::resolve::{self, Resolved};
use tessera_core::storages::{self, Synced, TypeOut};
use tessera_storage::remote::ByteRange;

use crate::api::{exact, slashed};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

/// The type a path names; another is a 404.
fn kind(name: &str) -> ApiResult<Kind> {
    Kind::from_name(name).ok_or_else(|| ApiError::NotFound("Not found.".into()))
}

#[derive(Deserialize)]
struct ProjectParam {
    project: Option<String>,
}

async fn types() -> Json<Vec<TypeOut>> {
    Json(storages::types())
}

async fn list_all(
    state: &AppState,
    caller: &Caller,
    direction: Direction,
    project: Option<&str>,
) -> ApiResult<Json<Vec<Value>>> {
    Ok(Json(
        storages::list_all(&state.db, caller, direction, project).await?,
    ))
}

async fn list_imports(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ProjectParam>,
) -> ApiResult<Json<Vec<Value>>> {
    list_all(
        &state,
        &caller,
        Direction::Import,
        params.project.as_deref(),
    )
    .await
}

async fn list_exports(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ProjectParam>,
) -> ApiResult<Json<Vec<Value>>> {
    list_all(
        &state,
        &caller,
        Direction::Export,
        params.project.as_deref(),
    )
    .await
}

/// The routes of one direction, for the path's type.
struct Routes(Direction);

impl Routes {
    async fn list(
        &self,
        state: AppState,
        caller: Caller,
        name: String,
        project: Option<String>,
    ) -> ApiResult<Json<Vec<Value>>> {
        let listed =
            storages::list(&state.db, &caller, kind(&name)?, self.0, project.as_deref()).await?;
        Ok(Json(listed))
    }

    async fn create(
        &self,
        state: AppState,
        caller: Caller,
        name: String,
        body: Value,
    ) -> ApiResult<(StatusCode, Json<Value>)> {
        let created = storages::create(
            &state.db,
            &state.storage,
            &caller,
            kind(&name)?,
            self.0,
            &body,
        )
        .await?;
        Ok((StatusCode::CREATED, Json(created)))
    }

    async fn get(
        &self,
        state: AppState,
        caller: Caller,
        name: String,
        id: i64,
    ) -> ApiResult<Json<Value>> {
        Ok(Json(
            storages::get(&state.db, &caller, kind(&name)?, self.0, id).await?,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    async fn update(
        &self,
        state: AppState,
        caller: Caller,
        name: String,
        id: i64,
        body: Value,
        partial: bool,
    ) -> ApiResult<Json<Value>> {
        let kind = kind(&name)?;
        let updated = storages::update(
            &state.db,
            &state.storage,
            &caller,
            kind,
            self.0,
            id,
            &body,
            partial,
        )
        .await?;
        Ok(Json(updated))
    }

    async fn delete(
        &self,
        state: AppState,
        caller: Caller,
        name: String,
        id: i64,
    ) -> ApiResult<StatusCode> {
        storages::delete(&state.db, &caller, kind(&name)?, self.0, id).await?;
        Ok(StatusCode::NO_CONTENT)
    }

    async fn sync(
        &self,
        state: AppState,
        caller: Caller,
        name: String,
        id: i64,
    ) -> ApiResult<Response> {
        let kind = kind(&name)?;
        match storages::start_sync(&state.db, &state.storage, &caller, kind, self.0, id).await? {
            Synced::Storage(storage) => Ok(Json(storage).into_response()),
            // Label Studio answers this one without its error envelope.
            Synced::NotSynchronizable(id) => Ok((
                StatusCode::BAD_REQUEST,
                Json(json!({"message": format!("Storage {id} is not synchronizable")})),
            )
                .into_response()),
        }
    }

    async fn validate(
        &self,
        state: AppState,
        caller: Caller,
        name: String,
        body: Value,
    ) -> ApiResult<StatusCode> {
        let kind = kind(&name)?;
        storages::validate(&state.db, &state.storage, &caller, kind, self.0, &body).await?;
        Ok(StatusCode::OK)
    }

    fn form(&self, name: &str) -> ApiResult<Json<Value>> {
        Ok(Json(storages::kinds::form(kind(name)?, self.0)))
    }
}

/// `POST /api/storages/<type>/files`: what an import storage's settings would sync, before
/// saving them.
async fn files(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let kind = kind(&name)?;
    Ok(Json(
        storages::files(&state.db, &state.storage, &caller, kind, &body).await?,
    ))
}

const IMPORT: Routes = Routes(Direction::Import);
const EXPORT: Routes = Routes(Direction::Export);

/// Registers one direction's handlers under `base` (`/api/storages` or
/// `/api/storages/export`); import lists take a trailing slash, export ones do not.
macro_rules! direction_routes {
    ($router:expr, $routes:expr, $base:literal, $list:ident) => {{
        let router = $list(
            $router,
            concat!($base, "/{kind}", "/"),
            get(
                |State(state): State<AppState>,
                 caller: Caller,
                 ApiPath(name): ApiPath<String>,
                 ApiQuery(params): ApiQuery<ProjectParam>| async move {
                    $routes.list(state, caller, name, params.project).await
                },
            )
            .post(
                |State(state): State<AppState>,
                 caller: Caller,
                 ApiPath(name): ApiPath<String>,
                 JsonBody(body): JsonBody| async move {
                    $routes.create(state, caller, name, body).await
                },
            ),
        );
        let router = exact(
            router,
            concat!($base, "/{kind}/{id}"),
            get(
                |State(state): State<AppState>,
                 caller: Caller,
                 ApiPath((name, id)): ApiPath<(String, i64)>| async move {
                    $routes.get(state, caller, name, id).await
                },
            )
            .patch(
                |State(state): State<AppState>,
                 caller: Caller,
                 ApiPath((name, id)): ApiPath<(String, i64)>,
                 JsonBody(body): JsonBody| async move {
                    $routes.update(state, caller, name, id, body, true).await
                },
            )
            .put(
                |State(state): State<AppState>,
                 caller: Caller,
                 ApiPath((name, id)): ApiPath<(String, i64)>,
                 JsonBody(body): JsonBody| async move {
                    $routes.update(state, caller, name, id, body, false).await
                },
            )
            .delete(
                |State(state): State<AppState>,
                 caller: Caller,
                 ApiPath((name, id)): ApiPath<(String, i64)>| async move {
                    $routes.delete(state, caller, name, id).await
                },
            ),
        );
        let router = exact(
            router,
            concat!($base, "/{kind}/{id}/sync"),
            post(
                |State(state): State<AppState>,
                 caller: Caller,
                 ApiPath((name, id)): ApiPath<(String, i64)>| async move {
                    $routes.sync(state, caller, name, id).await
                },
            ),
        );
        let router = exact(
            router,
            concat!($base, "/{kind}/validate"),
            post(
                |State(state): State<AppState>,
                 caller: Caller,
                 ApiPath(name): ApiPath<String>,
                 JsonBody(body): JsonBody| async move {
                    $routes.validate(state, caller, name, body).await
                },
            ),
        );
        exact(
            router,
            concat!($base, "/{kind}/form"),
            get(|ApiPath(name): ApiPath<String>| async move { $routes.form(&name) }),
        )
    }};
}

/// Registers `path` without its trailing slash only (export routes have none).
fn bare(
    router: Router<AppState>,
    path: &str,
    methods: axum::routing::MethodRouter<AppState>,
) -> Router<AppState> {
    exact(router, path.trim_end_matches('/'), methods)
}

#[derive(Deserialize)]
struct FileUri {
    fileuri: Option<String>,
}

/// Answers a resolve link: a 303 to the presigned URL, or the object itself, streamed (a
/// single-range `Range` request gets its part with 206, so media can seek).
async fn resolved(
    state: &AppState,
    caller: &Caller,
    project: Option<i64>,
    task: Option<i64>,
    fileuri: Option<&str>,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let range = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .and_then(ByteRange::parse);
    let outcome = resolve::resolve(
        &state.db,
        &state.storage,
        caller,
        project,
        task,
        fileuri,
        range,
    )
    .await?;
    Ok(match outcome {
        Resolved::Redirect { url, max_age } => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, url),
                (
                    header::CACHE_CONTROL,
                    format!("no-store, max-age={max_age}"),
                ),
            ],
        )
            .into_response(),
        Resolved::Unsatisfiable { size } => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(header::CONTENT_RANGE, format!("bytes */{size}"))],
        )
            .into_response(),
        Resolved::Object { read, key } => {
            let mime = mime_guess::from_path(&key).first_or_octet_stream();
            let partial = range.is_some();
            let mut response = axum::body::Body::from_stream(read.body).into_response();
            *response.status_mut() = if partial {
                StatusCode::PARTIAL_CONTENT
            } else {
                StatusCode::OK
            };
            let answer = response.headers_mut();
            let value = |text: String| {
                header::HeaderValue::from_str(&text).map_err(|err| ApiError::Internal(err.into()))
            };
            answer.insert(header::CONTENT_TYPE, value(mime.to_string())?);
            answer.insert(
                header::CONTENT_LENGTH,
                value((read.range.end - read.range.start).to_string())?,
            );
            answer.insert(header::ACCEPT_RANGES, value("bytes".into())?);
            if partial {
                answer.insert(
                    header::CONTENT_RANGE,
                    value(format!(
                        "bytes {}-{}/{}",
                        read.range.start,
                        read.range.end.saturating_sub(1),
                        read.size
                    ))?,
                );
            }
            answer.insert(
                header::CACHE_CONTROL,
                value("private, max-age=3600, must-revalidate".into())?,
            );
            answer.insert(header::CONTENT_SECURITY_POLICY, value("sandbox".into())?);
            response
        }
    })
}

/// `GET /tasks/{id}/resolve/?fileuri=` (and `/presign/`): a bucket object of the task's project.
async fn resolve_for_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<FileUri>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    resolved(
        &state,
        &caller,
        None,
        Some(id),
        params.fileuri.as_deref(),
        &headers,
    )
    .await
}

/// `GET /projects/{id}/resolve/?fileuri=` (and `/presign/`): a bucket object of the project.
async fn resolve_for_project(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<FileUri>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    resolved(
        &state,
        &caller,
        Some(id),
        None,
        params.fileuri.as_deref(),
        &headers,
    )
    .await
}

#[derive(Deserialize)]
struct LocalFile {
    d: Option<String>,
}

/// `GET /data/local-files/?d=`: a file of a local-files storage (ranges and conditional
/// requests answered by tower-http's file service).
async fn local_file(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<LocalFile>,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    match local::file(&state.db, &state.storage, &caller, params.d.as_deref()).await? {
        Ok(path) => {
            let served =
                tower::ServiceExt::oneshot(tower_http::services::ServeFile::new(path), request)
                    .await
                    .map_err(|err| ApiError::Internal(err.into()))?;
            Ok(served.into_response())
        }
        Err(Refusal::Disabled) => Ok((StatusCode::FORBIDDEN, local::DISABLED).into_response()),
        Err(Refusal::Missing) => Ok(StatusCode::FORBIDDEN.into_response()),
        Err(Refusal::NotFound) => Err(ApiError::NotFound("Not found.".into())),
    }
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/data/local-files/", get(local_file));
    let router = slashed(router, "/tasks/{id}/resolve/", get(resolve_for_task));
    let router = slashed(router, "/tasks/{id}/presign/", get(resolve_for_task));
    let router = slashed(router, "/projects/{id}/resolve/", get(resolve_for_project));
    let router = slashed(router, "/projects/{id}/presign/", get(resolve_for_project));
    let router = slashed(router, "/api/storages/", get(list_imports));
    let router = exact(router, "/api/storages/types", get(types));
    let router = exact(router, "/api/storages/export", get(list_exports));
    let router = exact(router, "/api/storages/export/types", get(types));
    let router = direction_routes!(router, IMPORT, "/api/storages", slashed);
    let router = exact(router, "/api/storages/{kind}/files", post(files));
    direction_routes!(router, EXPORT, "/api/storages/export", bare)
}
