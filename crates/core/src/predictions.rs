//! Prediction results as Label Studio normalizes them (`Prediction.prepare_prediction_result`,
//! `label_studio/tasks/models.py`): a list of regions as is; a dict wrapped as one region of the
//! first control whose type is a key of it; a string or number as the value of the first
//! single-valued control (`choices`, `rating`, `number`, `textarea`) of a matching type.

use serde_json::{json, Value};
use tessera_labelconfig::LabelConfig;

/// Normalizes a prediction result; `Ok(None)` when nothing in the config can hold it.
pub fn normalize_result(
    config: Option<&LabelConfig>,
    result: &Value,
) -> Result<Option<Value>, String> {
    let controls = || config.into_iter().flat_map(|c| c.controls.values());
    let region = |control: &tessera_labelconfig::Control, value: Value| json!([{"from_name": control.name, "to_name": control.to_name.join(","), "type": control.result_type(), "value": value}]);
    match result {
        Value::Array(items) => {
            if items.iter().all(Value::is_object) {
                Ok(Some(result.clone()))
            } else {
                Err("Each item in prediction result should be dict".to_string())
            }
        }
        Value::Object(map) => Ok(controls()
            .find(|c| map.contains_key(&c.result_type()))
            .map(|c| region(c, result.clone()))),
        Value::String(_) | Value::Number(_) | Value::Bool(_) => {
            let fits = |kind: &str| match kind {
                "choices" | "textarea" => result.is_string(),
                "rating" => result.is_i64() || result.is_boolean(),
                "number" => result.is_number(),
                _ => false,
            };
            if let Value::Number(n) = result {
                if n.is_f64() && !controls().any(|c| c.result_type() == "number") {
                    return Err(format!(
                        "Incorrect format <class 'float'> for prediction result {n}"
                    ));
                }
            }
            Ok(controls().find(|c| fits(&c.result_type())).map(|c| {
                let key = if c.result_type() == "textarea" {
                    "text".to_string()
                } else {
                    c.result_type()
                };
                region(c, json!({ key: [result.clone()] }))
            }))
        }
        Value::Null => Err("This field may not be null.".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_shorthands() {
        let config = LabelConfig::parse(r#"<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="A"/></Choices></View>"#).unwrap();
        let wrapped = normalize_result(Some(&config), &json!("A"))
            .unwrap()
            .unwrap();
        assert_eq!(
            wrapped,
            json!([{"from_name": "c", "to_name": "t", "type": "choices", "value": {"choices": ["A"]}}])
        );
        let dict = normalize_result(Some(&config), &json!({"choices": ["A"]}))
            .unwrap()
            .unwrap();
        assert_eq!(dict[0]["from_name"], "c");
        assert_eq!(normalize_result(Some(&config), &json!(5)).unwrap(), None);
        assert!(normalize_result(Some(&config), &json!(["x"])).is_err());
    }
}
