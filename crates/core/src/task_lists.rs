//! Reading tasks: the Data Manager's task page (a view's or query's filters and ordering, with
//! the per-request fields only where asked), one task in the Data Manager's shape, and the older
//! bare list of a project with nested annotations and predictions. The first two answer bucket
//! URIs in task data as resolve links (`storages::resolve`), as Label Studio's do.

use serde::Serialize;
use serde_json::Value;
use tessera_db::entities::{project, task};
use tessera_db::filters::TaskQuery;
use tessera_db::{queries, time, Db};

use crate::actor::Actor;
use crate::error::CoreResult;
use crate::ml::predict::Opened;
use crate::payload::{
    annotation_out, dm_task, first_data_key, only_included, prediction_out, simple_task,
    CompletedBy, DmProject, DmTaskOut, SimpleTaskOut, TaskBatch, Users,
};
use crate::storages::resolve::{rewrite_data, Resolver};
use crate::{dm, scope};

/// The Data Manager's task page: `{total_annotations, total_predictions, total, tasks}`.
#[derive(Serialize)]
pub struct TaskPage {
    pub total_annotations: i64,
    pub total_predictions: i64,
    pub total: i64,
    pub tasks: Vec<Value>,
}

/// What a Data Manager page request names.
pub struct PageRequest<'a> {
    pub project: Option<i64>,
    pub view: Option<i64>,
    /// `?query=`: a Data Manager query as JSON text.
    pub query: Option<&'a str>,
    /// `?fields=all`: every per-request field, annotations and predictions nested.
    pub all_fields: bool,
    /// `?include=`: the fields to keep (all when absent); named per-request fields are computed.
    pub include: Option<&'a str>,
}

/// One page of the selected tasks (a view's, or a project's under `query`), rendered.
pub async fn dm_page(
    db: &Db,
    actor: &Actor,
    request: PageRequest<'_>,
    offset: u64,
    size: u64,
    on_open: &crate::ml::predict::OnOpen<'_>,
) -> CoreResult<TaskPage> {
    let conn = db.conn();
    let query_text = request.query.filter(|q| !q.is_empty());
    let selected = dm::resolve(
        conn,
        actor,
        request.project,
        request.view,
        || match query_text {
            Some(text) => dm::parse_query_param(text),
            None => Ok(TaskQuery::default()),
        },
    )
    .await?;
    let mut project = selected.project;
    let (mut tasks, mut totals) =
        queries::tasks::filtered_page(conn, &project, &selected.query, offset, size).await?;
    let ids: Vec<i64> = tasks.iter().map(|t| t.id).collect();
    if crate::ml::predict::when_opened(db, on_open, &project, Opened::Listed(&ids)).await? {
        // The page again, with the predictions and counters just stored.
        if let Some(fresh) = queries::projects::find_by_id(conn, project.id).await? {
            project = fresh;
        }
        (tasks, totals) =
            queries::tasks::filtered_page(conn, &project, &selected.query, offset, size).await?;
    }
    let batch = TaskBatch::load(conn, &tasks, actor.user.id).await?;
    let shown = DmProject::of(&project);
    let nested = request.all_fields.then_some(CompletedBy::Id);
    // Label Studio's default field set: the per-request fields only where the query asks.
    let mut evaluated: Vec<&str> = match (request.all_fields, &selected.view) {
        (true, _) => dm::EVALUATED_FIELDS.to_vec(),
        (false, Some(view)) => dm::evaluated_fields(&dm::view_as_query(view)),
        (false, None) => query_text
            .and_then(|text| serde_json::from_str(text).ok())
            .map_or_else(Vec::new, |q| dm::evaluated_fields(&q)),
    };
    let included = request
        .include
        .unwrap_or_default()
        .split(',')
        .map(str::trim);
    evaluated.extend(
        dm::EVALUATED_FIELDS
            .into_iter()
            .filter(|field| included.clone().any(|i| i == *field)),
    );
    let now = time::now();
    let resolver = Resolver::load(db, project.id).await?;
    let tasks = tasks
        .into_iter()
        .map(|t| {
            let task_id = t.id;
            let mut rendered = serde_json::to_value(dm_task(t, &batch, &shown, nested, &now))
                .map_err(anyhow::Error::from)?;
            if let Value::Object(fields) = &mut rendered {
                rewrite_data(&resolver, task_id, fields);
                fields.retain(|key, _| {
                    !dm::EVALUATED_FIELDS.contains(&key.as_str())
                        || evaluated.contains(&key.as_str())
                });
            }
            Ok(only_included(rendered, request.include))
        })
        .collect::<CoreResult<Vec<Value>>>()?;
    Ok(TaskPage {
        total_annotations: totals.total_annotations,
        total_predictions: totals.total_predictions,
        total: totals.total,
        tasks,
    })
}

/// One task the actor sees, in the Data Manager's shape with expanded annotators (an annotator
/// sees only their own annotations).
pub async fn get(
    db: &Db,
    actor: &Actor,
    id: i64,
    on_open: &crate::ml::predict::OnOpen<'_>,
) -> CoreResult<DmTaskOut> {
    let (mut task, project) = scope::task(db.conn(), actor, id).await?;
    if crate::ml::predict::when_opened(db, on_open, &project, Opened::Detail(task.id)).await? {
        // Again, with the counters the new prediction changed.
        task = queries::tasks::find(db.conn(), task.id)
            .await?
            .unwrap_or(task);
    }
    let mut batch = TaskBatch::load(db.conn(), std::slice::from_ref(&task), actor.user.id).await?;
    if !actor.sees_others_work() {
        batch.keep_annotations_of(actor.user.id);
    }
    let resolver = Resolver::load(db, project.id).await?;
    let mut rendered = dm_task(
        task,
        &batch,
        &DmProject::of(&project),
        Some(CompletedBy::Expanded),
        &time::now(),
    );
    resolver.rewrite(rendered.id, &mut rendered.data);
    Ok(rendered)
}

/// The simple task shape with nested annotations (`completed_by` as id) and predictions.
pub async fn simple_with_nested(
    db: &Db,
    tasks: Vec<task::Model>,
    project: &project::Model,
    viewer: i64,
) -> CoreResult<Vec<SimpleTaskOut>> {
    let batch = TaskBatch::load(db.conn(), &tasks, viewer).await?;
    let first_key = first_data_key(project);
    let now = time::now();
    let users = Users::load(
        db.conn(),
        batch
            .annotations
            .values()
            .flatten()
            .map(|a| a.completed_by_id),
    )
    .await?;
    Ok(tasks
        .into_iter()
        .map(|t| {
            let annotations = batch.annotations.get(&t.id).cloned().unwrap_or_default();
            let predictions = batch.predictions.get(&t.id).cloned().unwrap_or_default();
            let nested = (
                annotations
                    .into_iter()
                    .map(|a| annotation_out(a, &users, CompletedBy::Id, &now))
                    .collect(),
                predictions
                    .into_iter()
                    .map(|p| prediction_out(p, &now))
                    .collect(),
            );
            simple_task(t, first_key.as_deref(), Some(nested))
        })
        .collect())
}

/// A project's tasks, newest update first (`limit: None` for all of them), in the simple shape
/// with nested annotations and predictions.
pub async fn by_update(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    offset: u64,
    limit: Option<u64>,
) -> CoreResult<Vec<SimpleTaskOut>> {
    let project = scope::project(db.conn(), actor, project_id).await?;
    let tasks = queries::tasks::page_by_updated(db.conn(), project.id, offset, limit).await?;
    simple_with_nested(db, tasks, &project, actor.user.id).await
}
