//! The Label Studio tag catalogue: which tags are objects, controls and visual tags, and what JSON
//! types each object tag accepts in task data (`label_studio/tasks/validation.py`).

/// Object tags: they show task data (`value="$key"`).
pub const OBJECT_TAGS: &[&str] = &[
    "Text", "HyperText", "Image", "Audio", "AudioPlus", "Video", "TimeSeries", "TimeSeriesChannel", "Paragraphs",
    "Table", "List", "Pdf", "Markdown", "Chat", "Header", "Ranker", "MultiChannel", "Channel",
];

/// Control tags: they produce result regions (`name` + `toName`).
pub const CONTROL_TAGS: &[&str] = &[
    "Choices", "Labels", "RectangleLabels", "Rectangle", "PolygonLabels", "Polygon", "KeyPointLabels", "KeyPoint",
    "BrushLabels", "Brush", "BitmaskLabels", "Bitmask", "EllipseLabels", "Ellipse", "MagicWand", "TextArea", "Rating", "Number",
    "DateTime", "Taxonomy", "Ranker", "Pairwise", "Relations", "HyperTextLabels", "ParagraphLabels", "TimeSeriesLabels",
    "VideoRectangle", "TimelineLabels", "VectorLabels", "Vector", "Chat",
];

/// Visual and structural tags: no data, no results.
pub const VISUAL_TAGS: &[&str] = &[
    "View", "Header", "Style", "Collapse", "Panel", "Filter", "Repeater", "Choice", "Label", "Relation", "Shortcut",
    "Hypertext", "Text", "Image", "Table", "Markdown",
];

/// Region-creating control tags: a config with any of them is not suitable for bulk annotation.
pub const REGION_TAGS: &[&str] = &[
    "Labels", "RectangleLabels", "Rectangle", "PolygonLabels", "Polygon", "KeyPointLabels", "KeyPoint", "BrushLabels",
    "Brush", "BitmaskLabels", "EllipseLabels", "Ellipse", "HyperTextLabels", "ParagraphLabels", "TimeSeriesLabels",
    "VideoRectangle", "TimelineLabels", "VectorLabels", "MagicWand",
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

/// Whether a tag name marks a control tag (anything with `name` and `toName` is treated as one).
pub fn is_known_control(tag: &str) -> bool {
    CONTROL_TAGS.contains(&tag)
}
