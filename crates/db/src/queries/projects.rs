//! Projects, always looked up within the caller's organization.

use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::entities::project::SkipQueue;
use crate::entities::{prediction, project};

/// A project of `organization_id`, or `None` (another organization's project is "not found").
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    viewer: Viewer,
    id: i64,
) -> Result<Option<project::Model>, DbErr> {
    project::Entity::find_by_id(id)
        .filter(viewer.condition())
        .one(conn)
        .await
}

/// Whose projects a lookup may return: an organization's, and, for roles that do not see all
/// of them, only those `user_id` created, is a member of, or whose workspace they belong to.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub organization_id: i64,
    pub user_id: Option<i64>,
}

impl Viewer {
    /// Every project of the organization.
    pub fn organization(organization_id: i64) -> Viewer {
        Viewer {
            organization_id,
            user_id: None,
        }
    }

    /// What `user_id` sees in the organization: everything when `sees_all` (their role says
    /// so), else their own projects.
    pub fn member(organization_id: i64, user_id: i64, sees_all: bool) -> Viewer {
        Viewer {
            organization_id,
            user_id: (!sees_all).then_some(user_id),
        }
    }

    /// The condition on `projects` selecting what this viewer sees.
    pub fn condition(self) -> sea_orm::sea_query::SimpleExpr {
        let in_organization =
            Expr::col((project::Entity, project::Column::OrganizationId)).eq(self.organization_id);
        match self.user_id {
            None => in_organization,
            // An integer, written into the SQL (sea-query's `?` values stay `?` on PostgreSQL).
            // Correlated on the project, so the (project_id, user_id) and (workspace_id, user_id)
            // indexes answer each test.
            Some(user) => in_organization.and(Expr::cust(format!(
                "(projects.created_by_id = {user} \
                 OR EXISTS (SELECT 1 FROM project_members pm WHERE pm.project_id = projects.id AND pm.user_id = {user}) \
                 OR EXISTS (SELECT 1 FROM workspace_members wm WHERE wm.workspace_id = projects.workspace_id AND wm.user_id = {user}))"
            ))),
        }
    }
}

/// Filters of the project list.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub ids: Option<Vec<i64>>,
    pub title: Option<String>,
    /// `pinned_only` / `exclude_pinned` / anything else = all.
    pub pinned: Option<String>,
    /// Column name and direction; default is pinned first, then newest.
    pub ordering: Option<(project::Column, bool)>,
}

/// One page of the projects `viewer` sees and the total count.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    viewer: Viewer,
    filter: &ListFilter,
    offset: u64,
    limit: u64,
) -> Result<(u64, Vec<project::Model>), DbErr> {
    let mut query = project::Entity::find().filter(viewer.condition());
    if let Some(ids) = &filter.ids {
        query = query.filter(project::Column::Id.is_in(ids.iter().copied()));
    }
    if let Some(title) = &filter.title {
        let escaped = title
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = LikeExpr::new(format!("%{escaped}%")).escape('\\');
        query = query.filter(
            Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(
                project::Column::Title,
            )))
            .like(pattern),
        );
    }
    match filter.pinned.as_deref() {
        Some("pinned_only") => query = query.filter(project::Column::PinnedAt.is_not_null()),
        Some("exclude_pinned") => query = query.filter(project::Column::PinnedAt.is_null()),
        _ => {}
    }
    let total = query.clone().count(conn).await?;
    query = match filter.ordering {
        Some((column, true)) => query.order_by_asc(column),
        Some((column, false)) => query.order_by_desc(column),
        None => query
            .order_by_desc(Expr::col(project::Column::PinnedAt).is_not_null())
            .order_by_desc(project::Column::PinnedAt)
            .order_by_desc(project::Column::CreatedAt),
    };
    let rows = query
        .order_by_desc(project::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(conn)
        .await?;
    Ok((total, rows))
}

/// Inserts or updates a project from an active model.
pub async fn save<C: ConnectionTrait>(
    conn: &C,
    model: project::ActiveModel,
) -> Result<project::Model, DbErr> {
    if model.id.is_set() {
        model.update(conn).await
    } else {
        model.insert(conn).await
    }
}

/// Deletes a project and, by cascade, everything in it.
pub async fn delete<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    project::Entity::delete_by_id(id)
        .exec(conn)
        .await
        .map(|_| ())
}

/// Allocates `count` consecutive `inner_id`s; returns the first. Takes the project row lock on
/// PostgreSQL, so concurrent imports into one project serialize here.
pub async fn allocate_inner_ids<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    count: i64,
) -> Result<i64, DbErr> {
    let backend = conn.get_database_backend();
    let sql = format!("UPDATE projects SET last_inner_id = last_inner_id + {count} WHERE id = {project_id} RETURNING last_inner_id");
    let row = conn.query_one(Statement::from_string(backend, sql)).await?;
    let last: i64 = row
        .ok_or_else(|| DbErr::RecordNotFound("project".into()))?
        .try_get("", "last_inner_id")?;
    Ok(last - count + 1)
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

#[derive(FromQueryResult)]
struct QueueRow {
    project_id: i64,
    done: i64,
    done_not_skipped: i64,
    labeled_mine: i64,
}

/// The caller's labeling queue of each project: `project id → (queue_total, queue_done)`, as
/// Label Studio defines them (`label_studio/projects/serializers.py`), in one query for a page.
pub async fn queue_counts<C: ConnectionTrait>(
    conn: &C,
    projects: &[project::Model],
    user_id: i64,
) -> Result<std::collections::HashMap<i64, (i64, i64)>, DbErr> {
    let ids: Vec<i64> = projects.iter().map(|p| p.id).collect();
    let sql = format!(
        "SELECT a.project_id AS project_id, COUNT(DISTINCT a.task_id) AS done, \
         COUNT(DISTINCT CASE WHEN NOT a.was_cancelled THEN a.task_id END) AS done_not_skipped, \
         COUNT(DISTINCT CASE WHEN t.is_labeled THEN a.task_id END) AS labeled_mine \
         FROM annotations a JOIN tasks t ON t.id = a.task_id \
         WHERE a.project_id IN ({}) AND a.completed_by_id = {user_id} GROUP BY a.project_id",
        crate::counters::join_ids(&ids)
    );
    let rows =
        QueueRow::find_by_statement(Statement::from_string(conn.get_database_backend(), sql))
            .all(conn)
            .await?;
    let rows: std::collections::HashMap<i64, QueueRow> =
        rows.into_iter().map(|r| (r.project_id, r)).collect();
    Ok(projects
        .iter()
        .map(|project| {
            let unlabeled = project.task_number - project.finished_task_number;
            let counts = match rows.get(&project.id) {
                None => (unlabeled, 0),
                Some(row) => {
                    let done = if project.skip_queue == SkipQueue::RequeueForMe {
                        row.done_not_skipped
                    } else {
                        row.done
                    };
                    (unlabeled + row.labeled_mine, done)
                }
            };
            (project.id, counts)
        })
        .collect())
}

/// Whether any prediction of the project has this model version.
pub async fn has_prediction_version<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    version: &str,
) -> Result<bool, DbErr> {
    Ok(prediction::Entity::find()
        .filter(super::predictions::of_version(project_id, version))
        .one(conn)
        .await?
        .is_some())
}

/// Sets every task's overlap (or only those already above 1) to `maximum_annotations`.
pub async fn set_task_overlap<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    overlap: i32,
    only_above_one: bool,
) -> Result<(), DbErr> {
    let extra = if only_above_one {
        " AND overlap > 1"
    } else {
        ""
    };
    let sql =
        format!("UPDATE tasks SET overlap = {overlap} WHERE project_id = {project_id}{extra}");
    conn.execute(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .map(|_| ())
}

/// Whether some task of the project has overlap above 1.
pub async fn any_overlap_above_one<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
) -> Result<bool, DbErr> {
    let sql = format!("SELECT COUNT(*) AS n FROM (SELECT 1 FROM tasks WHERE project_id = {project_id} AND overlap > 1 LIMIT 1) x");
    let n = Count::find_by_statement(Statement::from_string(conn.get_database_backend(), sql))
        .one(conn)
        .await?;
    Ok(n.is_some_and(|c| c.n > 0))
}

#[derive(FromQueryResult)]
struct SummaryRow {
    summary_created_annotations: String,
    summary_created_labels: String,
}

/// Locks the project row until the transaction ends (see `dialect::lock_rows`).
pub async fn lock<C: ConnectionTrait>(conn: &C, project_id: i64) -> Result<(), DbErr> {
    crate::dialect::lock_rows(conn, "projects", &format!("id = {project_id}")).await
}

/// Locks the project row and reads the summary maps `(created_annotations, created_labels)` as
/// they are now.
pub async fn lock_summary<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
) -> Result<(String, String), DbErr> {
    lock(conn, project_id).await?;
    summary(conn, project_id).await
}

/// The summary maps `(created_annotations, created_labels)`; read them under the project lock.
pub async fn summary<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
) -> Result<(String, String), DbErr> {
    let backend = conn.get_database_backend();
    let sql = format!("SELECT summary_created_annotations, summary_created_labels FROM projects WHERE id = {project_id}");
    let row = SummaryRow::find_by_statement(Statement::from_string(backend, sql))
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("project".into()))?;
    Ok((row.summary_created_annotations, row.summary_created_labels))
}

/// Stores the summary maps.
pub async fn set_summary<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    created_annotations: &str,
    created_labels: &str,
) -> Result<(), DbErr> {
    project::Entity::update_many()
        .col_expr(
            project::Column::SummaryCreatedAnnotations,
            Expr::value(created_annotations),
        )
        .col_expr(
            project::Column::SummaryCreatedLabels,
            Expr::value(created_labels),
        )
        .filter(project::Column::Id.eq(project_id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Stores the data-column summary after an import.
pub async fn set_data_columns<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    all: &str,
    common: &str,
) -> Result<(), DbErr> {
    project::Entity::update_many()
        .col_expr(project::Column::SummaryAllDataColumns, Expr::value(all))
        .col_expr(
            project::Column::SummaryCommonDataColumns,
            Expr::value(common),
        )
        .filter(project::Column::Id.eq(project_id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Sets the project's model version (after importing predictions into a project without one).
pub async fn set_model_version<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    version: &str,
) -> Result<(), DbErr> {
    project::Entity::update_many()
        .col_expr(project::Column::ModelVersion, Expr::value(version))
        .filter(project::Column::Id.eq(project_id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Ids of the projects `viewer` sees.
pub async fn visible_ids<C: ConnectionTrait>(conn: &C, viewer: Viewer) -> Result<Vec<i64>, DbErr> {
    project::Entity::find()
        .select_only()
        .column(project::Column::Id)
        .filter(viewer.condition())
        .into_tuple()
        .all(conn)
        .await
}

/// Forgets the summary (after all tasks are gone, as Label Studio resets it at zero tasks).
pub async fn reset_summary<C: ConnectionTrait>(conn: &C, project_id: i64) -> Result<(), DbErr> {
    project::Entity::update_many()
        .col_expr(project::Column::SummaryAllDataColumns, Expr::value("{}"))
        .col_expr(project::Column::SummaryCommonDataColumns, Expr::value("[]"))
        .col_expr(
            project::Column::SummaryCreatedAnnotations,
            Expr::value("{}"),
        )
        .col_expr(project::Column::SummaryCreatedLabels, Expr::value("{}"))
        .filter(project::Column::Id.eq(project_id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// A project by id, whatever its organization (for internal bookkeeping after a scoped lookup).
pub async fn find_by_id<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Option<project::Model>, DbErr> {
    project::Entity::find_by_id(id).one(conn).await
}

/// Spreads a project's overlap as Label Studio's `_rearrange_overlap_cohort` does: the cohort of
/// `percentage`% of its tasks (at least every task already finished `maximum` times, then the
/// most annotated, then by id) gets overlap `maximum`, every other task overlap 1. The caller
/// recounts the tasks afterwards.
pub async fn rearrange_overlap_cohort<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    maximum: i32,
    percentage: i32,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM tasks WHERE project_id = {project_id} AND useful_annotations >= {maximum}"
    );
    let finished = Count::find_by_statement(Statement::from_string(backend, sql))
        .one(conn)
        .await?
        .map_or(0, |c| c.n);
    let sql = format!("SELECT COUNT(*) AS n FROM tasks WHERE project_id = {project_id}");
    let total = Count::find_by_statement(Statement::from_string(backend, sql))
        .one(conn)
        .await?
        .map_or(0, |c| c.n);
    let must = (total as f64 * f64::from(percentage) / 100.0 + 0.5) as i64;
    let cohort = must.max(finished);
    let sql = format!(
        "UPDATE tasks SET overlap = CASE WHEN id IN (SELECT id FROM (SELECT t.id FROM tasks t WHERE t.project_id = {project_id} \
         ORDER BY CASE WHEN t.useful_annotations >= {maximum} THEN 0 ELSE 1 END, t.total_annotations + t.cancelled_annotations DESC, t.id \
         LIMIT {cohort}) AS cohort) THEN {maximum} ELSE 1 END WHERE project_id = {project_id}"
    );
    conn.execute(Statement::from_string(backend, sql))
        .await
        .map(|_| ())
}
