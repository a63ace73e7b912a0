//! Drafts: `/api/tasks/{id}/drafts`, `/api/tasks/{id}/annotations/{aid}/drafts`,
//! `/api/drafts/{id}/`, and `/api/annotations/{id}/convert-to-draft` (Label Studio's
//! `label_studio/tasks/api.py` `AnnotationDraft*API`, `AnnotationConvertAPI`). As in Label Studio,
//! any member of the organization may read and change a draft; a draft's `result` must be a list.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use tessera_core::drafts;
use tessera_core::payload::{draft_out, DraftOut, Users};
use tessera_db::entities::draft;
use tessera_db::time;

use crate::api::{exact, slashed};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::payload::{ApiPath, JsonBody};
use crate::state::AppState;

async fn render(state: &AppState, drafts: Vec<draft::Model>) -> ApiResult<Vec<DraftOut>> {
    let users = Users::load(state.db.conn(), drafts.iter().map(|d| Some(d.user_id))).await?;
    let now = time::now();
    Ok(drafts
        .into_iter()
        .map(|d| draft_out(d, &users, &now))
        .collect())
}

async fn render_one(state: &AppState, draft: draft::Model) -> ApiResult<DraftOut> {
    Ok(render(state, vec![draft]).await?.remove(0))
}

async fn list_task_drafts(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(task_id): ApiPath<i64>,
) -> ApiResult<Json<Vec<DraftOut>>> {
    let drafts = drafts::of_task(&state.db, &caller, task_id).await?;
    Ok(Json(render(&state, drafts).await?))
}

async fn list_annotation_drafts(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((task_id, _)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<Vec<DraftOut>>> {
    list_task_drafts(State(state), caller, ApiPath(task_id)).await
}

async fn create_task_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(task_id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<DraftOut>)> {
    let draft = drafts::create(&state.db, &caller, task_id, None, &body).await?;
    Ok((StatusCode::CREATED, Json(render_one(&state, draft).await?)))
}

async fn create_annotation_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((task_id, annotation_id)): ApiPath<(i64, i64)>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<DraftOut>)> {
    let draft = drafts::create(&state.db, &caller, task_id, Some(annotation_id), &body).await?;
    Ok((StatusCode::CREATED, Json(render_one(&state, draft).await?)))
}

async fn get_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DraftOut>> {
    let draft = drafts::find(&state.db, &caller, id).await?;
    Ok(Json(render_one(&state, draft).await?))
}

async fn update_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<DraftOut>> {
    let draft = drafts::update(&state.db, &caller, id, &body).await?;
    Ok(Json(render_one(&state, draft).await?))
}

async fn delete_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    drafts::delete(&state.db, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the annotation (counters follow) and gives its result to a new task-level draft of
/// the caller.
async fn convert_to_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<(StatusCode, Json<DraftOut>)> {
    let draft = drafts::from_annotation(&state.db, &caller, id).await?;
    Ok((StatusCode::CREATED, Json(render_one(&state, draft).await?)))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = exact(
        router,
        "/api/tasks/{id}/drafts",
        get(list_task_drafts).post(create_task_draft),
    );
    let router = exact(
        router,
        "/api/tasks/{id}/annotations/{aid}/drafts",
        get(list_annotation_drafts).post(create_annotation_draft),
    );
    let router = slashed(
        router,
        "/api/drafts/{id}/",
        get(get_draft)
            .put(update_draft)
            .patch(update_draft)
            .delete(delete_draft),
    );
    exact(
        router,
        "/api/annotations/{id}/convert-to-draft",
        post(convert_to_draft),
    )
}
