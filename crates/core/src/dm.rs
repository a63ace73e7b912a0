//! The Data Manager's task selection: which tasks a `/api/tasks/` request, a view or a bulk
//! action means, as a compiled [`CompiledQuery`].

use sea_orm::ConnectionTrait;
use serde_json::{Map, Value};
use tessera_db::entities::{project, view};
use tessera_db::filters::{self, CompiledQuery, TaskQuery};
use tessera_db::queries;

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::payload::json_of;
use crate::scope;

/// A view of the caller's organization and its project.
pub async fn view<C: ConnectionTrait>(
    conn: &C,
    caller: &Actor,
    id: i64,
) -> CoreResult<(view::Model, project::Model)> {
    let view = queries::views::find(conn, id)
        .await?
        .ok_or_else(|| CoreError::no_match("View"))?;
    let project = queries::projects::find(conn, caller.viewer(), view.project_id)
        .await?
        .ok_or_else(|| CoreError::no_match("View"))?;
    Ok((view, project))
}

/// The ids of the tasks a project's view selects (its filters and selection), in id order; `None`
/// when the project has no such view (Label Studio then exports every task).
pub(crate) async fn view_task_ids<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    view_id: i64,
) -> CoreResult<Option<Vec<i64>>> {
    let Some(view) = queries::views::find(conn, view_id)
        .await?
        .filter(|v| v.project_id == project_id)
    else {
        return Ok(None);
    };
    let query = CompiledQuery::new(
        conn.get_database_backend(),
        project_id,
        &view_query(&view, true)?,
    )?;
    let mut ids = queries::tasks::filtered_ids(conn, &query).await?;
    ids.sort_unstable();
    Ok(Some(ids))
}

/// The task query a saved view stands for: its filters and ordering, and its `selectedItems`
/// when `with_selection`.
pub fn view_query(view: &view::Model, with_selection: bool) -> CoreResult<TaskQuery> {
    let stored = |text: Option<&str>| text.map_or(Value::Null, json_of);
    let data = json_of(&view.data);
    let selection = if with_selection {
        stored(view.selected_items.as_deref())
    } else {
        Value::Null
    };
    Ok(TaskQuery {
        filters: filters::parse_filters(&stored(view.filters.as_deref()))?,
        ordering: filters::parse_ordering(
            &json_of(&view.ordering),
            data.get("columnsDisplayType"),
        )?,
        selection: filters::parse_selection(&selection)?,
    })
}

/// Parses a `query` parameter: URL-decoded JSON with `filters`, `ordering`, `selectedItems`.
pub fn parse_query_param(text: &str) -> CoreResult<TaskQuery> {
    let value: Value = serde_json::from_str(text)
        .map_err(|err| CoreError::BadRequest(format!("query is not valid JSON: {err}")))?;
    Ok(filters::parse_query(&value)?)
}

/// Reads the Data Manager keys of an action or `/next` body (`filters`, `ordering`,
/// `selectedItems`, `columnsDisplayType`), as Label Studio's `get_prepare_params` does.
pub fn body_query(body: &Value) -> CoreResult<TaskQuery> {
    let Value::Object(source) = body else {
        return Ok(TaskQuery::default());
    };
    let mut picked = Map::new();
    for key in ["filters", "ordering", "selectedItems", "columnsDisplayType"] {
        if let Some(value) = source.get(key) {
            picked.insert(key.to_string(), value.clone());
        }
    }
    Ok(filters::parse_query(&Value::Object(picked))?)
}

/// What a Data Manager request selects, for one project of the caller's organization.
pub struct Selected {
    pub project: project::Model,
    pub query: CompiledQuery,
    /// The saved view the selection came from, if any.
    pub view: Option<view::Model>,
}

/// Resolves `project`/`view` parameters and the query into the selected tasks. With a view, its
/// filters, ordering and selection apply and `query` is ignored.
pub async fn resolve<C: ConnectionTrait>(
    conn: &C,
    caller: &Actor,
    project_id: Option<i64>,
    view_id: Option<i64>,
    query: impl FnOnce() -> CoreResult<TaskQuery>,
) -> CoreResult<Selected> {
    let (project, query, view) = match view_id {
        Some(view_id) => {
            let (view, project) = view(conn, caller, view_id).await?;
            if project_id.is_some_and(|p| p != project.id) {
                return Err(CoreError::BadRequest("Project and View mismatch".into()));
            }
            let query = view_query(&view, true)?;
            (project, query, Some(view))
        }
        None => {
            let project_id = project_id.ok_or_else(|| {
                CoreError::BadRequest("Neither project nor view id specified".into())
            })?;
            (
                scope::project(conn, caller, project_id).await?,
                query()?,
                None,
            )
        }
    };
    let query = CompiledQuery::new(conn.get_database_backend(), project.id, &query)?;
    Ok(Selected {
        project,
        query,
        view,
    })
}

/// Task fields Label Studio computes per request (`get_fields_for_evaluation`), so its task list
/// carries them only when asked: `fields=all`, a filter or the ordering on them, or a view (or
/// query) whose `hiddenColumns` leave them visible.
pub const EVALUATED_FIELDS: [&str; 4] = [
    "completed_at",
    "avg_lead_time",
    "draft_exists",
    "predictions_score",
];

/// The [`EVALUATED_FIELDS`] a task list shows for a Data Manager query given as JSON
/// (`filters`, `ordering`, `hiddenColumns`, as a view's data holds them).
pub fn evaluated_fields(query: &Value) -> Vec<&'static str> {
    let named = |prefix: &str, text: &str| {
        text.trim_start_matches('-')
            .strip_prefix(prefix)
            .map(str::to_string)
    };
    let mut wanted: Vec<String> = query["filters"]["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| {
            item["filter"]
                .as_str()
                .and_then(|f| named("filter:tasks:", f))
        })
        .collect();
    wanted.extend(
        query["ordering"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o.as_str().and_then(|o| named("tasks:", o))),
    );
    // Given any hidden columns, a column is left out only when it is hidden in both the table
    // (`explore`) and the labeling side list (`labeling`), as Label Studio computes it.
    let columns = &query["hiddenColumns"];
    let given = columns.as_object().is_some_and(|c| !c.is_empty());
    let hidden_in = |list: &str, field: &str| {
        columns[list].as_array().is_some_and(|hidden| {
            hidden
                .iter()
                .any(|h| h.as_str() == Some(&format!("tasks:{field}")))
        })
    };
    EVALUATED_FIELDS
        .into_iter()
        .filter(|field| {
            let visible = given && !(hidden_in("explore", field) && hidden_in("labeling", field));
            visible || wanted.iter().any(|w| w == field)
        })
        .collect()
}

/// A saved view as the query JSON [`evaluated_fields`] reads.
pub fn view_as_query(view: &view::Model) -> Value {
    let mut query = Map::new();
    query.insert(
        "filters".into(),
        view.filters.as_deref().map_or(Value::Null, json_of),
    );
    query.insert("ordering".into(), json_of(&view.ordering));
    query.insert(
        "hiddenColumns".into(),
        json_of(&view.data)
            .get("hiddenColumns")
            .cloned()
            .unwrap_or(Value::Null),
    );
    Value::Object(query)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::evaluated_fields;

    #[test]
    fn evaluated_fields_follow_filters_ordering_and_visible_columns() {
        assert!(evaluated_fields(&json!({})).is_empty());
        let filtered = json!({"filters": {"items": [{"filter": "filter:tasks:completed_at"}]}, "ordering": ["-tasks:predictions_score"]});
        assert_eq!(
            evaluated_fields(&filtered),
            ["completed_at", "predictions_score"]
        );
        // Left out only when hidden in both lists.
        let shown = json!({"hiddenColumns": {
            "explore": ["tasks:avg_lead_time", "tasks:draft_exists", "tasks:completed_at"],
            "labeling": ["tasks:avg_lead_time", "tasks:draft_exists"]
        }});
        assert_eq!(
            evaluated_fields(&shown),
            ["completed_at", "predictions_score"]
        );
        let explore_only = json!({"hiddenColumns": {"explore": ["tasks:avg_lead_time"]}});
        assert_eq!(evaluated_fields(&explore_only).len(), 4);
    }
}
