//! `/api/dm/views/`: saved Data Manager tabs. Label Studio keeps a view's `filters` and
//! `ordering` apart from the rest of its `data` (`label_studio/data_manager/serializers.py`
//! `ViewSerializer`); Tessera stores them the same way and merges them back on output.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tessera_core::fields::{is_falsy, pk_of};
use tessera_core::payload::json_of;
use tessera_core::{dm, scope};
use tessera_db::entities::view;
use tessera_db::queries::views::{NewView, ViewChanges};
use tessera_db::{queries, time};

use crate::api::slashed;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

/// A view as Label Studio returns it.
#[derive(Serialize)]
struct ViewOut {
    id: i64,
    data: Value,
    order: i32,
    user: Option<i64>,
    project: i64,
}

fn view_out(view: view::Model) -> ViewOut {
    let mut data = match json_of(&view.data) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    if let Some(filters) = view.filters.as_deref().map(json_of) {
        data.insert("filters".into(), filters);
    }
    if let Some(selected) = view
        .selected_items
        .as_deref()
        .map(json_of)
        .filter(|v| !is_falsy(v))
    {
        data.insert("selectedItems".into(), selected);
    }
    let ordering = json_of(&view.ordering);
    if !is_falsy(&ordering) {
        data.insert("ordering".into(), ordering);
    }
    ViewOut {
        id: view.id,
        data: Value::Object(data),
        order: view.order,
        user: view.user_id,
        project: view.project_id,
    }
}

/// One filter item as Label Studio stores it: `filter`, `operator`, `type`, `value`, and one
/// level of `child_filter`; with DRF's messages for what the serializer refuses.
fn normalize_item(item: &Value, nested: bool) -> (Value, Map<String, Value>) {
    // DRF's `CharField`: numbers are taken as their text.
    let text = |key: &str| match item.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let message = |text: String| Value::from(vec![text]);
    let column = text("filter");
    let mut problems = Map::new();
    if column.is_empty() {
        problems.insert(
            "column".into(),
            message("This field may not be blank.".into()),
        );
    } else if column.chars().count() > 1024 {
        problems.insert(
            "column".into(),
            message("Ensure this field has no more than 1024 characters.".into()),
        );
    } else if !column.starts_with("filter:tasks:") {
        problems.insert(
            "column".into(),
            message(format!(
                "Filter \"{column}\" should start with \"filter:tasks:\""
            )),
        );
    } else {
        let name = column
            .trim_start_matches("filter:tasks:")
            .trim_start_matches('-');
        if !name.starts_with("data.") && name.contains("__") {
            problems.insert(
                "column".into(),
                message(format!(
                    "\"__\" is not generally allowed in filters. Consider asking your administrator to add \"{name}\" to DATA_MANAGER_FILTER_ALLOWLIST, but note that some filter expressions may pose a security risk"
                )),
            );
        }
    }
    for key in ["type", "operator"] {
        if text(key).is_empty() {
            problems.insert(key.into(), message("This field may not be blank.".into()));
        }
    }
    let mut out = Map::new();
    out.insert("filter".into(), Value::from(column));
    out.insert("operator".into(), Value::from(text("operator")));
    out.insert("type".into(), Value::from(text("type")));
    out.insert(
        "value".into(),
        item.get("value")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new())),
    );
    if !nested {
        if let Some(child) = item.get("child_filter").filter(|c| c.is_object()) {
            let (child, child_problems) = normalize_item(child, true);
            out.insert("child_filter".into(), child);
            if !child_problems.is_empty() {
                problems.insert("child_filter".into(), Value::Object(child_problems));
            }
        }
    }
    (Value::Object(out), problems)
}

/// A view's `data` without filters and ordering, its filters (JSON text) when a conjunction is
/// given, and its ordering.
type SplitData = (Map<String, Value>, Option<String>, Option<Value>);

/// Splits a request's `data` into (rest of data, filters if a conjunction is given, ordering).
fn split_data(data: &Value) -> ApiResult<SplitData> {
    let mut rest = match data {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        _ => return Err(ApiError::field("data", "Value must be valid JSON.")),
    };
    let filters = rest.remove("filters");
    let ordering = rest.remove("ordering");
    if let Some(given) = filters.as_ref().filter(|f| !f.is_null() && !f.is_object()) {
        return Err(ApiError::field(
            "filters",
            format!(
                "Expected a dictionary of items but got type \"{}\".",
                tessera_core::fields::python_type(given)
            ),
        ));
    }
    let filters = match filters
        .as_ref()
        .and_then(|f| f.get("conjunction"))
        .filter(|c| !is_falsy(c))
    {
        None => None,
        Some(conjunction) => {
            let (items, errors): (Vec<Value>, Vec<Value>) =
                match filters.as_ref().and_then(|f| f.get("items")) {
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(|i| normalize_item(i, false))
                        .map(|(item, problems)| (item, Value::Object(problems)))
                        .unzip(),
                    None | Some(Value::Null) => (Vec::new(), Vec::new()),
                    Some(other) => {
                        let mut fields = FieldErrors::new();
                        let message = format!(
                            "Expected a list of items but got type \"{}\".",
                            tessera_core::fields::python_type(other)
                        );
                        fields.insert(
                            "filter_group".into(),
                            serde_json::json!({ "filters": [message] }),
                        );
                        return Err(ApiError::Validation(fields));
                    }
                };
            if errors
                .iter()
                .any(|e| e.as_object().is_some_and(|o| !o.is_empty()))
            {
                let mut fields = FieldErrors::new();
                fields.insert(
                    "filter_group".into(),
                    serde_json::json!({ "filters": errors }),
                );
                return Err(ApiError::Validation(fields));
            }
            Some(serde_json::json!({"conjunction": conjunction, "items": items}).to_string())
        }
    };
    Ok((rest, filters, ordering))
}

#[derive(Deserialize)]
struct ProjectParam {
    project: Option<String>,
}

fn project_param(value: Option<&str>) -> ApiResult<Option<i64>> {
    match value {
        None | Some("") => Ok(None),
        Some(text) => text.parse::<i64>().map(Some).map_err(|_| {
            ApiError::field(
                "project",
                "Select a valid choice. That choice is not one of the available choices.",
            )
        }),
    }
}

async fn list_views(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ProjectParam>,
) -> ApiResult<Json<Vec<ViewOut>>> {
    let conn = state.db.conn();
    let projects = match project_param(params.project.as_deref())? {
        Some(id) => match queries::projects::find(conn, caller.viewer(), id).await? {
            Some(project) => vec![project.id],
            None => {
                return Err(ApiError::field(
                    "project",
                    "Select a valid choice. That choice is not one of the available choices.",
                ))
            }
        },
        None => queries::projects::visible_ids(conn, caller.viewer()).await?,
    };
    let views = queries::views::list(conn, &projects).await?;
    Ok(Json(views.into_iter().map(view_out).collect()))
}

/// Reads `project` of a create/update body: required on create.
async fn body_project(
    state: &AppState,
    caller: &Caller,
    body: &Value,
    required: bool,
) -> ApiResult<Option<i64>> {
    match body.get("project") {
        None | Some(Value::Null) if required => {
            Err(ApiError::field("project", "This field is required."))
        }
        None | Some(Value::Null) => Ok(None),
        Some(value) => Ok(Some(
            scope::project_pk(state.db.conn(), caller, value).await?,
        )),
    }
}

/// Checks a view body's scalar fields as Label Studio's serializer does: an object, an integer
/// `order` (returned), a `user` of the organization.
async fn view_fields(state: &AppState, caller: &Caller, body: &Value) -> ApiResult<Option<i32>> {
    let mut fields = tessera_core::fields::Fields::new(body)?;
    let order = fields.int32("order");
    if let Some(Some(user)) = fields.nullable_primary_key("user") {
        let member =
            queries::organizations::membership(state.db.conn(), caller.organization_id, user)
                .await?;
        if member.is_none() {
            fields.missing("user", user);
        }
    }
    fields.finish()?;
    Ok(order)
}

async fn create_view(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<ViewOut>)> {
    let order = view_fields(&state, &caller, &body).await?;
    let project_id = body_project(&state, &caller, &body, true)
        .await?
        .expect("required");
    let (rest, filters, ordering) = split_data(body.get("data").unwrap_or(&Value::Null))?;
    let selected = body
        .get("selected_items")
        .filter(|v| !v.is_null())
        .map(Value::to_string);
    let txn = state.db.write().await?;
    // Label Studio places a view with filters last; otherwise it keeps the `order` given.
    let order = match filters {
        Some(_) => queries::views::list(&*txn, &[project_id]).await?.len() as i32,
        None => order.unwrap_or(0),
    };
    let new = NewView {
        project_id,
        user_id: Some(caller.user.id),
        order,
        data: Value::Object(rest).to_string(),
        filters,
        ordering: ordering
            .unwrap_or_else(|| Value::Array(Vec::new()))
            .to_string(),
        selected_items: selected,
    };
    let view = queries::views::insert(&*txn, new, time::now()).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(view_out(view))))
}

async fn get_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ViewOut>> {
    let (view, _) = dm::view(state.db.conn(), &caller, id).await?;
    Ok(Json(view_out(view)))
}

async fn put_view(
    state: State<AppState>,
    caller: Caller,
    id: ApiPath<i64>,
    body: JsonBody,
) -> ApiResult<Json<ViewOut>> {
    update_view(state, caller, id, body, true).await
}

async fn patch_view(
    state: State<AppState>,
    caller: Caller,
    id: ApiPath<i64>,
    body: JsonBody,
) -> ApiResult<Json<ViewOut>> {
    update_view(state, caller, id, body, false).await
}

/// PUT (which needs `project`) and PATCH: `filters` are replaced only when
/// `data.filters.conjunction` is given, `ordering` only when non-empty, the rest of `data`
/// always; `selectedItems` is set at creation only.
async fn update_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
    put: bool,
) -> ApiResult<Json<ViewOut>> {
    view_fields(&state, &caller, &body).await?;
    let (view, _) = dm::view(state.db.conn(), &caller, id).await?;
    let project_id = body_project(&state, &caller, &body, put).await?;
    let mut changes = ViewChanges {
        project_id,
        ..ViewChanges::default()
    };
    if let Some(data) = body.get("data") {
        let (rest, filters, ordering) = split_data(data)?;
        changes.data = Some(Value::Object(rest).to_string());
        changes.filters = filters.map(Some);
        changes.ordering = ordering.filter(|o| !is_falsy(o)).map(|o| o.to_string());
    }
    let txn = state.db.write().await?;
    queries::views::update(&*txn, view.id, changes, time::now()).await?;
    let view = queries::views::find(&*txn, view.id)
        .await?
        .ok_or_else(|| ApiError::no_match("View"))?;
    txn.commit().await?;
    Ok(Json(view_out(view)))
}

async fn delete_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let (view, _) = dm::view(state.db.conn(), &caller, id).await?;
    let txn = state.db.write().await?;
    queries::views::delete(&*txn, view.id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The project a reset request names (body first, then `?project=`), as a DRF primary-key
/// field: missing, mistyped and unknown (or another organization's) ids are 400s.
async fn named_project(
    state: &AppState,
    caller: &Caller,
    body: &Value,
    query: Option<&str>,
) -> ApiResult<i64> {
    let value = match (body.get("project").filter(|v| !v.is_null()), query) {
        (Some(value), _) => value.clone(),
        (None, Some(text)) => Value::from(text),
        (None, None) => return Err(ApiError::field("project", "This field may not be null.")),
    };
    Ok(scope::project_pk(state.db.conn(), caller, &value).await?)
}

async fn reset_views(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ProjectParam>,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    let project_id = named_project(&state, &caller, &body, params.project.as_deref()).await?;
    let txn = state.db.write().await?;
    queries::views::delete_all(&*txn, project_id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn order_views(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    let mut fields = tessera_core::fields::Fields::new(&body)?;
    let ids = fields.list("ids");
    match &ids {
        _ if !fields.has("ids") => fields.error("ids", "This field is required."),
        Some(list) if list.is_empty() => fields.error("ids", "This list may not be empty."),
        _ => {}
    }
    if !fields.has("project") {
        fields.error("project", "This field is required.");
    }
    fields.finish()?;
    let ids: Vec<i64> = ids
        .unwrap_or_default()
        .iter()
        .map(|v| v.as_i64())
        .collect::<Option<_>>()
        .ok_or_else(|| ApiError::field("ids", "A valid integer is required."))?;
    let project = body.get("project").and_then(pk_of);
    let project =
        project.ok_or_else(|| ApiError::field("project", "A valid integer is required."))?;
    let project_id = scope::project(state.db.conn(), &caller, project).await?.id;
    let txn = state.db.write().await?;
    queries::views::set_order(&*txn, project_id, &ids).await?;
    txn.commit().await?;
    Ok(StatusCode::OK)
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/api/dm/views/", get(list_views).post(create_view));
    let router = slashed(router, "/api/dm/views/reset/", delete(reset_views));
    let router = slashed(router, "/api/dm/views/order/", post(order_views));
    slashed(
        router,
        "/api/dm/views/{id}/",
        get(get_view)
            .put(put_view)
            .patch(patch_view)
            .delete(delete_view),
    )
}
