//! `/api/tasks/{id}/annotations/` and `/api/annotations/{id}/`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tessera_core::fields::query_bool;
use tessera_core::payload::{annotation_out, AnnotationOut, CompletedBy, Users};
use tessera_core::{annotations, scope};
use tessera_db::{queries, time};

use crate::api::slashed;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

#[derive(Deserialize)]
struct CreateParams {
    was_cancelled: Option<String>,
}

async fn render(
    state: &AppState,
    annotation: tessera_db::entities::annotation::Model,
) -> ApiResult<AnnotationOut> {
    let users = Users::load(state.db.conn(), [annotation.completed_by_id]).await?;
    Ok(annotation_out(
        annotation,
        &users,
        CompletedBy::Id,
        &time::now(),
    ))
}

async fn list_task_annotations(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(task_id): ApiPath<i64>,
) -> ApiResult<Json<Vec<AnnotationOut>>> {
    let conn = state.db.conn();
    let (task, _) = scope::task(conn, &caller, task_id).await?;
    let list: Vec<_> = queries::annotations::of_tasks(conn, &[task.id])
        .await?
        .into_iter()
        .filter(|a| {
            !a.was_cancelled
                && (caller.sees_others_work() || a.completed_by_id == Some(caller.user.id))
        })
        .collect();
    let users = Users::load(conn, list.iter().map(|a| a.completed_by_id)).await?;
    let now = time::now();
    Ok(Json(
        list.into_iter()
            .map(|a| annotation_out(a, &users, CompletedBy::Id, &now))
            .collect(),
    ))
}

async fn create_annotation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(task_id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<CreateParams>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<AnnotationOut>)> {
    let cancelled = query_bool("was_cancelled", params.was_cancelled.as_deref(), false)?;
    let txn = state.db.write().await?;
    let saved = annotations::create(&txn, &caller, task_id, &body, cancelled).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(render(&state, saved).await?)))
}

async fn get_annotation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AnnotationOut>> {
    let (annotation, _) = scope::annotation(state.db.conn(), &caller, id).await?;
    Ok(Json(render(&state, annotation).await?))
}

async fn update_annotation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<AnnotationOut>> {
    let txn = state.db.write().await?;
    let saved = annotations::update(&txn, &caller, id, &body).await?;
    txn.commit().await?;
    Ok(Json(render(&state, saved).await?))
}

async fn delete_annotation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let txn = state.db.write().await?;
    annotations::delete(&txn, &caller, id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(
        router,
        "/api/tasks/{id}/annotations/",
        get(list_task_annotations).post(create_annotation),
    );
    slashed(
        router,
        "/api/annotations/{id}/",
        get(get_annotation)
            .patch(update_annotation)
            .put(update_annotation)
            .delete(delete_annotation),
    )
}
