//! Checking annotation results against a config before they are stored.

use serde_json::Value;

use crate::LabelConfig;

/// Validates an annotation `result`: a list of region objects whose `from_name` is a control of
/// the config and whose `to_name` is one of that control's targets. Relations (no `from_name`)
/// and regions of unknown shape are let through, as the editor produces them.
pub fn validate_result(config: &LabelConfig, result: &Value) -> Result<(), String> {
    let Value::Array(items) = result else {
        return Err("result must be a list of regions".to_string());
    };
    for (index, item) in items.iter().enumerate() {
        let Value::Object(region) = item else {
            return Err(format!("result[{index}] must be a dict"));
        };
        if region.get("type").and_then(Value::as_str) == Some("relation") {
            continue;
        }
        let Some(from_name) = region.get("from_name").and_then(Value::as_str) else {
            continue;
        };
        if config.controls.is_empty() {
            continue;
        }
        let Some(control) = config
            .controls
            .get(from_name)
            .or_else(|| matching_repeater(config, from_name))
        else {
            return Err(format!(
                "from_name=\"{from_name}\" is not a control tag of the labeling config (controls: {})",
                config.controls.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        };
        if let Some(to_name) = region.get("to_name").and_then(Value::as_str) {
            if control.regex.is_none() && !control.to_name.iter().any(|t| t == to_name) {
                return Err(format!(
                    "to_name=\"{to_name}\" is not an object tag of control \"{from_name}\""
                ));
            }
        }
    }
    Ok(())
}

/// A Repeater control (`name="ch_{{idx}}"`) matching a concrete `from_name` (`ch_3`).
fn matching_repeater<'a>(config: &'a LabelConfig, from_name: &str) -> Option<&'a crate::Control> {
    config.controls.values().find(|control| {
        let Some(regex) = &control.regex else {
            return false;
        };
        let mut pattern = regex::escape(&control.name);
        for (placeholder, replacement) in regex {
            pattern = pattern.replace(&regex::escape(placeholder), replacement);
        }
        regex::Regex::new(&format!("^{pattern}$")).is_ok_and(|re| re.is_match(from_name))
    })
}
