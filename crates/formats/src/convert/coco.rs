//! COCO: `result.json` with `images`, `categories`, `annotations` (boxes with rotation resolved,
//! polygons with their bounding box and area, keypoints per item) and `info`. The image and
//! annotation lists are spooled to temporary files as tasks go by, so memory stays flat however
//! many images there are.

use serde_json::{json, Value};
use tessera_labelconfig::LabelConfig;

use super::categories::Categories;
use super::media_info::image_info;
use super::yolo::{keypoint_labels, keypoint_order};
use super::{
    address_at, first_data_key, write_document, ConvertError, Converter, JsonList, Media, Member,
    Now, Sink,
};
use crate::items::{items, Region};

/// The COCO converter.
pub struct Coco {
    config: std::sync::Arc<LabelConfig>,
    data_key: String,
    categories: Categories,
    /// The merged keypoint class: its id and keypoint names.
    keypoint_class: Option<(i64, Vec<String>)>,
    keypoint_order: Vec<String>,
    images: JsonList,
    annotations: JsonList,
}

impl Coco {
    /// A converter for `config` (its spooled lists are temporary files).
    pub fn new(config: &LabelConfig) -> Result<Coco, ConvertError> {
        let mut categories = Categories::of_config(config);
        let keypoints = keypoint_labels(config);
        let mut keypoint_class = None;
        if !keypoints.is_empty() {
            categories.remove_named(&keypoints);
            let id = categories.list.iter().map(|c| c.id + 1).max().unwrap_or(0);
            categories.push_unmapped(id, "default");
            for name in &keypoints {
                categories.alias(name, id);
            }
            keypoint_class = Some((id, keypoints));
        }
        let order = keypoint_order(config);
        Ok(Coco {
            config: std::sync::Arc::new(config.clone()),
            data_key: first_data_key(config),
            categories,
            keypoint_class,
            keypoint_order: order,
            images: JsonList::new()?,
            annotations: JsonList::new()?,
        })
    }

    fn add_image(
        &mut self,
        size: Option<(f64, f64)>,
        id: usize,
        file_name: &str,
    ) -> std::io::Result<()> {
        let (width, height) = match size {
            Some((w, h)) => (number(w), number(h)),
            None => (Value::Null, Value::Null),
        };
        self.images
            .push(&json!({"width": width, "height": height, "id": id, "file_name": file_name}))
    }
}

/// A number as JSON, an integer when it is one.
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

impl Converter for Coco {
    fn add(
        &mut self,
        task: &Value,
        media: Media,
        _sink: &mut dyn Sink,
    ) -> Result<(), ConvertError> {
        let Some(address) = address_at(task, &self.data_key) else {
            return Ok(());
        };
        let file_name = super::media_path("images", &address, media);
        let from_file = media
            .bytes()
            .and_then(image_info)
            .map(|(w, h, _)| (f64::from(w), f64::from(h)));
        let config = std::sync::Arc::clone(&self.config);
        for item in items(&config, task, false) {
            let image_id = self.images.len();
            let mut size = from_file;
            if size.is_some() {
                self.add_image(size, image_id, &file_name)?;
            }
            if item.output.is_empty() {
                if size.is_none() {
                    self.add_image(None, image_id, &file_name)?;
                }
                continue;
            }
            let mut keypoints: Vec<&Region> = Vec::new();
            for label in item.regions() {
                let Some(category) = label.first_label(&[
                    "rectanglelabels",
                    "polygonlabels",
                    "keypointlabels",
                    "labels",
                ]) else {
                    continue;
                };
                let (width, height) = match size.filter(|(w, h)| *w != 0.0 && *h != 0.0) {
                    Some(known) => known,
                    None => {
                        let Some((w, h)) = label.size() else {
                            continue;
                        };
                        size = Some((w, h));
                        self.add_image(size, image_id, &file_name)?;
                        (w, h)
                    }
                };
                let category_id = self.categories.id_of(category);
                let id = self.annotations.len();
                if label.has("rectanglelabels") || label.has("labels") {
                    let Some((x, y, w, h)) = rotated_rectangle(label) else {
                        continue;
                    };
                    let Some((ow, oh)) = label.size() else {
                        continue;
                    };
                    let (x, y, w, h) = (
                        x * ow / 100.0,
                        y * oh / 100.0,
                        w * ow / 100.0,
                        h * oh / 100.0,
                    );
                    self.annotations.push(&json!({
                        "id": id, "image_id": image_id, "category_id": category_id,
                        "segmentation": [], "bbox": [x, y, w, h], "ignore": 0, "iscrowd": 0,
                        "area": w * h,
                    }))?;
                } else if label.has("polygonlabels") {
                    let Some(points) = points(label, width, height) else {
                        continue;
                    };
                    let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
                    let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
                    let (x1, y1) = (min(&xs), min(&ys));
                    let (x2, y2) = (max(&xs), max(&ys));
                    let flat: Vec<f64> = points.iter().flat_map(|(x, y)| [*x, *y]).collect();
                    self.annotations.push(&json!({
                        "id": id, "image_id": image_id, "category_id": category_id,
                        "segmentation": [flat], "bbox": [x1, y1, x2 - x1, y2 - y1],
                        "ignore": 0, "iscrowd": 0, "area": polygon_area(&xs, &ys),
                    }))?;
                } else {
                    keypoints.push(label);
                }
            }
            if !keypoints.is_empty() {
                let annotation = self.keypoints_annotation(&keypoints, image_id)?;
                self.annotations.push(&annotation)?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, sink: &mut dyn Sink) -> Result<(), ConvertError> {
        let categories: Vec<Value> = self
            .categories
            .list
            .iter()
            .map(|c| match &self.keypoint_class {
                Some((id, names)) if *id == c.id && c.name == "default" => json!({
                    "id": id, "name": "default", "supercategory": "default",
                    "keypoints": names, "skeleton": [],
                }),
                _ => json!({"id": c.id, "name": c.name}),
            })
            .collect();
        let now = Now::get();
        let info = json!({
            "year": now.year, "version": "1.0", "description": "", "contributor": "Label Studio",
            "url": "", "date_created": now.date_created,
        });
        write_document(
            sink,
            "result.json",
            vec![
                Member::List("images", &mut self.images),
                Member::Value("categories", Value::Array(categories)),
                Member::List("annotations", &mut self.annotations),
                Member::Value("info", info),
            ],
        )?;
        Ok(())
    }
}

impl Coco {
    /// One annotation with every keypoint of an item, in keypoint order; refused (as Label
    /// Studio refuses it) when no keypoint label has a `model_index`.
    fn keypoints_annotation(
        &self,
        labels: &[&Region],
        image_id: usize,
    ) -> Result<Value, ConvertError> {
        let order = &self.keypoint_order;
        let Some(first) = order.first() else {
            return Err(ConvertError::Unsupported(
                "No keypoint order found. Please ensure that KeyPointLabels in your label config \
                 have 'model_index' attributes defined."
                    .into(),
            ));
        };
        let mut keypoints = vec![0i64; order.len() * 3];
        for label in labels {
            let (Some((w, h)), Some(x), Some(y)) =
                (label.size(), label.number("x"), label.number("y"))
            else {
                continue;
            };
            let (x, y) = (x / 100.0 * w, y / 100.0 * h);
            let names: Vec<&str> = label
                .value
                .get("keypointlabels")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let visibility = if names.is_empty() { 0 } else { 2 };
            for name in names {
                if let Some(index) = order.iter().position(|o| o == name) {
                    keypoints[3 * index] = x.round_ties_even() as i64;
                    keypoints[3 * index + 1] = y.round_ties_even() as i64;
                    keypoints[3 * index + 2] = visibility;
                }
            }
        }
        let visible: Vec<usize> = (0..order.len())
            .filter(|i| keypoints[3 * i + 2] > 0)
            .collect();
        let bbox = if visible.is_empty() {
            vec![0, 0, 0, 0]
        } else {
            let xs: Vec<i64> = visible.iter().map(|i| keypoints[3 * i]).collect();
            let ys: Vec<i64> = visible.iter().map(|i| keypoints[3 * i + 1]).collect();
            let (x0, y0) = (
                *xs.iter().min().unwrap_or(&0),
                *ys.iter().min().unwrap_or(&0),
            );
            let (x1, y1) = (
                *xs.iter().max().unwrap_or(&0),
                *ys.iter().max().unwrap_or(&0),
            );
            vec![x0, y0, x1 - x0, y1 - y0]
        };
        let category_id = self.categories.get(first).unwrap_or(0);
        Ok(json!({
            "id": self.annotations.len(), "image_id": image_id, "category_id": category_id,
            "keypoints": keypoints, "num_keypoints": visible.len(), "bbox": bbox, "iscrowd": 0,
        }))
    }
}

fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// A polygon's points in pixels; `None` without points.
fn points(label: &Region, width: f64, height: f64) -> Option<Vec<(f64, f64)>> {
    let list = label.value.get("points")?.as_array()?;
    let points: Option<Vec<(f64, f64)>> = list
        .iter()
        .map(|p| {
            let p = p.as_array()?;
            Some((
                p.first()?.as_f64()? / 100.0 * width,
                p.get(1)?.as_f64()? / 100.0 * height,
            ))
        })
        .collect();
    points.filter(|p| !p.is_empty())
}

/// The shoelace formula, as the converter computes it.
fn polygon_area(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len();
    let (mut a, mut b) = (0.0, 0.0);
    for i in 0..n {
        let previous = (i + n - 1) % n;
        a += xs[i] * ys[previous];
        b += ys[i] * xs[previous];
    }
    0.5 * (a - b).abs()
}

/// A box's axis-aligned extent (percent) once its rotation (degrees, about the top-left
/// corner) is applied.
pub(crate) fn rotated_rectangle(label: &Region) -> Option<(f64, f64, f64, f64)> {
    let (x, y, w, h) = label.rect()?;
    let r = label.number("rotation").unwrap_or(0.0);
    if r.abs() == 0.0 {
        return Some((x, y, w, h));
    }
    use std::f64::consts::PI;
    let alpha = (h / w).atan();
    let beta = PI * (r / 180.0);
    let radius = ((w / 2.0).powi(2) + (h / 2.0).powi(2)).sqrt();
    let x0 = x - radius * ((PI - alpha - beta).cos() - (PI - alpha).cos()) + w / 2.0;
    let y0 = y + radius * ((PI - alpha - beta).sin() - (PI - alpha).sin()) + h / 2.0;
    let thetas = [
        alpha + beta,
        PI - alpha + beta,
        PI + alpha + beta,
        2.0 * PI - alpha + beta,
    ];
    let xs: Vec<f64> = thetas.iter().map(|t| x0 + radius * t.cos()).collect();
    let ys: Vec<f64> = thetas.iter().map(|t| y0 + radius * t.sin()).collect();
    let (left, top) = (min(&xs), min(&ys));
    Some((left, top, max(&xs) - left, max(&ys) - top))
}
