//! The one place that looks at the database backend.
//!
//! Bulk inserts send their rows as one JSON document per statement and let the database unpack
//! it (`json_each` on SQLite, `jsonb_array_elements` on PostgreSQL) instead of binding tens of
//! thousands of parameters: one bound value per chunk instead of one per cell. Each row is a JSON
//! array with one element per column; booleans are written as JSON booleans, timestamps as
//! RFC 3339 strings in the form sqlx writes them, JSON documents as strings.

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

fn select_list(backend: DbBackend, columns: &[(&str, Kind)]) -> String {
    columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| match backend {
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
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts rows into `table`. `write_row` appends row `i` as a JSON array to the buffer.
pub async fn insert_json_rows<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    columns: &[(&str, Kind)],
    count: usize,
    mut write_row: impl FnMut(usize, &mut Vec<u8>),
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    // PostgreSQL: jsonb, so each ->> is a lookup rather than a re-parse of the row's text.
    // SQLite: every mention of json_each's `value` re-renders the row as text, so the rows are
    // materialized once, as JSONB, before the columns are picked out of them.
    let (prefix, source) = match backend {
        DbBackend::Postgres => ("", "jsonb_array_elements($1::jsonb) AS r(v)"),
        _ => ("WITH rows AS MATERIALIZED (SELECT jsonb(value) AS v FROM json_each(?)) ", "rows AS r"),
    };
    let sql = format!("{prefix}INSERT INTO {table} ({}) SELECT {} FROM {source}", names.join(", "), select_list(backend, columns));
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
        conn.execute(Statement::from_sql_and_values(backend, &sql, [json.into()])).await?;
        start = end;
    }
    Ok(())
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
