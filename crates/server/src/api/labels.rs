//! The labels manager (Label Studio's `labels_manager`): `/api/labels/` (an organization's
//! labels, created in bulk with their project links), `/api/label_links/` (which project control
//! a label belongs to) and `POST /api/labels/bulk` (renaming a label in saved annotations).
//! Shapes and messages as Label Studio 1.23.2 answers them.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tessera_core::fields::{pk_of, Fields};
use tessera_core::payload::json_of;
use tessera_core::scope;
use tessera_core::CoreError;
use tessera_db::entities::{label, label_link};
use tessera_db::queries::labels::NewLabel;
use tessera_db::{queries, time, WriteTxn};

use crate::api::pagination::{page_window, Page, PageParams};
use crate::api::slashed;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::payload::{ApiPath, ApiQuery, JsonBody};
use crate::state::AppState;

/// The longest label title and control name Label Studio stores.
const MAX_NAME: usize = 2048;

/// `LabelSerializer`.
#[derive(Serialize)]
struct LabelOut {
    id: i64,
    links: Vec<i64>,
    created_at: String,
    updated_at: String,
    value: Value,
    title: String,
    description: Option<String>,
    approved: bool,
    created_by: Option<i64>,
    approved_by: Option<i64>,
    organization: i64,
    projects: Vec<i64>,
}

/// `LabelCreateSerializer`: a created label with the link it was created for.
#[derive(Serialize)]
struct CreatedLabelOut {
    id: i64,
    created_by: Option<i64>,
    organization: i64,
    project: i64,
    from_name: String,
    created_at: String,
    updated_at: String,
    value: Value,
    title: String,
    description: Option<String>,
    approved: bool,
    approved_by: Option<i64>,
    projects: Vec<i64>,
}

/// `LabelLinkSerializer`.
#[derive(Serialize)]
struct LinkOut {
    id: i64,
    annotations_count: u64,
    from_name: String,
    project: i64,
    label: i64,
}

/// Renders labels with their links to the projects `caller` sees, loaded in one query.
async fn render_labels<C: sea_orm::ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    labels: Vec<label::Model>,
) -> ApiResult<Vec<LabelOut>> {
    let ids: Vec<i64> = labels.iter().map(|l| l.id).collect();
    let links = queries::labels::links_of(conn, caller.viewer(), &ids).await?;
    Ok(labels
        .into_iter()
        .map(|label| {
            let own: Vec<&label_link::Model> = links
                .iter()
                .filter(|link| link.label_id == label.id)
                .collect();
            LabelOut {
                id: label.id,
                links: own.iter().map(|link| link.id).collect(),
                projects: own.iter().map(|link| link.project_id).collect(),
                created_at: time::format(&label.created_at),
                updated_at: time::format(&label.updated_at),
                value: json_of(&label.value),
                title: label.title,
                description: label.description,
                approved: label.approved,
                created_by: label.created_by_id,
                approved_by: label.approved_by_id,
                organization: label.organization_id,
            }
        })
        .collect())
}

async fn list_labels(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Json<Page<LabelOut>>> {
    let window = page_window(&page, 100, 1000)?;
    let conn = state.db.conn();
    let (labels, count) =
        queries::labels::page(conn, caller.organization_id, window.offset, window.limit).await?;
    if labels.is_empty() && window.page > 1 {
        return Err(ApiError::NotFound("Invalid page.".into()));
    }
    Ok(Json(Page::new(
        &headers,
        &uri,
        window,
        count,
        render_labels(conn, &caller, labels).await?,
    )))
}

/// One item of a bulk create: where it goes and what it is.
struct LabelItem {
    project: i64,
    from_name: String,
    value: Value,
    title: String,
    description: Option<String>,
    approved: bool,
    approved_by: Option<i64>,
}

/// Reads one item of `POST /api/labels/`, or its field errors.
fn label_item(item: &Value) -> Result<LabelItem, FieldErrors> {
    let mut fields = Fields::new(item).map_err(|_| {
        let mut errors = FieldErrors::new();
        errors.insert(
            "non_field_errors".into(),
            json!([format!(
                "Invalid data. Expected a dictionary, but got {}.",
                tessera_core::fields::python_type(item)
            )]),
        );
        errors
    })?;
    let project = fields.integer("project");
    let from_name = fields.bounded_string("from_name", MAX_NAME);
    let title = fields.bounded_string("title", MAX_NAME);
    let description = fields.nullable_string("description").flatten();
    let approved = fields.boolean("approved").unwrap_or(false);
    let approved_by = fields.nullable_integer("approved_by").flatten();
    for required in ["project", "from_name", "title", "value"] {
        if !fields.has(required) {
            fields.error(required, "This field is required.");
        }
    }
    let value = fields.raw("value").cloned();
    match fields.finish() {
        Err(CoreError::Validation(errors)) => Err(errors),
        _ => Ok(LabelItem {
            project: project.unwrap_or_default(),
            from_name: from_name.unwrap_or_default(),
            value: value.unwrap_or(Value::Null),
            title: title.unwrap_or_default(),
            description,
            approved,
            approved_by,
        }),
    }
}

/// `POST /api/labels/`: a list of labels, each linked to a project's control; a label that
/// exists in the organization already is reused (and linked).
async fn create_labels(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Vec<CreatedLabelOut>>)> {
    let Value::Array(items) = &body else {
        let kind = tessera_core::fields::python_type(&body);
        return Err(ApiError::field(
            "non_field_errors",
            format!("Expected a list of items but got type \"{kind}\"."),
        ));
    };
    let parsed: Vec<Result<LabelItem, FieldErrors>> = items.iter().map(label_item).collect();
    if parsed.iter().any(Result::is_err) {
        let errors: Vec<Value> = parsed
            .iter()
            .map(|p| p.as_ref().err().map_or(json!({}), |e| json!(e)))
            .collect();
        let mut all = FieldErrors::new();
        all.insert("non_field_errors".into(), Value::Array(errors));
        return Err(ApiError::Validation(all));
    }
    let txn = state.db.write().await?;
    let mut created = Vec::with_capacity(items.len());
    for item in parsed.into_iter().flatten() {
        created.push(create_one(&txn, &caller, item).await?);
    }
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn create_one(
    txn: &WriteTxn,
    caller: &Caller,
    item: LabelItem,
) -> ApiResult<CreatedLabelOut> {
    let project = named_project(&**txn, caller, item.project).await?;
    check_approver(&**txn, caller, item.approved_by).await?;
    let value = item.value.to_string();
    let new = NewLabel {
        organization_id: caller.organization_id,
        value: &value,
        title: &item.title,
        description: item.description,
        approved: item.approved,
        approved_by_id: item.approved_by,
        created_by_id: caller.user.id,
    };
    let label = queries::labels::find_or_create(&**txn, new, time::now()).await?;
    queries::labels::link(&**txn, project.id, label.id, &item.from_name).await?;
    let projects = queries::labels::links_of(&**txn, caller.viewer(), &[label.id])
        .await?
        .into_iter()
        .map(|l| l.project_id)
        .collect();
    Ok(CreatedLabelOut {
        id: label.id,
        created_by: label.created_by_id,
        organization: label.organization_id,
        project: project.id,
        from_name: item.from_name,
        created_at: time::format(&label.created_at),
        updated_at: time::format(&label.updated_at),
        value: json_of(&label.value),
        title: label.title,
        description: label.description,
        approved: label.approved,
        approved_by: label.approved_by_id,
        projects,
    })
}

/// `approved_by` must be a member of the caller's organization.
async fn check_approver<C: sea_orm::ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    approved_by: Option<i64>,
) -> ApiResult<()> {
    let Some(id) = approved_by else { return Ok(()) };
    match queries::organizations::membership(conn, caller.organization_id, id).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::missing("approved_by", id)),
    }
}

/// A project the caller sees, named by a body field: another one is DRF's invalid-pk error.
async fn named_project<C: sea_orm::ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: i64,
) -> ApiResult<tessera_db::entities::project::Model> {
    scope::project(conn, caller, id)
        .await
        .map_err(|_| ApiError::missing("project", id))
}

async fn org_label<C: sea_orm::ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: i64,
) -> ApiResult<label::Model> {
    queries::labels::find(conn, caller.organization_id, id)
        .await?
        .ok_or_else(|| ApiError::no_match("Label"))
}

async fn get_label(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<LabelOut>> {
    let conn = state.db.conn();
    let label = org_label(conn, &caller, id).await?;
    Ok(Json(
        render_labels(conn, &caller, vec![label]).await?.remove(0),
    ))
}

async fn update_label(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<LabelOut>> {
    use sea_orm::{IntoActiveModel, Set};
    let mut fields = Fields::new(&body)?;
    let title = fields.bounded_string("title", MAX_NAME);
    let description = fields.nullable_string("description");
    let approved = fields.boolean("approved");
    let approved_by = fields.nullable_integer("approved_by");
    let value = fields.raw("value").map(Value::to_string);
    fields.finish()?;
    let txn = state.db.write().await?;
    let label = org_label(&*txn, &caller, id).await?;
    check_approver(&*txn, &caller, approved_by.flatten()).await?;
    let mut changed = label.into_active_model();
    if let Some(title) = title {
        changed.title = Set(title);
    }
    if let Some(description) = description {
        changed.description = Set(description);
    }
    if let Some(approved) = approved {
        changed.approved = Set(approved);
    }
    if let Some(approved_by) = approved_by {
        changed.approved_by_id = Set(approved_by);
    }
    if let Some(value) = value {
        changed.value = Set(value);
    }
    changed.updated_at = Set(time::now());
    let saved = queries::labels::update(&*txn, changed).await?;
    let rendered = render_labels(&*txn, &caller, vec![saved]).await?.remove(0);
    txn.commit().await?;
    Ok(Json(rendered))
}

async fn delete_label(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let txn = state.db.write().await?;
    let label = org_label(&*txn, &caller, id).await?;
    queries::labels::delete(&*txn, label.id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Renders links with the number of their project's annotations holding their label (the
/// labels load in one query, the counts in another).
async fn render_links<C: sea_orm::ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    links: Vec<label_link::Model>,
) -> ApiResult<Vec<LinkOut>> {
    let ids: Vec<i64> = links.iter().map(|link| link.label_id).collect();
    let labels = queries::labels::find_many(conn, caller.organization_id, &ids).await?;
    let counted = links
        .iter()
        .map(|link| {
            labels
                .iter()
                .find(|label| label.id == link.label_id)
                .map(|label| (link.project_id, label.value.as_str()))
                .ok_or_else(|| ApiError::no_match("Label"))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let counts = queries::labels::annotations_holding(conn, &counted).await?;
    Ok(links
        .into_iter()
        .zip(counts)
        .map(|(link, annotations_count)| LinkOut {
            id: link.id,
            annotations_count,
            from_name: link.from_name,
            project: link.project_id,
            label: link.label_id,
        })
        .collect())
}

/// [`render_links`] of one link.
async fn render_link<C: sea_orm::ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    link: label_link::Model,
) -> ApiResult<LinkOut> {
    Ok(render_links(conn, caller, vec![link]).await?.remove(0))
}

#[derive(Deserialize)]
struct LinkParams {
    #[serde(flatten)]
    page: PageParams,
    project: Option<String>,
}

async fn list_links(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<LinkParams>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Json<Page<LinkOut>>> {
    let window = page_window(&params.page, 100, 1000)?;
    let project = match params.project.as_deref().filter(|p| !p.is_empty()) {
        Some(text) => Some(text.parse::<i64>().map_err(|_| {
            ApiError::field(
                "project",
                "Select a valid choice. That choice is not one of the available choices.",
            )
        })?),
        None => None,
    };
    let conn = state.db.conn();
    let (links, count) =
        queries::labels::links_page(conn, caller.viewer(), project, window.offset, window.limit)
            .await?;
    if links.is_empty() && window.page > 1 {
        return Err(ApiError::NotFound("Invalid page.".into()));
    }
    Ok(Json(Page::new(
        &headers,
        &uri,
        window,
        count,
        render_links(conn, &caller, links).await?,
    )))
}

/// `POST /api/label_links/`: links an organization's label to a project's control.
async fn create_link(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<LinkOut>)> {
    let mut fields = Fields::new(&body)?;
    let from_name = fields.string("from_name");
    let project = fields.integer("project");
    let label = fields.integer("label");
    for required in ["from_name", "project", "label"] {
        if !fields.has(required) {
            fields.error(required, "This field is required.");
        }
    }
    fields.finish()?;
    let (from_name, project, label) = (
        from_name.unwrap_or_default(),
        project.unwrap_or_default(),
        label.unwrap_or_default(),
    );
    let txn = state.db.write().await?;
    let project = named_project(&*txn, &caller, project).await?;
    let label = queries::labels::find(&*txn, caller.organization_id, label)
        .await?
        .ok_or_else(|| ApiError::missing("label", label))?;
    let link = queries::labels::link(&*txn, project.id, label.id, &from_name).await?;
    let rendered = render_link(&*txn, &caller, link).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(rendered)))
}

async fn org_link<C: sea_orm::ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: i64,
) -> ApiResult<label_link::Model> {
    let link = queries::labels::find_link(conn, caller.organization_id, id)
        .await?
        .ok_or_else(|| ApiError::no_match("LabelLink"))?;
    // The link's project must be one the caller sees, too.
    scope::project(conn, caller, link.project_id)
        .await
        .map_err(|_| ApiError::no_match("LabelLink"))?;
    Ok(link)
}

async fn get_link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<LinkOut>> {
    let conn = state.db.conn();
    let link = org_link(conn, &caller, id).await?;
    Ok(Json(render_link(conn, &caller, link).await?))
}

async fn update_link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<LinkOut>> {
    use sea_orm::{IntoActiveModel, Set};
    let mut fields = Fields::new(&body)?;
    let from_name = fields.string("from_name");
    fields.finish()?;
    let txn = state.db.write().await?;
    let link = org_link(&*txn, &caller, id).await?;
    let mut changed = link.into_active_model();
    if let Some(from_name) = from_name {
        changed.from_name = Set(from_name);
    }
    let saved = queries::labels::update_link(&*txn, changed).await?;
    let rendered = render_link(&*txn, &caller, saved).await?;
    txn.commit().await?;
    Ok(Json(rendered))
}

async fn delete_link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let txn = state.db.write().await?;
    let link = org_link(&*txn, &caller, id).await?;
    queries::labels::delete_link(&*txn, link.id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct BulkOut {
    annotations_updated: u64,
}

/// `POST /api/labels/bulk` (`{project, old_label, new_label}`): renames a label in the saved
/// annotations of a project (or of every project of the organization, with `project: null`):
/// a choice or label equal to `old_label` (a one-item list), or a taxonomy path equal to it,
/// becomes `new_label`.
async fn bulk_update(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<BulkOut>> {
    let mut fields = Fields::new(&body)?;
    let old_label = fields.list("old_label");
    let new_label = fields.list("new_label");
    for required in ["old_label", "new_label"] {
        if !fields.has(required) {
            fields.error(required, "This field is required.");
        }
    }
    let project = match fields.raw("project") {
        None | Some(Value::Null) => None,
        Some(value) => match pk_of(value) {
            Some(id) => Some(id),
            None => {
                fields.error("project", "Incorrect type. Expected pk value.");
                None
            }
        },
    };
    fields.finish()?;
    let (old_label, new_label) = (old_label.unwrap_or_default(), new_label.unwrap_or_default());
    let txn = state.db.write().await?;
    if let Some(project) = project {
        named_project(&*txn, &caller, project).await?;
    }
    let needle = old_label.last().map(Value::to_string).unwrap_or_default();
    let mut rewritten = Vec::new();
    // Results before and after, per project, of the annotations its summary counts (those made
    // after import): the summary's label counts follow the rename.
    let mut counted: std::collections::BTreeMap<i64, Vec<(Value, Value)>> = Default::default();
    if !needle.is_empty() {
        for annotation in
            queries::labels::annotations_mentioning(&*txn, caller.viewer(), project, &needle)
                .await?
        {
            let Some(mut result) = annotation.result.as_deref().map(json_of) else {
                continue;
            };
            let before = result.clone();
            if relabel(&mut result, &old_label, &new_label) {
                rewritten.push((annotation.id, result.to_string()));
                if !annotation.bulk_created {
                    counted
                        .entry(annotation.project_id)
                        .or_default()
                        .push((before, result));
                }
            }
        }
    }
    queries::labels::set_results(&*txn, &rewritten).await?;
    let updated = rewritten.len() as u64;
    for (project_id, changes) in counted {
        let (annotations, labels) = queries::projects::lock_summary(&*txn, project_id).await?;
        let mut summary = tessera_core::summary::Summary::load(&annotations, &labels);
        for (before, after) in &changes {
            summary.count_result(before, -1);
            summary.count_result(after, 1);
        }
        let (annotations, labels) = summary.to_json();
        queries::projects::set_summary(&*txn, project_id, &annotations, &labels).await?;
    }
    txn.commit().await?;
    Ok(Json(BulkOut {
        annotations_updated: updated,
    }))
}

/// Replaces `old` by `new` in a result's regions, in each region's labels (`value[<type>]`:
/// `choices`, `labels`, `taxonomy`, ...): a label equal to `old`'s only item, or a taxonomy path
/// equal to `old`. Other values (a text area's text) are left alone. Whether anything changed.
fn relabel(result: &mut Value, old: &[Value], new: &[Value]) -> bool {
    let mut changed = false;
    for region in result.as_array_mut().into_iter().flatten() {
        let Some(kind) = region
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            continue;
        };
        let Some(items) = region
            .get_mut("value")
            .and_then(|value| value.get_mut(&kind))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for item in items.iter_mut() {
            let taxonomy_path = item.as_array().is_some_and(|path| path.as_slice() == old);
            let single_label = old.len() == 1 && new.len() == 1 && *item == old[0];
            if taxonomy_path {
                *item = Value::Array(new.to_vec());
                changed = true;
            } else if single_label {
                *item = new[0].clone();
                changed = true;
            }
        }
    }
    changed
}

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = slashed(router, "/api/labels/", get(list_labels).post(create_labels));
    let router = crate::api::exact(router, "/api/labels/bulk", post(bulk_update));
    let router = slashed(
        router,
        "/api/labels/{id}/",
        get(get_label).patch(update_label).delete(delete_label),
    );
    let router = slashed(
        router,
        "/api/label_links/",
        get(list_links).post(create_link),
    );
    slashed(
        router,
        "/api/label_links/{id}/",
        get(get_link).patch(update_link).delete(delete_link),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::relabel;

    #[test]
    fn relabels_choices_labels_and_taxonomy_paths() {
        let mut result = json!([
            {"type": "choices", "value": {"choices": ["Positive", "Negative"]}},
            {"type": "labels", "value": {"start": 0, "end": 3, "labels": ["Positive"]}},
            {"type": "taxonomy", "value": {"taxonomy": [["Positive"], ["Other", "Positive"]]}},
            {"type": "textarea", "value": {"text": ["Positive"]}}
        ]);
        assert!(relabel(&mut result, &[json!("Positive")], &[json!("Good")]));
        assert_eq!(result[0]["value"]["choices"], json!(["Good", "Negative"]));
        assert_eq!(result[1]["value"]["labels"], json!(["Good"]));
        assert_eq!(
            result[2]["value"]["taxonomy"],
            json!([["Good"], ["Other", "Positive"]])
        );
        assert_eq!(
            result[3]["value"]["text"],
            json!(["Positive"]),
            "free text is not a label"
        );
        assert!(!relabel(&mut result, &[json!("Missing")], &[json!("X")]));
    }
}
