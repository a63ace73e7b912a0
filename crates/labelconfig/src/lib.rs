//! Label Studio label configs: parse and validate the XML, find the data keys (`$text`), the
//! control tags and their labels, check task data and annotation results against it.
//!
//! Messages match Label Studio 1.23.2 (`label_studio/core/label_config.py`,
//! `label_studio/core/utils/schema/label_config_schema.json`, the SDK's `parse_config`), since
//! clients show them to users verbatim.

pub mod limits;
pub mod pyrepr;
mod results;
mod schema;
pub mod tags;
mod xml;

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use indexmap::IndexMap;
use regex::Regex;
use serde_json::{json, Map, Value};

pub use results::validate_result;

/// A validation failure, with Label Studio's message and what kind of failure it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String, pub ConfigProblem);

/// Which check a config failed; Label Studio reports the two differently in places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigProblem {
    /// The text is not well-formed XML.
    Xml,
    /// Well-formed, but it breaks a rule of label configs (or a bound on their size).
    Rules,
}

impl ConfigError {
    /// A broken rule, with its message.
    pub fn rule(message: impl Into<String>) -> ConfigError {
        ConfigError(message.into(), ConfigProblem::Rules)
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// An object tag input of a control (`inputs` in `parsed_label_config`).
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub tag: String,
    pub value_type: Option<String>,
    /// The data key (without `$`) of `value`, or of `valueList` when `value_list`.
    pub value: String,
    /// The tag reads a list of items (`valueList`, e.g. multi-image pages).
    pub value_list: bool,
}

/// A control tag: something that produces result regions.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    pub name: String,
    pub tag: String,
    pub to_name: Vec<String>,
    pub inputs: Vec<Input>,
    /// Label values (alias if present), in document order.
    pub labels: Vec<String>,
    /// All XML attributes of each label.
    pub labels_attrs: IndexMap<String, IndexMap<String, String>>,
    pub dynamic_labels: bool,
    pub conditionals: Option<Value>,
    pub regex: Option<IndexMap<String, String>>,
    pub attrs: IndexMap<String, String>,
}

impl Control {
    /// The `type` its result regions carry (`RectangleLabels` → `rectanglelabels`).
    pub fn result_type(&self) -> String {
        self.tag.to_lowercase()
    }
}

/// A parsed, valid label config.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelConfig {
    /// Control tags by name, in document order (`Filter` excluded).
    pub controls: IndexMap<String, Control>,
    /// Object tags by name: tag name, in document order.
    pub objects: IndexMap<String, String>,
    /// Data key → tag name that reads it, in document order (`Video` wins a shared key).
    pub data_types: IndexMap<String, String>,
    /// Controls whose names hold Repeater placeholders (`box_{{idx}}`), as patterns over the
    /// `from_name`s of their results.
    name_patterns: Vec<NamePattern>,
}

/// A control name with its placeholders replaced by their patterns, matched from the start of
/// a `from_name` as Label Studio's converter matches it (`re.match`).
#[derive(Debug, Clone)]
struct NamePattern {
    control: String,
    regex: Regex,
    /// The pattern's length: the longest matching pattern wins.
    len: usize,
}

impl PartialEq for NamePattern {
    fn eq(&self, other: &NamePattern) -> bool {
        self.control == other.control && self.regex.as_str() == other.regex.as_str()
    }
}

impl LabelConfig {
    /// Parses and validates `config`; the error carries Label Studio's message. The work is
    /// linear in the config's length, which [`limits`] bounds.
    pub fn parse(config: &str) -> Result<LabelConfig, ConfigError> {
        limits::check(config)?;
        let doc = xml::parse(config)?;
        schema::check(&doc)?;
        check_unique_names(config)?;
        let names = all_names(&doc);
        check_to_names(&doc, &names)?;
        Ok(build(&doc))
    }

    /// The `parsed_label_config` object the API returns.
    pub fn parsed_label_config(&self) -> Value {
        let mut out = Map::new();
        for (name, control) in &self.controls {
            let mut entry = Map::new();
            entry.insert("type".into(), json!(control.tag));
            entry.insert("to_name".into(), json!(control.to_name));
            entry.insert(
                "inputs".into(),
                Value::Array(
                    control
                        .inputs
                        .iter()
                        .map(|input| {
                            let key = if input.value_list { "valueList" } else { "value" };
                            json!({"type": input.tag, "valueType": input.value_type, key: input.value})
                        })
                        .collect(),
                ),
            );
            entry.insert("labels".into(), json!(control.labels));
            entry.insert("labels_attrs".into(), json!(control.labels_attrs));
            if let Some(conditionals) = &control.conditionals {
                entry.insert("conditionals".into(), conditionals.clone());
            }
            if control.dynamic_labels {
                entry.insert("dynamic_labels".into(), Value::Bool(true));
            }
            if let Some(regex) = &control.regex {
                entry.insert("regex".into(), json!(regex));
            }
            out.insert(name.clone(), Value::Object(entry));
        }
        Value::Object(out)
    }

    /// The control a result's `from_name` belongs to: the control of that name, or else the
    /// Repeater control whose longest name pattern matches it.
    pub fn control_of(&self, from_name: &str) -> Option<&Control> {
        if let Some(control) = self.controls.get(from_name) {
            return Some(control);
        }
        let mut best: Option<&NamePattern> = None;
        for pattern in &self.name_patterns {
            if pattern.regex.is_match(from_name) && best.is_none_or(|b| pattern.len > b.len) {
                best = Some(pattern);
            }
        }
        best.and_then(|pattern| self.controls.get(&pattern.control))
    }

    /// The data keys tasks must carry, in config order.
    pub fn data_keys(&self) -> impl Iterator<Item = &str> {
        self.data_types.keys().map(String::as_str)
    }

    /// Checks one task's `data` against the config (`TaskValidator.check_data`).
    pub fn validate_task_data(&self, data: &Value) -> Result<(), String> {
        match data {
            Value::Object(map) => self.validate_task_data_map(map),
            _ => self.validate_task_data_map(&Map::new()),
        }
    }

    /// [`LabelConfig::validate_task_data`] on an object's map.
    pub fn validate_task_data_map(&self, data: &Map<String, Value>) -> Result<(), String> {
        for (key, tag) in &self.data_types {
            let root = key.split('[').next().unwrap_or(key);
            let Some(value) = lookup(data, root) else {
                return Err(format!("\"{root}\" key is expected in task data"));
            };
            let expected: &[&str] = if key.contains('[') {
                &["list"]
            } else {
                tags::expected_types(tag)
            };
            let actual = python_type(value);
            // Python's `isinstance(True, int)` holds: a boolean passes where integers do.
            let accepted =
                expected.contains(&actual) || (actual == "bool" && expected.contains(&"int"));
            if !accepted {
                return Err(format!(
                    "data['{root}']={} is of type '{actual}', but the object tag {tag} expects the following types: {}",
                    pyrepr::str(value),
                    pyrepr::repr(&json!(expected))
                ));
            }
        }
        Ok(())
    }

    /// `control_weights` regenerated from the config, keeping weights already set in `existing`.
    pub fn control_weights(&self, existing: &Value) -> Value {
        let mut out = Map::new();
        for (name, control) in &self.controls {
            let old = existing.get(name);
            let overall = old
                .and_then(|o| o.get("overall"))
                .cloned()
                .unwrap_or(json!(1.0));
            let mut labels = Map::new();
            for label in &control.labels {
                let weight = old
                    .and_then(|o| o.get("labels"))
                    .and_then(|l| l.get(label))
                    .cloned()
                    .unwrap_or(json!(1.0));
                labels.insert(label.clone(), weight);
            }
            out.insert(
                name.clone(),
                json!({"overall": overall, "type": control.tag, "labels": labels}),
            );
        }
        Value::Object(out)
    }

    /// Whether moving from `old` to `self` changes what existing annotations mean
    /// (`config_essential_data_has_changed`): a control is new or changed type or inputs, or
    /// lost labels.
    pub fn essential_change_from(&self, old: &LabelConfig) -> bool {
        self.controls
            .iter()
            .any(|(name, new)| match old.controls.get(name) {
                None => true,
                Some(prev) => {
                    let kept: HashSet<&String> = new.labels.iter().collect();
                    prev.tag != new.tag
                        || prev.inputs != new.inputs
                        || !prev.labels.iter().all(|label| kept.contains(label))
                }
            })
    }

    /// False if any region tag or per-region/per-item classification is present.
    pub fn suitable_for_bulk_annotation(&self) -> bool {
        self.controls.values().all(|control| {
            let attr = |k: &str| control.attrs.get(k).map(String::as_str);
            if tags::REGION_TAGS.contains(&control.tag.as_str()) {
                return false;
            }
            let classification = [
                "Choices", "Taxonomy", "DateTime", "Number", "Rating", "TextArea",
            ];
            if classification.contains(&control.tag.as_str())
                && (attr("perRegion") == Some("true") || attr("perItem") == Some("true"))
            {
                return false;
            }
            if ["Choices", "Taxonomy"].contains(&control.tag.as_str()) && attr("value").is_some() {
                return false;
            }
            !(control.tag == "Taxonomy" && (attr("labeling").is_some() || attr("apiUrl").is_some()))
        })
    }
}

/// Python's type name of a JSON value.
pub fn python_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// `data[key]`, following dotted keys (`a.b`) when the flat key is absent.
fn lookup<'a>(data: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if let Some(value) = data.get(key) {
        return Some(value);
    }
    let mut parts = key.split('.');
    let mut current = data.get(parts.next()?)?;
    for part in parts {
        current = current.get(part)?;
    }
    Some(current)
}

/// Compiles a regular expression written in this file.
fn static_regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static regex")
}

static NAME_ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| static_regex(r#"name="([^"]*)""#));
static TEMPLATE_KEY: LazyLock<Regex> = LazyLock::new(|| static_regex(r"\$([A-Za-z0-9_]+)"));
static DYNAMIC_VALUE: LazyLock<Regex> = LazyLock::new(|| static_regex(r"^\$[A-Za-z_]+$"));
static REPEATER_PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| static_regex(r"\{\{[^}]+\}\}"));

fn check_unique_names(config: &str) -> Result<(), ConfigError> {
    let mut seen = HashSet::new();
    for capture in NAME_ATTRIBUTE.captures_iter(config) {
        if !seen.insert(capture[1].to_string()) {
            return Err(ConfigError::rule("Label config contains non-unique names"));
        }
    }
    Ok(())
}

fn all_names(doc: &roxmltree::Document) -> Vec<String> {
    let mut names: Vec<String> = doc
        .descendants()
        .filter_map(|node| node.attribute("name"))
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

fn check_to_names(doc: &roxmltree::Document, names: &[String]) -> Result<(), ConfigError> {
    let known: HashSet<&str> = names.iter().map(String::as_str).collect();
    for node in doc.descendants() {
        let Some(to_name) = node.attribute("toName") else {
            continue;
        };
        for name in to_name.split(',') {
            if !known.contains(name) {
                return Err(ConfigError::rule(format!(
                    "toName=\"{name}\" not found in names: {}",
                    pyrepr::repr(&json!(names))
                )));
            }
        }
    }
    Ok(())
}

fn attrs_of(node: &roxmltree::Node) -> IndexMap<String, String> {
    node.attributes()
        .map(|a| (a.name().to_string(), a.value().to_string()))
        .collect()
}

/// The data key a `value` attribute reads: `$key`, or the first `$word` inside a template.
fn data_key(value: &str) -> Option<String> {
    if let Some(key) = value.strip_prefix('$') {
        return Some(key.to_string());
    }
    TEMPLATE_KEY.captures(value).map(|c| c[1].to_string())
}

fn build(doc: &roxmltree::Document) -> LabelConfig {
    let mut objects = IndexMap::new();
    let mut data_types: IndexMap<String, String> = IndexMap::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        let tag = node.tag_name().name();
        let (Some(name), value) = (
            node.attribute("name"),
            node.attribute("value").or(node.attribute("valueList")),
        ) else {
            continue;
        };
        let Some(value) = value else { continue };
        if node.attribute("toName").is_none() {
            objects.insert(name.to_string(), tag.to_string());
        }
        if let Some(key) = data_key(value) {
            match data_types.get(&key) {
                Some(existing) if existing == "Video" => {}
                Some(_) if tag != "Video" => {}
                _ => {
                    data_types.insert(key, tag.to_string());
                }
            }
        }
    }
    // The first element carrying each name: controls find their object tags here.
    let mut by_name: HashMap<&str, roxmltree::Node> = HashMap::new();
    for node in doc.descendants() {
        if let Some(name) = node.attribute("name") {
            by_name.entry(name).or_insert(node);
        }
    }
    let mut controls = IndexMap::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        let tag = node.tag_name().name();
        let (Some(name), Some(to_name)) = (node.attribute("name"), node.attribute("toName")) else {
            continue;
        };
        if tag == "Filter" {
            continue;
        }
        let to_name: Vec<String> = to_name.split(',').map(str::to_string).collect();
        let inputs = to_name
            .iter()
            .filter_map(|target| {
                let object = by_name.get(target.as_str())?;
                let (value, value_list) = match object.attribute("value") {
                    Some(value) => (value, false),
                    None => (object.attribute("valueList")?, true),
                };
                Some(Input {
                    tag: object.tag_name().name().to_string(),
                    value_type: object.attribute("valueType").map(str::to_string),
                    value: value.trim_start_matches('$').to_string(),
                    value_list,
                })
            })
            .collect();
        let mut labels = Vec::new();
        let mut labels_attrs = IndexMap::new();
        for child in node
            .descendants()
            .skip(1)
            .filter(|n| matches!(n.tag_name().name(), "Label" | "Choice" | "Relation"))
        {
            let Some(label) = child.attribute("alias").or(child.attribute("value")) else {
                continue;
            };
            labels.push(label.to_string());
            labels_attrs.insert(label.to_string(), attrs_of(&child));
        }
        let attrs = attrs_of(&node);
        let conditionals = (node.attribute("perRegion") == Some("true"))
            .then(|| {
                if let Some(tag_name) = node.attribute("whenTagName") {
                    Some(json!({"type": "tag", "name": tag_name}))
                } else if let Some(label) = node.attribute("whenLabelValue") {
                    Some(json!({"type": "label", "name": label}))
                } else {
                    node.attribute("whenChoiceValue")
                        .map(|choice| json!({"type": "choice", "name": choice}))
                }
            })
            .flatten();
        let regex = to_name
            .iter()
            .flat_map(|t| {
                REPEATER_PLACEHOLDER
                    .find_iter(t)
                    .map(|m| (m.as_str().to_string(), ".*".to_string()))
            })
            .collect::<IndexMap<_, _>>();
        controls.insert(
            name.to_string(),
            Control {
                name: name.to_string(),
                tag: tag.to_string(),
                to_name,
                inputs,
                labels,
                labels_attrs,
                dynamic_labels: node
                    .attribute("value")
                    .is_some_and(|v| DYNAMIC_VALUE.is_match(v))
                    || node.attribute("apiUrl").is_some(),
                conditionals,
                regex: (!regex.is_empty()).then_some(regex),
                attrs,
            },
        );
    }
    let name_patterns = controls
        .values()
        .filter_map(|control| {
            let regex = control.regex.as_ref()?;
            let mut pattern = control.name.clone();
            for (variable, replacement) in regex {
                pattern = pattern.replace(variable.as_str(), replacement);
            }
            Some(NamePattern {
                control: control.name.clone(),
                regex: Regex::new(&format!("^(?:{pattern})")).ok()?,
                len: pattern.chars().count(),
            })
        })
        .collect();
    LabelConfig {
        controls,
        objects,
        data_types,
        name_patterns,
    }
}

#[cfg(test)]
mod tests;
