//! The structural rules of Label Studio's `label_config_schema.json`, reported the way its JSON
//! schema validator words them: `Validation failed on <path>: '<x>' is a required property`.
//!
//! Only a root `View`, its direct children and nested `View`s are checked (tags under `Header`,
//! `Collapse`, ... are not, as in Label Studio). `Text`/`Image`/`HyperText` need `name` and
//! `value` (or `valueList`); `Choices`/`Labels` need `name`, `toName` and a `Choice`/`Label` child
//! (or `value`, or a nested `View`); `TextArea`/`Number` need `name` and `toName`; every `Choice`
//! and `Label` needs `value`. When several tags fail, the shallowest wins, then the larger tag
//! name (`Text` over `Labels` over `Choices`), as jsonschema's `best_match` picks.

use roxmltree::{Document, Node};

use crate::ConfigError;

/// One failed rule: where, and which property is missing.
struct Failure {
    depth: usize,
    tag: String,
    path: String,
    missing: &'static str,
}

const OBJECTS: &[&str] = &["Text", "Image", "HyperText"];

fn missing_attribute(node: &Node, attributes: &[&'static str]) -> Option<&'static str> {
    attributes.iter().copied().find(|attribute| match *attribute {
        "value" => node.attribute("value").is_none() && node.attribute("valueList").is_none(),
        other => node.attribute(other).is_none(),
    })
}

/// The path segment of `node` among its same-tag siblings: its index if there are several.
fn sibling_index(node: &Node) -> String {
    let tag = node.tag_name().name();
    let Some(parent) = node.parent() else { return String::new() };
    let siblings: Vec<Node> = parent.children().filter(|c| c.is_element() && c.tag_name().name() == tag).collect();
    if siblings.len() < 2 {
        return String::new();
    }
    siblings.iter().position(|s| s == node).map(|i| i.to_string()).unwrap_or_default()
}

fn join(prefix: &str, segment: &str) -> String {
    match (prefix.is_empty(), segment.is_empty()) {
        (true, _) => segment.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}/{segment}"),
    }
}

fn check_control(node: &Node, child_tag: &'static str, depth: usize, failures: &mut Vec<Failure>) {
    let tag = node.tag_name().name().to_string();
    let index = sibling_index(node);
    if let Some(missing) = missing_attribute(node, &["name", "toName"]) {
        failures.push(Failure { depth, tag, path: index, missing });
        return;
    }
    let children: Vec<Node> = node.children().filter(|c| c.is_element() && c.tag_name().name() == child_tag).collect();
    let has_view = node.children().any(|c| c.is_element() && c.tag_name().name() == "View");
    if children.is_empty() && node.attribute("value").is_none() && !has_view {
        failures.push(Failure { depth, tag, path: index, missing: child_tag });
        return;
    }
    for (i, child) in children.iter().enumerate() {
        if child.attribute("value").is_none() {
            // A single Label is a dict (no index); Choice is always a list (`Choice/<i>`).
            let segment = match (child_tag, children.len()) {
                ("Choice", _) => format!("Choice/{i}"),
                (_, 1) => String::new(),
                _ => i.to_string(),
            };
            failures.push(Failure { depth: depth + 1, tag: tag.clone(), path: join(&index, &segment), missing: "value" });
            return;
        }
    }
}

fn check_view(view: &Node, depth: usize, failures: &mut Vec<Failure>) {
    for child in view.children().filter(Node::is_element) {
        let tag = child.tag_name().name();
        match tag {
            "View" => check_view(&child, depth + 1, failures),
            "Choices" => check_control(&child, "Choice", depth, failures),
            "Labels" => check_control(&child, "Label", depth, failures),
            "TextArea" | "Number" => {
                if let Some(missing) = missing_attribute(&child, &["name", "toName"]) {
                    failures.push(Failure { depth, tag: tag.to_string(), path: sibling_index(&child), missing });
                }
            }
            tag if OBJECTS.contains(&tag) => {
                if let Some(missing) = missing_attribute(&child, &["name", "value"]) {
                    failures.push(Failure { depth, tag: tag.to_string(), path: sibling_index(&child), missing });
                }
            }
            _ => {}
        }
    }
}

/// Checks the document against the schema rules.
pub fn check(doc: &Document) -> Result<(), ConfigError> {
    let root = doc.root_element();
    if root.tag_name().name() != "View" {
        return Ok(());
    }
    let mut failures = Vec::new();
    check_view(&root, 0, &mut failures);
    let best = failures.into_iter().enumerate().min_by(|(ai, a), (bi, b)| {
        a.depth.cmp(&b.depth).then_with(|| b.tag.cmp(&a.tag)).then_with(|| ai.cmp(bi))
    });
    match best {
        Some((_, failure)) => {
            Err(ConfigError(format!("Validation failed on {}: '{}' is a required property", failure.path, failure.missing)))
        }
        None => Ok(()),
    }
}
