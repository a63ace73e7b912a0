//! Reading JSON documents the way Label Studio's serializers (DRF) do: coercions (numbers as
//! text, booleans' many spellings) and per-field messages in DRF's words. Request bodies and
//! documents a background job reads (files of tasks in a bucket) go through the same reader.

use serde_json::{Map, Value};

use crate::error::{CoreError, FieldErrors};

pub use tessera_labelconfig::python_type;

/// Python's truthiness of a JSON value: null, false, 0, "" and empty containers are falsy.
pub fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// A primary key as DRF reads one: a JSON integer or a string of digits.
pub fn pk_of(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

/// DRF's boolean spellings (`true`, `1`, `yes`, `on`, `t`, `y` and their negations), any case.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "on" | "t" => Some(true),
        "false" | "0" | "no" | "n" | "off" | "f" => Some(false),
        _ => None,
    }
}

/// A boolean query parameter: absent or empty means `default`; anything unreadable is DRF's 400.
pub fn query_bool(name: &str, value: Option<&str>, default: bool) -> Result<bool, CoreError> {
    match value {
        None | Some("") => Ok(default),
        Some(text) => {
            parse_bool(text).ok_or_else(|| CoreError::field(name, "Must be a valid boolean."))
        }
    }
}

/// Reads fields from a JSON object, collecting DRF-style messages for the bad ones.
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    errors: FieldErrors,
}

impl<'a> Fields<'a> {
    /// Starts reading `body`, which must be a JSON object.
    pub fn new(body: &'a Value) -> Result<Fields<'a>, CoreError> {
        match body {
            Value::Object(map) => Ok(Fields {
                map,
                errors: FieldErrors::new(),
            }),
            other => {
                let mut errors = FieldErrors::new();
                errors.insert(
                    "non_field_errors".to_string(),
                    Value::from(vec![format!(
                        "Invalid data. Expected a dictionary, but got {}.",
                        python_type(other)
                    )]),
                );
                Err(CoreError::Validation(errors))
            }
        }
    }

    /// The raw value, if present.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// Whether the key is present.
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// Records DRF's `This field is required.` for each of `keys` that is absent.
    pub fn require(&mut self, keys: &[&str]) {
        for key in keys {
            if !self.has(key) {
                self.error(key, "This field is required.");
            }
        }
    }

    /// Records a message for `key`.
    pub fn error(&mut self, key: &str, message: impl Into<String>) {
        self.errors
            .entry(key.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(Value::Array(list)) = self.errors.get_mut(key) {
            list.push(Value::String(message.into()));
        }
    }

    /// Records a nested serializer's errors for `key` (`{"created_by": {"non_field_errors": [...]}}`).
    pub fn nested_error(&mut self, key: &str, errors: Value) {
        self.errors.insert(key.to_string(), errors);
    }

    /// A related object's primary key (DRF's `PrimaryKeyRelatedField`): a number or numeric
    /// text; anything else is "Incorrect type". Whether the object exists is the caller's check
    /// ([`Fields::missing`]).
    pub fn primary_key(&mut self, key: &str) -> Option<i64> {
        let value = self.non_null(key)?;
        let parsed = match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.error(
                key,
                format!(
                    "Incorrect type. Expected pk value, received {}.",
                    python_type(value)
                ),
            );
        }
        parsed
    }

    /// A primary key that may be null: `Some(None)` for null.
    pub fn nullable_primary_key(&mut self, key: &str) -> Option<Option<i64>> {
        match self.map.get(key)? {
            Value::Null => Some(None),
            _ => self.primary_key(key).map(Some),
        }
    }

    /// Records that the object `id` named by `key` does not exist (or is not the caller's).
    pub fn missing(&mut self, key: &str, id: i64) {
        self.error(key, crate::error::missing_pk(id));
    }

    /// A string of one of `allowed` (DRF's `ChoiceField`).
    pub fn choice(&mut self, key: &str, allowed: &[&str]) -> Option<String> {
        let value = self.string(key)?;
        if allowed.contains(&value.as_str()) {
            Some(value)
        } else {
            self.error(key, format!("\"{value}\" is not a valid choice."));
            None
        }
    }

    fn non_null(&mut self, key: &str) -> Option<&'a Value> {
        match self.map.get(key) {
            None => None,
            Some(Value::Null) => {
                self.error(key, "This field may not be null.");
                None
            }
            Some(value) => Some(value),
        }
    }

    /// A string (numbers are accepted and converted, as DRF's `CharField` does).
    pub fn string(&mut self, key: &str) -> Option<String> {
        let value = self.non_null(key)?;
        self.string_of(key, value)
    }

    /// A string of at most `max` characters (DRF's `max_length`).
    pub fn bounded_string(&mut self, key: &str, max: usize) -> Option<String> {
        let text = self.string(key)?;
        if text.chars().count() > max {
            self.error(
                key,
                format!("Ensure this field has no more than {max} characters."),
            );
        }
        Some(text)
    }

    /// A string that may be `null`: `Some(None)` for null.
    pub fn nullable_string(&mut self, key: &str) -> Option<Option<String>> {
        match self.map.get(key)? {
            Value::Null => Some(None),
            value => self.string_of(key, value).map(Some),
        }
    }

    fn string_of(&mut self, key: &str, value: &Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => {
                self.error(key, "Not a valid string.");
                None
            }
        }
    }

    /// A boolean, accepting DRF's spellings (`"true"`, `1`, `"no"`, ...).
    pub fn boolean(&mut self, key: &str) -> Option<bool> {
        let value = self.non_null(key)?;
        let parsed = match value {
            Value::Bool(b) => Some(*b),
            Value::Number(n) if n.as_i64() == Some(1) || n.as_f64() == Some(1.0) => Some(true),
            Value::Number(n) if n.as_i64() == Some(0) || n.as_f64() == Some(0.0) => Some(false),
            Value::String(s) => parse_bool(s),
            _ => None,
        };
        if parsed.is_none() {
            self.error(key, "Must be a valid boolean.");
        }
        parsed
    }

    /// A boolean that may be null: `Some(None)` for null.
    pub fn nullable_bool(&mut self, key: &str) -> Option<Option<bool>> {
        match self.map.get(key)? {
            Value::Null => Some(None),
            _ => self.boolean(key).map(Some),
        }
    }

    /// An integer (integral floats and numeric strings are accepted, as DRF does).
    pub fn integer(&mut self, key: &str) -> Option<i64> {
        self.integer_or(key, "A valid integer is required.")
    }

    /// An integer of a `BigIntegerField` (its own message).
    pub fn big_integer(&mut self, key: &str) -> Option<i64> {
        self.integer_or(key, "A valid biginteger is required.")
    }

    fn integer_or(&mut self, key: &str, message: &str) -> Option<i64> {
        let value = self.non_null(key)?;
        let parsed = match value {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.error(key, message);
        }
        parsed
    }

    /// An integer within Django's 32-bit `IntegerField` range.
    pub fn int32(&mut self, key: &str) -> Option<i32> {
        let value = self.integer(key)?;
        if value < i64::from(i32::MIN) {
            self.error(
                key,
                format!(
                    "Ensure this value is greater than or equal to {}.",
                    i32::MIN
                ),
            );
            return None;
        }
        if value > i64::from(i32::MAX) {
            self.error(
                key,
                format!("Ensure this value is less than or equal to {}.", i32::MAX),
            );
            return None;
        }
        Some(value as i32)
    }

    /// A float that may be null.
    pub fn nullable_float(&mut self, key: &str) -> Option<Option<f64>> {
        match self.map.get(key)? {
            Value::Null => Some(None),
            Value::Number(n) => n.as_f64().map(Some),
            Value::String(s) if s.trim().parse::<f64>().is_ok() => {
                s.trim().parse::<f64>().ok().map(Some)
            }
            _ => {
                self.error(key, "A valid number is required.");
                None
            }
        }
    }

    /// An integer that may be null.
    pub fn nullable_integer(&mut self, key: &str) -> Option<Option<i64>> {
        match self.map.get(key)? {
            Value::Null => Some(None),
            _ => self.integer(key).map(Some),
        }
    }

    /// A JSON object.
    pub fn object(&mut self, key: &str) -> Option<Map<String, Value>> {
        match self.non_null(key)? {
            Value::Object(map) => Some(map.clone()),
            other => {
                let message = format!(
                    "Expected a dictionary of items but got type \"{}\".",
                    python_type(other)
                );
                self.error(key, message);
                None
            }
        }
    }

    /// A JSON list.
    pub fn list(&mut self, key: &str) -> Option<Vec<Value>> {
        match self.non_null(key)? {
            Value::Array(list) => Some(list.clone()),
            other => {
                let message = format!(
                    "Expected a list of items but got type \"{}\".",
                    python_type(other)
                );
                self.error(key, message);
                None
            }
        }
    }

    /// Fails with every recorded message, or succeeds when there were none.
    pub fn finish(self) -> Result<(), CoreError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_every_bad_field() {
        let body = json!({"a": "x", "b": null, "c": "true", "d": 5.0, "e": [1]});
        let mut fields = Fields::new(&body).unwrap();
        assert_eq!(fields.integer("a"), None);
        assert_eq!(fields.string("b"), None);
        assert_eq!(fields.boolean("c"), Some(true));
        assert_eq!(fields.integer("d"), Some(5));
        assert_eq!(fields.object("e"), None);
        let Err(CoreError::Validation(errors)) = fields.finish() else {
            panic!("expected errors")
        };
        assert_eq!(errors["a"], json!(["A valid integer is required."]));
        assert_eq!(errors["b"], json!(["This field may not be null."]));
        assert_eq!(
            errors["e"],
            json!(["Expected a dictionary of items but got type \"list\"."])
        );
        assert_eq!(errors.len(), 3);
    }

    #[test]
    fn rejects_non_objects() {
        assert!(Fields::new(&json!([1])).is_err());
    }
}
