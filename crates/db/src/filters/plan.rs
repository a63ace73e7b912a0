//! A Data Manager query compiled for one project: the `SELECT`s over the tasks it selects, and
//! the choice between reading tasks and asking the substring index for `data` searches.

use sea_orm::DbBackend;

use super::compile::*;
use super::parse::*;
use crate::dialect;
use crate::queries::search;

/// A Data Manager query validated for one project, rendering `SELECT`s over the tasks it selects.
#[derive(Debug, Clone)]
pub struct CompiledQuery {
    backend: DbBackend,
    project_id: i64,
    query: TaskQuery,
    scan: bool,
    searches: Vec<String>,
}

impl CompiledQuery {
    /// Checks `query` for the tasks of `project_id`; this is where a query's errors surface.
    pub fn new(
        backend: DbBackend,
        project_id: i64,
        query: &TaskQuery,
    ) -> Result<CompiledQuery, QueryError> {
        push_conditions(&mut Sql::new(backend), query)?;
        Ok(CompiledQuery {
            backend,
            project_id,
            query: query.clone(),
            scan: false,
            searches: Vec::new(),
        })
    }

    /// Reads the whole tasks table instead of the project's index: faster when the project
    /// holds most of the table's tasks and every one of them must be looked at anyway.
    pub fn scanning_table(mut self, scan: bool) -> CompiledQuery {
        self.scan = scan;
        self
    }

    /// The `data.<key> contains` searches every selected task must satisfy and that the
    /// substring index can answer (long enough to hold a trigram, searchable in the raw text).
    pub fn indexable_searches(&self) -> Vec<String> {
        let Some(group) = &self.query.filters else {
            return Vec::new();
        };
        if group.conjunction == Conjunction::Or && group.items.len() > 1 {
            return Vec::new();
        }
        group
            .items
            .iter()
            .filter_map(|f| match (&f.column, f.operator, &f.operand) {
                (Column::Data(_), Operator::Contains, Operand::Text(text))
                    if is_raw_searchable(text)
                        && text.chars().count() >= search::MIN_SEARCH_CHARS =>
                {
                    Some(text.clone())
                }
                _ => None,
            })
            .collect()
    }

    /// Finds the tasks of these searches (from [`Self::indexable_searches`]) through the
    /// substring index instead of reading every task: for selective searches.
    pub fn using_search_index(mut self, searches: Vec<String>) -> CompiledQuery {
        self.searches = searches;
        self
    }

    /// True when some search goes through the substring index.
    pub fn is_using_search_index(&self) -> bool {
        !self.searches.is_empty()
    }

    /// True for "every task by id" (see [`TaskQuery::is_plain`]).
    pub fn is_plain(&self) -> bool {
        self.query.is_plain()
    }

    /// True when the query reads the whole table (see [`Self::scanning_table`]).
    pub fn is_scanning_table(&self) -> bool {
        self.scan
    }

    /// The project the query runs in.
    pub fn project_id(&self) -> i64 {
        self.project_id
    }

    fn build(
        &self,
        what: &str,
        extra: &dyn Fn(&mut Sql),
        ordered: bool,
        page: Option<(u64, u64)>,
    ) -> sea_orm::Statement {
        let mut sql = Sql::new(self.backend);
        sql.indexed = self.searches.clone();
        let project = dialect::project_tasks(self.backend, self.project_id, self.scan);
        sql.push(&format!("SELECT {what} FROM tasks WHERE {project}"));
        push_conditions(&mut sql, &self.query).expect("checked when compiled");
        extra(&mut sql);
        if ordered {
            push_ordering(&mut sql, &self.query);
        }
        if let Some((offset, limit)) = page {
            sql.push(&format!(" LIMIT {limit} OFFSET {offset}"));
        }
        sql.statement()
    }

    /// `SELECT <what>` over the selected tasks, unordered (counts, sums).
    pub fn select(&self, what: &str) -> sea_orm::Statement {
        self.build(what, &|_| {}, false, None)
    }

    /// `SELECT <what>` over the selected tasks in the query's order, optionally one page of them.
    pub fn select_ordered(&self, what: &str, page: Option<(u64, u64)>) -> sea_orm::Statement {
        self.build(what, &|_| {}, true, page)
    }

    /// `SELECT <what>` over the selected tasks with more conditions (and any order) appended by
    /// `extra`, optionally one page of them.
    pub fn select_where(
        &self,
        what: &str,
        extra: &dyn Fn(&mut Sql),
        page: Option<(u64, u64)>,
    ) -> sea_orm::Statement {
        self.build(what, extra, false, page)
    }

    /// Like [`Self::select_ordered`], with more conditions: `extra` appends ` AND ...` clauses.
    pub fn select_ordered_where(
        &self,
        what: &str,
        extra: &dyn Fn(&mut Sql),
        page: Option<(u64, u64)>,
    ) -> sea_orm::Statement {
        self.build(what, extra, true, page)
    }
}
