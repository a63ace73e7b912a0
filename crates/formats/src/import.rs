//! Parsing uploaded task files the way Label Studio 1.23.2 reads them
//! (`label_studio/data_import/models.py`, `FileUpload.read_tasks`): JSON (list or one task),
//! JSON lines, CSV/TSV with pandas-like typing, TXT (one task per line) and HTML/XML (one task).

use serde_json::{Map, Value};

/// The data key Label Studio uses when a file carries no key of its own.
pub const UNDEFINED_KEY: &str = "$undefined$";

/// Extensions whose content becomes tasks.
pub const TASK_FILE_EXTENSIONS: &[&str] = &[
    ".json", ".jsonl", ".csv", ".tsv", ".txt", ".html", ".htm", ".xml",
];

/// Extensions stored as media, one task per file pointing at the stored file.
pub const MEDIA_EXTENSIONS: &[&str] = &[
    ".bmp", ".flac", ".gif", ".jpg", ".jpeg", ".m4a", ".mp3", ".ogg", ".png", ".svg", ".wav",
    ".mp4", ".webm", ".webp", ".pdf",
];

/// pandas' default missing-value tokens: such CSV cells become `""`.
const NA_TOKENS: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// What a file's bytes turned into.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// Task items (each a JSON value as a task list item would be).
    Items(Vec<Value>),
    /// A media file: one task whose only data value is the file's URL.
    Media,
}

/// The lowercase extension with its dot (`.csv`), or `""`.
pub fn extension(name: &str) -> String {
    match name.rfind('.') {
        Some(pos) if pos > 0 || name.len() > 1 => name[pos..].to_lowercase(),
        _ => String::new(),
    }
}

/// Whether Label Studio-style import accepts this extension.
pub fn is_supported(ext: &str) -> bool {
    TASK_FILE_EXTENSIONS.contains(&ext) || MEDIA_EXTENSIONS.contains(&ext)
}

/// Whether the format can hold many tasks (`could_be_tasks_list` in the import response).
pub fn is_tabular(ext: &str) -> bool {
    matches!(ext, ".csv" | ".tsv" | ".txt")
}

/// Parses one uploaded file; the error is the message after `Failed to parse input file <name>: `.
pub fn parse_file(ext: &str, bytes: &[u8]) -> Result<Parsed, String> {
    let text = || {
        std::str::from_utf8(bytes)
            .map(|t| t.trim_start_matches('\u{feff}'))
            .map_err(|e| e.to_string())
    };
    match ext {
        ".json" => parse_json_items(text()?).map(Parsed::Items),
        ".jsonl" => parse_json_lines(text()?).map(Parsed::Items),
        ".csv" => {
            let text = text()?;
            let first = text.lines().next().unwrap_or("");
            let sep = if first.matches(';').count() > first.matches(',').count() {
                b';'
            } else {
                b','
            };
            parse_table(text, sep).map(Parsed::Items)
        }
        ".tsv" => parse_table(text()?, b'\t').map(Parsed::Items),
        ".txt" => Ok(Parsed::Items(
            text()?
                .lines()
                .map(|line| undefined_task(line.trim_end_matches('\r')))
                .collect(),
        )),
        ".html" | ".htm" | ".xml" => Ok(Parsed::Items(vec![undefined_task(text()?)])),
        _ => Ok(Parsed::Media),
    }
}

fn undefined_task(value: &str) -> Value {
    let mut data = Map::new();
    data.insert(UNDEFINED_KEY.to_string(), Value::String(value.to_string()));
    let mut item = Map::new();
    item.insert("data".to_string(), Value::Object(data));
    Value::Object(item)
}

/// A file's items: a dict is one task; items without a truthy `data` become `{"data": item}`.
fn parse_json_items(text: &str) -> Result<Vec<Value>, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|_| "Expected object or value".to_string())?;
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    items.into_iter().map(wrap_file_item).collect()
}

fn parse_json_lines(text: &str) -> Result<Vec<Value>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| {
            let value =
                serde_json::from_str(line).map_err(|err| format!("line {}: {err}", number + 1))?;
            wrap_file_item(value)
        })
        .collect()
}

fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Object(m)) => !m.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::Bool(true)) => true,
    }
}

fn wrap_file_item(item: Value) -> Result<Value, String> {
    let Value::Object(map) = item else {
        return Err(format!(
            "'{}' object has no attribute 'get'",
            tessera_labelconfig::python_type(&item)
        ));
    };
    if truthy(map.get("data")) {
        if !matches!(map.get("data"), Some(Value::Object(_))) {
            return Err("Task item should be dict".to_string());
        }
        return Ok(Value::Object(map));
    }
    let mut wrapped = Map::new();
    wrapped.insert("data".to_string(), Value::Object(map));
    Ok(Value::Object(wrapped))
}

/// The JSON type pandas infers for a column.
#[derive(Clone, Copy, PartialEq)]
enum Column {
    Int,
    Float,
    Bool,
    Text,
}

fn is_na(cell: &str) -> bool {
    NA_TOKENS.contains(&cell)
}

fn parse_bool(cell: &str) -> Option<bool> {
    match cell {
        "True" | "TRUE" | "true" => Some(true),
        "False" | "FALSE" | "false" => Some(false),
        _ => None,
    }
}

fn infer(cells: &[&str]) -> Column {
    let present: Vec<&str> = cells.iter().copied().filter(|c| !is_na(c)).collect();
    if present.is_empty() {
        return Column::Text;
    }
    if present.iter().all(|c| c.trim().parse::<i64>().is_ok()) {
        return if present.len() == cells.len() {
            Column::Int
        } else {
            Column::Float
        };
    }
    if present.iter().all(|c| c.trim().parse::<f64>().is_ok()) {
        return Column::Float;
    }
    if present.iter().all(|c| parse_bool(c).is_some()) {
        return Column::Bool;
    }
    Column::Text
}

fn cell_value(kind: Column, cell: &str) -> Value {
    if is_na(cell) {
        return Value::String(String::new());
    }
    match kind {
        Column::Int => cell
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(Value::Null),
        Column::Float => cell
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
            .unwrap_or(Value::Null),
        Column::Bool => parse_bool(cell).map(Value::Bool).unwrap_or(Value::Null),
        Column::Text => Value::String(cell.to_string()),
    }
}

/// Headers with pandas' duplicate mangling (`a`, `a.1`).
fn unique_headers(headers: &csv::StringRecord) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(headers.len());
    for header in headers {
        let mut name = header.to_string();
        let mut n = 1;
        while out.contains(&name) {
            name = format!("{header}.{n}");
            n += 1;
        }
        out.push(name);
    }
    out
}

fn parse_table(text: &str, sep: u8) -> Result<Vec<Value>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sep)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = unique_headers(reader.headers().map_err(|e| e.to_string())?);
    if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
        return Err("No columns to parse from file".to_string());
    }
    let mut rows: Vec<csv::StringRecord> = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| e.to_string())?;
        if record.len() > headers.len() {
            return Err(format!(
                "Error tokenizing data. C error: Expected {} fields in line {}, saw {}",
                headers.len(),
                index + 2,
                record.len()
            ));
        }
        rows.push(record);
    }
    let kinds: Vec<Column> = (0..headers.len())
        .map(|col| {
            infer(
                &rows
                    .iter()
                    .map(|r| r.get(col).unwrap_or(""))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    Ok(rows
        .iter()
        .map(|row| {
            let data: Map<String, Value> = headers
                .iter()
                .enumerate()
                .map(|(col, name)| {
                    (
                        name.clone(),
                        cell_value(kinds[col], row.get(col).unwrap_or("")),
                    )
                })
                .collect();
            let mut item = Map::new();
            item.insert("data".to_string(), Value::Object(data));
            Value::Object(item)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn items(ext: &str, text: &str) -> Vec<Value> {
        match parse_file(ext, text.as_bytes()).unwrap() {
            Parsed::Items(items) => items,
            Parsed::Media => panic!("not media"),
        }
    }

    #[test]
    fn csv_types_like_pandas() {
        let rows = items(
            ".csv",
            "text,score,flag,ratio,empty_int,s\nhello,1,true,0.5,3,x\nbye,2,False,1,,NA\n",
        );
        assert_eq!(
            rows[0],
            json!({"data": {"text": "hello", "score": 1, "flag": true, "ratio": 0.5, "empty_int": 3.0, "s": "x"}})
        );
        assert_eq!(
            rows[1]["data"],
            json!({"text": "bye", "score": 2, "flag": false, "ratio": 1.0, "empty_int": "", "s": ""})
        );
        let semi = items(".csv", "a;b\n1;x,y\n");
        assert_eq!(semi[0]["data"], json!({"a": 1, "b": "x,y"}));
        let dup = items(".tsv", "a\ta\n1\t2\n");
        assert_eq!(dup[0]["data"], json!({"a": 1, "a.1": 2}));
        assert!(parse_file(".csv", b"a,b\n1,2\n1,2,3\n").is_err());
        assert_eq!(
            parse_file(".csv", b"").unwrap_err(),
            "No columns to parse from file"
        );
    }

    #[test]
    fn json_txt_and_lines() {
        assert_eq!(
            items(".json", r#"{"text": "one"}"#),
            vec![json!({"data": {"text": "one"}})]
        );
        assert_eq!(
            items(".json", r#"[{"data": {"text": "a"}, "annotations": []}]"#)[0]["annotations"],
            json!([])
        );
        assert_eq!(
            items(".jsonl", "{\"text\": \"a\"}\n\n{\"text\": \"b\"}\n").len(),
            2
        );
        assert_eq!(items(".txt", "one\r\ntwo\n\nfour\n").len(), 4);
        assert_eq!(
            items(".txt", "one\n")[0],
            json!({"data": {"$undefined$": "one"}})
        );
        assert_eq!(
            parse_file(".json", b"{oops").unwrap_err(),
            "Expected object or value"
        );
        assert_eq!(parse_file(".png", b"\x89PNG").unwrap(), Parsed::Media);
        assert_eq!(extension("photo.JPG"), ".jpg");
        assert!(!is_supported(".exe"));
    }
}
