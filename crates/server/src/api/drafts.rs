//! Drafts: `/api/tasks/{id}/drafts`, `/api/tasks/{id}/annotations/{aid}/drafts`,
//! `/api/drafts/{id}/`, and `/api/annotations/{id}/convert-to-draft` (Label Studio's
//! `label_studio/tasks/api.py` `AnnotationDraft*API`, `AnnotationConvertAPI`). As in Label Studio,
//! any member of the organization may read and change a draft; a draft's `result` must be a list.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;
use tessera_core::fields::Fields;
use tessera_core::payload::{draft_out, DraftOut, Users};
use tessera_core::CoreError;
use tessera_core::{annotations, scope};
use tessera_db::entities::{draft, project, task};
use tessera_db::queries::drafts::{DraftChanges, NewDraft};
use tessera_db::{queries, time};

use crate::api::{exact, slashed};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
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

/// A draft of a project the caller sees (an annotator's own drafts only).
async fn find_draft(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> ApiResult<(draft::Model, project::Model)> {
    let conn = state.db.conn();
    let draft = queries::drafts::find(conn, id)
        .await?
        .filter(|d| caller.sees_others_work() || d.user_id == caller.user.id)
        .ok_or_else(|| ApiError::no_match("AnnotationDraft"))?;
    let project = queries::projects::find(conn, caller.viewer(), draft.project_id)
        .await?
        .ok_or_else(|| ApiError::no_match("AnnotationDraft"))?;
    Ok((draft, project))
}

/// Every user's drafts of a task, an annotator's own only (none for an unknown task, as in
/// Label Studio).
async fn list_task_drafts(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(task_id): ApiPath<i64>,
) -> ApiResult<Json<Vec<DraftOut>>> {
    let mut drafts = match scope::task(state.db.conn(), &caller, task_id).await {
        Ok((task, _)) => queries::drafts::of_task(state.db.conn(), task.id).await?,
        Err(CoreError::NotFound(_)) => Vec::new(),
        Err(err) => return Err(err.into()),
    };
    drafts.retain(|d| caller.sees_others_work() || d.user_id == caller.user.id);
    Ok(Json(render(&state, drafts).await?))
}

async fn list_annotation_drafts(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((task_id, _)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<Vec<DraftOut>>> {
    list_task_drafts(State(state), caller, ApiPath(task_id)).await
}

/// The writable fields of a draft body.
struct DraftFields {
    result: Option<Value>,
    lead_time: Option<Option<f64>>,
    was_postponed: Option<bool>,
}

fn read_fields(body: &Value, partial: bool) -> ApiResult<DraftFields> {
    let mut fields = Fields::new(body)?;
    let result = match fields.raw("result") {
        None if !partial => {
            fields.error("result", "This field is required.");
            None
        }
        None => None,
        Some(Value::Null) => {
            fields.error("result", "This field may not be null.");
            None
        }
        Some(Value::Array(items)) => Some(Value::Array(items.clone())),
        Some(_) => {
            fields.error("result", "Expected a list of result regions.");
            None
        }
    };
    let lead_time = fields.nullable_float("lead_time");
    let was_postponed = fields.boolean("was_postponed");
    fields.finish()?;
    Ok(DraftFields {
        result,
        lead_time,
        was_postponed,
    })
}

async fn create(
    state: &AppState,
    caller: &Caller,
    task: task::Model,
    annotation: Option<i64>,
    body: &Value,
) -> ApiResult<DraftOut> {
    let fields = read_fields(body, false)?;
    let txn = state.db.write().await?;
    let new = NewDraft {
        task_id: task.id,
        project_id: task.project_id,
        annotation_id: annotation,
        user_id: caller.user.id,
        result: fields
            .result
            .unwrap_or_else(|| Value::Array(Vec::new()))
            .to_string(),
        lead_time: fields.lead_time.flatten(),
        was_postponed: fields.was_postponed.unwrap_or(false),
    };
    let draft = queries::drafts::insert(&*txn, new, time::now()).await?;
    txn.commit().await?;
    render_one(state, draft).await
}

async fn create_task_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(task_id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<DraftOut>)> {
    let (task, _) = scope::task(state.db.conn(), &caller, task_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(create(&state, &caller, task, None, &body).await?),
    ))
}

async fn create_annotation_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((task_id, annotation_id)): ApiPath<(i64, i64)>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<DraftOut>)> {
    let (task, _) = scope::task(state.db.conn(), &caller, task_id).await?;
    let (annotation, _) = scope::annotation(state.db.conn(), &caller, annotation_id).await?;
    if annotation.task_id != task.id {
        return Err(ApiError::no_match("Annotation"));
    }
    Ok((
        StatusCode::CREATED,
        Json(create(&state, &caller, task, Some(annotation.id), &body).await?),
    ))
}

async fn get_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DraftOut>> {
    let (draft, _) = find_draft(&state, &caller, id).await?;
    Ok(Json(render_one(&state, draft).await?))
}

async fn update_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<DraftOut>> {
    let (draft, _) = find_draft(&state, &caller, id).await?;
    let fields = read_fields(&body, true)?;
    let changes = DraftChanges {
        result: fields.result.map(|r| r.to_string()),
        lead_time: fields.lead_time,
        was_postponed: fields.was_postponed,
    };
    let txn = state.db.write().await?;
    queries::drafts::update(&*txn, draft.id, changes, time::now()).await?;
    let draft = queries::drafts::find(&*txn, draft.id)
        .await?
        .ok_or_else(|| ApiError::no_match("AnnotationDraft"))?;
    txn.commit().await?;
    Ok(Json(render_one(&state, draft).await?))
}

async fn delete_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let (draft, _) = find_draft(&state, &caller, id).await?;
    let txn = state.db.write().await?;
    queries::drafts::delete(&*txn, draft.id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the annotation (counters follow) and gives its result to a new task-level draft of
/// the caller.
async fn convert_to_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<(StatusCode, Json<DraftOut>)> {
    let txn = state.db.write().await?;
    let (annotation, _) = scope::annotation(&*txn, &caller, id).await?;
    annotations::delete(&txn, &caller, annotation.id).await?;
    let new = NewDraft {
        task_id: annotation.task_id,
        project_id: annotation.project_id,
        annotation_id: None,
        user_id: caller.user.id,
        result: annotation.result.unwrap_or_else(|| "[]".into()),
        lead_time: annotation.lead_time,
        was_postponed: false,
    };
    let now = time::now();
    let draft = queries::drafts::insert(&*txn, new, now).await?;
    queries::tasks::touch(&*txn, annotation.task_id, caller.user.id, now).await?;
    txn.commit().await?;
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
