//! The Data Manager's view JSON (`filters`, `ordering`, `selectedItems`) parsed into the query
//! AST.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

/// A request the Data Manager cannot run; rendered as a 400 with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

pub(super) fn bad(message: impl Into<String>) -> QueryError {
    QueryError(message.into())
}

/// A task column the Data Manager can filter and order by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Id,
    InnerId,
    CompletedAt,
    CreatedAt,
    UpdatedAt,
    TotalAnnotations,
    CancelledAnnotations,
    TotalPredictions,
    Annotators,
    AnnotationsResults,
    AnnotationsIds,
    PredictionsScore,
    PredictionsModelVersions,
    PredictionsResults,
    FileUpload,
    StorageFilename,
    UpdatedBy,
    AvgLeadTime,
    DraftExists,
    GroundTruth,
    Comments,
    UnresolvedCommentCount,
    IsLabeled,
    /// `data.<key>`: a top-level key of the task data.
    Data(String),
}

impl Column {
    /// Parses the part after `tasks:` (`total_annotations`, `data.text`).
    pub fn parse(name: &str) -> Result<Column, QueryError> {
        if name.contains("__") && !name.starts_with("data.") {
            return Err(bad(format!(
                "\"__\" is not generally allowed in filters. Consider asking your administrator to add \"{name}\" to DATA_MANAGER_FILTER_ALLOWLIST, but note that some filter expressions may pose a security risk"
            )));
        }
        if let Some(key) = name.strip_prefix("data.") {
            if key.is_empty() || key.contains('"') {
                return Err(bad(format!("Unknown data column \"{name}\"")));
            }
            return Ok(Column::Data(key.to_string()));
        }
        Ok(match name {
            "id" => Column::Id,
            "inner_id" => Column::InnerId,
            "completed_at" => Column::CompletedAt,
            "created_at" => Column::CreatedAt,
            "updated_at" => Column::UpdatedAt,
            "total_annotations" => Column::TotalAnnotations,
            "cancelled_annotations" => Column::CancelledAnnotations,
            "total_predictions" => Column::TotalPredictions,
            "annotators" => Column::Annotators,
            "annotations_results" => Column::AnnotationsResults,
            "annotations_ids" => Column::AnnotationsIds,
            "predictions_score" => Column::PredictionsScore,
            "predictions_model_versions" => Column::PredictionsModelVersions,
            "predictions_results" => Column::PredictionsResults,
            "file_upload" => Column::FileUpload,
            "storage_filename" => Column::StorageFilename,
            "updated_by" => Column::UpdatedBy,
            "avg_lead_time" => Column::AvgLeadTime,
            "draft_exists" => Column::DraftExists,
            "ground_truth" => Column::GroundTruth,
            "comments" | "comment_count" => Column::Comments,
            "unresolved_comment_count" => Column::UnresolvedCommentCount,
            "is_labeled" => Column::IsLabeled,
            _ => return Err(bad(format!("Unknown filter column \"tasks:{name}\""))),
        })
    }

    /// Counters whose `empty` means "is zero" rather than "is null".
    pub(super) fn is_counter(&self) -> bool {
        matches!(
            self,
            Column::TotalAnnotations
                | Column::CancelledAnnotations
                | Column::TotalPredictions
                | Column::Comments
                | Column::UnresolvedCommentCount
        )
    }
}

/// The value type a filter item declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Number,
    Datetime,
    Boolean,
    String,
    List,
    Unknown,
}

impl ValueType {
    /// Media columns (`Image`, `Audio`, ...) filter as strings.
    fn parse(name: &str) -> Result<ValueType, QueryError> {
        Ok(match name {
            "Number" => ValueType::Number,
            "Datetime" => ValueType::Datetime,
            "Boolean" => ValueType::Boolean,
            "String" | "Image" | "Audio" | "AudioPlus" | "Video" | "Text" | "HyperText"
            | "TimeSeries" | "Time" => ValueType::String,
            "List" => ValueType::List,
            "Unknown" => ValueType::Unknown,
            _ => return Err(bad(format!("Unknown filter type \"{name}\""))),
        })
    }
}

/// A filter operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Equal,
    NotEqual,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
    In,
    NotIn,
    Contains,
    NotContains,
    Regex,
    Empty,
}

impl Operator {
    fn parse(name: &str) -> Result<Operator, QueryError> {
        Ok(match name {
            "equal" => Operator::Equal,
            "not_equal" => Operator::NotEqual,
            "less" => Operator::Less,
            "greater" => Operator::Greater,
            "less_or_equal" => Operator::LessOrEqual,
            "greater_or_equal" => Operator::GreaterOrEqual,
            "in" => Operator::In,
            "not_in" => Operator::NotIn,
            "contains" => Operator::Contains,
            "not_contains" => Operator::NotContains,
            "regex" => Operator::Regex,
            "empty" => Operator::Empty,
            _ => return Err(bad(format!("Unknown filter operator \"{name}\""))),
        })
    }

    pub(super) fn comparison(self) -> Option<&'static str> {
        Some(match self {
            Operator::Equal => "=",
            Operator::Less => "<",
            Operator::Greater => ">",
            Operator::LessOrEqual => "<=",
            Operator::GreaterOrEqual => ">=",
            _ => return None,
        })
    }
}

/// A typed operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Number(f64),
    Time(DateTime<Utc>),
    Bool(bool),
    Text(String),
    /// `in` / `not_in`: an inclusive range.
    Range(Box<Operand>, Box<Operand>),
    /// `predictions_model_versions contains [..]`.
    Texts(Vec<String>),
}

/// One filter item (with its optional `child_filter`, AND-ed with it).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub column: Column,
    pub operator: Operator,
    pub value_type: ValueType,
    pub operand: Operand,
    pub child: Option<Box<Filter>>,
}

/// How a view's filter items combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conjunction {
    And,
    Or,
}

/// The filters of a view.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterGroup {
    pub conjunction: Conjunction,
    pub items: Vec<Filter>,
}

/// `selectedItems`: applied on top of the filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// `{"all": true, "excluded": [...]}`.
    AllExcept(Vec<i64>),
    /// `{"all": false, "included": [...]}`.
    Only(Vec<i64>),
}

impl Default for Selection {
    fn default() -> Self {
        Selection::AllExcept(Vec::new())
    }
}

/// The first `ordering` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordering {
    pub column: Column,
    pub descending: bool,
    /// `data.<key>` orders numerically (`columnsDisplayType[key] == "Number"`).
    pub numeric: bool,
}

/// Everything that selects and orders a project's tasks in the Data Manager.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskQuery {
    pub filters: Option<FilterGroup>,
    pub ordering: Option<Ordering>,
    pub selection: Selection,
}

impl TaskQuery {
    /// True when the query is "every task by id", which has an index-only fast path.
    pub fn is_plain(&self) -> bool {
        self.filters.as_ref().is_none_or(|f| f.items.is_empty())
            && self
                .ordering
                .as_ref()
                .is_none_or(|o| o.column == Column::Id && !o.descending)
            && matches!(&self.selection, Selection::AllExcept(ids) | Selection::Only(ids) if ids.is_empty())
    }
}

/// The Data Manager's datetime format (`%Y-%m-%dT%H:%M:%S.%fZ`); full RFC 3339 is accepted too.
pub(super) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.fZ")
        .map(|t| t.and_utc())
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
}

fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

fn scalar(value_type: ValueType, value: &Value) -> Result<Operand, QueryError> {
    let wrong = || bad(format!("Wrong value {value} for a {value_type:?} filter"));
    Ok(match value_type {
        ValueType::Number => Operand::Number(number_of(value).ok_or_else(wrong)?),
        ValueType::Datetime => {
            Operand::Time(value.as_str().and_then(parse_time).ok_or_else(|| {
                bad(format!(
                    "Wrong datetime {value}: expected the format %Y-%m-%dT%H:%M:%S.%fZ"
                ))
            })?)
        }
        ValueType::Boolean => Operand::Bool(match value {
            Value::Bool(b) => *b,
            Value::String(s) if s.eq_ignore_ascii_case("true") => true,
            Value::String(s) if s.eq_ignore_ascii_case("false") => false,
            Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
            _ => return Err(wrong()),
        }),
        ValueType::String | ValueType::Unknown | ValueType::List => Operand::Text(match value {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => value.to_string(),
            _ => return Err(wrong()),
        }),
    })
}

/// A boolean as Label Studio reads one from a filter (`true`, `"yes"`, `0`, ...).
fn flag(value: &Value) -> Result<bool, QueryError> {
    let text = match value {
        Value::Bool(b) => return Ok(*b),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.to_ascii_lowercase(),
        other => other.to_string(),
    };
    match text.as_str() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(bad(format!(
            "Incorrect bool value {value}. It should be one of [1, 0, true, false, yes, no]"
        ))),
    }
}

fn operand(
    column: &Column,
    operator: Operator,
    value_type: ValueType,
    value: &Value,
) -> Result<Operand, QueryError> {
    let operand = typed_operand(column, operator, value_type, value)?;
    // Dates inside task data are text: compare them as text in the Data Manager's format.
    Ok(match (column, operand) {
        (Column::Data(_), Operand::Time(t)) => Operand::Text(format_time(&t)),
        (Column::Data(_), Operand::Range(low, high)) => {
            Operand::Range(Box::new(as_text(*low)), Box::new(as_text(*high)))
        }
        (_, operand) => operand,
    })
}

pub(super) fn format_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn as_text(operand: Operand) -> Operand {
    match operand {
        Operand::Time(t) => Operand::Text(format_time(&t)),
        other => other,
    }
}

fn typed_operand(
    column: &Column,
    operator: Operator,
    value_type: ValueType,
    value: &Value,
) -> Result<Operand, QueryError> {
    match operator {
        Operator::Empty => Ok(Operand::Bool(flag(value)?)),
        Operator::In | Operator::NotIn => {
            let range = value.as_object().ok_or_else(|| bad("The in/not_in operators take {\"min\": ..., \"max\": ...}"))?;
            let end = |name: &str| -> Result<Operand, QueryError> {
                let v = range.get(name).ok_or_else(|| bad(format!("Range filter without \"{name}\"")))?;
                scalar(value_type, v)
            };
            Ok(Operand::Range(Box::new(end("min")?), Box::new(end("max")?)))
        }
        Operator::Contains | Operator::NotContains if *column == Column::PredictionsModelVersions => match value {
            Value::Array(items) => Ok(Operand::Texts(items.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).collect())),
            Value::String(s) => Ok(Operand::Texts(vec![s.clone()])),
            _ => Err(bad(format!("Wrong value {value} for predictions_model_versions"))),
        },
        Operator::Regex => match value {
            Value::String(s) if crate::regex_cost::too_complex(s) == Some(true) => Err(bad(format!(
                "The regular expression {s:?} is too complex: its repetitions expand to more than {} positions",
                crate::regex_cost::MAX_POSITIONS
            ))),
            Value::String(s) => Ok(Operand::Text(s.clone())),
            _ => Err(bad(format!("Wrong regular expression {value}"))),
        },
        _ => scalar(value_type, value),
    }
}

/// Parses one filter item. `Ok(None)` for items Label Studio ignores: names outside
/// `filter:tasks:` and null values.
fn parse_filter(item: &Value) -> Result<Option<Filter>, QueryError> {
    let object = item
        .as_object()
        .ok_or_else(|| bad("A filter item must be an object"))?;
    let text = |key: &str| -> Result<&str, QueryError> {
        object
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("Filter item without \"{key}\"")))
    };
    let name = text("filter")?;
    let Some(column) = name.strip_prefix("filter:tasks:") else {
        return Ok(None);
    };
    let value = object.get("value").unwrap_or(&Value::Null);
    if value.is_null() {
        return Ok(None);
    }
    let column = Column::parse(column)?;
    let operator = Operator::parse(text("operator")?)?;
    let value_type = ValueType::parse(text("type")?)?;
    let operand = operand(&column, operator, value_type, value)?;
    let child = match object.get("child_filter") {
        Some(child) if !child.is_null() => parse_filter(child)?.map(Box::new),
        _ => None,
    };
    Ok(Some(Filter {
        column,
        operator,
        value_type,
        operand,
        child,
    }))
}

/// Parses a view's `filters` object (`{"conjunction", "items"}`).
pub fn parse_filters(filters: &Value) -> Result<Option<FilterGroup>, QueryError> {
    if filters.is_null() {
        return Ok(None);
    }
    let object = filters
        .as_object()
        .ok_or_else(|| bad("filters must be an object with conjunction and items"))?;
    if crate::dialect::has_nul(filters) {
        return Err(bad(
            "Filter values may not contain the NUL character (\\u0000)",
        ));
    }
    let conjunction = match object
        .get("conjunction")
        .and_then(Value::as_str)
        .unwrap_or_default()
    {
        "and" => Conjunction::And,
        "or" => Conjunction::Or,
        other => {
            return Err(bad(format!(
                "filters.conjunction must be \"and\" or \"or\", not \"{other}\""
            )))
        }
    };
    let items = match object.get("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| parse_filter(i).transpose())
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("filters.items must be a list")),
    };
    Ok(Some(FilterGroup { conjunction, items }))
}

/// Parses `ordering` (only its first element counts). `display_types` is the view's
/// `columnsDisplayType`, deciding whether a data column orders as a number.
pub fn parse_ordering(
    ordering: &Value,
    display_types: Option<&Value>,
) -> Result<Option<Ordering>, QueryError> {
    let first = match ordering {
        Value::Null => return Ok(None),
        // Views saved without an ordering hold an empty object.
        Value::Object(map) if map.is_empty() => return Ok(None),
        Value::Array(items) => match items.first() {
            None => return Ok(None),
            Some(first) => first,
        },
        Value::String(_) => ordering,
        _ => return Err(bad("ordering must be a list of column names")),
    };
    let text = first
        .as_str()
        .ok_or_else(|| bad("ordering must be a list of column names"))?;
    let (descending, name) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let name = name.strip_prefix("tasks:").unwrap_or(name);
    let column = Column::parse(name)?;
    let numeric = match &column {
        Column::Data(key) => {
            display_types
                .and_then(|d| d.get(key))
                .and_then(Value::as_str)
                == Some("Number")
        }
        _ => false,
    };
    Ok(Some(Ordering {
        column,
        descending,
        numeric,
    }))
}

/// Parses `selectedItems`.
pub fn parse_selection(selected: &Value) -> Result<Selection, QueryError> {
    let ids = |key: &str| -> Result<Vec<i64>, QueryError> {
        match selected.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_i64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                })
                .collect::<Option<Vec<i64>>>()
                .ok_or_else(|| bad(format!("selectedItems.{key} must be a list of task ids"))),
            Some(_) => Err(bad(format!(
                "selectedItems.{key} must be a list of task ids"
            ))),
        }
    };
    match selected {
        Value::Null => Ok(Selection::default()),
        Value::Object(object) => match object.get("all") {
            Some(Value::Bool(true)) => Ok(Selection::AllExcept(ids("excluded")?)),
            Some(Value::Bool(false)) => Ok(Selection::Only(ids("included")?)),
            _ => Err(bad("selectedItems must have \"all\": true or false")),
        },
        _ => Err(bad("selectedItems must be an object")),
    }
}

/// Parses a whole Data Manager query: an object with `filters`, `ordering`, `selectedItems` and
/// optionally `columnsDisplayType`.
pub fn parse_query(query: &Value) -> Result<TaskQuery, QueryError> {
    let object = query
        .as_object()
        .ok_or_else(|| bad("query must be a JSON object"))?;
    let get = |key: &str| object.get(key).unwrap_or(&Value::Null);
    Ok(TaskQuery {
        filters: parse_filters(get("filters"))?,
        ordering: parse_ordering(get("ordering"), object.get("columnsDisplayType"))?,
        selection: parse_selection(get("selectedItems"))?,
    })
}
