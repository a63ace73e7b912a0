//! YOLO and YOLOv8 OBB: `labels/<image stem>.txt` per image (class and normalized box, corners
//! for OBB, polygon points, or boxes with their keypoints for keypoint configs), `classes.txt`,
//! and `notes.json` with the classes.

use std::collections::HashSet;

use serde_json::{json, Value};
use tessera_labelconfig::pyrepr::float_repr;
use tessera_labelconfig::LabelConfig;

use super::categories::{Categories, Category};
use super::media_names::{basename, stem, MediaSource};
use super::{address_at, first_data_key, json_indented, ConvertError, Converter, Media, Sink};
use crate::items::{items, Item, Region};

/// One number of a label line, printed as Python prints it.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Num::Int(i) => write!(f, "{i}"),
            Num::Float(x) => f.write_str(&float_repr(*x)),
        }
    }
}

/// Keypoint configs: boxes carry their keypoints in `model_index` order.
struct Keypoints {
    order: Vec<String>,
}

/// The YOLO converter.
pub struct Yolo {
    config: std::sync::Arc<LabelConfig>,
    data_key: String,
    obb: bool,
    keypoints: Option<Keypoints>,
    categories: Categories,
}

impl Yolo {
    /// A converter for `config`; `obb` writes rotated boxes as four corners.
    pub fn new(config: &LabelConfig, obb: bool) -> Yolo {
        let has_keypoints = config.controls.values().any(|c| c.tag == "KeyPointLabels");
        let (categories, keypoints) = if has_keypoints {
            let mut boxes: Vec<String> = Vec::new();
            for control in config
                .controls
                .values()
                .filter(|c| c.tag == "RectangleLabels")
            {
                for label in &control.labels {
                    if !boxes.contains(label) {
                        boxes.push(label.clone());
                    }
                }
            }
            let categories = Categories::from_pairs(
                boxes
                    .into_iter()
                    .enumerate()
                    .map(|(i, name)| (i as i64, name)),
            );
            (
                categories,
                Some(Keypoints {
                    order: keypoint_order(config),
                }),
            )
        } else {
            (Categories::of_config(config), None)
        };
        Yolo {
            config: std::sync::Arc::new(config.clone()),
            data_key: first_data_key(config),
            obb,
            keypoints,
            categories,
        }
    }

    /// The lines of a label file for an item's regions.
    fn lines(&mut self, item: &Item) -> String {
        let regions: Vec<&Region> = item.regions().collect();
        if let Some(keypoints) = &self.keypoints {
            return keypoint_lines(&regions, &self.categories, &keypoints.order);
        }
        let mut out = String::new();
        for region in regions {
            let mut names: Vec<&str> = Vec::new();
            for key in ["rectanglelabels", "polygonlabels", "labels"] {
                if let Some(labels) = region.value.get(key).and_then(Value::as_array) {
                    names.extend(labels.iter().filter_map(Value::as_str));
                }
            }
            for name in names {
                let class = self.categories.id_of(name);
                let numbers = if region.has("rectanglelabels")
                    || region.has("rectangle")
                    || region.has("labels")
                {
                    if self.obb {
                        obb_corners(region).map(|corners| corners.map(Num::Float).to_vec())
                    } else {
                        yolo_box(region).map(|b| b.map(Num::Float).to_vec())
                    }
                } else {
                    polygon(region)
                };
                let Some(numbers) = numbers else { continue };
                out.push_str(&class.to_string());
                for n in numbers {
                    out.push(' ');
                    out.push_str(&n.to_string());
                }
                out.push('\n');
            }
        }
        out
    }
}

impl Converter for Yolo {
    fn add(&mut self, task: &Value, media: Media, sink: &mut dyn Sink) -> Result<(), ConvertError> {
        let Some(address) = address_at(task, &self.data_key) else {
            return Ok(());
        };
        // A bucket object that should have been downloaded but could not be gets no labels.
        if matches!(media, Media::Failed)
            && matches!(
                MediaSource::parse(&address),
                Some(MediaSource::Bucket { .. })
            )
        {
            return Ok(());
        }
        let image = super::media_path("images", &address, media);
        let name: String = stem(basename(&image)).chars().take(251).collect();
        let path = format!("labels/{name}.txt");
        // Items come newest first; each rewrites the file, so the oldest annotation's lines win
        // and an item without regions leaves an empty file only if no other item wrote one.
        // (A file of the same name from an earlier task stays: archives hold a name once.)
        let mut content: Option<String> = None;
        let config = std::sync::Arc::clone(&self.config);
        for item in items(&config, task, self.keypoints.is_some()) {
            if item.regions().next().is_none() {
                if content.is_none() {
                    content = Some(String::new());
                }
                continue;
            }
            content = Some(self.lines(&item));
        }
        if let Some(content) = content {
            sink.file(&path, content.as_bytes())?;
        }
        Ok(())
    }

    fn finish(&mut self, sink: &mut dyn Sink) -> Result<(), ConvertError> {
        let mut classes = String::new();
        for category in &self.categories.list {
            classes.push_str(&category.name);
            classes.push('\n');
        }
        sink.file("classes.txt", classes.as_bytes())?;
        let categories: Vec<Value> = self
            .categories
            .list
            .iter()
            .map(|Category { id, name }| match &self.keypoints {
                Some(_) => {
                    json!({"id": id, "name": name, "keypoints": keypoint_labels(&self.config)})
                }
                None => json!({"id": id, "name": name}),
            })
            .collect();
        let notes = json!({
            "categories": categories,
            "info": {"year": super::Now::get().year, "version": "1.0", "contributor": "Label Studio"},
        });
        sink.file("notes.json", &json_indented(&notes))?;
        Ok(())
    }
}

/// A box as YOLO's normalized center, width and height.
fn yolo_box(region: &Region) -> Option<[f64; 4]> {
    let (x, y, w, h) = region.rect()?;
    Some([
        (x + w / 2.0) / 100.0,
        (y + h / 2.0) / 100.0,
        w / 100.0,
        h / 100.0,
    ])
}

/// A rotated box's corners (top-left, top-right, bottom-right, bottom-left), normalized.
fn obb_corners(region: &Region) -> Option<[f64; 8]> {
    if !region.has("rotation") {
        return None;
    }
    let (ow, oh) = region.size()?;
    let (x, y, w, h) = region.rect()?;
    let (x, y, w, h) = (
        x / 100.0 * ow,
        y / 100.0 * oh,
        w / 100.0 * ow,
        h / 100.0 * oh,
    );
    let rotation = region.number("rotation").unwrap_or(0.0).to_radians();
    let (cos, sin) = (rotation.cos(), rotation.sin());
    let corners = [
        (x, y),
        (x + w * cos, y + w * sin),
        (x + w * cos - h * sin, y + w * sin + h * cos),
        (x - h * sin, y + h * cos),
    ];
    let mut out = [0.0; 8];
    for (i, (cx, cy)) in corners.into_iter().enumerate() {
        out[2 * i] = cx / ow;
        out[2 * i + 1] = cy / oh;
    }
    Some(out)
}

/// A polygon's points, normalized.
fn polygon(region: &Region) -> Option<Vec<Num>> {
    let points = region.value.get("points")?.as_array()?;
    let mut out = Vec::with_capacity(points.len() * 2);
    for point in points {
        let point = point.as_array()?;
        for coordinate in point.iter().take(2) {
            out.push(Num::Float(coordinate.as_f64()? / 100.0));
        }
    }
    Some(out)
}

/// The keypoint labels in `model_index` order (labels without one are left out).
pub(crate) fn keypoint_order(config: &LabelConfig) -> Vec<String> {
    let mut attrs = indexmap::IndexMap::new();
    for control in config
        .controls
        .values()
        .filter(|c| c.tag == "KeyPointLabels")
    {
        for (label, label_attrs) in &control.labels_attrs {
            attrs.insert(label.clone(), label_attrs.clone());
        }
    }
    let mut used = HashSet::new();
    let mut pairs: Vec<(i64, String)> = Vec::new();
    for (name, label_attrs) in attrs {
        let Some(index) = label_attrs
            .get("model_index")
            .and_then(|raw| raw.trim().parse::<i64>().ok())
        else {
            continue;
        };
        if used.insert(index) {
            pairs.push((index, name));
        }
    }
    pairs.sort_by_key(|(index, _)| *index);
    pairs.into_iter().map(|(_, name)| name).collect()
}

/// Every keypoint label of the config, first occurrence first.
pub(crate) fn keypoint_labels(config: &LabelConfig) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for control in config
        .controls
        .values()
        .filter(|c| c.tag == "KeyPointLabels")
    {
        for label in &control.labels {
            if !out.contains(label) {
                out.push(label.clone());
            }
        }
    }
    out
}

/// Label lines of a keypoint config: each labelled box, then `x y 2` for each keypoint whose
/// parent is that box (`0.0 0.0 0` for those missing), in keypoint order. No final newline.
fn keypoint_lines(regions: &[&Region], categories: &Categories, order: &[String]) -> String {
    struct Box_ {
        id: Value,
        numbers: Vec<Num>,
        keypoints: std::collections::HashMap<String, (f64, f64)>,
    }
    let mut boxes: Vec<Box_> = Vec::new();
    for region in regions
        .iter()
        .filter(|r| r.tag.eq_ignore_ascii_case("RectangleLabels"))
    {
        let id = region.value.get("id").cloned().unwrap_or(Value::Null);
        let Some(label) = region.first_label(&["rectanglelabels"]) else {
            continue;
        };
        let Some(class) = categories.get(label) else {
            continue;
        };
        let Some((x, y, w, h)) = region.rect() else {
            continue;
        };
        let (x, y, w, h) = (x / 100.0, y / 100.0, w / 100.0, h / 100.0);
        let numbers = vec![
            Num::Int(class),
            Num::Float(x + w / 2.0),
            Num::Float(y + h / 2.0),
            Num::Float(w),
            Num::Float(h),
        ];
        // A later box with the same id replaces the earlier one in place.
        if let Some(existing) = boxes.iter_mut().find(|b| b.id == id) {
            existing.numbers = numbers;
            existing.keypoints.clear();
        } else {
            boxes.push(Box_ {
                id,
                numbers,
                keypoints: Default::default(),
            });
        }
    }
    for region in regions
        .iter()
        .filter(|r| r.tag.eq_ignore_ascii_case("KeyPointLabels"))
    {
        let parent = region.value.get("parentID").cloned().unwrap_or(Value::Null);
        let Some(owner) = boxes.iter_mut().find(|b| b.id == parent) else {
            continue;
        };
        let Some(label) = region.first_label(&["keypointlabels"]) else {
            continue;
        };
        let (Some(x), Some(y)) = (region.number("x"), region.number("y")) else {
            continue;
        };
        owner
            .keypoints
            .insert(label.to_string(), (x / 100.0, y / 100.0));
    }
    let lines: Vec<String> = boxes
        .iter()
        .map(|b| {
            let mut numbers = b.numbers.clone();
            for name in order {
                match b.keypoints.get(name) {
                    Some((x, y)) => numbers.extend([Num::Float(*x), Num::Float(*y), Num::Int(2)]),
                    None => numbers.extend([Num::Float(0.0), Num::Float(0.0), Num::Int(0)]),
                }
            }
            numbers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Files(Vec<(String, String)>);

    impl Sink for Files {
        fn file(&mut self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
            self.0.push((
                path.to_string(),
                String::from_utf8_lossy(bytes).into_owned(),
            ));
            Ok(())
        }
        fn file_from(&mut self, path: &str, reader: &mut dyn std::io::Read) -> std::io::Result<()> {
            let mut text = String::new();
            reader.read_to_string(&mut text)?;
            self.0.push((path.to_string(), text));
            Ok(())
        }
    }

    #[test]
    fn writes_normalized_boxes_obb_and_polygons() {
        let config = LabelConfig::parse(
            r#"<View><Image name="image" value="$image"/><RectangleLabels name="box" toName="image"><Label value="Dog"/><Label value="Cat"/></RectangleLabels><PolygonLabels name="poly" toName="image"><Label value="Cat"/></PolygonLabels></View>"#,
        )
        .unwrap();
        let task = json!({"id": 1, "data": {"image": "/data/upload/1/pic.jpg"}, "annotations": [{"id": 1, "result": [
            {"from_name": "box", "to_name": "image", "type": "rectanglelabels", "original_width": 200, "original_height": 100,
             "value": {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 90, "rectanglelabels": ["Cat"]}},
            {"from_name": "poly", "to_name": "image", "type": "polygonlabels", "original_width": 200, "original_height": 100,
             "value": {"points": [[10, 10], [20.5, 10], [15, 30]], "polygonlabels": ["Cat"]}},
        ]}]});
        let mut files = Files(Vec::new());
        let mut yolo = Yolo::new(&config, false);
        yolo.add(&task, Media::Unread, &mut files).unwrap();
        yolo.finish(&mut files).unwrap();
        assert_eq!(files.0[0].0, "labels/pic.txt");
        assert_eq!(
            files.0[0].1,
            "0 0.25 0.4 0.3 0.4\n0 0.1 0.1 0.205 0.1 0.15 0.3\n"
        );
        assert_eq!(files.0[1], ("classes.txt".into(), "Cat\nDog\n".into()));

        let mut files = Files(Vec::new());
        let mut obb = Yolo::new(&config, true);
        obb.add(&task, Media::Unread, &mut files).unwrap();
        let first = files.0[0].1.lines().next().unwrap().to_string();
        let numbers: Vec<f64> = first
            .split(' ')
            .skip(1)
            .map(|n| n.parse().unwrap())
            .collect();
        // 90°: the box turns about its top-left corner.
        let expected = [0.1, 0.2, 0.1, 0.8, -0.1, 0.8, -0.1, 0.2];
        for (got, want) in numbers.iter().zip(expected) {
            assert!((got - want).abs() < 1e-9, "{first}");
        }
    }
}
