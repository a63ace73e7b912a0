//! Brush labels to COCO: `result_coco.json` with one polygon annotation per outer contour of
//! each brush mask, polygons and boxes in whole pixels, categories numbered from 1 in the order
//! their labels are met. The lists are spooled to temporary files as tasks go by.

use serde_json::{json, Value};
use tessera_labelconfig::LabelConfig;

use super::brush::mask;
use super::contours::{area, bounding_rect, external_contours};
use super::media_names::basename;
use super::{write_document, ConvertError, Converter, JsonList, Media, Member, Now, Sink};
use crate::items::{items, Item, Region};

/// The extensions that mark a data value as the task's image.
const IMAGE_EXTENSIONS: [&str; 5] = [".jpg", ".jpeg", ".png", ".gif", ".bmp"];

/// The BRUSH_TO_COCO converter.
pub struct BrushCoco {
    config: std::sync::Arc<LabelConfig>,
    /// The items seen so far (each one's index is its image id, even when it is left out).
    items_seen: usize,
    categories: Vec<String>,
    images: JsonList,
    annotations: JsonList,
}

impl BrushCoco {
    /// A converter for `config`.
    pub fn new(config: &LabelConfig) -> std::io::Result<BrushCoco> {
        Ok(BrushCoco {
            config: std::sync::Arc::new(config.clone()),
            items_seen: 0,
            categories: Vec::new(),
            images: JsonList::new()?,
            annotations: JsonList::new()?,
        })
    }

    fn category_id(&mut self, label: &str) -> usize {
        match self.categories.iter().position(|c| c == label) {
            Some(index) => index + 1,
            None => {
                self.categories.push(label.to_string());
                self.categories.len()
            }
        }
    }

    /// Converts one item; whether it gave an annotation.
    fn item(
        &mut self,
        item: &Item,
        image_id: usize,
    ) -> std::io::Result<(bool, Option<(Value, Value)>)> {
        let annotator = item.annotator("unknown");
        let mut size: Option<(Value, Value)> = None;
        let mut any = false;
        let regions: Vec<&Region> = item.regions().collect();
        for region in regions {
            if size.is_none() {
                if let Some(width) = region.value.get("original_width") {
                    let height = region
                        .value
                        .get("original_height")
                        .cloned()
                        .unwrap_or(Value::Null);
                    size = Some((width.clone(), height));
                }
            }
            let Some(key) = ["brushlabels", "polygonlabels", "rectanglelabels", "labels"]
                .into_iter()
                .find(|key| region.has(key))
            else {
                continue;
            };
            let labels: Vec<String> = region
                .value
                .get(key)
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            for label in labels {
                let category_id = self.category_id(&label);
                let entries = self.shapes(region, key);
                for (segmentation, area, bbox) in entries {
                    let id = self.annotations.len();
                    self.annotations.push(&json!({
                        "id": id, "image_id": image_id, "category_id": category_id,
                        "segmentation": segmentation, "area": area, "bbox": bbox,
                        "iscrowd": 0, "annotator": annotator,
                    }))?;
                    any = true;
                }
            }
        }
        Ok((any, size))
    }

    /// The annotations one region gives: `(segmentation, area, bbox)` each.
    fn shapes(&self, region: &Region, key: &str) -> Vec<(Value, Value, Value)> {
        let sized = |keys: &[&str]| keys.iter().all(|k| region.has(k));
        if region.has("rle") && key == "brushlabels" {
            if !sized(&["original_width", "original_height"]) {
                return Vec::new();
            }
            let Some((values, width, height)) = mask(region) else {
                return Vec::new();
            };
            return external_contours(&values, width, height)
                .into_iter()
                .filter(|contour| contour.len() >= 3)
                .map(|contour| {
                    let flat: Vec<i64> = contour.iter().flat_map(|(x, y)| [*x, *y]).collect();
                    (
                        json!([flat]),
                        json!(area(&contour) as i64),
                        json!(bounding_rect(&contour)),
                    )
                })
                .collect();
        }
        if region.has("points") && key == "polygonlabels" {
            if !sized(&["original_width", "original_height"]) {
                return Vec::new();
            }
            let Some((w, h)) = region.size() else {
                return Vec::new();
            };
            let Some(points) = region.value.get("points").and_then(Value::as_array) else {
                return Vec::new();
            };
            let points: Option<Vec<(i64, i64)>> = points
                .iter()
                .map(|p| {
                    let p = p.as_array()?;
                    let x = p.first()?.as_f64()?;
                    let y = p.get(1)?.as_f64()?;
                    Some((
                        (x * w / 100.0).round_ties_even() as i64,
                        (y * h / 100.0).round_ties_even() as i64,
                    ))
                })
                .collect();
            let Some(points) = points else {
                return Vec::new();
            };
            let flat: Vec<i64> = points.iter().flat_map(|(x, y)| [*x, *y]).collect();
            return vec![(
                json!([flat]),
                json!(area(&points) as i64),
                json!(bounding_rect(&points)),
            )];
        }
        if region.tag.eq_ignore_ascii_case("RectangleLabels") || key == "labels" {
            let (Some((x, y, w, h)), Some((ow, oh))) = (region.rect(), region.size()) else {
                return Vec::new();
            };
            let (x, y, w, h) = (
                x * ow / 100.0,
                y * oh / 100.0,
                w * ow / 100.0,
                h * oh / 100.0,
            );
            return vec![(json!([]), json!(w * h), json!([x, y, w, h]))];
        }
        Vec::new()
    }
}

impl Converter for BrushCoco {
    fn add(
        &mut self,
        task: &Value,
        _media: Media,
        _sink: &mut dyn Sink,
    ) -> Result<(), ConvertError> {
        let config = std::sync::Arc::clone(&self.config);
        for item in items(&config, task, false) {
            let image_id = self.items_seen;
            self.items_seen += 1;
            let image = item.data.values().find_map(|value| {
                value.as_str().filter(|text| {
                    let lower = text.to_lowercase();
                    IMAGE_EXTENSIONS.iter().any(|ext| lower.ends_with(ext))
                })
            });
            let Some(image) = image else { continue };
            if item.output.is_empty() {
                continue;
            }
            let (any, size) = self.item(&item, image_id)?;
            if let (true, Some((width, height))) = (any, size) {
                if !width.is_null() && !height.is_null() {
                    self.images.push(
                        &json!({"id": image_id, "file_name": basename(image), "path": image,
                                "width": width, "height": height}),
                    )?;
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, sink: &mut dyn Sink) -> Result<(), ConvertError> {
        let now = Now::get();
        let categories: Vec<Value> = self
            .categories
            .iter()
            .enumerate()
            .map(|(i, name)| {
                json!({"id": i + 1, "name": name, "supercategory": "", "color": color(i), "metadata": {}})
            })
            .collect();
        let info = json!({
            "year": now.year, "version": "1.0", "description": "Converted from Label Studio",
            "contributor": "Label Studio Converter", "date_created": now.date_created,
        });
        write_document(
            sink,
            "result_coco.json",
            vec![
                Member::List("images", &mut self.images),
                Member::List("annotations", &mut self.annotations),
                Member::Value("categories", Value::Array(categories)),
                Member::Value("info", info),
            ],
        )?;
        Ok(())
    }
}

/// A category's display color (Label Studio's converter picks one at random; this one is
/// stable).
fn color(index: usize) -> String {
    const PALETTE: [&str; 8] = [
        "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6",
    ];
    PALETTE[index % PALETTE.len()].to_string()
}
