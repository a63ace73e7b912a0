//! Projects: listing (with Label Studio's filters, paging and `include`), creating, reading,
//! changing and deleting them, checking a label config on its own or against a project's
//! annotations, and the project's data summary.

mod settings;

use sea_orm::Iterable;
use serde::Serialize;
use serde_json::{json, Value};
use tessera_db::entities::project;
use tessera_db::{queries, time, Db};
use tessera_labelconfig::{ConfigError, ConfigProblem, LabelConfig};

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::Fields;
use crate::payload::{only_included, project_out, Counters, ProjectResponse, Users};
use crate::permissions::Action;
use crate::scope;
use crate::summary::Summary;
use crate::webhooks::emit::{emit, emit_for};
use crate::webhooks::Action as WebhookAction;

pub use settings::config_of;

/// The per-user queue fields, which cost a count over the actor's annotations.
const QUEUE_FIELDS: [&str; 2] = ["queue_total", "queue_done"];

/// Whether an `include` list (every field when absent) names one of `fields`.
fn includes_any(include: Option<&str>, fields: &[&str]) -> bool {
    include.is_none_or(|list| {
        list.split(',')
            .map(str::trim)
            .any(|field| fields.contains(&field))
    })
}

/// Renders projects for the actor, loading their creators (and queues) in one query each; the
/// queue fields are counted only when `queues` (else they read 0 and the caller drops them with
/// `include`).
pub async fn render(
    db: &Db,
    actor: &Actor,
    list: Vec<project::Model>,
    counters: Counters,
    queues: bool,
) -> CoreResult<Vec<ProjectResponse>> {
    let conn = db.conn();
    let creators = Users::load(conn, list.iter().map(|p| p.created_by_id)).await?;
    let queues = if queues {
        queries::projects::queue_counts(conn, &list, actor.user.id).await?
    } else {
        Default::default()
    };
    // The password for task media is a setting: only those who may change settings read it.
    let sees_secrets = Action::ManageProjects.allows(actor.role);
    Ok(list
        .into_iter()
        .map(|project| {
            let queue = queues.get(&project.id).copied().unwrap_or_default();
            let created_by = project.created_by_id.and_then(|id| creators.get(id));
            let mut rendered = project_out(project, created_by, queue, counters);
            if !sees_secrets {
                rendered.task_data_password = None;
            }
            rendered
        })
        .collect())
}

/// Renders items, keeping only the `include`d keys of each.
fn restricted<T: Serialize>(items: Vec<T>, include: Option<&str>) -> CoreResult<Vec<Value>> {
    items
        .into_iter()
        .map(|item| {
            Ok(only_included(
                serde_json::to_value(item).map_err(anyhow::Error::from)?,
                include,
            ))
        })
        .collect()
}

/// Projects rendered with only the `include`d fields (all when absent); the per-user queue
/// fields are counted only when included.
async fn render_included(
    db: &Db,
    actor: &Actor,
    list: Vec<project::Model>,
    include: Option<&str>,
) -> CoreResult<Vec<Value>> {
    let queues = includes_any(include, &QUEUE_FIELDS);
    let rendered = render(db, actor, list, Counters::Shown, queues).await?;
    restricted(rendered, include)
}

/// The project list's query, as its query string gives it.
#[derive(Default)]
pub struct ListQuery<'a> {
    /// Comma-separated ids.
    pub ids: Option<&'a str>,
    /// Part of the title.
    pub title: Option<&'a str>,
    /// `pinned_only`, `exclude_pinned` or `all`.
    pub filter: Option<&'a str>,
    /// A column name, `-` for descending.
    pub ordering: Option<&'a str>,
    /// Comma-separated field names to keep (all when absent).
    pub include: Option<&'a str>,
}

fn ordering(spec: &str) -> Option<(project::Column, bool)> {
    let (name, ascending) = match spec.strip_prefix('-') {
        Some(name) => (name, false),
        None => (spec, true),
    };
    project::Column::iter()
        .find(|c| sea_orm::IdenStatic::as_str(c) == name)
        .map(|c| (c, ascending))
}

/// One page of the actor's projects under the list filters, and how many there are.
async fn page_of_projects(
    db: &Db,
    actor: &Actor,
    query: &ListQuery<'_>,
    offset: u64,
    limit: u64,
) -> CoreResult<(Vec<project::Model>, u64)> {
    let filter = queries::projects::ListFilter {
        ids: query.ids.map(|ids| {
            ids.split(',')
                .filter_map(|id| id.trim().parse().ok())
                .collect()
        }),
        title: query.title.filter(|t| !t.is_empty()).map(str::to_string),
        pinned: query.filter.map(str::to_string),
        ordering: query.ordering.and_then(ordering),
    };
    let (count, rows) =
        queries::projects::list(db.conn(), actor.viewer(), &filter, offset, limit).await?;
    Ok((rows, count))
}

/// What a page of the project list shows of each project.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The whole project (`/api/projects/`).
    Projects,
    /// Its counters only (`/api/projects/counts/`).
    Counts,
}

/// One page of the actor's projects under the list filters, rendered as `listing` says with the
/// `include`d fields, and how many there are.
pub async fn page(
    db: &Db,
    actor: &Actor,
    query: &ListQuery<'_>,
    listing: Listing,
    offset: u64,
    limit: u64,
) -> CoreResult<(Vec<Value>, u64)> {
    let (rows, count) = page_of_projects(db, actor, query, offset, limit).await?;
    let rendered = match listing {
        Listing::Projects => render_included(db, actor, rows, query.include).await?,
        Listing::Counts => restricted(counters_of(rows), query.include)?,
    };
    Ok((rendered, count))
}

/// `ProjectCountsSerializer`: a project's id and its counters.
#[derive(Serialize)]
struct ProjectCounts {
    id: i64,
    task_number: i64,
    finished_task_number: i64,
    total_predictions_number: i64,
    total_annotations_number: i64,
    num_tasks_with_annotations: i64,
    useful_annotation_number: i64,
    ground_truth_number: i64,
    skipped_annotations_number: i64,
}

fn counters_of(rows: Vec<project::Model>) -> Vec<ProjectCounts> {
    rows.into_iter()
        .map(|p| ProjectCounts {
            id: p.id,
            task_number: p.task_number,
            finished_task_number: p.finished_task_number,
            total_predictions_number: p.total_predictions_number,
            total_annotations_number: p.total_annotations_number,
            num_tasks_with_annotations: p.num_tasks_with_annotations,
            useful_annotation_number: p.useful_annotation_number,
            ground_truth_number: p.ground_truth_number,
            skipped_annotations_number: p.skipped_annotations_number,
        })
        .collect()
}

/// Creates a project of the actor's from a serializer body (Label Studio's defaults for what
/// it leaves out).
pub async fn create(db: &Db, actor: &Actor, body: &Value) -> CoreResult<ProjectResponse> {
    let txn = db.write().await?;
    let fresh = settings::defaults(actor.organization_id, actor.user.id, time::now());
    let applied = settings::apply(&txn, fresh, body, true).await?;
    let saved = settings::save(&txn, applied, true).await?;
    emit(
        &*txn,
        saved.organization_id,
        None,
        WebhookAction::ProjectCreated,
        &[saved.id],
    )
    .await?;
    txn.commit().await?;
    let mut rendered = render(db, actor, vec![saved], Counters::Hidden, true).await?;
    Ok(rendered.remove(0))
}

/// A project the actor sees, with only the `include`d fields (a Tessera extension: the web app
/// skips the per-user queue counts, which cost a count over the actor's annotations).
pub async fn get(db: &Db, actor: &Actor, id: i64, include: Option<&str>) -> CoreResult<Value> {
    let project = scope::project(db.conn(), actor, id).await?;
    Ok(render_included(db, actor, vec![project], include)
        .await?
        .remove(0))
}

/// Changes a project's settings (PATCH and PUT alike: every field optional), answering with the
/// `include`d fields.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    body: &Value,
    include: Option<&str>,
) -> CoreResult<Value> {
    let txn = db.write().await?;
    queries::projects::lock(&*txn, id).await?;
    let current = scope::project(&*txn, actor, id).await?;
    let applied = settings::apply(&txn, current, body, false).await?;
    let saved = settings::save(&txn, applied, false).await?;
    emit_for(&*txn, &saved, WebhookAction::ProjectUpdated, &[saved.id]).await?;
    txn.commit().await?;
    Ok(render_included(db, actor, vec![saved], include)
        .await?
        .remove(0))
}

/// Deletes a project with everything in it.
pub async fn delete(db: &Db, actor: &Actor, id: i64) -> CoreResult<()> {
    // Deleting a big project removes millions of rows in one statement.
    let txn = db.write_unbounded().await?;
    let project = scope::project(&*txn, actor, id).await?;
    queries::projects::delete(&*txn, project.id).await?;
    emit(
        &*txn,
        project.organization_id,
        None,
        WebhookAction::ProjectDeleted,
        &[project.id],
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Checks a label config on its own (`{"label_config": ...}`); the field errors Label Studio
/// answers unwrapped, in its serializer's words.
pub fn validate_config(body: &Value) -> CoreResult<()> {
    let mut fields = Fields::new(body)?;
    let config = fields.string("label_config").unwrap_or_default();
    let given = fields.has("label_config");
    fields.finish()?;
    if config.trim().is_empty() {
        let message = if given {
            "This field may not be blank."
        } else {
            "This field is required."
        };
        return Err(CoreError::field("label_config", message));
    }
    LabelConfig::parse(&config)
        .map(|_| ())
        .map_err(|err| CoreError::field("label_config", err.0))
}

/// Checks a label config against a project's annotations (strictly); whether its essential data
/// would change. Label Studio answers XML that does not parse as a bare detail, and every other
/// problem under `non_field_errors` (unlike project writes, which use `label_config`).
pub async fn validate_against(db: &Db, actor: &Actor, id: i64, body: &Value) -> CoreResult<bool> {
    let project = scope::project(db.conn(), actor, id).await?;
    let mut fields = Fields::new(body)?;
    // A null config is as empty as a missing one.
    let config = match fields.raw("label_config") {
        Some(Value::Null) => String::new(),
        _ => fields.string("label_config").unwrap_or_default(),
    };
    fields.finish()?;
    let refused = |message: String| CoreError::field("non_field_errors", message);
    if config.trim().is_empty() {
        return Err(refused("Label config is not set or is empty".into()));
    }
    let parsed = match LabelConfig::parse(&config) {
        Ok(parsed) => parsed,
        Err(ConfigError(message, ConfigProblem::Xml)) => {
            return Err(CoreError::BadRequest(message))
        }
        Err(ConfigError(message, ConfigProblem::Rules)) => return Err(refused(message)),
    };
    let summary = Summary::load(
        &project.summary_created_annotations,
        &project.summary_created_labels,
    );
    summary.check_config(&parsed, true).map_err(refused)?;
    Ok(LabelConfig::parse(&project.label_config)
        .map_or(true, |old| parsed.essential_change_from(&old)))
}

/// A project's data summary (`ProjectSummarySerializer`).
#[derive(Serialize)]
pub struct SummaryOut {
    pub project: i64,
    pub created_at: String,
    pub all_data_columns: Value,
    pub common_data_columns: Value,
    pub created_annotations: Value,
    pub created_labels: Value,
    pub created_labels_drafts: Value,
}

/// The data summary of a project the actor sees.
pub async fn summary(db: &Db, actor: &Actor, id: i64) -> CoreResult<SummaryOut> {
    let project = scope::project(db.conn(), actor, id).await?;
    let parse = |text: &str| serde_json::from_str(text).unwrap_or(Value::Null);
    Ok(SummaryOut {
        project: project.id,
        created_at: time::format(&project.created_at),
        all_data_columns: parse(&project.summary_all_data_columns),
        common_data_columns: parse(&project.summary_common_data_columns),
        created_annotations: parse(&project.summary_created_annotations),
        created_labels: parse(&project.summary_created_labels),
        created_labels_drafts: json!({}),
    })
}
