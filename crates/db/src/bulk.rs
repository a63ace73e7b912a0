//! Multi-row inserts for imports: rows go in chunks that stay under SQLite's 32,766 bound
//! parameters (PostgreSQL allows 65,535), one statement per chunk, inside the caller's transaction.

use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DbErr};

/// Parameters per statement we allow ourselves on either backend.
const MAX_PARAMS: usize = 30_000;

/// Inserts `rows` (each with one value per column) into `table`.
pub async fn insert_rows<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<SimpleExpr>>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let per_chunk = (MAX_PARAMS / columns.len()).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut insert = Query::insert();
        insert.into_table(Alias::new(table)).columns(columns.iter().map(|c| Alias::new(*c)));
        for row in rows.by_ref().take(per_chunk) {
            insert.values(row).map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        crate::exec(conn, &insert).await?;
    }
    Ok(())
}
