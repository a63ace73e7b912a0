//! Data Manager task queries: Label Studio's view JSON (`filters`, `ordering`, `selectedItems`)
//! parsed into a small AST, then folded into one SQL `WHERE` / `ORDER BY` for either backend.
//!
//! Nothing here loads tasks: every filter, including those on annotations, predictions and drafts,
//! becomes an SQL expression (`EXISTS` or a correlated aggregate) next to the task row. Backend
//! differences (JSON access, regular expressions, collation) come from [`crate::dialect`].
//! Rules follow Label Studio 1.23.2 (`label_studio/data_manager/managers.py`, `prepare_params.py`).
//!
//! - [`parse`](self::parse): the view JSON into the AST ([`TaskQuery`]), with Label Studio's
//!   rules for what it ignores and what it refuses.
//! - [`compile`](self::compile): the AST into SQL conditions and ordering ([`Sql`]).
//! - [`plan`](self::plan): a query compiled for one project, and whether its searches go
//!   through the substring index ([`CompiledQuery`]).

mod compile;
mod parse;
mod plan;

pub use compile::*;
pub use parse::*;
pub use plan::*;
