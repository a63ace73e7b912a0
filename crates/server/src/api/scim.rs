//! SCIM 2.0 over HTTP (`/scim/v2/...` with the organization's bearer token, `/api/scim/token`):
//! each route parses, calls one function of `tessera_core::scim`, and answers with
//! `application/scim+json` (SCIM's own error body, not Label Studio's envelope).

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};
use tessera_core::scim::{self, ListParams, ScimClient, ScimError, ScimResult};

use crate::api::{exact, slashed};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::payload::{ApiPath, JsonBody};
use crate::state::AppState;

/// A SCIM document with `status`.
fn scim_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/scim+json")],
        Json(body),
    )
        .into_response()
}

/// SCIM's error body with the error's status.
pub fn scim_error(err: ScimError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    scim_response(status, err.body())
}

/// The answer of an operation: its document with `status`, or its error.
fn answer(status: StatusCode, result: ScimResult) -> Response {
    match result {
        Ok(body) => scim_response(status, body),
        Err(err) => scim_error(err),
    }
}

/// The answer of a deletion: 204, or its error.
fn deleted(result: ScimResult<()>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => scim_error(err),
    }
}

async fn service_provider_config() -> Response {
    scim_response(StatusCode::OK, scim::service_provider_config())
}

async fn list_resource_types() -> Response {
    answer(StatusCode::OK, scim::list_resource_types())
}

async fn list_schemas() -> Response {
    answer(StatusCode::OK, scim::list_schemas())
}

async fn list_users(
    State(state): State<AppState>,
    Extension(client): Extension<ScimClient>,
    Query(params): Query<ListParams>,
) -> Response {
    answer(
        StatusCode::OK,
        scim::list_users(&state.db, client, &params).await,
    )
}

async fn get_user(
    State(state): State<AppState>,
    Extension(client): Extension<ScimClient>,
    ApiPath(id): ApiPath<String>,
) -> Response {
    answer(StatusCode::OK, scim::get_user(&state.db, client, &id).await)
}

async fn create_user(
    State(state): State<AppState>,
    Extension(client): Extension<ScimClient>,
    JsonBody(body): JsonBody,
) -> Response {
    answer(
        StatusCode::CREATED,
        scim::create_user(&state.db, client, &body).await,
    )
}

async fn replace_user(
    State(state): State<AppState>,
    Extension(client): Extension<ScimClient>,
    ApiPath(id): ApiPath<String>,
    JsonBody(body): JsonBody,
) -> Response {
    answer(
        StatusCode::OK,
        scim::replace_user(&state.db, client, &id, &body).await,
    )
}

async fn patch_user(
    State(state): State<AppState>,
    Extension(client): Extension<ScimClient>,
    ApiPath(id): ApiPath<String>,
    JsonBody(body): JsonBody,
) -> Response {
    answer(
        StatusCode::OK,
        scim::patch_user(&state.db, client, &id, &body).await,
    )
}

async fn delete_user(
    State(state): State<AppState>,
    Extension(client): Extension<ScimClient>,
    ApiPath(id): ApiPath<String>,
) -> Response {
    deleted(scim::delete_user(&state.db, client, &id).await)
}

async fn list_groups(
    State(state): State<AppState>,
    Extension(client): Extension<ScimClient>,
    Query(params): Query<ListParams>,
) -> Response {
    answer(
        StatusCode::OK,
        scim::list_groups(&state.db, client, &params).await,
    )
}

async fn get_group(
    State(state): State<AppState>,
    Extension(client): Extension<ScimClient>,
    ApiPath(id): ApiPath<String>,
) -> Response {
    answer(
        StatusCode::OK,
        scim::get_group(&state.db, client, &id).await,
    )
}

async fn create_group(
    State(state): State<AppState>,
    Extension(client): Extension<ScimClient>,
    JsonBody(body): JsonBody,
) -> Response {
    answer(
        StatusCode::CREATED,
        scim::create_group(&state.db, client, &body).await,
    )
}

async fn replace_group(
    State(state): State<AppState>,
    Extension(client): Extension<ScimClient>,
    ApiPath(id): ApiPath<String>,
    JsonBody(body): JsonBody,
) -> Response {
    answer(
        StatusCode::OK,
        scim::replace_group(&state.db, client, &id, &body).await,
    )
}

async fn patch_group(
    State(state): State<AppState>,
    Extension(client): Extension<ScimClient>,
    ApiPath(id): ApiPath<String>,
    JsonBody(body): JsonBody,
) -> Response {
    answer(
        StatusCode::OK,
        scim::patch_group(&state.db, client, &id, &body).await,
    )
}

async fn delete_group(
    State(state): State<AppState>,
    Extension(client): Extension<ScimClient>,
    ApiPath(id): ApiPath<String>,
) -> Response {
    deleted(scim::delete_group(&state.db, client, &id).await)
}

/// `POST /api/scim/token`: a new SCIM token for the caller's organization, shown once.
async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let token = scim::create_token(&state.db, &caller).await?;
    Ok((StatusCode::CREATED, Json(json!({"token": token}))))
}

/// `DELETE /api/scim/token`: revokes every SCIM token of the caller's organization.
async fn revoke_tokens(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    scim::revoke_tokens(&state.db, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(
        router,
        "/api/scim/token/",
        post(create_token).delete(revoke_tokens),
    );
    let router = exact(
        router,
        "/scim/v2/ServiceProviderConfig",
        get(service_provider_config),
    );
    let router = exact(router, "/scim/v2/ResourceTypes", get(list_resource_types));
    let router = exact(router, "/scim/v2/Schemas", get(list_schemas));
    let router = exact(router, "/scim/v2/Users", get(list_users).post(create_user));
    let router = exact(
        router,
        "/scim/v2/Users/{id}",
        get(get_user)
            .put(replace_user)
            .patch(patch_user)
            .delete(delete_user),
    );
    let router = exact(
        router,
        "/scim/v2/Groups",
        get(list_groups).post(create_group),
    );
    exact(
        router,
        "/scim/v2/Groups/{id}",
        get(get_group)
            .put(replace_group)
            .patch(patch_group)
            .delete(delete_group),
    )
}
