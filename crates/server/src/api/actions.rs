//! `/api/dm/actions/`: list the Data Manager's bulk actions, run one on a selection of tasks,
//! and the forms some of their dialogs show.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tessera_core::actions::{self, Action, Outcome, Run, ACTIONS};
use tessera_core::{dm, scope};
use tessera_db::queries;

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

async fn project_of(
    state: &AppState,
    caller: &Caller,
    param: Option<&str>,
) -> ApiResult<tessera_db::entities::project::Model> {
    let id = param
        .and_then(|p| p.parse::<i64>().ok())
        .ok_or_else(|| ApiError::no_match("Project"))?;
    Ok(scope::project(state.db.conn(), caller, id).await?)
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
    let project = project_of(&state, &caller, params.project.as_deref()).await?;
    let action = actions::find(id)?;
    let view = params.view.as_deref().and_then(|v| v.parse::<i64>().ok());
    let selected = dm::resolve(
        state.db.conn(),
        &caller,
        Some(project.id),
        view,
        || match params.query.as_deref().filter(|q| !q.is_empty()) {
            Some(text) => dm::parse_query_param(text),
            None => dm::body_query(&body),
        },
    )
    .await?;
    let txn = state.db.write().await?;
    // Counters may have moved since the project was read; the action works on fresh ones.
    let project = queries::projects::find_by_id(&*txn, project.id)
        .await?
        .ok_or_else(|| ApiError::no_match("Project"))?;
    let run = Run {
        txn: &txn,
        project: &project,
        user_id: caller.user.id,
        selection: &selected.query,
        body: &body,
    };
    let outcome = actions::perform(action, run).await?;
    txn.commit().await?;
    Ok(Json(outcome))
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
    let project = project_of(&state, &caller, params.project.as_deref()).await?;
    let action = actions::find(&id)?;
    let conn = state.db.conn();
    let form = match action.id {
        "delete_tasks_annotations" => {
            let users = queries::users::annotators_of_project(conn, project.id).await?;
            let options: Vec<Value> = users
                .iter()
                .map(|u| {
                    let full = format!("{} {}", u.first_name, u.last_name)
                        .trim()
                        .to_string();
                    let label = [full.as_str(), u.username.as_str(), u.email.as_str()]
                        .into_iter()
                        .find(|s| !s.is_empty())
                        .unwrap_or_default();
                    json!({"value": u.id.to_string(), "label": label})
                })
                .collect();
            json!([{"columnCount": 1, "fields": [{"type": "select", "name": "annotator", "label": "Annotator", "options": options, "placeholder": "All", "searchable": true}]}])
        }
        "predictions_to_annotations" => {
            let mut versions = queries::predictions::model_versions(conn, project.id).await?;
            let first = project.model_version.clone();
            if !first.is_empty() {
                versions.retain(|v| *v != first);
                versions.insert(0, first.clone());
            }
            json!([{"columnCount": 1, "fields": [{"type": "select", "name": "model_version", "label": "Choose predictions", "options": versions, "value": first}]}])
        }
        _ => json!([]),
    };
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
