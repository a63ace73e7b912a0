//! Brush masks: Label Studio's RLE (thi.ng's rle-pack: a bit stream of runs over the RGBA
//! pixels) decoded to the mask's alpha channel, written as a NumPy `.npy` array or a grayscale
//! PNG per region: `task-<task>-annotation-<annotation>-by-<annotator>-<control>-<labels>-<n>`.

use std::collections::HashMap;
use std::io::Cursor;

use indexmap::IndexMap;
use serde_json::Value;
use tessera_labelconfig::LabelConfig;

use super::{ConvertError, Converter, Media, Sink};
use crate::items::{items, Region};

/// Reads bits most significant first.
struct Bits<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    /// The next `n` bits as a number; `None` past the end.
    fn read(&mut self, n: usize) -> Option<u64> {
        let mut value = 0u64;
        for _ in 0..n {
            let byte = *self.bytes.get(self.at / 8)?;
            let bit = (byte >> (7 - self.at % 8)) & 1;
            value = (value << 1) | u64::from(bit);
            self.at += 1;
        }
        Some(value)
    }
}

/// The most pixels a mask may have (8192 × 8192): a stream claiming more is refused before
/// anything is allocated.
const MAX_PIXELS: usize = 1 << 26;

/// Decodes an RLE stream of an RGBA image of `pixels` pixels to its alpha channel; `None` when
/// the stream is cut short or does not hold exactly `pixels` × 4 values.
pub fn decode_alpha(rle: &[u8], pixels: usize) -> Option<Vec<u8>> {
    if pixels > MAX_PIXELS {
        return None;
    }
    let mut bits = Bits { bytes: rle, at: 0 };
    let count = usize::try_from(bits.read(32)?).ok()?;
    if count != pixels * 4 {
        return None;
    }
    let word = bits.read(5)? as usize + 1;
    let mut sizes = [0usize; 4];
    for size in &mut sizes {
        *size = bits.read(4)? as usize + 1;
    }
    let mut alpha = vec![0u8; pixels];
    let mut put = |i: usize, value: u8| {
        if i % 4 == 3 && i < count {
            alpha[i / 4] = value;
        }
    };
    let mut i = 0;
    while i < count {
        let repeated = bits.read(1)? == 1;
        let size = sizes[bits.read(2)? as usize];
        let end = (i + 1 + bits.read(size)? as usize).min(count);
        if repeated {
            let value = bits.read(word)? as u8;
            // Every fourth value of the run is an alpha value.
            let first_alpha = i + (3 + 4 - i % 4) % 4;
            for at in (first_alpha..end).step_by(4) {
                put(at, value);
            }
            i = end;
        } else {
            while i < end {
                let value = bits.read(word)? as u8;
                put(i, value);
                i += 1;
            }
        }
    }
    Some(alpha)
}

/// The alpha channel of a region's mask, row by row, with its width and height.
pub fn mask(region: &Region) -> Option<(Vec<u8>, usize, usize)> {
    let rle: Vec<u8> = region
        .value
        .get("rle")?
        .as_array()?
        .iter()
        .map(|v| v.as_u64().map(|b| b as u8))
        .collect::<Option<_>>()?;
    let width = usize::try_from(region.value.get("original_width")?.as_u64()?).ok()?;
    let height = usize::try_from(region.value.get("original_height")?.as_u64()?).ok()?;
    let alpha = decode_alpha(&rle, width.checked_mul(height)?)?;
    Some((alpha, width, height))
}

/// A 2-D `uint8` array in NumPy's `.npy` format (version 1.0).
pub fn npy(values: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut header =
        format!("{{'descr': '|u1', 'fortran_order': False, 'shape': ({height}, {width}), }}");
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + values.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(values);
    out
}

/// A grayscale PNG.
pub fn png(values: Vec<u8>, width: usize, height: usize) -> std::io::Result<Vec<u8>> {
    let image = image::GrayImage::from_raw(width as u32, height as u32, values)
        .ok_or_else(|| std::io::Error::other("mask size does not match its pixels"))?;
    let mut out = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(std::io::Error::other)?;
    Ok(out)
}

/// How masks are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskFormat {
    Numpy,
    Png,
}

/// The brush converter (BRUSH_TO_NUMPY, BRUSH_TO_PNG).
pub struct Brush {
    config: std::sync::Arc<LabelConfig>,
    format: MaskFormat,
}

impl Brush {
    /// A converter for `config` writing masks as `format`.
    pub fn new(config: &LabelConfig, format: MaskFormat) -> Brush {
        Brush {
            config: std::sync::Arc::new(config.clone()),
            format,
        }
    }
}

impl Converter for Brush {
    fn add(
        &mut self,
        task: &Value,
        _media: Media,
        sink: &mut dyn Sink,
    ) -> Result<(), ConvertError> {
        for item in items(&self.config, task, false) {
            let annotator: String = item
                .annotator("")
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '@' || *c == '.')
                .collect();
            let annotation = item
                .annotation_id()
                .map_or_else(|| "None".to_string(), |id| id.to_string());
            for (from_name, regions) in &item.output {
                let mut layers: IndexMap<String, (Vec<u8>, usize, usize)> = IndexMap::new();
                let mut counters: HashMap<String, usize> = HashMap::new();
                for region in regions {
                    let key = match region.tag.to_lowercase().as_str() {
                        "brushlabels" => "brushlabels",
                        "labels" => "labels",
                        _ => continue,
                    };
                    if !region.has("rle") {
                        continue;
                    }
                    let labels: Vec<String> = match region.value.get(key) {
                        Some(Value::Array(list)) => list
                            .iter()
                            .map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_string))
                            .collect(),
                        _ => vec!["no_label".into()],
                    };
                    let name = format!("{from_name}-{}", labels.join("-"));
                    let counter = counters.entry(name.clone()).or_default();
                    let name = format!("{name}-{counter}");
                    *counter += 1;
                    if let Some(layer) = mask(region) {
                        layers.insert(name, layer);
                    }
                }
                for (name, (values, width, height)) in layers {
                    let file = format!(
                        "task-{}-annotation-{annotation}-by-{annotator}-{}",
                        item.task_id,
                        name.replace(['/', '\\'], "-")
                    );
                    match self.format {
                        MaskFormat::Numpy => {
                            sink.file(&format!("{file}.npy"), &npy(&values, width, height))?
                        }
                        MaskFormat::Png => {
                            sink.file(&format!("{file}.png"), &png(values, width, height)?)?
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, _sink: &mut dyn Sink) -> Result<(), ConvertError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes values as one literal run per value (enough to test the decoder).
    fn encode_literal(values: &[u8]) -> Vec<u8> {
        let mut bits: Vec<u8> = Vec::new();
        let mut push = |value: u64, n: usize| {
            for i in (0..n).rev() {
                bits.push(((value >> i) & 1) as u8);
            }
        };
        push(values.len() as u64, 32);
        push(7, 5); // word size 8
        for _ in 0..4 {
            push(0, 4); // run-length fields of 1 bit
        }
        for chunk in values.chunks(2) {
            push(0, 1); // literal run
            push(0, 2); // size field 0 (1 bit)
            push(chunk.len() as u64 - 1, 1);
            for v in chunk {
                push(u64::from(*v), 8);
            }
        }
        bits.chunks(8)
            .map(|byte| {
                byte.iter()
                    .enumerate()
                    .fold(0u8, |acc, (i, b)| acc | (b << (7 - i)))
            })
            .collect()
    }

    #[test]
    fn decodes_runs_and_writes_npy() {
        let pixels = [0, 0, 0, 255, 0, 0, 0, 0, 1, 2, 3, 128];
        assert_eq!(
            decode_alpha(&encode_literal(&pixels), 3).unwrap(),
            [255, 0, 128]
        );
        assert_eq!(
            decode_alpha(&encode_literal(&pixels), 4),
            None,
            "a size mismatch"
        );
        // A repeated run: 8 values of 9 (two pixels).
        let mut bits = String::new();
        bits.push_str(&format!("{:032b}", 8));
        bits.push_str(&format!("{:05b}", 7));
        bits.push_str("0010001000100010"); // sizes 3,3,3,3
        bits.push('1'); // repeated
        bits.push_str("00"); // size 3
        bits.push_str("111"); // 7 more
        bits.push_str(&format!("{:08b}", 9));
        while !bits.len().is_multiple_of(8) {
            bits.push('0');
        }
        let bytes: Vec<u8> = (0..bits.len() / 8)
            .map(|i| u8::from_str_radix(&bits[i * 8..i * 8 + 8], 2).unwrap())
            .collect();
        assert_eq!(decode_alpha(&bytes, 2).unwrap(), [9; 2]);
        assert_eq!(decode_alpha(&bytes[..3], 2), None);
        // A stream claiming a huge image allocates nothing.
        let mut huge = bytes.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(decode_alpha(&huge, 1 << 30), None);

        let file = npy(&[1, 2, 3, 4, 5, 6], 3, 2);
        assert_eq!(&file[..8], b"\x93NUMPY\x01\x00");
        assert_eq!((file.len() - 6) % 64, 0);
        assert!(String::from_utf8_lossy(&file).contains("'shape': (2, 3)"));
    }
}
