//! The database's clock, in milliseconds since the Unix epoch, as SQL: every instance sharing a
//! database reads the same clock, so leases end when the database says, whatever each
//! machine's own clock says.

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::DbBackend;

/// Now, as SQL.
pub(crate) fn now(backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => {
            "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)".to_string()
        }
        _ => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)".to_string(),
    }
}

/// Now, as an expression.
pub(crate) fn now_expr(backend: DbBackend) -> SimpleExpr {
    Expr::cust(now(backend))
}

/// `ms` milliseconds from now, as SQL.
pub(crate) fn after(backend: DbBackend, ms: i64) -> SimpleExpr {
    Expr::cust(format!("({} + {ms})", now(backend)))
}
