//! The one place that looks at the database backend. It owns:
//!
//! - bulk inserts, which send their rows as one JSON document per statement and let the database
//!   unpack it (`json_each` on SQLite, `jsonb_array_elements` on PostgreSQL) instead of binding
//!   tens of thousands of parameters. Each row is a JSON array with one element per column;
//!   booleans are JSON booleans, timestamps RFC 3339 strings as sqlx writes them, JSON documents
//!   strings;
//! - the JSON export's documents, rendered by the database a batch at a time;
//! - row locks (PostgreSQL only) and planner statistics after bulk writes;
//! - JSON access, regular expressions and collation for the Data Manager filters (`filters.rs`).
//!
//! The API tests run against both backends, so every function here is exercised on both.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// How a column's JSON element becomes an SQL value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Float,
    Bool,
    Text,
    Timestamp,
}

/// Rows per statement: keeps each JSON document to a few megabytes.
const ROWS_PER_STATEMENT: usize = 20_000;

/// Where a bulk-inserted column's value comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// The next element of each row's JSON array.
    Row(Kind),
    /// One value for every row of the statement (project, timestamps), bound once.
    Same(sea_orm::Value),
}

fn select_list(backend: DbBackend, columns: &[(&str, Source)]) -> String {
    let mut element = 0;
    let mut parameter = 1;
    columns
        .iter()
        .map(|(_, source)| match source {
            Source::Same(_) => {
                parameter += 1;
                match backend {
                    DbBackend::Postgres => format!("${parameter}"),
                    _ => format!("?{parameter}"),
                }
            }
            Source::Row(kind) => {
                element += 1;
                let i = element - 1;
                match backend {
                    DbBackend::Postgres => {
                        let cast = match kind {
                            Kind::Int => "::bigint",
                            Kind::Float => "::double precision",
                            Kind::Bool => "::boolean",
                            Kind::Text => "",
                            Kind::Timestamp => "::timestamptz",
                        };
                        format!("(r.v->>{i}){cast}")
                    }
                    // SQLite's ->> turns JSON true/false into 1/0, numbers into numbers, strings into text.
                    _ => format!("r.v ->> {i}"),
                }
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts rows into `table`. `write_row` appends row `i` as a JSON array holding, in order, the
/// values of the `Source::Row` columns.
pub async fn insert_json_rows<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    columns: &[(&str, Source)],
    count: usize,
    mut write_row: impl FnMut(usize, &mut Vec<u8>),
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let same: Vec<sea_orm::Value> = columns
        .iter()
        .filter_map(|(_, source)| {
            if let Source::Same(value) = source {
                Some(value.clone())
            } else {
                None
            }
        })
        .collect();
    // PostgreSQL: jsonb, so each ->> is a lookup rather than a re-parse of the row's text.
    // SQLite: every mention of json_each's `value` re-renders the row as text, so the rows are
    // materialized once, as JSONB, before the columns are picked out of them.
    let (prefix, source) = match backend {
        DbBackend::Postgres => ("", "jsonb_array_elements($1::jsonb) AS r(v)"),
        _ => (
            "WITH rows AS MATERIALIZED (SELECT jsonb(value) AS v FROM json_each(?1)) ",
            "rows AS r",
        ),
    };
    let sql = format!(
        "{prefix}INSERT INTO {table} ({}) SELECT {} FROM {source}",
        names.join(", "),
        select_list(backend, columns)
    );
    let mut start = 0;
    while start < count {
        let end = (start + ROWS_PER_STATEMENT).min(count);
        let mut buffer = Vec::with_capacity((end - start) * 128);
        buffer.push(b'[');
        for i in start..end {
            if i > start {
                buffer.push(b',');
            }
            write_row(i, &mut buffer);
        }
        buffer.push(b']');
        let json = String::from_utf8(buffer).map_err(|e| DbErr::Custom(e.to_string()))?;
        let values = std::iter::once(json.into()).chain(same.iter().cloned());
        conn.execute(Statement::from_sql_and_values(backend, &sql, values))
            .await?;
        start = end;
    }
    Ok(())
}

/// SQL rendering a stored timestamp column as Label Studio prints it (`...T21:40:03.086027Z`).
/// SQLite holds sqlx's RFC 3339 text (`+00:00`, 0/3/6 fraction digits); PostgreSQL a timestamptz.
fn timestamp(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"),
        _ => format!(
            "(substr({column}, 1, 19) || '.' || substr(ltrim(replace(substr({column}, 20), '+00:00', ''), '.') || '000000', 1, 6) || 'Z')"
        ),
    }
}

/// One annotation of the export as a JSON document built by the database, in Label Studio's
/// export field order. Expects `annotations AS a LEFT JOIN users AS u ON u.id = a.completed_by_id`.
/// `completed_by` is the `{id, email, first_name, last_name}` object, or the bare id with `only_id`.
/// Built with one `concat()`: stored JSON (result, prediction snapshot) is copied, not re-parsed.
pub fn export_annotation_json(backend: DbBackend, only_id: bool) -> String {
    let text = |column: &str| json_string(backend, column);
    let ts = |column: &str| json_string(backend, &timestamp(backend, column));
    let completed_by = if only_id {
        json_number("a.completed_by_id")
    } else {
        format!(
            "CASE WHEN u.id IS NULL THEN {} ELSE concat('{{\"id\":', CAST(u.id AS TEXT), ',\"email\":', {}, \
             ',\"first_name\":', {}, ',\"last_name\":', {}, '}}') END",
            json_number("a.completed_by_id"),
            text("u.email"),
            text("u.first_name"),
            text("u.last_name")
        )
    };
    let parts = [
        "'{\"id\":'".to_string(),
        "CAST(a.id AS TEXT)".to_string(),
        "',\"completed_by\":'".to_string(),
        completed_by,
        "',\"result\":'".to_string(),
        "COALESCE(a.result, 'null')".to_string(),
        "',\"was_cancelled\":'".to_string(),
        json_bool("a.was_cancelled"),
        "',\"ground_truth\":'".to_string(),
        json_bool("a.ground_truth"),
        "',\"created_at\":'".to_string(),
        ts("a.created_at"),
        "',\"updated_at\":'".to_string(),
        ts("a.updated_at"),
        "',\"draft_created_at\":'".to_string(),
        format!(
            "CASE WHEN a.draft_created_at IS NULL THEN 'null' ELSE {} END",
            ts("a.draft_created_at")
        ),
        "',\"lead_time\":'".to_string(),
        json_float(backend, "a.lead_time"),
        "',\"prediction\":'".to_string(),
        "a.prediction".to_string(),
        "',\"result_count\":'".to_string(),
        "CAST(a.result_count AS TEXT)".to_string(),
        "',\"unique_id\":'".to_string(),
        text("a.unique_id"),
        "',\"import_id\":'".to_string(),
        json_number("a.import_id"),
        "',\"last_action\":'".to_string(),
        text("a.last_action"),
        "',\"bulk_created\":'".to_string(),
        json_bool("a.bulk_created"),
        "',\"task\":'".to_string(),
        "CAST(a.task_id AS TEXT)".to_string(),
        "',\"project\":'".to_string(),
        "CAST(a.project_id AS TEXT)".to_string(),
        "',\"updated_by\":'".to_string(),
        json_number("a.updated_by_id"),
        "',\"parent_prediction\":'".to_string(),
        json_number("a.parent_prediction_id"),
        "',\"parent_annotation\":'".to_string(),
        json_number("a.parent_annotation_id"),
        "',\"last_created_by\":'".to_string(),
        json_number("a.last_created_by_id"),
        "'}'".to_string(),
    ];
    format!("concat({})", parts.join(", "))
}

/// A string expression quoted as a JSON string (`'null'` for NULL).
fn json_string(backend: DbBackend, expr: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("COALESCE(to_json({expr})::text, 'null')"),
        _ => format!("json_quote({expr})"),
    }
}

/// A nullable number expression as JSON text.
fn json_number(expr: &str) -> String {
    format!("COALESCE(CAST({expr} AS TEXT), 'null')")
}

/// A nullable floating-point column as JSON text in Python's (and serde's) form: a whole
/// number keeps its `.0` (PostgreSQL prints `2` for the double 2; SQLite prints `2.0`).
fn json_float(backend: DbBackend, expr: &str) -> String {
    match backend {
        DbBackend::Postgres => format!(
            "CASE WHEN {expr} IS NULL THEN 'null' \
             WHEN {expr} = trunc({expr}) AND abs({expr}) < 1e15 THEN concat(CAST({expr} AS TEXT), '.0') \
             ELSE CAST({expr} AS TEXT) END"
        ),
        _ => json_number(expr),
    }
}

/// A boolean column as JSON text.
fn json_bool(expr: &str) -> String {
    format!("CASE WHEN {expr} THEN 'true' ELSE 'false' END")
}

/// Filters of an export batch.
pub struct ExportBatch<'a> {
    pub project_id: i64,
    pub after_id: i64,
    pub limit: u64,
    /// Only tasks with at least one annotation (skips included).
    pub only_annotated: bool,
    pub ids: Option<&'a [i64]>,
    pub completed_by_only_id: bool,
}

/// One batch of the JSON export as a single row `(docs, last_id)`: `docs` is the batch's task
/// documents joined by commas, in id order, each in Label Studio's export field order
/// (`file_upload` only for uploaded tasks, `predictions` as ids). Building the documents in the
/// database turns thousands of rows into one, which is what makes the export fast: most of the
/// cost of reading rows through the driver is per row, not per byte. Task data is copied as
/// stored, so a project whose data holds `$undefined$` keys must use the row-by-row path.
pub fn export_batch_sql(backend: DbBackend, batch: &ExportBatch) -> String {
    let ts = |column: &str| json_string(backend, &timestamp(backend, column));
    let annotation = export_annotation_json(backend, batch.completed_by_only_id);
    let (annotations, predictions, aggregate) = match backend {
        DbBackend::Postgres => (
            format!("(SELECT concat('[', COALESCE(string_agg({annotation}, ',' ORDER BY a.id), ''), ']') FROM annotations a LEFT JOIN users u ON u.id = a.completed_by_id WHERE a.task_id = t.id)"),
            "(SELECT COALESCE(json_agg(p.id ORDER BY p.id), '[]'::json)::text FROM predictions p WHERE p.task_id = t.id)".to_string(),
            "string_agg(doc, ',' ORDER BY id)",
        ),
        // SQLite reads a task's annotations and predictions through the `task_id` index, whose
        // entries for one task are in rowid (id) order, and feeds the outer aggregate from the
        // id-ordered subquery in that order; an ORDER BY inside the aggregates would only add a
        // sort that copies every document.
        _ => (
            format!("(SELECT concat('[', COALESCE(group_concat({annotation}, ','), ''), ']') FROM annotations a LEFT JOIN users u ON u.id = a.completed_by_id WHERE a.task_id = t.id)"),
            "(SELECT json_group_array(p.id) FROM predictions p WHERE p.task_id = t.id)".to_string(),
            "group_concat(doc, ',')",
        ),
    };
    let upload = format!(
        "CASE WHEN f.id IS NULL THEN '' ELSE concat(',\"file_upload\":', {}) END",
        json_string(
            backend,
            "substr(f.file, length('upload/' || CAST(t.project_id AS TEXT) || '/') + 1)"
        )
    );
    // One concat() call instead of a chain of ||, which would copy the growing document once per
    // field.
    let parts = [
        "'{\"id\":'".to_string(),
        "CAST(t.id AS TEXT)".to_string(),
        "',\"annotations\":'".to_string(),
        annotations,
        upload,
        "',\"drafts\":[],\"predictions\":'".to_string(),
        predictions,
        "',\"data\":'".to_string(),
        "t.data".to_string(),
        "',\"meta\":'".to_string(),
        "t.meta".to_string(),
        "',\"created_at\":'".to_string(),
        ts("t.created_at"),
        "',\"updated_at\":'".to_string(),
        ts("t.updated_at"),
        "',\"allow_skip\":'".to_string(),
        json_bool("t.allow_skip"),
        "',\"inner_id\":'".to_string(),
        "CAST(t.inner_id AS TEXT)".to_string(),
        "',\"total_annotations\":'".to_string(),
        "CAST(t.total_annotations AS TEXT)".to_string(),
        "',\"cancelled_annotations\":'".to_string(),
        "CAST(t.cancelled_annotations AS TEXT)".to_string(),
        "',\"total_predictions\":'".to_string(),
        "CAST(t.total_predictions AS TEXT)".to_string(),
        "',\"comment_count\":0,\"unresolved_comment_count\":0,\"last_comment_updated_at\":null,\"project\":'".to_string(),
        "CAST(t.project_id AS TEXT)".to_string(),
        "',\"updated_by\":'".to_string(),
        json_number("t.updated_by_id"),
        "',\"comment_authors\":[]}'".to_string(),
    ];
    let doc = format!("concat({})", parts.join(", "));
    let mut filters = format!(
        "t.project_id = {} AND t.id > {}",
        batch.project_id, batch.after_id
    );
    if batch.only_annotated {
        filters.push_str(" AND (t.total_annotations > 0 OR t.cancelled_annotations > 0)");
    }
    if let Some(ids) = batch.ids {
        filters.push_str(&format!(
            " AND t.id IN ({})",
            crate::counters::join_ids(ids)
        ));
    }
    format!(
        "SELECT {aggregate} AS docs, MAX(id) AS last_id FROM (SELECT t.id AS id, {doc} AS doc FROM tasks t \
         LEFT JOIN file_uploads f ON f.id = t.file_upload_id WHERE {filters} ORDER BY t.id LIMIT {limit}) batch",
        limit = batch.limit
    )
}

/// Locks rows of `table` matching `condition` until the transaction ends. On PostgreSQL this is
/// a no-op update (it takes the row lock writers need); on SQLite nothing is needed, since the
/// process-wide writer gate (`Db::write`) already lets one write transaction run at a time.
/// `condition` may only contain integers (it is inlined).
pub async fn lock_rows<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    condition: &str,
) -> Result<(), DbErr> {
    if conn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let sql = format!("UPDATE {table} SET id = id WHERE {condition}");
    conn.execute(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .map(|_| ())
}

/// Serializes transactions that take the same `key` until they end: PostgreSQL's transaction
/// advisory lock. A no-op on SQLite, whose writer gate lets one write transaction in at a time.
pub async fn lock_for_transaction<C: ConnectionTrait>(conn: &C, key: i64) -> Result<(), DbErr> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({key})"))
            .await?;
    }
    Ok(())
}

/// Refreshes the planner's statistics after a bulk write, so the next queries on the grown
/// tables pick their indexes: PostgreSQL plans a never-analyzed table as if it were tiny until
/// autovacuum catches up. SQLite's planner needs no statistics for Tessera's indexed queries, and
/// an `ANALYZE` there would hold the single writer for seconds, so it is skipped.
pub async fn refresh_statistics<C: ConnectionTrait>(conn: &C) -> Result<(), DbErr> {
    if conn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    conn.execute_unprepared("ANALYZE tasks, annotations, predictions")
        .await
        .map(|_| ())
}

/// Appends JSON array elements for one row.
pub struct RowWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> RowWriter<'a> {
    /// Starts a row (`[`).
    pub fn new(out: &'a mut Vec<u8>) -> RowWriter<'a> {
        out.push(b'[');
        RowWriter { out, first: true }
    }

    fn separator(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }

    /// Any serializable scalar (numbers, booleans, strings, `Option`s of them).
    pub fn value<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> &mut Self {
        self.separator();
        serde_json::to_writer(&mut *self.out, value).expect("scalars serialize");
        self
    }

    /// A timestamp in the text form sqlx stores and reads back.
    pub fn time(&mut self, at: Option<&chrono::DateTime<chrono::Utc>>) -> &mut Self {
        let text = at.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false));
        self.value(&text)
    }

    /// Ends the row (`]`).
    pub fn end(&mut self) {
        self.out.push(b']');
    }
}

/// The JSON path operand selecting top-level `key` of a document: `$."key"` on SQLite, the key
/// itself on PostgreSQL. Bind it as a value; keys never contain `"` (the filter parser refuses them).
pub fn json_key_path(backend: DbBackend, key: &str) -> String {
    match backend {
        DbBackend::Postgres => key.to_string(),
        _ => format!("$.\"{key}\""),
    }
}

/// A JSON text column's value at `path` as SQL text (strings unquoted).
pub fn json_text_at(backend: DbBackend, column: &str, path: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("({column}::jsonb ->> {path})"),
        _ => format!("({column} ->> {path})"),
    }
}

/// The value at `path` as a float when it is a JSON number, else NULL (never a cast error).
pub fn json_float_at(backend: DbBackend, column: &str, path: &str) -> String {
    match backend {
        DbBackend::Postgres => format!(
            "(CASE WHEN jsonb_typeof({column}::jsonb -> {path}) = 'number' THEN ({column}::jsonb ->> {path})::double precision END)"
        ),
        _ => format!("(CASE WHEN json_type({column}, {path}) IN ('integer', 'real') THEN CAST({column} ->> {path} AS REAL) END)"),
    }
}

/// The value at `path` as JSON text (`true`, `"a"`, `3`).
pub fn json_raw_at(backend: DbBackend, column: &str, path: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("(({column}::jsonb -> {path})::text)"),
        _ => format!("({column} -> {path})"),
    }
}

/// Whether a JSON text column equals the JSON document bound at `value`.
pub fn json_equal(backend: DbBackend, column: &str, value: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("{column}::jsonb = {value}::jsonb"),
        _ => format!("json({column}) = json({value})"),
    }
}

/// Whether any string (or key) in `value` holds the NUL character, which PostgreSQL refuses in
/// text values and `jsonb`: such input is refused on both databases alike.
pub fn has_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// `expr` matches the regular expression bound at `pattern` (case-sensitive). SQLite's `REGEXP`
/// is registered on every connection (`Db::connect`).
pub fn regex_match(backend: DbBackend, expr: &str, pattern: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("{expr} ~ {pattern}"),
        _ => format!("{expr} REGEXP {pattern}"),
    }
}

/// A text expression sorted by code point on both backends (SQLite's default; PostgreSQL's
/// database collation would otherwise sort case-insensitively).
pub fn byte_order(backend: DbBackend, expr: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("{expr} COLLATE \"C\""),
        _ => expr.to_string(),
    }
}

/// Whether [`raw_contains`] takes the caseless part of a search (PostgreSQL only).
pub fn prefilters_caseless_part(backend: DbBackend) -> bool {
    backend == DbBackend::Postgres
}

/// A raw-text search of `column` for the `LIKE` pattern bound at `pattern`, ignoring case
/// (`ESCAPE '\'`). `invariant` is the search's caseless part (bound as
/// [`substring_search`] says), looked for case-sensitively first: a cheap necessary condition.
/// SQLite's `LIKE` already ignores ASCII case; PostgreSQL's `ILIKE` lower-cases every row, several
/// times slower than its `LIKE`.
pub fn raw_contains(
    backend: DbBackend,
    column: &str,
    pattern: &str,
    invariant: Option<&str>,
) -> String {
    match (backend, invariant) {
        (DbBackend::Postgres, Some(invariant)) => {
            format!(
                "{column} LIKE {invariant} ESCAPE '\\' AND {column} ILIKE {pattern} ESCAPE '\\'"
            )
        }
        (DbBackend::Postgres, None) => format!("{column} ILIKE {pattern} ESCAPE '\\'"),
        _ => format!("{column} LIKE {pattern} ESCAPE '\\'"),
    }
}

/// The condition selecting a project's tasks. With `scan` on SQLite the column is written as
/// `+tasks.project_id`, which keeps the planner off the project indexes: a sequential read of
/// the table is twice as fast as an index walk with a row lookup per task when the project is
/// most of the table. PostgreSQL plans that from its statistics.
pub fn project_tasks(backend: DbBackend, project_id: i64, scan: bool) -> String {
    match backend {
        DbBackend::Sqlite if scan => format!("+tasks.project_id = {project_id}"),
        _ => format!("tasks.project_id = {project_id}"),
    }
}
