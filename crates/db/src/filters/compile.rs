//! The query AST folded into one SQL `WHERE` and `ORDER BY` for either backend: every filter,
//! including those on annotations, predictions and drafts, an expression next to the task row.

use sea_orm::{DbBackend, Value as SqlValue};
use serde_json::Value;

use super::parse::*;
use crate::dialect;
use crate::queries::search;

/// SQL text with its bound values, numbered placeholders for the connection's backend.
#[derive(Debug, Clone)]
pub struct Sql {
    backend: DbBackend,
    pub text: String,
    pub values: Vec<SqlValue>,
    /// `data` searches to answer from the substring index (see [`CompiledQuery::using_search_index`]).
    pub(super) indexed: Vec<String>,
}

impl Sql {
    /// An empty statement for this backend.
    pub fn new(backend: DbBackend) -> Sql {
        Sql {
            backend,
            text: String::new(),
            values: Vec::new(),
            indexed: Vec::new(),
        }
    }

    /// Binds a value and returns its placeholder (`?3` on SQLite, `$3` on PostgreSQL).
    pub fn bind(&mut self, value: impl Into<SqlValue>) -> String {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => format!("?{}", self.values.len()),
        }
    }

    /// Appends text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// The backend the placeholders are for.
    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// Into a statement for `sea_orm`.
    pub fn statement(self) -> sea_orm::Statement {
        sea_orm::Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// An expression over the task row `tasks` and what it compares as.
struct Scalar {
    sql: String,
    kind: Kind,
}

/// What a column's values are, deciding how operands are read and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Case-insensitive `contains`, byte-order sorting.
    Text,
    Number,
    Time,
}

impl Scalar {
    fn is_text(&self) -> bool {
        self.kind == Kind::Text
    }

    /// The operand as this column compares it: numbers and dates given as text are read, text
    /// columns compare text. What cannot be read is a 400.
    fn coerce(&self, operand: &Operand) -> Result<Operand, QueryError> {
        let wrong = || {
            bad(format!(
                "Wrong value {operand:?} for a {:?} column",
                self.kind
            ))
        };
        Ok(match (self.kind, operand) {
            (_, Operand::Range(low, high)) => {
                Operand::Range(Box::new(self.coerce(low)?), Box::new(self.coerce(high)?))
            }
            (Kind::Text, Operand::Number(n)) => Operand::Text(n.to_string()),
            (Kind::Text, Operand::Bool(_)) => return Err(wrong()),
            (Kind::Text, Operand::Time(t)) => Operand::Text(format_time(t)),
            (Kind::Number, Operand::Text(text)) => {
                Operand::Number(text.trim().parse().map_err(|_| wrong())?)
            }
            (Kind::Number, Operand::Bool(b)) => Operand::Number(if *b { 1.0 } else { 0.0 }),
            (Kind::Number, Operand::Time(_))
            | (Kind::Time, Operand::Number(_) | Operand::Bool(_)) => return Err(wrong()),
            (Kind::Time, Operand::Text(text)) => Operand::Time(parse_time(text).ok_or_else(wrong)?),
            (_, other) => other.clone(),
        })
    }
}

fn exists(table: &str, condition: &str) -> String {
    format!("EXISTS (SELECT 1 FROM {table} WHERE {table}.task_id = tasks.id AND {condition})")
}

fn aggregate(function: &str, table: &str, column: &str) -> String {
    format!("(SELECT {function}({table}.{column}) FROM {table} WHERE {table}.task_id = tasks.id)")
}

/// The scalar expression for a column (for comparisons and ordering).
fn scalar_of(sql: &mut Sql, column: &Column, numeric: bool) -> Scalar {
    let plain = |name: &str| Scalar {
        sql: format!("tasks.{name}"),
        kind: Kind::Number,
    };
    let time = |name: &str| Scalar {
        sql: format!("tasks.{name}"),
        kind: Kind::Time,
    };
    match column {
        Column::Id => plain("id"),
        Column::InnerId => plain("inner_id"),
        Column::CompletedAt => time("completed_at"),
        Column::CreatedAt => time("created_at"),
        Column::UpdatedAt => time("updated_at"),
        Column::TotalAnnotations => plain("total_annotations"),
        Column::CancelledAnnotations => plain("cancelled_annotations"),
        Column::TotalPredictions => plain("total_predictions"),
        Column::IsLabeled => Scalar { sql: "(CASE WHEN tasks.is_labeled THEN 1 ELSE 0 END)".into(), kind: Kind::Number },
        Column::UpdatedBy => plain("updated_by_id"),
        Column::Annotators => Scalar { sql: aggregate("MIN", "annotations", "completed_by_id"), kind: Kind::Number },
        Column::AnnotationsIds => Scalar { sql: aggregate("MIN", "annotations", "id"), kind: Kind::Number },
        Column::AnnotationsResults => Scalar { sql: aggregate("MIN", "annotations", "result"), kind: Kind::Text },
        Column::PredictionsResults => Scalar { sql: aggregate("MIN", "predictions", "result"), kind: Kind::Text },
        Column::PredictionsModelVersions => Scalar { sql: aggregate("MIN", "predictions", "model_version"), kind: Kind::Text },
        // The average score of the predictions of the project's current model version.
        Column::PredictionsScore => Scalar {
            sql: "(SELECT AVG(predictions.score) FROM predictions WHERE predictions.task_id = tasks.id \
                  AND predictions.model_version = (SELECT projects.model_version FROM projects WHERE projects.id = tasks.project_id))"
                .into(),
            kind: Kind::Number,
        },
        Column::AvgLeadTime => Scalar { sql: aggregate("AVG", "annotations", "lead_time"), kind: Kind::Number },
        Column::FileUpload => Scalar {
            sql: "(SELECT file_uploads.file FROM file_uploads WHERE file_uploads.id = tasks.file_upload_id)".into(),
            kind: Kind::Text,
        },
        // The key of the object an import storage made the task of (the plain key: Label
        // Studio filters on its five storage types' keys joined with `;`).
        Column::StorageFilename => Scalar {
            sql: "(SELECT storage_objects.key FROM storage_objects WHERE storage_objects.task_id = tasks.id ORDER BY storage_objects.id LIMIT 1)".into(),
            kind: Kind::Text,
        },
        Column::DraftExists => Scalar { sql: format!("(CASE WHEN {} THEN 1 ELSE 0 END)", exists("drafts", "1 = 1")), kind: Kind::Number },
        Column::GroundTruth => Scalar {
            sql: format!("(CASE WHEN {} THEN 1 ELSE 0 END)", exists("annotations", "annotations.ground_truth = TRUE")),
            kind: Kind::Number,
        },
        // Comments are not built yet: every task has none.
        // (`(SELECT 0)`, not `0`: a bare integer in ORDER BY names a result column.)
        Column::Comments | Column::UnresolvedCommentCount => Scalar { sql: "(SELECT 0)".into(), kind: Kind::Number },
        Column::Data(key) => {
            let backend = sql.backend();
            let path = sql.bind(dialect::json_key_path(backend, key));
            if numeric {
                Scalar { sql: dialect::json_float_at(backend, "tasks.data", &path), kind: Kind::Number }
            } else {
                Scalar { sql: dialect::json_text_at(backend, "tasks.data", &path), kind: Kind::Text }
            }
        }
    }
}

/// A data key's value as JSON text (`true`, `"a"`, `null`), NULL when the key is missing.
fn raw_data(sql: &mut Sql, key: &str) -> String {
    let path = sql.bind(dialect::json_key_path(sql.backend(), key));
    dialect::json_raw_at(sql.backend(), "tasks.data", &path)
}

fn bind_operand(sql: &mut Sql, operand: &Operand) -> String {
    match operand {
        Operand::Number(n) => sql.bind(*n),
        Operand::Time(t) => sql.bind(*t),
        Operand::Bool(b) => sql.bind(*b),
        Operand::Text(s) => sql.bind(s.clone()),
        Operand::Range(..) | Operand::Texts(_) => {
            unreachable!("ranges and lists are expanded by the caller")
        }
    }
}

/// `%text%` for a case-insensitive `LIKE ... ESCAPE '\'`.
fn like_pattern(text: &str) -> String {
    like_anywhere(&text.to_lowercase())
}

/// `%text%` with `LIKE`'s wildcards in `text` escaped, for `LIKE ... ESCAPE '\'`.
pub fn like_anywhere(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Whether a `contains` search can look at the stored document's raw text: the document holds
/// the value verbatim unless JSON escaping changed it. Not for searches that could span a nested
/// object or list, whose text the database may print differently (`{"a": 1}`) from the stored one
/// (`{"a":1}`).
pub(super) fn is_raw_searchable(text: &str) -> bool {
    !text.is_empty()
        && !text
            .chars()
            .any(|c| matches!(c, '"' | '\\' | ':' | ',') || c.is_control())
}

/// The longest run of characters without case in `text` (digits, spaces, punctuation), when it
/// is at least two long: a case-sensitive search for it is a cheap necessary condition of a
/// case-insensitive search for `text`.
fn caseless_run(text: &str) -> Option<String> {
    let caseless = |c: char| c.to_lowercase().eq(c.to_uppercase());
    let mut best = String::new();
    let mut run = String::new();
    for c in text.chars() {
        if caseless(c) {
            run.push(c);
            if run.chars().count() > best.chars().count() {
                best = run.clone();
            }
        } else {
            run.clear();
        }
    }
    (best.chars().count() >= 2).then_some(best)
}

/// `expr` contains `text`, ignoring case the same way on both databases (Unicode folding).
pub fn caseless_contains(sql: &mut Sql, expr: &str, text: &str) -> String {
    if folds_beyond_ascii(sql.backend(), text) {
        let pattern = sql.bind(caseless_regex(text));
        return dialect::regex_match(sql.backend(), expr, &pattern);
    }
    let pattern = sql.bind(like_pattern(text));
    format!("LOWER({expr}) LIKE {pattern} ESCAPE '\\'")
}

/// Whether a case-insensitive search for `text` needs Unicode case folding the database's
/// `LOWER`/`LIKE` lack: SQLite folds ASCII only, so there a search holding other letters with
/// case (`Ü`, `Ä`, `Σ`) goes through the Unicode-aware `REGEXP`, and both databases fold alike.
fn folds_beyond_ascii(backend: DbBackend, text: &str) -> bool {
    backend == DbBackend::Sqlite
        && text
            .chars()
            .any(|c| !c.is_ascii() && c.to_lowercase().ne(c.to_uppercase()))
}

/// A case-insensitive regular expression matching `text` literally.
fn caseless_regex(text: &str) -> String {
    format!("(?i){}", regex::escape(text))
}

/// `NOT cond` on a computed value (a data key, an aggregate): a task without a value matches
/// neither the filter nor its negation, as SQL's three-valued logic (and Label Studio on
/// PostgreSQL) has it.
fn negate(expr: &str, condition: &str) -> String {
    format!("({expr} IS NOT NULL AND NOT ({condition}))")
}

/// `NOT cond` on a nullable column of the task itself, where a null counts as "not matching"
/// (Django's `exclude` on a nullable field).
fn negate_including_nulls(expr: &str, condition: &str) -> String {
    format!("({expr} IS NULL OR NOT ({condition}))")
}

fn regex(sql: &mut Sql, expr: &str, pattern: &str) -> String {
    // An invalid pattern matches nothing, as in Label Studio.
    if regex_is_valid(pattern) {
        let bound = sql.bind(pattern.to_string());
        dialect::regex_match(sql.backend(), expr, &bound)
    } else {
        "1 = 0".into()
    }
}

fn regex_is_valid(pattern: &str) -> bool {
    regex::Regex::new(pattern).is_ok()
}

/// A comparison on a scalar column.
fn scalar_condition(sql: &mut Sql, filter: &Filter) -> Result<String, QueryError> {
    let numeric = filter.value_type == ValueType::Number;
    let scalar = scalar_of(sql, &filter.column, numeric);
    let searched = matches!(
        filter.operator,
        Operator::Contains | Operator::NotContains | Operator::Regex
    );
    let expr = if searched && !scalar.is_text() {
        format!("CAST({} AS TEXT)", scalar.sql)
    } else {
        scalar.sql.clone()
    };
    let operand = match (filter.operator, &filter.operand) {
        (Operator::Empty, _) | (_, Operand::Texts(_)) => filter.operand.clone(),
        (Operator::Equal | Operator::NotEqual, Operand::Bool(_)) if scalar.is_text() => {
            filter.operand.clone()
        }
        _ if searched => filter.operand.clone(),
        (_, operand) => scalar.coerce(operand)?,
    };
    Ok(match (filter.operator, &operand) {
        (Operator::Empty, Operand::Bool(empty)) => {
            let textual = matches!(filter.value_type, ValueType::String | ValueType::Unknown);
            let is_empty = match &filter.column {
                _ if filter.column.is_counter() => format!("{expr} = 0"),
                _ if textual && scalar.is_text() => format!("({expr} IS NULL OR {expr} = '')"),
                // A boolean or date data key is empty only when it is missing: an explicit
                // `null` is a value (Label Studio's key lookup).
                Column::Data(key) if !numeric => format!("{} IS NULL", raw_data(sql, key)),
                _ => format!("{expr} IS NULL"),
            };
            if *empty {
                is_empty
            } else {
                format!("NOT ({is_empty})")
            }
        }
        (Operator::Contains, Operand::Text(text)) => {
            let exact = caseless_contains(sql, &expr, text);
            match &filter.column {
                // A cheap search of the raw text rules out most tasks before any parsing; the
                // substring index, where the caller chose it, finds the few candidates first.
                Column::Data(_) if is_raw_searchable(text) => {
                    if folds_beyond_ascii(sql.backend(), text) {
                        // The raw document is searched the same Unicode-aware way.
                        let pattern = sql.bind(caseless_regex(text));
                        let raw = dialect::regex_match(sql.backend(), "tasks.data", &pattern);
                        return Ok(format!("{raw} AND {exact}"));
                    }
                    let pattern = sql.bind(like_pattern(text));
                    let invariant = caseless_run(text)
                        .filter(|_| dialect::prefilters_caseless_part(sql.backend()))
                        .map(|run| sql.bind(like_pattern(&run)));
                    let raw = dialect::raw_contains(
                        sql.backend(),
                        "tasks.data",
                        &pattern,
                        invariant.as_deref(),
                    );
                    if sql.indexed.iter().any(|t| t == text) {
                        let terms = sql.bind(search::match_expression(text));
                        format!(
                            "tasks.id IN ({}) AND {raw} AND {exact}",
                            search::CANDIDATES_SQL.replace("{terms}", &terms)
                        )
                    } else {
                        format!("{raw} AND {exact}")
                    }
                }
                _ => exact,
            }
        }
        (Operator::NotContains, Operand::Text(text)) => {
            // Tasks without the value (no upload, a missing key) are not "not containing" it.
            let condition = caseless_contains(sql, &expr, text);
            negate(&expr, &condition)
        }
        (Operator::Regex, Operand::Text(pattern)) => regex(sql, &expr, pattern),
        (Operator::In | Operator::NotIn, Operand::Range(min, max)) => {
            let (low, high) = (bind_operand(sql, min), bind_operand(sql, max));
            let condition = format!("{expr} >= {low} AND {expr} <= {high}");
            if filter.operator == Operator::In {
                condition
            } else {
                negate(&expr, &condition)
            }
        }
        (operator @ (Operator::Equal | Operator::NotEqual), Operand::Bool(b))
            if scalar.is_text() =>
        {
            // A boolean data field: compare its JSON text.
            let value = sql.bind(if *b { "true" } else { "false" });
            let raw = match &filter.column {
                Column::Data(key) => raw_data(sql, key),
                _ => expr,
            };
            let matched = format!("{raw} = {value}");
            if operator == Operator::Equal {
                matched
            } else {
                negate(&raw, &matched)
            }
        }
        (Operator::NotEqual, operand) => {
            let value = bind_operand(sql, operand);
            let same = format!("{expr} = {value}");
            match &filter.column {
                // A data key compares as JSON: an explicit `null` differs from any text, a missing
                // key has no value to differ.
                Column::Data(key) if scalar.is_text() => {
                    let raw = raw_data(sql, key);
                    format!("({raw} IS NOT NULL AND ({expr} IS NULL OR NOT ({same})))")
                }
                _ => negate(&expr, &same),
            }
        }
        (operator, operand) => {
            let symbol = operator.comparison().ok_or_else(|| {
                bad(format!(
                    "Operator {operator:?} does not apply to {:?}",
                    filter.value_type
                ))
            })?;
            if matches!(operand, Operand::Range(..) | Operand::Texts(_)) {
                return Err(bad(format!("Operator {operator:?} takes a single value")));
            }
            let value = bind_operand(sql, operand);
            format!("{expr} {symbol} {value}")
        }
    })
}

/// `EXISTS`-based conditions for columns that look into annotations, predictions and drafts.
fn related_condition(sql: &mut Sql, filter: &Filter) -> Option<Result<String, QueryError>> {
    let result = match (&filter.column, filter.operator, &filter.operand) {
        (Column::Annotators, Operator::Empty, Operand::Bool(empty)) => {
            let any = exists("annotations", "annotations.completed_by_id IS NOT NULL");
            Ok(if *empty { format!("NOT {any}") } else { any })
        }
        // `equal` on these list columns means "has", as in Label Studio.
        (
            Column::Annotators,
            op
            @ (Operator::Contains | Operator::NotContains | Operator::Equal | Operator::NotEqual),
            operand,
        ) => {
            let Some(user) = user_id(operand) else {
                return Some(Err(bad("The annotators filter takes a user id")));
            };
            let user = sql.bind(user);
            let found = exists(
                "annotations",
                &format!("annotations.completed_by_id = {user}"),
            );
            Ok(negated_for(found, op))
        }
        (
            Column::UpdatedBy,
            op
            @ (Operator::Contains | Operator::NotContains | Operator::Equal | Operator::NotEqual),
            operand,
        ) => {
            let Some(user) = user_id(operand) else {
                return Some(Err(bad("The updated_by filter takes a user id")));
            };
            let user = sql.bind(user);
            let found = format!("tasks.updated_by_id = {user}");
            Ok(if matches!(op, Operator::Contains | Operator::Equal) {
                found
            } else {
                negate_including_nulls("tasks.updated_by_id", &found)
            })
        }
        (Column::UpdatedBy, Operator::Empty, Operand::Bool(empty)) => Ok(if *empty {
            "tasks.updated_by_id IS NULL".into()
        } else {
            "tasks.updated_by_id IS NOT NULL".into()
        }),
        (
            Column::AnnotationsIds,
            op
            @ (Operator::Contains | Operator::NotContains | Operator::Equal | Operator::NotEqual),
            Operand::Text(text),
        ) => {
            let ids: Vec<i64> = text
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|s| s.parse().ok())
                .collect();
            let found = exists(
                "annotations",
                &format!("annotations.id IN ({})", crate::counters::join_ids(&ids)),
            );
            Ok(negated_for(found, op))
        }
        (Column::AnnotationsResults | Column::PredictionsResults, op, Operand::Text(text))
            if matches!(
                op,
                Operator::Contains | Operator::NotContains | Operator::Equal | Operator::NotEqual
            ) =>
        {
            let table = if filter.column == Column::AnnotationsResults {
                "annotations"
            } else {
                "predictions"
            };
            let column = format!("{table}.result");
            let inner = if matches!(op, Operator::Contains | Operator::NotContains) {
                caseless_contains(sql, &column, text)
            } else {
                match serde_json::from_str::<Value>(text) {
                    Ok(json) => {
                        let value = sql.bind(json.to_string());
                        dialect::json_equal(sql.backend(), &column, &value)
                    }
                    // An unparsable value matches nothing, as in Label Studio.
                    Err(_) => "1 = 0".into(),
                }
            };
            let found = exists(table, &inner);
            Ok(negated_for(found, op))
        }
        (
            Column::AnnotationsResults | Column::PredictionsResults,
            Operator::Empty,
            Operand::Bool(empty),
        ) => {
            let table = if filter.column == Column::AnnotationsResults {
                "annotations"
            } else {
                "predictions"
            };
            // An annotation whose result is `[]` shows nothing in the column, so it is empty too.
            let any = exists(
                table,
                &format!("{table}.result IS NOT NULL AND {table}.result <> '[]'"),
            );
            Ok(if *empty { format!("NOT {any}") } else { any })
        }
        (
            Column::PredictionsModelVersions,
            op @ (Operator::Contains | Operator::NotContains),
            Operand::Texts(versions),
        ) => {
            let any: Vec<String> = versions
                .iter()
                .map(|v| {
                    let matched = caseless_contains(sql, "predictions.model_version", v);
                    exists("predictions", &matched)
                })
                .collect();
            let found = if any.is_empty() {
                "1 = 0".to_string()
            } else {
                format!("({})", any.join(" OR "))
            };
            Ok(negated_for(found, op))
        }
        (
            Column::PredictionsModelVersions,
            op @ (Operator::Equal | Operator::NotEqual),
            Operand::Text(version),
        ) => {
            // Exactly this one version among the task's predictions.
            let version = sql.bind(version.clone());
            let only = format!(
                "({} AND NOT {})",
                exists(
                    "predictions",
                    &format!("predictions.model_version = {version}")
                ),
                exists(
                    "predictions",
                    &format!("predictions.model_version <> {version}")
                )
            );
            Ok(negated_for(only, op))
        }
        (
            Column::GroundTruth | Column::DraftExists,
            Operator::Equal | Operator::NotEqual,
            Operand::Bool(wanted),
        ) => {
            let found = match filter.column {
                Column::GroundTruth => exists("annotations", "annotations.ground_truth = TRUE"),
                _ => exists("drafts", "1 = 1"),
            };
            let positive = *wanted == (filter.operator == Operator::Equal);
            Ok(if positive {
                found
            } else {
                format!("NOT {found}")
            })
        }
        _ => return None,
    };
    Some(result)
}

/// `NOT found` for the negative operators.
fn negated_for(found: String, operator: Operator) -> String {
    match operator {
        Operator::NotContains | Operator::NotEqual => format!("NOT {found}"),
        _ => found,
    }
}

fn user_id(operand: &Operand) -> Option<i64> {
    match operand {
        Operand::Number(n) => Some(*n as i64),
        Operand::Text(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn filter_condition(sql: &mut Sql, filter: &Filter) -> Result<String, QueryError> {
    let own = match related_condition(sql, filter) {
        Some(result) => result?,
        None => scalar_condition(sql, filter)?,
    };
    Ok(match &filter.child {
        Some(child) => format!("({own}) AND ({})", filter_condition(sql, child)?),
        None => own,
    })
}

impl Column {
    /// Rough cost of evaluating a condition on this column per task: task columns are cheap,
    /// data keys need the JSON document, the rest look into other tables.
    fn cost(&self) -> u8 {
        match self {
            Column::Data(_) => 1,
            Column::Annotators
            | Column::AnnotationsResults
            | Column::AnnotationsIds
            | Column::PredictionsScore
            | Column::PredictionsModelVersions
            | Column::PredictionsResults
            | Column::FileUpload
            | Column::AvgLeadTime
            | Column::DraftExists
            | Column::GroundTruth => 2,
            _ => 0,
        }
    }
}

/// Appends ` AND <conditions>` for the query's filters and selection to `sql`. Conditions are
/// ordered cheapest first (the result is the same either way), so that the costly ones run on
/// the fewest tasks.
pub fn push_conditions(sql: &mut Sql, query: &TaskQuery) -> Result<(), QueryError> {
    match &query.selection {
        Selection::AllExcept(ids) if ids.is_empty() => {}
        Selection::AllExcept(ids) => {
            sql.push(&format!(
                " AND tasks.id NOT IN ({})",
                crate::counters::join_ids(ids)
            ));
        }
        // Nothing explicitly picked means every task, as in Label Studio.
        Selection::Only(ids) if ids.is_empty() => {}
        Selection::Only(ids) => {
            sql.push(&format!(
                " AND tasks.id IN ({})",
                crate::counters::join_ids(ids)
            ));
        }
    }
    if let Some(group) = query.filters.as_ref().filter(|g| !g.items.is_empty()) {
        let mut items: Vec<&Filter> = group.items.iter().collect();
        items.sort_by_key(|f| {
            f.column
                .cost()
                .max(f.child.as_ref().map_or(0, |c| c.column.cost()))
        });
        let parts = items
            .into_iter()
            .map(|f| filter_condition(sql, f).map(|c| format!("({c})")))
            .collect::<Result<Vec<_>, _>>()?;
        let joiner = match group.conjunction {
            Conjunction::And => " AND ",
            Conjunction::Or => " OR ",
        };
        let joined = parts.join(joiner);
        sql.push(" AND (").push(&joined).push(")");
    }
    Ok(())
}

/// Appends ` ORDER BY ...` (nulls last, ties by id) to `sql`.
pub fn push_ordering(sql: &mut Sql, query: &TaskQuery) {
    let Some(ordering) = &query.ordering else {
        sql.push(" ORDER BY tasks.id");
        return;
    };
    let direction = if ordering.descending { "DESC" } else { "ASC" };
    if ordering.column == Column::Id {
        sql.push(&format!(" ORDER BY tasks.id {direction}"));
        return;
    }
    let scalar = scalar_of(sql, &ordering.column, ordering.numeric);
    let expr = if scalar.is_text() {
        dialect::byte_order(sql.backend(), &scalar.sql)
    } else {
        scalar.sql
    };
    // Ties (nulls included) go by id ascending in either direction, as Label Studio orders them.
    sql.push(&format!(
        " ORDER BY {expr} {direction} NULLS LAST, tasks.id"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn where_sql(query: Value) -> Result<Sql, QueryError> {
        let mut sql = Sql::new(DbBackend::Postgres);
        push_conditions(&mut sql, &parse_query(&query)?)?;
        Ok(sql)
    }

    #[test]
    fn folds_and_or_with_child_filters() {
        let sql = where_sql(json!({"filters": {"conjunction": "or", "items": [
            {"filter": "filter:tasks:total_annotations", "operator": "greater", "type": "Number", "value": 0,
             "child_filter": {"filter": "filter:tasks:id", "operator": "less", "type": "Number", "value": 10}},
            {"filter": "filter:tasks:data.text", "operator": "contains", "type": "String", "value": "50%_"}
        ]}}))
        .unwrap();
        assert_eq!(
            sql.text,
            " AND (((tasks.total_annotations > $1) AND (tasks.id < $2)) OR (tasks.data LIKE $6 ESCAPE '\\' AND tasks.data ILIKE $5 ESCAPE '\\' AND LOWER((tasks.data::jsonb ->> $3)) LIKE $4 ESCAPE '\\'))"
        );
        assert_eq!(sql.values[3], SqlValue::from("%50\\%\\_%".to_string()));
        assert_eq!(
            sql.values[4], sql.values[3],
            "the raw-text prefilter uses the same pattern"
        );
        assert_eq!(sql.values[5], sql.values[3], "the whole search is caseless");
    }

    #[test]
    fn ignores_items_label_studio_ignores() {
        let sql = where_sql(json!({"filters": {"conjunction": "and", "items": [
            {"filter": "filter:annotations:id", "operator": "equal", "type": "Number", "value": 1},
            {"filter": "filter:tasks:id", "operator": "equal", "type": "Number", "value": null}
        ]}, "selectedItems": {"all": false, "included": [3, 4]}}))
        .unwrap();
        assert_eq!(sql.text, " AND tasks.id IN (3,4)");
    }

    #[test]
    fn rejects_bad_items_with_a_reason() {
        let err = |q: Value| where_sql(q).unwrap_err().0;
        let item = |f: &str, op: &str, t: &str, v: Value| json!({"filters": {"conjunction": "and", "items": [{"filter": f, "operator": op, "type": t, "value": v}]}});
        assert!(err(item("filter:tasks:nope", "equal", "Number", json!(1)))
            .contains("Unknown filter column"));
        assert!(err(item("filter:tasks:id", "bigger", "Number", json!(1)))
            .contains("Unknown filter operator"));
        assert!(err(item("filter:tasks:id", "equal", "Float", json!(1)))
            .contains("Unknown filter type"));
        assert!(
            err(item("filter:tasks:id", "equal", "Number", json!("abc"))).contains("Wrong value")
        );
        assert!(err(item(
            "filter:tasks:created_at",
            "less",
            "Datetime",
            json!("yesterday")
        ))
        .contains("Wrong datetime"));
        assert!(err(item(
            "filter:tasks:project__title",
            "equal",
            "String",
            json!("x")
        ))
        .contains("DATA_MANAGER_FILTER_ALLOWLIST"));
        assert!(
            err(item("filter:tasks:id", "empty", "Number", json!("maybe")))
                .contains("Incorrect bool value")
        );
        assert!(err(json!({"filters": {"items": []}})).contains("conjunction"));
        assert!(
            err(json!({"selectedItems": {"all": false, "included": ["x"]}}))
                .contains("selectedItems.included")
        );
    }

    #[test]
    fn orders_nulls_last_with_id_ties() {
        let mut sql = Sql::new(DbBackend::Sqlite);
        let query = parse_query(
            &json!({"ordering": ["-tasks:data.score"], "columnsDisplayType": {"score": "Number"}}),
        )
        .unwrap();
        push_ordering(&mut sql, &query);
        assert!(
            sql.text.ends_with(" DESC NULLS LAST, tasks.id"),
            "{}",
            sql.text
        );
        assert!(!query.is_plain());
        assert!(parse_query(&json!({"ordering": ["tasks:id"]}))
            .unwrap()
            .is_plain());
    }

    #[test]
    fn finds_the_caseless_part_of_a_search() {
        assert_eq!(caseless_run("number 42"), Some(" 42".into()));
        assert_eq!(caseless_run("2024-05 Report"), Some("2024-05 ".into()));
        assert_eq!(caseless_run("apple"), None);
        assert_eq!(caseless_run("a1"), None);
    }

    #[test]
    fn invalid_regex_matches_nothing() {
        let sql = where_sql(json!({"filters": {"conjunction": "and", "items": [
            {"filter": "filter:tasks:data.text", "operator": "regex", "type": "String", "value": "(unclosed"}]}}))
        .unwrap();
        assert!(sql.text.contains("1 = 0"));
    }
}
