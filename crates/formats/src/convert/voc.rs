//! Pascal VOC: `Annotations/<image stem>.xml` per annotated image with its boxes in pixels.
//!
//! The XML is written by hand: one fixed document shape of a dozen elements, whose text is
//! escaped by [`escape`] — a writer library would add a dependency for no gain.

use serde_json::Value;
use tessera_labelconfig::LabelConfig;

use super::media_info::image_info;
use super::media_names::{basename, stem};
use super::{address_at, first_data_key, ConvertError, Converter, Media, Sink};
use crate::items::{items, Item};

/// The VOC converter.
pub struct Voc {
    config: std::sync::Arc<LabelConfig>,
    data_key: String,
}

impl Voc {
    /// A converter for `config`.
    pub fn new(config: &LabelConfig) -> Voc {
        Voc {
            config: std::sync::Arc::new(config.clone()),
            data_key: first_data_key(config),
        }
    }
}

impl Converter for Voc {
    fn add(&mut self, task: &Value, media: Media, sink: &mut dyn Sink) -> Result<(), ConvertError> {
        let Some(address) = address_at(task, &self.data_key) else {
            return Ok(());
        };
        let channels = media.bytes().and_then(image_info).map_or(3, |(_, _, c)| c);
        let image_name = basename(&super::media_path("images", &address, media)).to_string();
        let path = format!("Annotations/{}.xml", stem(&image_name));
        // Items come newest first and each rewrites the file: the oldest annotation's wins.
        let mut document = None;
        for item in items(&self.config, task, false) {
            if let Some(xml) = xml(&item, &image_name, channels) {
                document = Some(xml);
            }
        }
        if let Some(xml) = document {
            sink.file(&path, xml.as_bytes())?;
        }
        Ok(())
    }

    fn finish(&mut self, _sink: &mut dyn Sink) -> Result<(), ConvertError> {
        Ok(())
    }
}

/// The document of one item; `None` when it has no regions or the first lacks the image size.
fn xml(item: &Item, image_name: &str, channels: u8) -> Option<String> {
    let boxes: Vec<_> = item.regions().collect();
    let first = boxes.first()?;
    let (width, height) = (
        first.value.get("original_width")?,
        first.value.get("original_height")?,
    );
    let (w_px, h_px) = (width.as_f64()?, height.as_f64()?);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotation>\n");
    let element = |out: &mut String, tag: &str, text: &str| {
        out.push_str(&format!("<{tag}>{}</{tag}>\n", escape(text)));
    };
    element(&mut out, "folder", "images");
    element(&mut out, "filename", image_name);
    out.push_str("<source>\n");
    element(&mut out, "database", "MyDatabase");
    element(&mut out, "annotation", "COCO2017");
    element(&mut out, "image", "flickr");
    element(&mut out, "flickrid", "NULL");
    element(&mut out, "annotator", &item.annotator(""));
    out.push_str("</source>\n<owner>\n");
    element(&mut out, "flickrid", "NULL");
    element(&mut out, "name", "Label Studio");
    out.push_str("</owner>\n<size>\n");
    element(&mut out, "width", &python_str(width));
    element(&mut out, "height", &python_str(height));
    element(&mut out, "depth", &channels.to_string());
    out.push_str("</size>\n");
    element(&mut out, "segmented", "0");
    for region in boxes {
        let key = if region.has("rectanglelabels") {
            "rectanglelabels"
        } else {
            "labels"
        };
        let Some(name) = region.first_label(&[key]) else {
            continue;
        };
        let Some((x, y, w, h)) = region.rect() else {
            continue;
        };
        // Python's int(): toward zero.
        let x = (x / 100.0 * w_px) as i64;
        let y = (y / 100.0 * h_px) as i64;
        let w = (w / 100.0 * w_px) as i64;
        let h = (h / 100.0 * h_px) as i64;
        out.push_str("<object>\n");
        element(&mut out, "name", name);
        element(&mut out, "pose", "Unspecified");
        element(&mut out, "truncated", "0");
        element(&mut out, "difficult", "0");
        out.push_str("<bndbox>\n");
        element(&mut out, "xmin", &x.to_string());
        element(&mut out, "ymin", &y.to_string());
        element(&mut out, "xmax", &(x + w).to_string());
        element(&mut out, "ymax", &(y + h).to_string());
        out.push_str("</bndbox>\n</object>\n");
    }
    out.push_str("</annotation>\n");
    Some(out)
}

/// `str()` of a JSON number as Python prints it.
fn python_str(value: &Value) -> String {
    match value {
        Value::Number(n) if n.is_f64() => {
            tessera_labelconfig::pyrepr::float_repr(n.as_f64().unwrap_or_default())
        }
        other => tessera_labelconfig::pyrepr::str(other),
    }
}

/// Text escaped for XML content.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn boxes_in_whole_pixels() {
        let config = LabelConfig::parse(
            r#"<View><Image name="image" value="$image"/><RectangleLabels name="box" toName="image"><Label value="Cat &amp; Dog"/></RectangleLabels></View>"#,
        )
        .unwrap();
        let task = json!({"id": 1, "data": {"image": "/data/upload/1/pic.jpg"}, "annotations": [{"id": 1, "completed_by": {"email": "a@x.io"}, "result": [
            {"from_name": "box", "to_name": "image", "type": "rectanglelabels", "original_width": 640, "original_height": 480,
             "value": {"x": 10.5, "y": 20, "width": 30, "height": 40, "rotation": 0, "rectanglelabels": ["Cat & Dog"]}}]}]});
        let item = &items(&config, &task, false)[0];
        let text = xml(item, "pic.jpg", 3).unwrap();
        assert!(text.contains("<name>Cat &amp; Dog</name>"), "{text}");
        assert!(
            text.contains("<xmin>67</xmin>\n<ymin>96</ymin>\n<xmax>259</xmax>\n<ymax>288</ymax>"),
            "{text}"
        );
        assert!(text.contains("<annotator>a@x.io</annotator>"));
        assert!(text.contains("<width>640</width>"));
    }
}
