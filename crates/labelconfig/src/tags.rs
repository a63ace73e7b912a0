//! Facts about Label Studio's tags: which controls create regions, and which JSON types each
//! object tag accepts in task data (`label_studio/tasks/validation.py`).

/// Region-creating control tags: a config with any of them is not suitable for bulk annotation.
pub const REGION_TAGS: &[&str] = &[
    "Labels",
    "RectangleLabels",
    "Rectangle",
    "PolygonLabels",
    "Polygon",
    "KeyPointLabels",
    "KeyPoint",
    "BrushLabels",
    "Brush",
    "BitmaskLabels",
    "EllipseLabels",
    "Ellipse",
    "HyperTextLabels",
    "ParagraphLabels",
    "TimeSeriesLabels",
    "VideoRectangle",
    "TimelineLabels",
    "VectorLabels",
    "MagicWand",
];

/// The Python types (as `type(x).__name__`) an object tag accepts for its data value.
pub fn expected_types(tag: &str) -> &'static [&'static str] {
    match tag {
        "Text" => &["str", "int", "float", "list"],
        "Header" => &["str", "int", "float"],
        "HyperText" => &["str"],
        "Image" => &["str", "list"],
        "Paragraphs" | "Chat" | "List" | "Ranker" => &["list", "str"],
        "Table" | "TimeSeries" | "TimeSeriesChannel" => &["dict", "list", "str"],
        "Taxonomy" => &["str", "list", "NoneType"],
        tag if tag == "Choices" || tag.ends_with("Labels") => &["str", "list"],
        _ => &["str"],
    }
}
