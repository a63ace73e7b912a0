//! The labels manager (Label Studio's `labels_manager`): an organization's labels, created in
//! bulk with their links to project controls; the links themselves; and renaming a label in
//! saved annotations. Shapes and messages as Label Studio 1.23.2 answers them.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, IntoActiveModel, Set};
use serde::Serialize;
use serde_json::{json, Value};
use tessera_db::entities::{label, label_link, project};
use tessera_db::queries::labels::NewLabel;
use tessera_db::queries::projects::Viewer;
use tessera_db::{queries, time, Db, WriteTxn};

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::fields::{pk_of, python_type, Fields};
use crate::payload::json_of;
use crate::scope;
use crate::summary::Summary;
use crate::webhooks::emit::emit_for;
use crate::webhooks::Action as WebhookAction;

/// The longest label title and control name Label Studio stores.
const MAX_NAME: usize = 2048;

/// `LabelSerializer`.
#[derive(Serialize)]
pub struct LabelOut {
    pub id: i64,
    pub links: Vec<i64>,
    pub created_at: String,
    pub updated_at: String,
    pub value: Value,
    pub title: String,
    pub description: Option<String>,
    pub approved: bool,
    pub created_by: Option<i64>,
    pub approved_by: Option<i64>,
    pub organization: i64,
    pub projects: Vec<i64>,
}

/// `LabelCreateSerializer`: a created label with the link it was created for.
#[derive(Serialize)]
pub struct CreatedLabelOut {
    pub id: i64,
    pub created_by: Option<i64>,
    pub organization: i64,
    pub project: i64,
    pub from_name: String,
    pub created_at: String,
    pub updated_at: String,
    pub value: Value,
    pub title: String,
    pub description: Option<String>,
    pub approved: bool,
    pub approved_by: Option<i64>,
    pub projects: Vec<i64>,
}

/// `LabelLinkSerializer`.
#[derive(Serialize)]
pub struct LinkOut {
    pub id: i64,
    pub annotations_count: u64,
    pub from_name: String,
    pub project: i64,
    pub label: i64,
}

/// Renders labels with their links to the projects `viewer` sees, loaded in one query.
async fn render_labels<C: ConnectionTrait>(
    conn: &C,
    viewer: Viewer,
    labels: Vec<label::Model>,
) -> CoreResult<Vec<LabelOut>> {
    let ids: Vec<i64> = labels.iter().map(|l| l.id).collect();
    let links = queries::labels::links_of(conn, viewer, &ids).await?;
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

/// One page of the organization's labels and how many there are.
pub async fn page(
    db: &Db,
    actor: &Actor,
    offset: u64,
    limit: u64,
) -> CoreResult<(Vec<LabelOut>, u64)> {
    let conn = db.conn();
    let (labels, count) = queries::labels::page(conn, actor.organization_id, offset, limit).await?;
    Ok((render_labels(conn, actor.viewer(), labels).await?, count))
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

/// Reads one item of a bulk create, or its field errors.
fn label_item(item: &Value) -> Result<LabelItem, FieldErrors> {
    let mut fields = Fields::new(item).map_err(|_| {
        let mut errors = FieldErrors::new();
        errors.insert(
            "non_field_errors".into(),
            json!([format!(
                "Invalid data. Expected a dictionary, but got {}.",
                python_type(item)
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
    fields.require(&["project", "from_name", "title", "value"]);
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
/// exists in the organization already is reused (and linked). All or nothing.
pub async fn create_many(db: &Db, actor: &Actor, body: &Value) -> CoreResult<Vec<CreatedLabelOut>> {
    let Value::Array(items) = body else {
        return Err(CoreError::field(
            "non_field_errors",
            format!(
                "Expected a list of items but got type \"{}\".",
                python_type(body)
            ),
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
        return Err(CoreError::Validation(all));
    }
    let txn = db.write().await?;
    let mut created = Vec::with_capacity(items.len());
    // The links made, per project: one `LABEL_LINK_CREATED` each.
    let mut links: Vec<(project::Model, Vec<i64>)> = Vec::new();
    for item in parsed.into_iter().flatten() {
        let (out, project, link) = create_one(&txn, actor, item).await?;
        created.push(out);
        match links.iter_mut().find(|(p, _)| p.id == project.id) {
            Some((_, ids)) if !ids.contains(&link) => ids.push(link),
            Some(_) => {}
            None => links.push((project, vec![link])),
        }
    }
    // In project order, so that two such writes queue their webhooks' deliveries in the same
    // order and cannot deadlock on PostgreSQL.
    links.sort_by_key(|(project, _)| project.id);
    for (project, ids) in &links {
        emit_for(&*txn, project, WebhookAction::LabelLinkCreated, ids).await?;
    }
    txn.commit().await?;
    Ok(created)
}

/// Creates (or reuses) one label and links it; the label, its project and the link's id.
async fn create_one(
    txn: &WriteTxn,
    actor: &Actor,
    item: LabelItem,
) -> CoreResult<(CreatedLabelOut, project::Model, i64)> {
    let project = named_project(&**txn, actor, item.project).await?;
    check_approver(&**txn, actor, item.approved_by).await?;
    let value = item.value.to_string();
    let new = NewLabel {
        organization_id: actor.organization_id,
        value: &value,
        title: &item.title,
        description: item.description,
        approved: item.approved,
        approved_by_id: item.approved_by,
        created_by_id: actor.user.id,
    };
    let label = queries::labels::find_or_create(&**txn, new, time::now()).await?;
    let link = queries::labels::link(&**txn, project.id, label.id, &item.from_name).await?;
    let projects = queries::labels::links_of(&**txn, actor.viewer(), &[label.id])
        .await?
        .into_iter()
        .map(|l| l.project_id)
        .collect();
    let out = CreatedLabelOut {
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
    };
    Ok((out, project, link.id))
}

/// `approved_by` must be a member of the actor's organization.
async fn check_approver<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    approved_by: Option<i64>,
) -> CoreResult<()> {
    let Some(id) = approved_by else { return Ok(()) };
    match queries::organizations::membership(conn, actor.organization_id, id).await? {
        Some(_) => Ok(()),
        None => Err(CoreError::missing("approved_by", id)),
    }
}

/// A project the actor sees, named by a body field: another one is DRF's invalid-pk error.
async fn named_project<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: i64,
) -> CoreResult<project::Model> {
    scope::project(conn, actor, id)
        .await
        .map_err(|_| CoreError::missing("project", id))
}

async fn org_label<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: i64,
) -> CoreResult<label::Model> {
    queries::labels::find(conn, actor.organization_id, id)
        .await?
        .ok_or_else(|| CoreError::no_match("Label"))
}

/// One label of the actor's organization.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> CoreResult<LabelOut> {
    let conn = db.conn();
    let label = org_label(conn, actor, id).await?;
    Ok(render_labels(conn, actor.viewer(), vec![label])
        .await?
        .remove(0))
}

/// Changes a label's title, description, approval or value.
pub async fn update(db: &Db, actor: &Actor, id: i64, body: &Value) -> CoreResult<LabelOut> {
    let mut fields = Fields::new(body)?;
    let title = fields.bounded_string("title", MAX_NAME);
    let description = fields.nullable_string("description");
    let approved = fields.boolean("approved");
    let approved_by = fields.nullable_integer("approved_by");
    let value = fields.raw("value").map(Value::to_string);
    fields.finish()?;
    let txn = db.write().await?;
    let label = org_label(&*txn, actor, id).await?;
    check_approver(&*txn, actor, approved_by.flatten()).await?;
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
    let rendered = render_labels(&*txn, actor.viewer(), vec![saved])
        .await?
        .remove(0);
    txn.commit().await?;
    Ok(rendered)
}

/// Deletes a label (and its links).
pub async fn delete(db: &Db, actor: &Actor, id: i64) -> CoreResult<()> {
    let txn = db.write().await?;
    let label = org_label(&*txn, actor, id).await?;
    queries::labels::delete(&*txn, label.id).await?;
    txn.commit().await?;
    Ok(())
}

/// Renders links with the number of their project's annotations holding their label (the
/// labels load in one query, the counts in another).
async fn render_links<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    links: Vec<label_link::Model>,
) -> CoreResult<Vec<LinkOut>> {
    let ids: Vec<i64> = links.iter().map(|link| link.label_id).collect();
    let labels = queries::labels::find_many(conn, actor.organization_id, &ids).await?;
    let counted = links
        .iter()
        .map(|link| {
            labels
                .iter()
                .find(|label| label.id == link.label_id)
                .map(|label| (link.project_id, label.value.as_str()))
                .ok_or_else(|| CoreError::no_match("Label"))
        })
        .collect::<CoreResult<Vec<_>>>()?;
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
async fn render_link<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    link: label_link::Model,
) -> CoreResult<LinkOut> {
    Ok(render_links(conn, actor, vec![link]).await?.remove(0))
}

/// One page of the links of the projects the actor sees (of one project, when given as the
/// `project` query parameter's text) and how many there are.
pub async fn links_page(
    db: &Db,
    actor: &Actor,
    project: Option<&str>,
    offset: u64,
    limit: u64,
) -> CoreResult<(Vec<LinkOut>, u64)> {
    let project = match project.filter(|p| !p.is_empty()) {
        Some(text) => Some(text.parse::<i64>().map_err(|_| {
            CoreError::field(
                "project",
                "Select a valid choice. That choice is not one of the available choices.",
            )
        })?),
        None => None,
    };
    let conn = db.conn();
    let (links, count) =
        queries::labels::links_page(conn, actor.viewer(), project, offset, limit).await?;
    Ok((render_links(conn, actor, links).await?, count))
}

/// Links an organization's label to a project's control (`{from_name, project, label}`).
pub async fn create_link(db: &Db, actor: &Actor, body: &Value) -> CoreResult<LinkOut> {
    let mut fields = Fields::new(body)?;
    let from_name = fields.string("from_name");
    let project = fields.integer("project");
    let label = fields.integer("label");
    fields.require(&["from_name", "project", "label"]);
    fields.finish()?;
    let (from_name, project, label) = (
        from_name.unwrap_or_default(),
        project.unwrap_or_default(),
        label.unwrap_or_default(),
    );
    let txn = db.write().await?;
    let project = named_project(&*txn, actor, project).await?;
    let label = queries::labels::find(&*txn, actor.organization_id, label)
        .await?
        .ok_or_else(|| CoreError::missing("label", label))?;
    let link = queries::labels::link(&*txn, project.id, label.id, &from_name).await?;
    let rendered = render_link(&*txn, actor, link).await?;
    txn.commit().await?;
    Ok(rendered)
}

async fn org_link<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: i64,
) -> CoreResult<label_link::Model> {
    let link = queries::labels::find_link(conn, actor.organization_id, id)
        .await?
        .ok_or_else(|| CoreError::no_match("LabelLink"))?;
    // The link's project must be one the actor sees, too.
    scope::project(conn, actor, link.project_id)
        .await
        .map_err(|_| CoreError::no_match("LabelLink"))?;
    Ok(link)
}

/// Links as webhooks send them, each with its label: Label Studio's `LabelLinkSerializer`
/// (without the annotation count, which Label Studio's webhook objects do not carry) and
/// `LabelSerializer` with the label's links across the organization. Links gone are left out.
pub async fn webhook_links<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    ids: &[i64],
) -> CoreResult<Vec<(Value, Value)>> {
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        let Some(link) = queries::labels::find_link(conn, organization_id, id).await? else {
            continue;
        };
        let Some(label) = queries::labels::find(conn, organization_id, link.label_id).await? else {
            continue;
        };
        let label = render_labels(conn, Viewer::organization(organization_id), vec![label])
            .await?
            .remove(0);
        out.push((
            json!({
                "id": link.id,
                "from_name": link.from_name,
                "project": link.project_id,
                "label": link.label_id,
            }),
            serde_json::to_value(label).map_err(anyhow::Error::from)?,
        ));
    }
    Ok(out)
}

/// Tells the webhooks of a link's project.
async fn link_event<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    action: WebhookAction,
    link_id: i64,
) -> CoreResult<()> {
    match queries::projects::find_by_id(conn, project_id).await? {
        Some(project) => emit_for(conn, &project, action, &[link_id]).await,
        None => Ok(()),
    }
}

/// One link of a project the actor sees.
pub async fn get_link(db: &Db, actor: &Actor, id: i64) -> CoreResult<LinkOut> {
    let conn = db.conn();
    let link = org_link(conn, actor, id).await?;
    render_link(conn, actor, link).await
}

/// Changes a link's control name.
pub async fn update_link(db: &Db, actor: &Actor, id: i64, body: &Value) -> CoreResult<LinkOut> {
    let mut fields = Fields::new(body)?;
    let from_name = fields.string("from_name");
    fields.finish()?;
    let txn = db.write().await?;
    let link = org_link(&*txn, actor, id).await?;
    let mut changed = link.into_active_model();
    if let Some(from_name) = from_name {
        changed.from_name = Set(from_name);
    }
    let saved = queries::labels::update_link(&*txn, changed).await?;
    link_event(
        &*txn,
        saved.project_id,
        WebhookAction::LabelLinkUpdated,
        saved.id,
    )
    .await?;
    let rendered = render_link(&*txn, actor, saved).await?;
    txn.commit().await?;
    Ok(rendered)
}

/// Deletes a link.
pub async fn delete_link(db: &Db, actor: &Actor, id: i64) -> CoreResult<()> {
    let txn = db.write().await?;
    let link = org_link(&*txn, actor, id).await?;
    link_event(
        &*txn,
        link.project_id,
        WebhookAction::LabelLinkDeleted,
        link.id,
    )
    .await?;
    queries::labels::delete_link(&*txn, link.id).await?;
    txn.commit().await?;
    Ok(())
}

/// `{project, old_label, new_label}`: renames a label in the saved annotations of a project (or
/// of every project of the organization, with `project: null`): a choice or label equal to
/// `old_label` (a one-item list), or a taxonomy path equal to it, becomes `new_label`. Returns
/// how many annotations changed; the projects' summaries follow.
pub async fn rename_in_annotations(db: &Db, actor: &Actor, body: &Value) -> CoreResult<u64> {
    let mut fields = Fields::new(body)?;
    let old_label = fields.list("old_label");
    let new_label = fields.list("new_label");
    fields.require(&["old_label", "new_label"]);
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
    let txn = db.write().await?;
    if let Some(project) = project {
        named_project(&*txn, actor, project).await?;
    }
    let needle = old_label.last().map(Value::to_string).unwrap_or_default();
    let mut rewritten = Vec::new();
    // Results before and after, per project, of the annotations its summary counts (those made
    // after import): the summary's label counts follow the rename.
    let mut counted: BTreeMap<i64, Vec<(Value, Value)>> = BTreeMap::new();
    if !needle.is_empty() {
        for annotation in
            queries::labels::annotations_mentioning(&*txn, actor.viewer(), project, &needle).await?
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
    for (project_id, changes) in counted {
        let (annotations, labels) = queries::projects::lock_summary(&*txn, project_id).await?;
        let mut summary = Summary::load(&annotations, &labels);
        for (before, after) in &changes {
            summary.count_result(before, -1);
            summary.count_result(after, 1);
        }
        let (annotations, labels) = summary.to_json();
        queries::projects::set_summary(&*txn, project_id, &annotations, &labels).await?;
    }
    txn.commit().await?;
    Ok(rewritten.len() as u64)
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
