//! The project summary (`/api/projects/{id}/summary/`): data columns seen in imports and counts
//! of created annotation kinds and labels, kept up to date as annotations come and go
//! (`ProjectSummary` in `label_studio/projects/models.py`). Config changes are checked against it.

use indexmap::IndexMap;
use serde_json::{Map, Value};
use tessera_labelconfig::LabelConfig;

/// Counts of annotation kinds (`from|to|type`) and labels per control, in memory.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub created_annotations: IndexMap<String, i64>,
    pub created_labels: IndexMap<String, IndexMap<String, i64>>,
}

impl Summary {
    /// Reads the stored JSON columns.
    pub fn load(created_annotations: &str, created_labels: &str) -> Summary {
        Summary {
            created_annotations: serde_json::from_str(created_annotations).unwrap_or_default(),
            created_labels: serde_json::from_str(created_labels).unwrap_or_default(),
        }
    }

    /// Adds (`sign = 1`) or removes (`sign = -1`) one annotation's result regions.
    pub fn count_result(&mut self, result: &Value, sign: i64) {
        let Value::Array(regions) = result else {
            return;
        };
        for region in regions {
            let (Some(from), Some(to), Some(kind)) = (
                region.get("from_name").and_then(Value::as_str),
                region.get("to_name").and_then(Value::as_str),
                region.get("type").and_then(Value::as_str),
            ) else {
                continue;
            };
            *self
                .created_annotations
                .entry(format!("{from}|{to}|{}", kind.to_lowercase()))
                .or_default() += sign;
            if let Some(Value::Array(labels)) = region.get("value").and_then(|v| v.get(kind)) {
                let per_control = self.created_labels.entry(from.to_string()).or_default();
                for label in labels.iter().filter_map(Value::as_str) {
                    *per_control.entry(label.to_string()).or_default() += sign;
                }
            }
        }
        self.created_annotations.retain(|_, n| *n > 0);
        for labels in self.created_labels.values_mut() {
            labels.retain(|_, n| *n > 0);
        }
        self.created_labels.retain(|_, labels| !labels.is_empty());
    }

    /// The stored JSON of both maps.
    pub fn to_json(&self) -> (String, String) {
        (
            serde_json::to_string(&self.created_annotations).unwrap_or_else(|_| "{}".into()),
            serde_json::to_string(&self.created_labels).unwrap_or_else(|_| "{}".into()),
        )
    }

    /// Refuses a config that drops a control kind existing annotations use
    /// (`Project.validate_config`); with `strict`, also one that drops used labels.
    pub fn check_config(&self, config: &LabelConfig, strict: bool) -> Result<(), String> {
        let mut missing = Vec::new();
        for (key, count) in &self.created_annotations {
            let mut parts = key.splitn(3, '|');
            let (Some(from), Some(to), Some(kind)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if kind == "textarea" || kind == "chatmessage" {
                continue;
            }
            let present = config.controls.get(from).is_some_and(|c| {
                c.result_type() == kind && (c.to_name.iter().any(|t| t == to) || c.regex.is_some())
            });
            if !present {
                missing.push(format!(
                    "{count} with from_name={from}, to_name={to}, type={kind}"
                ));
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "Created annotations are incompatible with provided labeling schema, we found:\n{}",
                missing.join("\n")
            ));
        }
        if strict {
            let mut lines = Vec::new();
            for (control_name, labels) in &self.created_labels {
                let Some(control) = config.controls.get(control_name) else {
                    continue;
                };
                if control.dynamic_labels {
                    continue;
                }
                for (label, count) in labels {
                    if !control.labels.contains(label) {
                        lines.push((
                            control_name.clone(),
                            format!(
                                "{label} ({count} annotation{})",
                                if *count == 1 { "" } else { "s" }
                            ),
                        ));
                    }
                }
            }
            if let Some((control_name, _)) = lines.first() {
                let listed: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
                return Err(format!(
                    "These labels still exist in annotations or drafts:\n{}\nPlease add labels to tag with name=\"{control_name}\".",
                    listed.join("\n")
                ));
            }
        }
        Ok(())
    }
}

/// Data-column bookkeeping for an import: `all_data_columns` counts tasks per key and
/// `common_data_columns` is the sorted intersection of keys across imported tasks.
pub struct DataColumns {
    all: IndexMap<String, i64>,
    common: Option<Vec<String>>,
}

impl DataColumns {
    /// Starts from the project's stored columns (`had_tasks`: whether the common keys so far
    /// count, i.e. the project had tasks).
    pub fn load(all_json: &str, common_json: &str, had_tasks: bool) -> DataColumns {
        DataColumns {
            all: serde_json::from_str(all_json).unwrap_or_default(),
            common: if had_tasks {
                serde_json::from_str(common_json).ok()
            } else {
                None
            },
        }
    }

    /// Counts one imported task's data keys.
    pub fn add(&mut self, data: &Map<String, Value>) {
        for key in data.keys() {
            *self.all.entry(key.clone()).or_default() += 1;
        }
        self.common = Some(match self.common.take() {
            None => data.keys().cloned().collect(),
            Some(keys) => keys.into_iter().filter(|k| data.contains_key(k)).collect(),
        });
    }

    /// `(all_data_columns, common_data_columns)` as stored JSON.
    pub fn to_json(&self) -> (String, String) {
        let mut common = self.common.clone().unwrap_or_default();
        common.sort();
        (
            serde_json::to_string(&self.all).unwrap_or_default(),
            serde_json::to_string(&common).unwrap_or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_and_checks_configs() {
        let mut summary = Summary::default();
        let result = json!([
            {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Negative"]}},
            {"from_name": "ner", "to_name": "text", "type": "labels", "value": {"labels": ["PER"], "start": 0, "end": 1}}
        ]);
        summary.count_result(&result, 1);
        assert_eq!(summary.created_annotations["ner|text|labels"], 1);
        assert_eq!(summary.created_labels["sentiment"]["Negative"], 1);
        let without_ner = LabelConfig::parse(
            r#"<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text"><Choice value="Positive"/></Choices></View>"#,
        )
        .unwrap();
        let err = summary.check_config(&without_ner, false).unwrap_err();
        assert_eq!(err, "Created annotations are incompatible with provided labeling schema, we found:\n1 with from_name=ner, to_name=text, type=labels");
        summary.count_result(&result, -1);
        assert!(summary.created_annotations.is_empty());
        assert!(summary.check_config(&without_ner, true).is_ok());
    }
}
