//! The converter's view of an exported task: one item per kept annotation (Label Studio's
//! `annotation_result_from_task`), which every file format beyond JSON is written from.

use indexmap::IndexMap;
use serde_json::{Map, Value};
use tessera_labelconfig::LabelConfig;

use crate::export::outputs;

/// A result region as the converters see it: its control's tag and the region's `value` (with
/// `original_width`/`original_height` copied in).
#[derive(Debug, Clone)]
pub struct Region {
    pub tag: String,
    pub value: Value,
}

impl Region {
    /// A number of the value (`x`, `width`, `original_width`, ...).
    pub fn number(&self, key: &str) -> Option<f64> {
        self.value.get(key).and_then(Value::as_f64)
    }

    /// The first label of the first of `keys` the value holds a non-empty list for.
    pub fn first_label(&self, keys: &[&str]) -> Option<&str> {
        keys.iter()
            .filter_map(|key| self.value.get(*key).and_then(Value::as_array))
            .find(|labels| !labels.is_empty())
            .and_then(|labels| labels[0].as_str())
    }

    /// A rectangle's `x`, `y`, `width` and `height` (percent of the image).
    pub fn rect(&self) -> Option<(f64, f64, f64, f64)> {
        Some((
            self.number("x")?,
            self.number("y")?,
            self.number("width")?,
            self.number("height")?,
        ))
    }

    /// The image's size the region was drawn on (`original_width`, `original_height`).
    pub fn size(&self) -> Option<(f64, f64)> {
        Some((
            self.number("original_width")?,
            self.number("original_height")?,
        ))
    }

    /// Whether the value has `key`.
    pub fn has(&self, key: &str) -> bool {
        self.value.get(key).is_some()
    }
}

/// One annotation of a task (or the task alone, when it has none).
#[derive(Debug)]
pub struct Item<'a> {
    pub task_id: i64,
    pub data: &'a Map<String, Value>,
    /// Regions by `from_name`, in result order.
    pub output: IndexMap<String, Vec<Region>>,
    /// The annotation; `None` for a task without annotations.
    pub annotation: Option<&'a Value>,
}

impl Item<'_> {
    /// Every region, all controls together.
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.output.values().flatten()
    }

    /// The annotation's `id`.
    pub fn annotation_id(&self) -> Option<i64> {
        self.annotation
            .and_then(|a| a.get("id"))
            .and_then(Value::as_i64)
    }

    /// The annotator as the converter names it (`get_annotator`): the email of an expanded
    /// `completed_by` (`default` without one), otherwise the id as text.
    pub fn annotator(&self, default: &str) -> String {
        match self.annotation.and_then(|a| a.get("completed_by")) {
            Some(Value::Object(user)) => user
                .get("email")
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_string(),
            Some(Value::Number(id)) => id.to_string(),
            Some(Value::String(text)) => text.clone(),
            Some(Value::Null) => "None".into(),
            // Without an annotation (or its `completed_by`) the converter reads `{}`.
            None => default.to_string(),
            Some(other) => other.to_string(),
        }
    }

    /// A data value as text (the media URL of image, audio and text formats).
    pub fn data_text(&self, key: &str) -> Option<&str> {
        self.data.get(key).and_then(Value::as_str)
    }
}

/// Whether an exported task yields any item (not when every annotation was skipped): the
/// converter reads a task's media only then.
pub fn yields_items(task: &Value) -> bool {
    match task.get("annotations").and_then(Value::as_array) {
        Some(annotations) if !annotations.is_empty() => annotations.iter().any(|a| {
            let flag = |key: &str| a.get(key).and_then(Value::as_bool).unwrap_or(false);
            !flag("skipped") && !flag("was_cancelled")
        }),
        _ => true,
    }
}

/// The items of an exported task: none when every annotation was skipped; one with empty output
/// when it has no annotations; otherwise one per kept annotation, newest first.
pub fn items<'a>(config: &LabelConfig, task: &'a Value, with_ids: bool) -> Vec<Item<'a>> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let task_id = task.get("id").and_then(Value::as_i64).unwrap_or_default();
    let data = task
        .get("data")
        .and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new));
    let annotations: &[Value] = task
        .get("annotations")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if annotations.is_empty() {
        return vec![Item {
            task_id,
            data,
            output: IndexMap::new(),
            annotation: None,
        }];
    }
    let flag = |a: &Value, key: &str| a.get(key).and_then(Value::as_bool).unwrap_or(false);
    let mut kept: Vec<&Value> = annotations
        .iter()
        .filter(|a| !flag(a, "skipped") && !flag(a, "was_cancelled"))
        .collect();
    fn created(a: &Value) -> &str {
        a.get("created_at").and_then(Value::as_str).unwrap_or("")
    }
    kept.sort_by(|a, b| created(b).cmp(created(a)));
    kept.into_iter()
        .map(|annotation| Item {
            task_id,
            data,
            output: outputs(
                config,
                annotation.get("result").unwrap_or(&Value::Null),
                with_ids,
            )
            .into_iter()
            .map(|(name, regions)| {
                let regions = regions
                    .into_iter()
                    .map(|(tag, value)| Region { tag, value })
                    .collect();
                (name, regions)
            })
            .collect(),
            annotation: Some(annotation),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_item_per_kept_annotation_newest_first() {
        let config = LabelConfig::parse(
            r#"<View><Image name="image" value="$image"/><RectangleLabels name="box" toName="image"><Label value="Cat"/></RectangleLabels></View>"#,
        )
        .unwrap();
        let region = json!({"from_name": "box", "to_name": "image", "type": "rectanglelabels", "original_width": 200, "original_height": 100,
                            "value": {"x": 10, "y": 20, "width": 30, "height": 40, "rectanglelabels": ["Cat"]}});
        let task = json!({"id": 7, "data": {"image": "/data/upload/1/a.jpg"}, "annotations": [
            {"id": 1, "created_at": "2026-01-01T00:00:00Z", "completed_by": 3, "result": [region]},
            {"id": 2, "created_at": "2026-01-02T00:00:00Z", "completed_by": {"id": 3, "email": "a@x.io"}, "result": []},
            {"id": 3, "created_at": "2026-01-03T00:00:00Z", "was_cancelled": true, "result": []},
        ]});
        let items = items(&config, &task, false);
        assert_eq!(
            items.iter().map(Item::annotation_id).collect::<Vec<_>>(),
            [Some(2), Some(1)]
        );
        assert_eq!(items[0].annotator(""), "a@x.io");
        assert_eq!(items[1].annotator(""), "3");
        let boxes = &items[1].output["box"];
        assert_eq!(boxes[0].tag, "RectangleLabels");
        assert_eq!(boxes[0].number("original_width"), Some(200.0));
        assert_eq!(boxes[0].first_label(&["rectanglelabels"]), Some("Cat"));

        let skipped = json!({"id": 8, "data": {}, "annotations": [{"id": 4, "was_cancelled": true, "result": []}]});
        assert!(super::items(&config, &skipped, false).is_empty());
        let bare = json!({"id": 9, "data": {"image": "x"}, "annotations": []});
        let bare = super::items(&config, &bare, false);
        assert!(bare[0].output.is_empty() && bare[0].annotation.is_none());
    }

    #[test]
    fn repeater_results_find_their_control_by_pattern() {
        let config = LabelConfig::parse(
            r#"<View><Repeater on="$pages" indexFlag="{{idx}}"><Image name="page_{{idx}}" value="$pages[{{idx}}].url"/><RectangleLabels name="box_{{idx}}" toName="page_{{idx}}"><Label value="A"/></RectangleLabels></Repeater></View>"#,
        )
        .unwrap();
        let task = json!({"id": 1, "data": {"pages": []}, "annotations": [{"id": 1, "result": [
            {"from_name": "box_3", "to_name": "page_3", "type": "rectanglelabels", "value": {"rectanglelabels": ["A"]}},
            {"from_name": "other", "to_name": "page_3", "type": "rectanglelabels", "value": {}},
        ]}]});
        let items = items(&config, &task, false);
        assert_eq!(items[0].output.keys().collect::<Vec<_>>(), ["box_3"]);
        assert_eq!(items[0].output["box_3"][0].tag, "RectangleLabels");
    }
}
