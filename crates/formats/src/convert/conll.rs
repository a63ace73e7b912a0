//! CoNLL 2003: one `token -X- _ tag` line per token of the text (IOB tags from the first
//! `Labels` control's spans), a blank line after each item, under a `-DOCSTART-` line.

use serde_json::Value;
use tessera_labelconfig::LabelConfig;

use super::treebank::span_tokenize;
use super::{first_data_key, ConvertError, Converter, Media, Sink};
use crate::items::{items, Region};

/// The CoNLL converter: its output is one text file, written as it goes.
pub struct Conll {
    config: std::sync::Arc<LabelConfig>,
    data_key: String,
    started: bool,
}

impl Conll {
    /// A converter for `config`.
    pub fn new(config: &LabelConfig) -> Conll {
        Conll {
            config: std::sync::Arc::new(config.clone()),
            data_key: first_data_key(config),
            started: false,
        }
    }
}

/// The single output file's name.
pub const FILE: &str = "result.conll";

impl Converter for Conll {
    fn add(
        &mut self,
        task: &Value,
        _media: Media,
        sink: &mut dyn Sink,
    ) -> Result<(), ConvertError> {
        let mut out = String::new();
        if !self.started {
            out.push_str("-DOCSTART- -X- O\n");
            self.started = true;
        }
        for item in items(&self.config, task, false) {
            let Some(text) = item.data_text(&self.data_key) else {
                continue;
            };
            let spans = item
                .output
                .values()
                .find(|regions| regions[0].tag.eq_ignore_ascii_case("labels"));
            for (token, tag) in tokens_and_tags(text, spans.map(Vec::as_slice)) {
                out.push_str(&format!("{token} -X- _ {tag}\n"));
            }
            out.push('\n');
        }
        sink.file(FILE, out.as_bytes())?;
        Ok(())
    }

    fn finish(&mut self, sink: &mut dyn Sink) -> Result<(), ConvertError> {
        if !self.started {
            sink.file(FILE, b"-DOCSTART- -X- O\n")?;
        }
        Ok(())
    }
}

/// A span's start and last character, and its first label.
struct Span<'a> {
    start: f64,
    last: f64,
    label: Option<&'a str>,
}

/// The tokens of `text` with IOB tags from `spans` (the converter's `create_tokens_and_tags`).
fn tokens_and_tags(text: &str, spans: Option<&[Region]>) -> Vec<(String, String)> {
    let tokens = span_tokenize(text);
    let spans: Option<Vec<Span>> = spans.filter(|s| !s.is_empty()).and_then(|regions| {
        regions
            .iter()
            .map(|region| {
                Some(Span {
                    start: region.number("start")?,
                    last: region.number("end")? - 1.0,
                    label: region.first_label(&["labels"]),
                })
            })
            .collect()
    });
    let Some(mut spans) = spans else {
        return tokens.into_iter().map(|(t, _)| (t, "O".into())).collect();
    };
    spans.sort_by(|a, b| a.start.total_cmp(&b.start));
    let mut queue = spans.into_iter();
    let mut span = queue.next().expect("spans are not empty");
    let mut prefix = "B-";
    let mut out = Vec::with_capacity(tokens.len());
    for (token, start) in tokens {
        let start = start as f64;
        let last = start + token.chars().count() as f64 - 1.0;
        if start > span.last {
            for next in queue.by_ref() {
                span = next;
                prefix = "B-";
                if start <= span.last {
                    break;
                }
            }
        }
        let tag = match span.label {
            Some(label) if last >= span.start && span.last >= start => {
                let tag = format!("{prefix}{label}");
                prefix = "I-";
                tag
            }
            _ => "O".into(),
        };
        out.push((token, tag));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_spans_in_iob() {
        let regions: Vec<Region> = [
            json!({"start": 0, "end": 12, "labels": ["PER"]}),
            json!({"start": 20, "end": 24, "labels": ["ORG"]}),
        ]
        .into_iter()
        .map(|value| Region {
            tag: "Labels".into(),
            value,
        })
        .collect();
        let tags: Vec<String> = tokens_and_tags("Ada Lovelace joined Acme.", Some(&regions))
            .into_iter()
            .map(|(t, tag)| format!("{t}/{tag}"))
            .collect();
        assert_eq!(
            tags,
            [
                "Ada/B-PER",
                "Lovelace/I-PER",
                "joined/O",
                "Acme/B-ORG",
                "./O"
            ]
        );
    }
}
