//! Export converters: the flat per-annotation rows of JSON_MIN, CSV and TSV, written the way
//! Label Studio's converter writes them (`label_studio_sdk/converter/converter.py`,
//! `converter/exports/csv2.py`), plus the list of export formats and which ones a config allows.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value};
use tessera_labelconfig::{pyrepr, LabelConfig};

/// Label Studio's export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Json,
    JsonMin,
    Csv,
    Tsv,
    Conll2003,
    Coco,
    CocoWithImages,
    Voc,
    Yolo,
    YoloWithImages,
    YoloObb,
    YoloObbWithImages,
    BrushToNumpy,
    BrushToPng,
    AsrManifest,
    BrushToCoco,
    Doclang,
}

/// How an export in a format is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// One file with this extension and media type.
    File {
        extension: &'static str,
        content_type: &'static str,
    },
    /// A zip archive of the output folder.
    Zip,
    /// One file when the output holds exactly one (brush masks), otherwise a zip archive.
    FileOrZip {
        extension: &'static str,
        content_type: &'static str,
    },
}

impl Format {
    /// Every format, in Label Studio's order.
    pub const ALL: [Format; 17] = [
        Format::Json,
        Format::JsonMin,
        Format::Csv,
        Format::Tsv,
        Format::Conll2003,
        Format::Coco,
        Format::CocoWithImages,
        Format::Voc,
        Format::Yolo,
        Format::YoloWithImages,
        Format::YoloObb,
        Format::YoloObbWithImages,
        Format::BrushToNumpy,
        Format::BrushToPng,
        Format::AsrManifest,
        Format::BrushToCoco,
        Format::Doclang,
    ];

    /// The `exportType` name (`JSON`, `COCO_WITH_IMAGES`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::JsonMin => "JSON_MIN",
            Format::Csv => "CSV",
            Format::Tsv => "TSV",
            Format::Conll2003 => "CONLL2003",
            Format::Coco => "COCO",
            Format::CocoWithImages => "COCO_WITH_IMAGES",
            Format::Voc => "VOC",
            Format::Yolo => "YOLO",
            Format::YoloWithImages => "YOLO_WITH_IMAGES",
            Format::YoloObb => "YOLO_OBB",
            Format::YoloObbWithImages => "YOLO_OBB_WITH_IMAGES",
            Format::BrushToNumpy => "BRUSH_TO_NUMPY",
            Format::BrushToPng => "BRUSH_TO_PNG",
            Format::AsrManifest => "ASR_MANIFEST",
            Format::BrushToCoco => "BRUSH_TO_COCO",
            Format::Doclang => "DOCLANG",
        }
    }

    /// Parses an `exportType` value (exact enum names, as Label Studio).
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|format| format.name() == name)
    }

    /// Whether this is one of the flat formats written straight from the database.
    pub fn is_flat(self) -> bool {
        matches!(
            self,
            Format::Json | Format::JsonMin | Format::Csv | Format::Tsv
        )
    }

    /// How the export is delivered. Label Studio sends `application/.<extension>` as the media
    /// type of a single file, which is not one; the file name (`Content-Disposition` and the
    /// `filename` header) is kept.
    pub fn packing(self) -> Packing {
        let file = |extension, content_type| Packing::File {
            extension,
            content_type,
        };
        match self {
            Format::Json | Format::JsonMin => file("json", "application/json"),
            // Label Studio names TSV exports `.csv` too.
            Format::Csv => file("csv", "text/csv; charset=utf-8"),
            Format::Tsv => file("csv", "text/tab-separated-values; charset=utf-8"),
            Format::Conll2003 => file("conll", "text/plain; charset=utf-8"),
            Format::BrushToNumpy => Packing::FileOrZip {
                extension: "npy",
                content_type: "application/octet-stream",
            },
            Format::BrushToPng => Packing::FileOrZip {
                extension: "png",
                content_type: "image/png",
            },
            _ => Packing::Zip,
        }
    }

    /// The media type of the format's single file (`application/zip` for an archive-only
    /// format).
    pub fn content_type(self) -> &'static str {
        match self.packing() {
            Packing::File { content_type, .. } | Packing::FileOrZip { content_type, .. } => {
                content_type
            }
            Packing::Zip => "application/zip",
        }
    }

    /// The extension of the format's single file (`zip` for an archive-only format).
    pub fn extension(self) -> &'static str {
        match self.packing() {
            Packing::File { extension, .. } | Packing::FileOrZip { extension, .. } => extension,
            Packing::Zip => "zip",
        }
    }
}

/// The annotation facts a flat row needs.
pub struct RowAnnotation<'a> {
    pub id: i64,
    pub completed_by: Option<i64>,
    pub result: &'a Value,
    pub was_cancelled: bool,
    pub created_at: String,
    pub updated_at: String,
    pub lead_time: Option<f64>,
}

/// Groups a result's regions by `from_name` (known controls only, or any with an empty config),
/// each value paired with its control's tag. With `with_ids` (keypoint configs) a known control's
/// value also carries the region's `id` and `parentID`.
pub(crate) fn outputs(
    config: &LabelConfig,
    result: &Value,
    with_ids: bool,
) -> IndexMap<String, Vec<(String, Value)>> {
    let mut out: IndexMap<String, Vec<(String, Value)>> = IndexMap::new();
    let Value::Array(regions) = result else {
        return out;
    };
    for region in regions {
        let Some(from_name) = region.get("from_name").and_then(Value::as_str) else {
            continue;
        };
        let control = config.control_of(from_name);
        let tag = match control {
            Some(control) => control.tag.clone(),
            None if region.get("type").and_then(Value::as_str) == Some("chatmessage") => {
                "chatmessage".to_string()
            }
            None if config.controls.is_empty() => region
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            None => continue,
        };
        let mut value = region
            .get("value")
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        if let Value::Object(map) = &mut value {
            for key in ["original_width", "original_height"] {
                if let Some(v) = region.get(key) {
                    map.insert(key.to_string(), v.clone());
                }
            }
            if with_ids && control.is_some() {
                for key in ["id", "parentID"] {
                    map.insert(key.into(), region.get(key).cloned().unwrap_or(Value::Null));
                }
            }
        }
        out.entry(from_name.to_string())
            .or_default()
            .push((tag, value));
    }
    out
}

/// Label Studio's `prettify_result`: a single choice or text becomes a plain string, other
/// controls a list of their value objects.
pub fn prettify(regions: Vec<(String, Value)>) -> Value {
    let mut out = Vec::new();
    let mut last_tag = String::new();
    for (tag, value) in regions {
        let single = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_array)
                .filter(|l| l.len() == 1)
                .map(|l| l[0].clone())
        };
        let item = match tag.as_str() {
            "Choices" => single("choices").unwrap_or(value),
            "TextArea" => single("text").unwrap_or(value),
            "Chat" | "chatmessage" => value.get("chatmessage").cloned().unwrap_or(value),
            _ => value,
        };
        out.push(item);
        last_tag = tag;
    }
    if matches!(last_tag.as_str(), "Choices" | "TextArea") && out.len() == 1 {
        out.remove(0)
    } else {
        Value::Array(out)
    }
}

/// The flat rows of one task: one per non-skipped annotation (newest first), or one empty row
/// for a task without annotations; a task whose annotations are all skipped has none.
pub fn task_rows(
    config: &LabelConfig,
    task_id: i64,
    data: &Map<String, Value>,
    annotations: &[RowAnnotation],
) -> Vec<Map<String, Value>> {
    if annotations.is_empty() {
        let mut row = data.clone();
        row.insert("id".into(), task_id.into());
        for key in [
            "annotator",
            "annotation_id",
            "created_at",
            "updated_at",
            "lead_time",
        ] {
            row.insert(key.into(), Value::Null);
        }
        return vec![row];
    }
    let mut kept: Vec<&RowAnnotation> = annotations.iter().filter(|a| !a.was_cancelled).collect();
    kept.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    kept.into_iter()
        .map(|a| {
            let mut row = data.clone();
            row.insert("id".into(), task_id.into());
            for (from_name, regions) in outputs(config, a.result, false) {
                row.insert(from_name, prettify(regions));
            }
            row.insert(
                "annotator".into(),
                a.completed_by.map_or(Value::Null, Value::from),
            );
            row.insert("annotation_id".into(), a.id.into());
            row.insert("created_at".into(), a.created_at.clone().into());
            row.insert("updated_at".into(), a.updated_at.clone().into());
            row.insert(
                "lead_time".into(),
                a.lead_time.map_or(Value::Null, Value::from),
            );
            row
        })
        .collect()
}

/// One JSON_MIN record: two-space indented, as the converter writes it.
pub fn json_min_record(row: &Map<String, Value>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"  ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    row.serialize(&mut serializer)
        .expect("serializing a JSON map cannot fail");
    out
}

/// The columns of a CSV/TSV export without any rows (Label Studio's).
pub const EMPTY_COLUMNS: [&str; 5] = [
    "annotation_id",
    "annotator",
    "created_at",
    "lead_time",
    "updated_at",
];

/// The CSV column of a data key: `_data_<key>` when a control has the same name.
pub fn data_column(key: &str, control_names: &BTreeSet<String>) -> String {
    if control_names.contains(key) {
        format!("_data_{key}")
    } else {
        key.to_string()
    }
}

/// Collects the CSV columns of a row set: fixed ones, `id`, data keys and control names.
pub fn csv_columns(
    columns: &mut BTreeSet<String>,
    data: &Map<String, Value>,
    rows: &[Map<String, Value>],
    control_names: &BTreeSet<String>,
) {
    for key in [
        "annotator",
        "annotation_id",
        "created_at",
        "updated_at",
        "lead_time",
        "id",
    ] {
        columns.insert(key.to_string());
    }
    for key in data.keys() {
        columns.insert(data_column(key, control_names));
    }
    for row in rows {
        for key in row
            .keys()
            .filter(|k| !data.contains_key(*k) || control_names.contains(*k))
        {
            columns.insert(key.clone());
        }
    }
}

/// How CSV/TSV cells are written.
#[derive(Debug, Clone, Copy)]
pub struct CsvStyle {
    /// `,` for CSV, a tab for TSV.
    pub separator: char,
    /// Neutralize text that a spreadsheet would run as a formula (OWASP's CSV injection
    /// advice): a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
    /// leading `'`. On by default; `escape_formulas=false` exports the text as stored.
    pub escape_formulas: bool,
}

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One CSV cell with Python's `QUOTE_NONNUMERIC`: numbers and booleans bare, strings quoted with
/// `"` doubled, nested values as compact JSON, null and missing as `""`.
pub fn csv_cell(value: Option<&Value>, style: CsvStyle, out: &mut String) {
    let quoted = |text: &str, out: &mut String| {
        out.push('"');
        if style.escape_formulas && text.starts_with(FORMULA_STARTS) {
            out.push('\'');
        }
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    };
    match value {
        None | Some(Value::Null) => out.push_str("\"\""),
        Some(Value::Bool(true)) => out.push_str("True"),
        Some(Value::Bool(false)) => out.push_str("False"),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => out.push_str(&i.to_string()),
            (None, Some(u)) => out.push_str(&u.to_string()),
            _ => out.push_str(&pyrepr::float_repr(n.as_f64().unwrap_or_default())),
        },
        Some(Value::String(s)) => quoted(s, out),
        Some(nested) => quoted(&nested.to_string(), out),
    }
}

/// A CSV/TSV row for `columns`, CRLF-terminated. Data keys that collide with control names are
/// looked up under their `_data_` column; `annotator` is written as a string.
pub fn csv_line(
    columns: &[String],
    row: &Map<String, Value>,
    data: &Map<String, Value>,
    control_names: &BTreeSet<String>,
    style: CsvStyle,
) -> String {
    let mut line = String::with_capacity(columns.len() * 16);
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            line.push(style.separator);
        }
        let value = if let Some(key) = column
            .strip_prefix("_data_")
            .filter(|k| control_names.contains(*k))
        {
            data.get(key).cloned()
        } else if column == "annotator" {
            row.get("annotator")
                .filter(|v| !v.is_null())
                .map(|v| Value::String(v.to_string()))
        } else if column == "id" {
            data.get("id").or(row.get("id")).cloned()
        } else {
            row.get(column).cloned()
        };
        csv_cell(value.as_ref(), style, &mut line);
    }
    line.push_str("\r\n");
    line
}

/// The header line for `columns`.
pub fn csv_header(columns: &[String], style: CsvStyle) -> String {
    let mut line = String::new();
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            line.push(style.separator);
        }
        csv_cell(Some(&Value::String(column.clone())), style, &mut line);
    }
    line.push_str("\r\n");
    line
}

/// One entry of `/api/projects/{id}/export/formats`.
#[derive(Debug, Serialize)]
pub struct FormatInfo {
    pub title: &'static str,
    pub description: &'static str,
    pub link: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<&'static [&'static str]>,
    pub name: &'static str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
}

struct Known {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    link: &'static str,
    tags: Option<&'static [&'static str]>,
}

const DETECTION: &[&str] = &["image segmentation", "object detection", "keypoints"];
const SEGMENTATION: &[&str] = &["image segmentation", "object detection"];

const KNOWN: &[Known] = &[
    Known { name: "JSON", title: "JSON", description: "List of items in raw JSON format stored in one JSON file. Use to export both the data and the annotations for a dataset. It's Label Studio Common Format", link: "https://labelstud.io/guide/export.html#JSON", tags: None },
    Known { name: "JSON_MIN", title: "JSON-MIN", description: "List of items where only \"from_name\", \"to_name\" values from the raw JSON format are exported. Use to export only the annotations for a dataset.", link: "https://labelstud.io/guide/export.html#JSON-MIN", tags: None },
    Known { name: "CSV", title: "CSV", description: "Results are stored as comma-separated values with the column names specified by the values of the \"from_name\" and \"to_name\" fields.", link: "https://labelstud.io/guide/export.html#CSV", tags: None },
    Known { name: "TSV", title: "TSV", description: "Results are stored in tab-separated tabular file with column names specified by \"from_name\" \"to_name\" values", link: "https://labelstud.io/guide/export.html#TSV", tags: None },
    Known { name: "CONLL2003", title: "CONLL2003", description: "Popular format used for the CoNLL-2003 named entity recognition challenge.", link: "https://labelstud.io/guide/export.html#CONLL2003", tags: Some(&["sequence labeling", "text tagging", "named entity recognition"]) },
    Known { name: "COCO", title: "COCO", description: "Popular machine learning format used by the COCO dataset for object detection and image segmentation tasks with polygons and rectangles.", link: "https://labelstud.io/guide/export.html#COCO", tags: Some(DETECTION) },
    Known { name: "COCO_WITH_IMAGES", title: "COCO with Images", description: "COCO format with images downloaded.", link: "https://labelstud.io/guide/export.html#COCO", tags: Some(DETECTION) },
    Known { name: "VOC", title: "Pascal VOC XML", description: "Popular XML format used for object detection and polygon image segmentation tasks.", link: "https://labelstud.io/guide/export.html#Pascal-VOC-XML", tags: Some(SEGMENTATION) },
    Known { name: "YOLO", title: "YOLO", description: "Popular TXT format is created for each image file. Each txt file contains annotations for the corresponding image file, that is object class, object coordinates, height & width.", link: "https://labelstud.io/guide/export.html#YOLO", tags: Some(DETECTION) },
    Known { name: "YOLO_WITH_IMAGES", title: "YOLO with Images", description: "YOLO format with images downloaded.", link: "https://labelstud.io/guide/export.html#YOLO", tags: Some(DETECTION) },
    Known { name: "YOLO_OBB", title: "YOLOv8 OBB", description: "Popular TXT format is created for each image file. Each txt file contains annotations for the corresponding image file. The YOLO OBB format designates bounding boxes by their four corner points with coordinates normalized between 0 and 1, so it is possible to export rotated objects.", link: "https://labelstud.io/guide/export.html#YOLO", tags: Some(SEGMENTATION) },
    Known { name: "YOLO_OBB_WITH_IMAGES", title: "YOLOv8 OBB with Images", description: "YOLOv8 OBB format with images downloaded.", link: "https://labelstud.io/guide/export.html#YOLO", tags: Some(SEGMENTATION) },
    Known { name: "BRUSH_TO_NUMPY", title: "Brush labels to NumPy", description: "Export your brush labels as NumPy 2d arrays. Each label outputs as one image.", link: "https://labelstud.io/guide/export.html#Brush-labels-to-NumPy-amp-PNG", tags: Some(&["image segmentation"]) },
    Known { name: "BRUSH_TO_PNG", title: "Brush labels to PNG", description: "Export your brush labels as PNG images. Each label outputs as one image.", link: "https://labelstud.io/guide/export.html#Brush-labels-to-NumPy-amp-PNG", tags: Some(&["image segmentation"]) },
    Known { name: "ASR_MANIFEST", title: "ASR Manifest", description: "Export audio transcription labels for automatic speech recognition as the JSON manifest format expected by NVIDIA NeMo models.", link: "https://labelstud.io/guide/export.html#ASR-MANIFEST", tags: Some(&["speech recognition"]) },
    Known { name: "BRUSH_TO_COCO", title: "Brush labels to COCO", description: "Export your brush labels as COCO format for segmentation tasks. Converts RLE encoded masks to COCO polygons.", link: "https://labelstud.io/guide/export.html#COCO", tags: Some(&["image segmentation", "brush annotations"]) },
    Known { name: "DOCLANG", title: "DocLang (.dclx)", description: "Package annotations from the Doclang Interface as DocLang OPC archives (document.xml + page image) for downstream Docling model training.", link: "https://github.com/doclang-project/doclang/blob/main/spec.md#doclang-archive-format", tags: Some(&["document", "doclang"]) },
];

/// The formats Label Studio's converter offers for `config` (`_get_supported_formats`).
pub fn supported(config: &LabelConfig) -> Vec<Format> {
    let controls: Vec<&str> = config.controls.values().map(|c| c.tag.as_str()).collect();
    let doclang = controls
        .iter()
        .any(|tag| matches!(*tag, "TextArea" | "ReactCode" | "CustomInterface"));
    let data_keys: BTreeSet<&str> = config
        .controls
        .values()
        .flat_map(|c| &c.inputs)
        .map(|input| input.value.as_str())
        .collect();
    if data_keys.len() > 1 {
        let mut formats = vec![Format::Json, Format::JsonMin, Format::Csv, Format::Tsv];
        if doclang {
            formats.push(Format::Doclang);
        }
        return formats;
    }
    let mut multi_image = false;
    let mut inputs: BTreeSet<&str> = BTreeSet::new();
    for input in config.controls.values().flat_map(|c| &c.inputs) {
        multi_image |= input.value_list;
        if input.tag == "Text" && input.value_type.as_deref() == Some("url") {
            continue;
        }
        inputs.insert(input.tag.as_str());
    }
    let output = |tag: &str| controls.contains(&tag);
    let input = |tag: &str| inputs.contains(tag);
    let mut formats: Vec<Format> = Format::ALL.to_vec();
    let mut drop = |gone: &[Format]| formats.retain(|f| !gone.contains(f));
    if !doclang {
        drop(&[Format::Doclang]);
    }
    if output("KeyPointLabels") && !output("RectangleLabels") {
        drop(&[
            Format::Coco,
            Format::CocoWithImages,
            Format::Yolo,
            Format::YoloWithImages,
        ]);
    }
    if !(input("Text") && output("Labels")) {
        drop(&[Format::Conll2003]);
    }
    if multi_image
        || !(input("Image")
            && (output("RectangleLabels") || output("Rectangle") && output("Labels")))
    {
        drop(&[Format::Voc]);
    }
    let shapes = input("Image")
        && (output("RectangleLabels") || output("PolygonLabels") || output("KeyPointLabels"))
        || output("Rectangle") && output("Labels")
        || output("PolygonLabels") && output("Labels")
        || output("KeyPointLabels") && output("Labels");
    if multi_image || !shapes {
        drop(&[
            Format::Coco,
            Format::CocoWithImages,
            Format::Yolo,
            Format::YoloWithImages,
            Format::YoloObb,
            Format::YoloObbWithImages,
        ]);
    }
    if !(input("Image")
        && (output("BrushLabels") || output("brushlabels") || output("Brush") && output("Labels")))
    {
        drop(&[
            Format::BrushToNumpy,
            Format::BrushToPng,
            Format::BrushToCoco,
        ]);
    }
    if !((input("Audio") || input("AudioPlus")) && output("TextArea")) {
        drop(&[Format::AsrManifest]);
    }
    if multi_image || input("Video") && output("TimelineLabels") {
        drop(&[Format::YoloObb, Format::YoloObbWithImages]);
    }
    formats
}

/// The formats a project with `config` can be exported in: those Label Studio offers for it
/// that Tessera writes (not DOCLANG yet).
pub fn available(config: &LabelConfig) -> Vec<Format> {
    supported(config)
        .into_iter()
        .filter(|f| f.is_flat() || crate::convert::converter_exists(*f))
        .collect()
}

/// `/export/formats` for a project with `config`: every format, the [`available`] ones first,
/// the others marked `disabled`.
pub fn formats(config: &LabelConfig) -> Vec<FormatInfo> {
    let supported = available(config);
    let mut list: Vec<FormatInfo> = KNOWN
        .iter()
        .map(|k| FormatInfo {
            title: k.title,
            description: k.description,
            link: k.link,
            tags: k.tags,
            name: k.name,
            disabled: !Format::parse(k.name).is_some_and(|f| supported.contains(&f)),
        })
        .collect();
    list.sort_by_key(|f| f.disabled);
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const COMMA: CsvStyle = CsvStyle {
        separator: ',',
        escape_formulas: true,
    };

    #[test]
    fn formulas_are_neutralized_unless_asked_not_to() {
        let cell = |text: &str, escape_formulas: bool| {
            let mut out = String::new();
            csv_cell(
                Some(&json!(text)),
                CsvStyle {
                    separator: ',',
                    escape_formulas,
                },
                &mut out,
            );
            out
        };
        for formula in [
            "=1+1",
            "+1",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"http://x\")",
        ] {
            assert_eq!(
                cell(formula, true),
                format!("\"'{}\"", formula.replace('"', "\"\"")),
                "{formula:?}"
            );
            assert_eq!(
                cell(formula, false),
                format!("\"{}\"", formula.replace('"', "\"\""))
            );
        }
        assert_eq!(cell("plain = text", true), "\"plain = text\"");
        let mut number = String::new();
        csv_cell(Some(&json!(-5)), COMMA, &mut number);
        assert_eq!(number, "-5", "numbers are numbers");
    }

    const CONFIG: &str = r#"<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text"><Choice value="Positive"/></Choices><Labels name="ner" toName="text"><Label value="PER"/></Labels></View>"#;

    #[test]
    fn rows_match_label_studio() {
        let config = LabelConfig::parse(CONFIG).unwrap();
        let data = json!({"text": "John likes cats/dogs", "meta_col": 5});
        let result = json!([
            {"id": "r1", "from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}},
            {"id": "r2", "from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 0, "end": 4, "text": "John", "labels": ["PER"]}}
        ]);
        let annotation = RowAnnotation {
            id: 1,
            completed_by: Some(1),
            result: &result,
            was_cancelled: false,
            created_at: "2026-11-28T21:05:29.812701Z".into(),
            updated_at: "2026-11-28T21:05:29.812754Z".into(),
            lead_time: Some(4.2),
        };
        let data = data.as_object().unwrap();
        let rows = task_rows(&config, 1, data, &[annotation]);
        assert_eq!(
            Value::Object(rows[0].clone()),
            json!({"text": "John likes cats/dogs", "meta_col": 5, "id": 1, "sentiment": "Positive",
                   "ner": [{"start": 0, "end": 4, "text": "John", "labels": ["PER"]}], "annotator": 1, "annotation_id": 1,
                   "created_at": "2026-11-28T21:05:29.812701Z", "updated_at": "2026-11-28T21:05:29.812754Z", "lead_time": 4.2})
        );
        let names: BTreeSet<String> = config.controls.keys().cloned().collect();
        let mut columns = BTreeSet::new();
        csv_columns(&mut columns, data, &rows, &names);
        let columns: Vec<String> = columns.into_iter().collect();
        assert_eq!(
            csv_header(&columns, COMMA),
            "\"annotation_id\",\"annotator\",\"created_at\",\"id\",\"lead_time\",\"meta_col\",\"ner\",\"sentiment\",\"text\",\"updated_at\"\r\n"
        );
        assert_eq!(
            csv_line(&columns, &rows[0], data, &names, COMMA),
            "1,\"1\",\"2026-11-28T21:05:29.812701Z\",1,4.2,5,\"[{\"\"start\"\":0,\"\"end\"\":4,\"\"text\"\":\"\"John\"\",\"\"labels\"\":[\"\"PER\"\"]}]\",\"Positive\",\"John likes cats/dogs\",\"2026-11-28T21:05:29.812754Z\"\r\n"
        );
        let empty = task_rows(&config, 2, data, &[]);
        assert_eq!(
            csv_line(&columns, &empty[0], data, &names, COMMA),
            "\"\",\"\",\"\",2,\"\",5,\"\",\"\",\"John likes cats/dogs\",\"\"\r\n"
        );
    }

    #[test]
    fn prettifies_like_the_converter() {
        assert_eq!(
            prettify(vec![("Choices".into(), json!({"choices": ["A", "B"]}))]),
            json!({"choices": ["A", "B"]})
        );
        assert_eq!(
            prettify(vec![("TextArea".into(), json!({"text": ["hi"]}))]),
            json!("hi")
        );
        assert_eq!(
            prettify(vec![("Rating".into(), json!({"rating": 4}))]),
            json!([{"rating": 4}])
        );
        let skipped = RowAnnotation {
            id: 1,
            completed_by: None,
            result: &Value::Null,
            was_cancelled: true,
            created_at: String::new(),
            updated_at: String::new(),
            lead_time: None,
        };
        let config = LabelConfig::parse(CONFIG).unwrap();
        assert!(task_rows(&config, 1, &Map::new(), &[skipped]).is_empty());
    }

    #[test]
    fn lists_formats_enabled_first() {
        let formats = formats(&LabelConfig::parse(CONFIG).unwrap());
        assert_eq!(
            formats.iter().take(4).map(|f| f.name).collect::<Vec<_>>(),
            vec!["JSON", "JSON_MIN", "CSV", "TSV"]
        );
        assert_eq!(formats[4].name, "CONLL2003");
        assert!(!formats[4].disabled);
        assert!(formats[5].disabled);
        let text = serde_json::to_string(&formats[0]).unwrap();
        assert!(text.starts_with("{\"title\":\"JSON\",\"description\""));
        assert!(!text.contains("disabled"));
    }
}
