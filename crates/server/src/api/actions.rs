//! `/api/dm/actions/`: list the Data Manager's bulk actions, run one on a selection of tasks,
//! and the forms some of their dialogs show.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tessera_core::actions::{self, Action, Outcome, Selection, ACTIONS};

use crate::api::slashed;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

#[derive(Serialize)]
struct DialogOut {
    title: &'static str,
    text: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    /// `null` when the form is loaded on demand; absent when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    form: Option<Value>,
}

#[derive(Serialize)]
struct ActionOut {
    id: &'static str,
    title: &'static str,
    order: i32,
    permission: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    reload: Option<bool>,
    dialog: DialogOut,
}

fn action_out(action: &Action) -> ActionOut {
    let permission = match action.permissions {
        [one] => json!(one),
        many => json!(many),
    };
    ActionOut {
        id: action.id,
        title: action.title,
        order: action.order,
        permission,
        reload: action.reload.then_some(true),
        dialog: DialogOut {
            title: action.title,
            text: action.dialog,
            kind: "confirm",
            form: action.has_form.then_some(Value::Null),
        },
    }
}

async fn list_actions() -> Json<Vec<ActionOut>> {
    Json(ACTIONS.iter().map(action_out).collect())
}

#[derive(Deserialize)]
struct RunParams {
    id: Option<String>,
    project: Option<String>,
    view: Option<String>,
    query: Option<String>,
}

async fn run_action(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<RunParams>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Outcome>> {
    let Some(id) = params.id.as_deref().filter(|id| !id.is_empty()) else {
        return Err(ApiError::Bare(
            StatusCode::UNPROCESSABLE_ENTITY,
            "No action id \"None\", use ?id=<action-id>".into(),
        ));
    };
    let selection = Selection {
        project: params.project.as_deref(),
        view: params.view.as_deref(),
        query: params.query.as_deref(),
    };
    Ok(Json(
        actions::run(&state.db, &caller, id, selection, &body).await?,
    ))
}

#[derive(Deserialize)]
struct FormParams {
    project: Option<String>,
}

/// The form of an action's dialog: the annotator to delete for, or the predictions to copy.
async fn action_form(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<FormParams>,
) -> ApiResult<Json<Value>> {
    let form = actions::form(&state.db, &caller, &id, params.project.as_deref()).await?;
    Ok(Json(form))
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(
        router,
        "/api/dm/actions/",
        get(list_actions).post(run_action),
    );
    slashed(router, "/api/dm/actions/{id}/form/", get(action_form))
}
