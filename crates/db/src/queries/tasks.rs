//! Tasks: bulk creation for imports, single-task CRUD, listing and deletion with counters.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};

use crate::counters::{self, TaskSet, TaskTally};
use crate::dialect::{insert_json_rows, Kind, RowWriter, Source};
use crate::entities::{project, task};
use crate::filters::CompiledQuery;

/// A task to insert, with its counters computed by the caller.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// JSON text of `data`.
    pub data: String,
    /// JSON text of `meta`.
    pub meta: String,
    pub overlap: i32,
    pub tally: TaskTally,
    pub file_upload_id: Option<i64>,
    pub updated_by_id: Option<i64>,
}

#[derive(FromQueryResult)]
struct IdRow {
    id: i64,
}

/// Inserts tasks with consecutive `inner_id`s starting at `first_inner_id` and returns their ids
/// in input order.
pub async fn insert_many<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    first_inner_id: i64,
    tasks: Vec<NewTask>,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    let count = tasks.len() as i64;
    let columns = [
        ("project_id", Source::Same(project_id.into())),
        ("inner_id", Source::Row(Kind::Int)),
        ("data", Source::Row(Kind::Text)),
        ("meta", Source::Row(Kind::Text)),
        ("is_labeled", Source::Row(Kind::Bool)),
        ("overlap", Source::Row(Kind::Int)),
        ("total_annotations", Source::Row(Kind::Int)),
        ("cancelled_annotations", Source::Row(Kind::Int)),
        ("total_predictions", Source::Row(Kind::Int)),
        ("ground_truth_annotations", Source::Row(Kind::Int)),
        ("useful_annotations", Source::Row(Kind::Int)),
        ("completed_at", Source::Row(Kind::Timestamp)),
        ("file_upload_id", Source::Row(Kind::Int)),
        ("updated_by_id", Source::Row(Kind::Int)),
        ("allow_skip", Source::Same(true.into())),
        ("created_at", Source::Same(now.into())),
        ("updated_at", Source::Same(now.into())),
    ];
    insert_json_rows(conn, "tasks", &columns, tasks.len(), |i, out| {
        let t = &tasks[i];
        RowWriter::new(out)
            .value(&(first_inner_id + i as i64))
            .value(&t.data)
            .value(&t.meta)
            .value(&t.tally.is_labeled)
            .value(&t.overlap)
            .value(&t.tally.total)
            .value(&t.tally.cancelled)
            .value(&t.tally.predictions)
            .value(&t.tally.ground_truth)
            .value(&t.tally.useful)
            .time(t.tally.is_labeled.then_some(&now))
            .value(&t.file_upload_id)
            .value(&t.updated_by_id)
            .end();
    })
    .await?;
    let backend = conn.get_database_backend();
    let range = format!(
        "project_id = {project_id} AND inner_id >= {first_inner_id} AND inner_id < {}",
        first_inner_id + count
    );
    // The rows were inserted in inner_id order by one statement, so their ids are normally
    // consecutive too. Prove it with two one-row queries (reading 100,000 ids back costs far
    // more through the driver), and fall back to reading them when it does not hold.
    let first = format!(
        "SELECT id FROM tasks WHERE project_id = {project_id} AND inner_id = {first_inner_id}"
    );
    if let Some(first_id) = IdRow::find_by_statement(Statement::from_string(backend, first))
        .one(conn)
        .await?
        .map(|r| r.id)
    {
        let offset = first_id - first_inner_id;
        let linear =
            format!("SELECT COUNT(*) AS id FROM tasks WHERE {range} AND id - inner_id = {offset}");
        let matching = IdRow::find_by_statement(Statement::from_string(backend, linear))
            .one(conn)
            .await?
            .map_or(0, |r| r.id);
        if matching == count {
            return Ok((0..count).map(|i| first_id + i).collect());
        }
    }
    let sql = format!("SELECT id FROM tasks WHERE {range} ORDER BY inner_id");
    let ids = IdRow::find_by_statement(Statement::from_string(backend, sql))
        .all(conn)
        .await?;
    Ok(ids.into_iter().map(|r| r.id).collect())
}

/// A task by id; callers check that its project is in the caller's organization.
/// The ids of a project's tasks made from these file uploads.
pub async fn ids_from_uploads<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    upload_ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    task::Entity::find()
        .select_only()
        .column(task::Column::Id)
        .filter(task::Column::ProjectId.eq(project_id))
        .filter(task::Column::FileUploadId.is_in(upload_ids.iter().copied()))
        .into_tuple()
        .all(conn)
        .await
}

pub async fn find<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<task::Model>, DbErr> {
    task::Entity::find_by_id(id).one(conn).await
}

/// Tasks by id, in id order (any project; callers check).
pub async fn find_many<C: ConnectionTrait>(
    conn: &C,
    ids: &[i64],
) -> Result<Vec<task::Model>, DbErr> {
    task::Entity::find()
        .filter(task::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(task::Column::Id)
        .all(conn)
        .await
}

/// One page of a project's tasks, ordered by id.
///
/// `inner_id`s are handed out consecutively under the project row lock, so a project's id order
/// is its `inner_id` order. While no task was ever deleted (`last_inner_id == task_number`), the
/// page is therefore an `inner_id` range read straight from the unique index, however deep; after
/// deletions it falls back to `OFFSET`.
pub async fn page_by_id<C: ConnectionTrait>(
    conn: &C,
    project: &project::Model,
    offset: u64,
    limit: u64,
) -> Result<Vec<task::Model>, DbErr> {
    let query = task::Entity::find()
        .filter(task::Column::ProjectId.eq(project.id))
        .order_by_asc(task::Column::Id);
    if project.last_inner_id == project.task_number {
        let first = offset as i64 + 1;
        query
            .filter(task::Column::InnerId.gte(first))
            .filter(task::Column::InnerId.lt(first + limit as i64))
            .all(conn)
            .await
    } else {
        query.offset(offset).limit(limit).all(conn).await
    }
}

/// Tasks of a project newest-updated first (`/api/projects/{id}/tasks/`); `limit` None = all
/// (and then `offset` is ignored).
pub async fn page_by_updated<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    offset: u64,
    limit: Option<u64>,
) -> Result<Vec<task::Model>, DbErr> {
    let mut query = task::Entity::find()
        .filter(task::Column::ProjectId.eq(project_id))
        .order_by_desc(task::Column::UpdatedAt)
        .order_by_desc(task::Column::Id);
    if let Some(limit) = limit {
        query = query.offset(offset).limit(limit);
    }
    query.all(conn).await
}

/// Tasks of a project in id order after `after_id` (keyset paging for exports).
pub async fn batch_after<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    after_id: i64,
    limit: u64,
    only_annotated: bool,
    ids: Option<&[i64]>,
) -> Result<Vec<task::Model>, DbErr> {
    let mut query = task::Entity::find()
        .filter(task::Column::ProjectId.eq(project_id))
        .filter(task::Column::Id.gt(after_id));
    if only_annotated {
        query = query.filter(Expr::cust(
            "(tasks.total_annotations > 0 OR tasks.cancelled_annotations > 0)",
        ));
    }
    if let Some(ids) = ids {
        query = query.filter(task::Column::Id.is_in(ids.iter().copied()));
    }
    query
        .order_by_asc(task::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Inserts one task (allocating its `inner_id` from the project) and counts it in the project.
pub async fn insert_one<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    new: NewTask,
    now: DateTime<Utc>,
) -> Result<task::Model, DbErr> {
    let inner_id = crate::queries::projects::allocate_inner_ids(conn, project_id, 1).await?;
    let mut sums = counters::ProjectSums::default();
    sums.add_task(&new.tally);
    let ids = insert_many(conn, project_id, inner_id, vec![new], now).await?;
    counters::apply_project_delta(conn, project_id, &sums).await?;
    find(conn, ids[0])
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("task".into()))
}

/// Replaces a task's data/meta (PATCH) and bumps `updated_at`.
pub async fn update_fields<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    data: Option<String>,
    meta: Option<String>,
    updated_by: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = task::Entity::update_many()
        .col_expr(task::Column::UpdatedAt, Expr::value(now))
        .col_expr(task::Column::UpdatedById, Expr::value(updated_by))
        .filter(task::Column::Id.eq(id));
    if let Some(data) = data {
        update = update.col_expr(task::Column::Data, Expr::value(data));
    }
    if let Some(meta) = meta {
        update = update.col_expr(task::Column::Meta, Expr::value(meta));
    }
    update.exec(conn).await.map(|_| ())
}

/// Deletes tasks of a project (all of them for `TaskSet::All`), keeping project counters right.
/// Any number of ids: they are inlined in chunks, below both backends' statement limits. The
/// tasks' drafts and locks go too (they have no foreign key to cascade).
pub async fn delete<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    tasks: TaskSet<'_>,
) -> Result<u64, DbErr> {
    let chunks: Vec<TaskSet> = match tasks {
        TaskSet::All => vec![TaskSet::All],
        TaskSet::Ids(ids) => ids.chunks(counters::ID_CHUNK).map(TaskSet::Ids).collect(),
    };
    let mut deleted = 0;
    for chunk in chunks {
        counters::forget_tasks(conn, project_id, chunk.clone()).await?;
        let owned = match chunk {
            TaskSet::All => format!("project_id = {project_id}"),
            TaskSet::Ids(ids) => format!("task_id IN ({})", counters::join_ids(ids)),
        };
        for table in ["drafts", "task_locks"] {
            conn.execute(Statement::from_string(
                conn.get_database_backend(),
                format!("DELETE FROM {table} WHERE {owned}"),
            ))
            .await?;
        }
        let mut query = task::Entity::delete_many().filter(task::Column::ProjectId.eq(project_id));
        if let TaskSet::Ids(ids) = chunk {
            query = query.filter(Expr::cust(format!("id IN ({})", counters::join_ids(ids))));
        }
        deleted += query.exec(conn).await?.rows_affected;
    }
    Ok(deleted)
}

/// One batch of the JSON export, rendered by the database: `(documents joined by commas, last
/// task id)`, or `None` past the last task. See [`crate::dialect::export_batch_sql`].
pub async fn export_json_batch<C: ConnectionTrait>(
    conn: &C,
    batch: &crate::dialect::ExportBatch<'_>,
) -> Result<Option<(String, i64)>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        docs: Option<String>,
        last_id: Option<i64>,
    }
    let backend = conn.get_database_backend();
    let sql = crate::dialect::export_batch_sql(backend, batch);
    let row = Row::find_by_statement(Statement::from_string(backend, sql))
        .one(conn)
        .await?;
    Ok(row.and_then(|r| r.docs.zip(r.last_id)))
}

/// Count and counter sums of the tasks a Data Manager query selects.
#[derive(Debug, Clone, Copy, Default, FromQueryResult)]
pub struct FilteredTotals {
    pub total: i64,
    pub total_annotations: i64,
    pub total_predictions: i64,
}

/// Whether a project holds at least half of all tasks ever created (ids are never reused),
/// so that reading the whole table beats walking the project's index.
async fn is_most_of_table<C: ConnectionTrait>(
    conn: &C,
    project: &project::Model,
) -> Result<bool, DbErr> {
    #[derive(FromQueryResult)]
    struct Top {
        id: Option<i64>,
    }
    let sql = "SELECT MAX(id) AS id FROM tasks";
    let top = Top::find_by_statement(Statement::from_string(conn.get_database_backend(), sql))
        .one(conn)
        .await?;
    Ok(project.task_number * 2 >= top.and_then(|t| t.id).unwrap_or(0))
}

/// A page of the tasks a Data Manager query selects, in its order, with the totals over every
/// selected task, from one pass over the tasks (window aggregates next to the page's ids).
/// Selective data searches start from the substring index; otherwise a project holding most of
/// the table is read by a table scan in concurrent id ranges.
pub async fn filtered_page<C: ConnectionTrait>(
    conn: &C,
    project: &project::Model,
    query: &CompiledQuery,
    offset: u64,
    limit: u64,
) -> Result<(Vec<task::Model>, FilteredTotals), DbErr> {
    if query.is_plain() {
        let totals = FilteredTotals {
            total: project.task_number,
            total_annotations: project.total_annotations_number,
            total_predictions: project.total_predictions_number,
        };
        return Ok((page_by_id(conn, project, offset, limit).await?, totals));
    }
    let searches = super::search::selective(conn, query, project.task_number).await?;
    let query = &if searches.is_empty() {
        query
            .clone()
            .scanning_table(is_most_of_table(conn, project).await?)
    } else {
        query.clone().using_search_index(searches)
    };
    let what = "tasks.id AS id, COUNT(*) OVER () AS total, \
                CAST(COALESCE(SUM(tasks.total_annotations) OVER (), 0) AS BIGINT) AS total_annotations, \
                CAST(COALESCE(SUM(tasks.total_predictions) OVER (), 0) AS BIGINT) AS total_predictions";
    let parts = scan_parts(conn, project.id, query, offset + limit).await?;
    let (ids, totals) = if parts.len() < 2 {
        let rows = PageRow::find_by_statement(query.select_ordered(what, Some((offset, limit))))
            .all(conn)
            .await?;
        (
            rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            rows.first().map(PageRow::totals).unwrap_or_default(),
        )
    } else {
        // Each id range yields its totals and its own first `offset + limit` tasks; the page is
        // among their union, which one small ordered query over those ids settles.
        let statements = parts.iter().map(|(low, high)| {
            let range = move |sql: &mut crate::filters::Sql| {
                sql.push(&format!(" AND tasks.id >= {low} AND tasks.id <= {high}"));
            };
            query.select_ordered_where(what, &range, Some((0, offset + limit)))
        });
        let results = futures_util::future::try_join_all(
            statements.map(|s| PageRow::find_by_statement(s).all(conn)),
        )
        .await?;
        let mut totals = FilteredTotals::default();
        let mut candidates = Vec::new();
        for rows in &results {
            if let Some(first) = rows.first() {
                let part = first.totals();
                totals.total += part.total;
                totals.total_annotations += part.total_annotations;
                totals.total_predictions += part.total_predictions;
            }
            candidates.extend(rows.iter().map(|r| r.id));
        }
        let among = |sql: &mut crate::filters::Sql| {
            sql.push(&format!(
                " AND tasks.id IN ({})",
                counters::join_ids(&candidates)
            ));
        };
        let rows = IdRow::find_by_statement(query.select_ordered_where(
            "tasks.id AS id",
            &among,
            Some((offset, limit)),
        ))
        .all(conn)
        .await?;
        (rows.into_iter().map(|r| r.id).collect(), totals)
    };
    let mut tasks = task::Entity::find()
        .filter(task::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    tasks.sort_by_key(|t| ids.iter().position(|id| *id == t.id));
    Ok((tasks, totals))
}

/// One row of a Data Manager page with the window totals.
#[derive(FromQueryResult)]
struct PageRow {
    id: i64,
    total: i64,
    total_annotations: i64,
    total_predictions: i64,
}

impl PageRow {
    fn totals(&self) -> FilteredTotals {
        FilteredTotals {
            total: self.total,
            total_annotations: self.total_annotations,
            total_predictions: self.total_predictions,
        }
    }
}

/// Pages this deep and deeper are read in one piece.
const SPLIT_MAX_ROWS: u64 = 10_000;

/// Id ranges to scan concurrently, one per core, when the query reads the whole table for a
/// page that is not too deep; otherwise none.
async fn scan_parts<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    query: &CompiledQuery,
    rows: u64,
) -> Result<Vec<(i64, i64)>, DbErr> {
    let cores = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4) as i64;
    if !query.is_scanning_table() || rows > SPLIT_MAX_ROWS || cores < 2 {
        return Ok(Vec::new());
    }
    let Some((low, high)) = id_range(conn, project_id).await? else {
        return Ok(Vec::new());
    };
    let step = (high - low) / cores + 1;
    Ok((0..cores)
        .map(|i| (low + i * step, (low + (i + 1) * step - 1).min(high)))
        .filter(|(a, b)| a <= b)
        .collect())
}

/// One task of a project picked at random (`RANDOM()` on both databases), if it has any.
pub async fn random_of_project<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
) -> Result<Option<task::Model>, DbErr> {
    task::Entity::find()
        .filter(task::Column::ProjectId.eq(project_id))
        .order_by(Expr::cust("RANDOM()"), sea_orm::Order::Asc)
        .one(conn)
        .await
}

/// Ids of every task of a project, in id order.
pub async fn ids_of_project<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
) -> Result<Vec<i64>, DbErr> {
    task::Entity::find()
        .select_only()
        .column(task::Column::Id)
        .filter(task::Column::ProjectId.eq(project_id))
        .order_by_asc(task::Column::Id)
        .into_tuple()
        .all(conn)
        .await
}

/// Ids of every task the query selects, in the query's order (bulk actions).
pub async fn filtered_ids<C: ConnectionTrait>(
    conn: &C,
    query: &CompiledQuery,
) -> Result<Vec<i64>, DbErr> {
    let rows = IdRow::find_by_statement(query.select_ordered("tasks.id AS id", None))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Marks a task as changed by `user` now (`updated_at`, `updated_by`).
pub async fn touch<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    user: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    update_fields(conn, id, None, None, user, now).await
}

/// A task of the selection whose data repeats another's: its id, data text and number of
/// annotations (skips included).
#[derive(Debug, Clone, FromQueryResult)]
pub struct Duplicate {
    pub id: i64,
    pub data: String,
    pub annotations: i64,
}

/// The selected tasks whose `data` (as stored) equals another task's of the project, by id;
/// callers group them and ignore groups of one.
pub async fn duplicates<C: ConnectionTrait>(
    conn: &C,
    query: &CompiledQuery,
) -> Result<Vec<Duplicate>, DbErr> {
    let statement = query.select_where(
        "tasks.id AS id, tasks.data AS data, CAST(tasks.total_annotations + tasks.cancelled_annotations AS BIGINT) AS annotations",
        &|sql| {
            sql.push(" AND tasks.data IN (SELECT d.data FROM tasks d WHERE d.project_id = tasks.project_id GROUP BY d.data HAVING COUNT(*) > 1) ORDER BY tasks.id");
        },
        None,
    );
    Duplicate::find_by_statement(statement).all(conn).await
}

/// The smallest and largest task id of a project (random picks, id-range scans).
pub async fn id_range<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
) -> Result<Option<(i64, i64)>, DbErr> {
    #[derive(FromQueryResult)]
    struct Range {
        low: Option<i64>,
        high: Option<i64>,
    }
    // Two subqueries: each is one index probe, while MIN and MAX side by side scan the project.
    let sql = format!(
        "SELECT (SELECT MIN(id) FROM tasks WHERE project_id = {project_id}) AS low, \
         (SELECT MAX(id) FROM tasks WHERE project_id = {project_id}) AS high"
    );
    let row = Range::find_by_statement(sea_orm::Statement::from_string(
        conn.get_database_backend(),
        sql,
    ))
    .one(conn)
    .await?;
    Ok(row.and_then(|r| r.low.zip(r.high)))
}
