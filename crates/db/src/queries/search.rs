//! The substring index over task data (migration `m20261129_000003_task_search`): which Data
//! Manager searches go through it, and, on SQLite, the background indexer that fills it behind
//! imports. On PostgreSQL the `pg_trgm` index is maintained by the database and chosen by its
//! planner, so everything here is a no-op there.

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement};

use crate::filters::CompiledQuery;

/// Searches shorter than this hold no trigram, so the index cannot narrow them.
pub const MIN_SEARCH_CHARS: usize = 3;

/// At most this many trigrams of a search are looked up: any subset still finds every match.
const MAX_TERMS: usize = 16;

/// The ids of the tasks that may contain a search (SQLite): the index's matches, the tasks whose
/// data changed since they were indexed, and the tasks the indexer has not reached yet.
/// `{terms}` is the bound [`match_expression`].
pub const CANDIDATES_SQL: &str = "SELECT rowid FROM task_search WHERE task_search MATCH {terms} \
     UNION ALL SELECT task_id FROM task_search_dirty \
     UNION ALL SELECT id FROM tasks WHERE id > (SELECT indexed_through FROM task_search_state)";

/// The FTS5 query for the documents holding every (distinct) trigram of `text`, ignoring case:
/// a superset of the documents containing `text`, which the exact condition then settles.
pub fn match_expression(text: &str) -> String {
    // The exact condition matches the lower-cased search (`filters::like_pattern`), whose
    // characters may differ from the typed ones beyond ASCII (`İ`): its trigrams are the ones
    // a matching document holds.
    let chars: Vec<char> = text.to_lowercase().chars().collect();
    let mut seen = HashSet::new();
    let trigrams: Vec<String> = chars
        .windows(3)
        .map(|w| w.iter().collect::<String>())
        .filter(|t| seen.insert(t.to_lowercase()))
        .collect();
    let step = trigrams.len().div_ceil(MAX_TERMS).max(1);
    trigrams
        .iter()
        .step_by(step)
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

/// The searches of `query` (see [`CompiledQuery::indexable_searches`]) that few enough tasks
/// may contain for the index to beat reading the project's `task_number` tasks. Empty on
/// PostgreSQL, whose planner makes that choice itself.
pub async fn selective<C: ConnectionTrait>(
    conn: &C,
    query: &CompiledQuery,
    task_number: i64,
) -> Result<Vec<String>, DbErr> {
    if conn.get_database_backend() != DbBackend::Sqlite {
        return Ok(Vec::new());
    }
    // Past about a fifth of the project, looking each candidate up costs more than a scan.
    let cap = (task_number / 5).clamp(1_000, 50_000);
    let mut chosen = Vec::new();
    for text in query.indexable_searches() {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM ({}) LIMIT {cap})",
            CANDIDATES_SQL.replace("{terms}", "?1")
        );
        let statement = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            sql,
            [match_expression(&text).into()],
        );
        let count = Count::find_by_statement(statement)
            .one(conn)
            .await?
            .map_or(0, |c| c.n);
        if count < cap {
            chosen.push(text);
        }
    }
    Ok(chosen)
}

/// Adds the next `limit` tasks after the indexed ones to the index (SQLite) and returns how
/// many it added. Task ids only grow (`AUTOINCREMENT`) and SQLite commits one writer at a time,
/// so every task at or below the mark is in the index.
pub async fn index_batch<C: ConnectionTrait>(txn: &C, limit: u64) -> Result<u64, DbErr> {
    #[derive(FromQueryResult)]
    struct Batch {
        through: i64,
        last: Option<i64>,
    }
    let statement = Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "SELECT s.indexed_through AS through, \
         (SELECT MAX(id) FROM (SELECT id FROM tasks WHERE id > s.indexed_through ORDER BY id LIMIT ?1)) AS last \
         FROM task_search_state s",
        [(limit as i64).into()],
    );
    let Some(Batch {
        through,
        last: Some(last),
    }) = Batch::find_by_statement(statement).one(txn).await?
    else {
        return Ok(0);
    };
    let added = txn
        .execute(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO task_search (rowid, data) SELECT id, data FROM tasks WHERE id > ?1 AND id <= ?2",
            [through.into(), last.into()],
        ))
        .await?
        .rows_affected();
    txn.execute(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "UPDATE task_search_state SET indexed_through = ?1, indexed_rows = indexed_rows + ?2",
        [last.into(), (added as i64).into()],
    ))
    .await?;
    Ok(added)
}

/// Index entries that no longer describe a task before the index is rebuilt, at least.
const REBUILD_MIN_STALE: i64 = 10_000;

/// Empties the index for the indexer to rebuild when more than a quarter of its entries (and
/// at least [`REBUILD_MIN_STALE`]) belong to deleted tasks or to data edited since; returns
/// whether it did. Searches read every task again until the rebuild catches up.
pub async fn rebuild_if_stale<C: ConnectionTrait>(txn: &C) -> Result<bool, DbErr> {
    #[derive(FromQueryResult)]
    struct Staleness {
        indexed: i64,
        live: i64,
        dirty: i64,
    }
    let statement = Statement::from_string(
        DbBackend::Sqlite,
        "SELECT s.indexed_rows AS indexed, (SELECT COUNT(*) FROM tasks WHERE id <= s.indexed_through) AS live, \
         (SELECT COUNT(*) FROM task_search_dirty) AS dirty FROM task_search_state s",
    );
    let Some(state) = Staleness::find_by_statement(statement).one(txn).await? else {
        return Ok(false);
    };
    let stale = state.indexed - state.live + state.dirty;
    if stale < REBUILD_MIN_STALE.max(state.indexed / 4) {
        return Ok(false);
    }
    for statement in [
        "INSERT INTO task_search (task_search) VALUES ('delete-all')",
        "DELETE FROM task_search_dirty",
        "UPDATE task_search_state SET indexed_through = 0, indexed_rows = 0",
    ] {
        txn.execute(Statement::from_string(DbBackend::Sqlite, statement))
            .await?;
    }
    Ok(true)
}

/// How many tasks wait for the indexer (always 0 on PostgreSQL).
pub async fn pending<C: ConnectionTrait>(conn: &C) -> Result<i64, DbErr> {
    if conn.get_database_backend() != DbBackend::Sqlite {
        return Ok(0);
    }
    let statement = Statement::from_string(
        DbBackend::Sqlite,
        "SELECT COUNT(*) AS n FROM tasks WHERE id > (SELECT indexed_through FROM task_search_state)",
    );
    Ok(Count::find_by_statement(statement)
        .one(conn)
        .await?
        .map_or(0, |c| c.n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_every_distinct_trigram() {
        assert_eq!(
            match_expression("Number 10"),
            r#""num" AND "umb" AND "mbe" AND "ber" AND "er " AND "r 1" AND " 10""#
        );
        assert_eq!(
            match_expression("aaaaA"),
            r#""aaa""#,
            "repeated trigrams are asked once, ignoring case"
        );
        assert_eq!(match_expression("é\"x"), r#""é""x""#, "quotes are doubled");
    }

    #[test]
    fn long_searches_ask_a_spread_of_trigrams() {
        let expression = match_expression(&"abcdefghijklmnopqrstuvwxyz0123456789".repeat(2));
        assert!(expression.matches(" AND ").count() < MAX_TERMS);
        assert!(expression.starts_with("\"abc\""));
        assert_eq!(
            match_expression("İst"),
            r#""i̇s" AND "̇st""#,
            "trigrams of the lower-cased search"
        );
    }
}
