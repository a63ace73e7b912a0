//! Fuzzing the label-config parser and validator on the stable toolchain with `bolero`:
//! `cargo test` runs each target on its corpus (`tests/__fuzz__/<target>/corpus`: deep
//! nesting, huge attribute counts, every template) plus random inputs, `BOLERO_RANDOM_ITERATIONS`
//! of them (a short run by default; docs/SECURITY.md has the long one). Every input must be
//! answered — accepted or refused with a message — without a panic, a stack overflow or a hang.

use std::time::{Duration, Instant};

use bolero::{check, TypeGenerator};
use serde_json::json;
use tessera_labelconfig::LabelConfig;

/// Random inputs per target when `BOLERO_RANDOM_ITERATIONS` is not set.
const DEFAULT_ITERATIONS: usize = 2_000;
/// Far more than any accepted config takes in a debug build; a hang shows up as a failure.
const MAX_TIME: Duration = Duration::from_secs(5);

fn iterations() -> usize {
    std::env::var("BOLERO_RANDOM_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_ITERATIONS)
}

/// Parses `config` and, when it is valid, uses everything the server derives from it.
fn exercise(config: &str) {
    let started = Instant::now();
    if let Ok(parsed) = LabelConfig::parse(config) {
        let _ = parsed.parsed_label_config();
        let _ = parsed.control_weights(&json!({}));
        let _ = parsed.suitable_for_bulk_annotation();
        let _ = parsed.validate_task_data(&json!({"text": "x", "image": "/a.png"}));
        let _ = tessera_labelconfig::validate_result(
            &parsed,
            &json!([{"from_name": "c", "to_name": "t", "type": "choices"}]),
        );
    }
    assert!(
        started.elapsed() < MAX_TIME,
        "{} bytes took {:?}",
        config.len(),
        started.elapsed()
    );
}

#[test]
fn raw_configs() {
    // Random bytes are rarely UTF-8 (a request body must be): their lossy reading is parsed.
    check!()
        .with_iterations(iterations())
        .for_each(|bytes: &[u8]| exercise(&String::from_utf8_lossy(bytes)));
}

const TAGS: &[&str] = &[
    "View",
    "Text",
    "Choices",
    "Choice",
    "Labels",
    "Label",
    "Image",
    "RectangleLabels",
    "Header",
    "TextArea",
    "Number",
    "Relations",
    "Relation",
    "Filter",
    "HyperText",
    "Video",
    "a:View",
];
const NAMES: &[&str] = &[
    "name",
    "toName",
    "value",
    "valueList",
    "perRegion",
    "whenTagName",
    "alias",
    "choice",
    "apiUrl",
    "x",
];
const VALUES: &[&str] = &[
    "$text",
    "t",
    "c",
    "t,c",
    "ch_{{idx}}",
    "true",
    "",
    "<",
    "&amp;",
    "$a.b",
    "$image",
    "\u{0}",
    "é",
];

/// One step of building a config; deep nesting and long attribute lists take one step each,
/// so random inputs reach the bounds.
#[derive(Debug, TypeGenerator)]
enum Piece {
    Open(u8, Vec<(u8, u8)>),
    Close,
    Empty(u8, Vec<(u8, u8)>),
    Text(u8),
    Nest(u8, u16),
    ManyAttributes(u8, u16),
    Junk(u8),
}

fn pick<'a>(list: &[&'a str], index: u8) -> &'a str {
    list[usize::from(index) % list.len()]
}

fn attributes(out: &mut String, list: &[(u8, u8)]) {
    for (name, value) in list {
        out.push_str(&format!(
            " {}=\"{}\"",
            pick(NAMES, *name),
            pick(VALUES, *value)
        ));
    }
}

/// Writes the pieces as XML, closing whatever is left open.
fn render(pieces: &[Piece]) -> String {
    let (mut out, mut open) = (String::new(), Vec::new());
    for piece in pieces {
        match piece {
            Piece::Open(tag, attrs) => {
                out.push('<');
                out.push_str(pick(TAGS, *tag));
                attributes(&mut out, attrs);
                out.push('>');
                open.push(pick(TAGS, *tag));
            }
            Piece::Close => {
                if let Some(tag) = open.pop() {
                    out.push_str(&format!("</{tag}>"));
                }
            }
            Piece::Empty(tag, attrs) => {
                out.push('<');
                out.push_str(pick(TAGS, *tag));
                attributes(&mut out, attrs);
                out.push_str("/>");
            }
            Piece::Text(value) => out.push_str(pick(VALUES, *value)),
            Piece::Nest(tag, depth) => {
                for _ in 0..*depth % 4_000 {
                    out.push_str(&format!("<{}>", pick(TAGS, *tag)));
                    open.push(pick(TAGS, *tag));
                }
            }
            Piece::ManyAttributes(tag, count) => {
                out.push_str(&format!("<{}", pick(TAGS, *tag)));
                for i in 0..*count % 2_000 {
                    out.push_str(&format!(" a{i}=\"v\""));
                }
                out.push_str("/>");
            }
            Piece::Junk(byte) => out.push(char::from(*byte)),
        }
    }
    while let Some(tag) = open.pop() {
        out.push_str(&format!("</{tag}>"));
    }
    out
}

#[test]
fn structured_configs() {
    check!()
        .with_type::<Vec<Piece>>()
        .with_iterations(iterations())
        .for_each(|pieces| exercise(&render(pieces)));
}
