//! The structural rules of Label Studio's `label_config_schema.json`: required attributes and
//! children of the common tags, reported as `Validation failed on : '<x>' is a required property`.

use roxmltree::{Document, Node};

use crate::ConfigError;

/// What a tag must carry.
struct Rule {
    tag: &'static str,
    attributes: &'static [&'static str],
    /// Child tags of which at least one must be present (unless the control reads `value`).
    children: Option<&'static str>,
}

const RULES: &[Rule] = &[
    Rule { tag: "Text", attributes: &["name", "value"], children: None },
    Rule { tag: "HyperText", attributes: &["name", "value"], children: None },
    Rule { tag: "Image", attributes: &["name", "value"], children: None },
    Rule { tag: "Choices", attributes: &["name", "toName"], children: Some("Choice") },
    Rule { tag: "Labels", attributes: &["name", "toName"], children: Some("Label") },
    Rule { tag: "TextArea", attributes: &["name", "toName"], children: None },
    Rule { tag: "Number", attributes: &["name", "toName"], children: None },
];

fn fail(what: &str) -> ConfigError {
    ConfigError(format!("Validation failed on : '{what}' is a required property"))
}

fn has_child(node: &Node, child: &str) -> bool {
    node.descendants().skip(1).any(|n| n.tag_name().name() == child || n.tag_name().name() == "View")
}

/// Checks every element against the rules.
pub fn check(doc: &Document) -> Result<(), ConfigError> {
    for node in doc.descendants().filter(Node::is_element) {
        let Some(rule) = RULES.iter().find(|r| r.tag == node.tag_name().name()) else { continue };
        for attribute in rule.attributes {
            let present = node.attribute(*attribute).is_some()
                || (*attribute == "value" && node.attribute("valueList").is_some());
            if !present {
                return Err(fail(attribute));
            }
        }
        if let Some(child) = rule.children {
            if node.attribute("value").is_none() && !has_child(&node, child) {
                return Err(fail(child));
            }
        }
    }
    Ok(())
}
