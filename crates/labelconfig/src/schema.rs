//! The structural rules of Label Studio's `label_config_schema.json`, reported the way its JSON
//! schema validator words them: `Validation failed on <path>: '<x>' is a required property`.
//!
//! Only a root `View`, its direct children and nested `View`s are checked (tags under `Header`,
//! `Collapse`, ... are not, as in Label Studio). `Text`/`Image`/`HyperText` need `name` and
//! `value` (or `valueList`); `Choices`/`Labels` need `name`, `toName` and a `Choice`/`Label` child
//! (or `value`, or a nested `View`); `TextArea`/`Number` need `name` and `toName`; every `Choice`
//! and `Label` needs `value`. When several tags fail, the shallowest wins, then the larger tag
//! name (`Text` over `Labels` over `Choices`), as jsonschema's `best_match` picks.

use std::collections::HashMap;

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
    attributes
        .iter()
        .copied()
        .find(|attribute| match *attribute {
            "value" => node.attribute("value").is_none() && node.attribute("valueList").is_none(),
            other => node.attribute(other).is_none(),
        })
}

/// The path segments of a view's element children: each one's index among its same-tag
/// siblings when there are several, else empty. One pass over the children.
fn sibling_segments<'a, 'input>(view: &Node<'a, 'input>) -> Vec<(Node<'a, 'input>, String)> {
    let children: Vec<Node> = view.children().filter(Node::is_element).collect();
    let mut totals: HashMap<&str, usize> = HashMap::new();
    for child in &children {
        *totals.entry(child.tag_name().name()).or_default() += 1;
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    children
        .into_iter()
        .map(|child| {
            let tag = child.tag_name().name();
            let index = seen.entry(tag).or_default();
            let segment = if totals[tag] < 2 {
                String::new()
            } else {
                index.to_string()
            };
            *index += 1;
            (child, segment)
        })
        .collect()
}

fn join(prefix: &str, segment: &str) -> String {
    match (prefix.is_empty(), segment.is_empty()) {
        (true, _) => segment.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}/{segment}"),
    }
}

fn check_control(
    node: &Node,
    index: String,
    child_tag: &'static str,
    depth: usize,
    failures: &mut Vec<Failure>,
) {
    let tag = node.tag_name().name().to_string();
    if let Some(missing) = missing_attribute(node, &["name", "toName"]) {
        failures.push(Failure {
            depth,
            tag,
            path: index,
            missing,
        });
        return;
    }
    let children: Vec<Node> = node
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == child_tag)
        .collect();
    let has_view = node
        .children()
        .any(|c| c.is_element() && c.tag_name().name() == "View");
    if children.is_empty() && node.attribute("value").is_none() && !has_view {
        failures.push(Failure {
            depth,
            tag,
            path: index,
            missing: child_tag,
        });
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
            failures.push(Failure {
                depth: depth + 1,
                tag: tag.clone(),
                path: join(&index, &segment),
                missing: "value",
            });
            return;
        }
    }
}

/// Checks a view's children; nesting is bounded by [`crate::limits::MAX_DEPTH`], so the
/// recursion is too.
fn check_view(view: &Node, depth: usize, failures: &mut Vec<Failure>) {
    for (child, segment) in sibling_segments(view) {
        let tag = child.tag_name().name();
        match tag {
            "View" => check_view(&child, depth + 1, failures),
            "Choices" => check_control(&child, segment, "Choice", depth, failures),
            "Labels" => check_control(&child, segment, "Label", depth, failures),
            "TextArea" | "Number" => {
                if let Some(missing) = missing_attribute(&child, &["name", "toName"]) {
                    failures.push(Failure {
                        depth,
                        tag: tag.to_string(),
                        path: segment,
                        missing,
                    });
                }
            }
            tag if OBJECTS.contains(&tag) => {
                if let Some(missing) = missing_attribute(&child, &["name", "value"]) {
                    failures.push(Failure {
                        depth,
                        tag: tag.to_string(),
                        path: segment,
                        missing,
                    });
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
        a.depth
            .cmp(&b.depth)
            .then_with(|| b.tag.cmp(&a.tag))
            .then_with(|| ai.cmp(bi))
    });
    match best {
        Some((_, failure)) => Err(ConfigError::rule(format!(
            "Validation failed on {}: '{}' is a required property",
            failure.path, failure.missing
        ))),
        None => Ok(()),
    }
}
