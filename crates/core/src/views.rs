//! Saved Data Manager tabs (`/api/dm/views/`). Label Studio keeps a view's `filters` and
//! `ordering` apart from the rest of its `data` (`label_studio/data_manager/serializers.py`
//! `ViewSerializer`); Tessera stores them the same way and merges them back on output.

use serde::Serialize;
use serde_json::{Map, Value};
use tessera_db::entities::view;
use tessera_db::queries::views::{NewView, ViewChanges};
use tessera_db::{queries, time, Db};

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::fields::{is_falsy, pk_of, python_type, Fields};
use crate::payload::json_of;
use crate::{dm, scope};

/// Which of a view's fields a change must name: PUT needs `project`, PATCH does not.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Put,
    Patch,
}

/// A view as Label Studio returns it.
#[derive(Serialize)]
pub struct ViewOut {
    pub id: i64,
    pub data: Value,
    pub order: i32,
    pub user: Option<i64>,
    pub project: i64,
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
fn split_data(data: &Value) -> CoreResult<SplitData> {
    let mut rest = match data {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        _ => return Err(CoreError::field("data", "Value must be valid JSON.")),
    };
    let filters = rest.remove("filters");
    let ordering = rest.remove("ordering");
    if let Some(given) = filters.as_ref().filter(|f| !f.is_null() && !f.is_object()) {
        return Err(CoreError::field(
            "filters",
            format!(
                "Expected a dictionary of items but got type \"{}\".",
                python_type(given)
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
                            python_type(other)
                        );
                        fields.insert(
                            "filter_group".into(),
                            serde_json::json!({ "filters": [message] }),
                        );
                        return Err(CoreError::Validation(fields));
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
                return Err(CoreError::Validation(fields));
            }
            Some(serde_json::json!({"conjunction": conjunction, "items": items}).to_string())
        }
    };
    Ok((rest, filters, ordering))
}

const INVALID_PROJECT: &str =
    "Select a valid choice. That choice is not one of the available choices.";

/// The views of one project (`?project=`, as its text) or of every project the actor sees.
pub async fn list(db: &Db, actor: &Actor, project: Option<&str>) -> CoreResult<Vec<ViewOut>> {
    let conn = db.conn();
    let projects = match project {
        None | Some("") => queries::projects::visible_ids(conn, actor.viewer()).await?,
        Some(text) => {
            let id = text
                .parse::<i64>()
                .map_err(|_| CoreError::field("project", INVALID_PROJECT))?;
            match queries::projects::find(conn, actor.viewer(), id).await? {
                Some(project) => vec![project.id],
                None => return Err(CoreError::field("project", INVALID_PROJECT)),
            }
        }
    };
    let views = queries::views::list(conn, &projects).await?;
    Ok(views.into_iter().map(view_out).collect())
}

/// Reads `project` of a create/update body: required on create and PUT.
async fn body_project(
    db: &Db,
    actor: &Actor,
    body: &Value,
    required: bool,
) -> CoreResult<Option<i64>> {
    match body.get("project") {
        None | Some(Value::Null) if required => {
            Err(CoreError::field("project", "This field is required."))
        }
        None | Some(Value::Null) => Ok(None),
        Some(value) => Ok(Some(scope::project_pk(db.conn(), actor, value).await?)),
    }
}

/// Checks a view body's scalar fields as Label Studio's serializer does: an object, an integer
/// `order` (returned), a `user` of the organization.
async fn view_fields(db: &Db, actor: &Actor, body: &Value) -> CoreResult<Option<i32>> {
    let mut fields = Fields::new(body)?;
    let order = fields.int32("order");
    if let Some(Some(user)) = fields.nullable_primary_key("user") {
        let member =
            queries::organizations::membership(db.conn(), actor.organization_id, user).await?;
        if member.is_none() {
            fields.missing("user", user);
        }
    }
    fields.finish()?;
    Ok(order)
}

/// Creates a view of the actor's from a serializer body.
pub async fn create(db: &Db, actor: &Actor, body: &Value) -> CoreResult<ViewOut> {
    let order = view_fields(db, actor, body).await?;
    let project_id = body_project(db, actor, body, true)
        .await?
        .expect("required");
    let (rest, filters, ordering) = split_data(body.get("data").unwrap_or(&Value::Null))?;
    let selected = body
        .get("selected_items")
        .filter(|v| !v.is_null())
        .map(Value::to_string);
    let txn = db.write().await?;
    // Label Studio places a view with filters last; otherwise it keeps the `order` given.
    let order = match filters {
        Some(_) => queries::views::list(&*txn, &[project_id]).await?.len() as i32,
        None => order.unwrap_or(0),
    };
    let new = NewView {
        project_id,
        user_id: Some(actor.user.id),
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
    Ok(view_out(view))
}

/// One view of a project the actor sees.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> CoreResult<ViewOut> {
    let (view, _) = dm::view(db.conn(), actor, id).await?;
    Ok(view_out(view))
}

/// PUT and PATCH: `filters` are replaced only when `data.filters.conjunction` is given,
/// `ordering` only when non-empty, the rest of `data` always; `selectedItems` is set at creation
/// only.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    body: &Value,
    change: Change,
) -> CoreResult<ViewOut> {
    view_fields(db, actor, body).await?;
    let (view, _) = dm::view(db.conn(), actor, id).await?;
    let project_id = body_project(db, actor, body, change == Change::Put).await?;
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
    let txn = db.write().await?;
    queries::views::update(&*txn, view.id, changes, time::now()).await?;
    let view = queries::views::find(&*txn, view.id)
        .await?
        .ok_or_else(|| CoreError::no_match("View"))?;
    txn.commit().await?;
    Ok(view_out(view))
}

/// Deletes a view.
pub async fn delete(db: &Db, actor: &Actor, id: i64) -> CoreResult<()> {
    let (view, _) = dm::view(db.conn(), actor, id).await?;
    let txn = db.write().await?;
    queries::views::delete(&*txn, view.id).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes every view of the project a reset request names (body first, then `?project=`), as
/// a DRF primary-key field: missing, mistyped and unknown (or another organization's) ids are
/// validation errors.
pub async fn reset(db: &Db, actor: &Actor, body: &Value, query: Option<&str>) -> CoreResult<()> {
    let value = match (body.get("project").filter(|v| !v.is_null()), query) {
        (Some(value), _) => value.clone(),
        (None, Some(text)) => Value::from(text),
        (None, None) => return Err(CoreError::field("project", "This field may not be null.")),
    };
    let project_id = scope::project_pk(db.conn(), actor, &value).await?;
    let txn = db.write().await?;
    queries::views::delete_all(&*txn, project_id).await?;
    txn.commit().await?;
    Ok(())
}

/// Orders a project's views as `{project, ids}` lists them.
pub async fn set_order(db: &Db, actor: &Actor, body: &Value) -> CoreResult<()> {
    let mut fields = Fields::new(body)?;
    let ids = fields.list("ids");
    match &ids {
        _ if !fields.has("ids") => fields.error("ids", "This field is required."),
        Some(list) if list.is_empty() => fields.error("ids", "This list may not be empty."),
        _ => {}
    }
    fields.require(&["project"]);
    fields.finish()?;
    let ids: Vec<i64> = ids
        .unwrap_or_default()
        .iter()
        .map(|v| v.as_i64())
        .collect::<Option<_>>()
        .ok_or_else(|| CoreError::field("ids", "A valid integer is required."))?;
    let project = body
        .get("project")
        .and_then(pk_of)
        .ok_or_else(|| CoreError::field("project", "A valid integer is required."))?;
    let project_id = scope::project(db.conn(), actor, project).await?.id;
    let txn = db.write().await?;
    queries::views::set_order(&*txn, project_id, &ids).await?;
    txn.commit().await?;
    Ok(())
}
