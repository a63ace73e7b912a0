//! Request bodies: the JSON extractor and a DRF-style field reader.
//!
//! Label Studio validates request bodies with Django REST framework serializers, which report
//! every bad field at once with fixed messages (`"A valid integer is required."`, ...). [`Fields`]
//! reproduces that: typed getters record a message per bad field, and [`Fields::finish`] turns
//! them into one 400. Handlers then build their typed request from the values.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::error::{ApiError, FieldErrors};

/// A request body as a `serde_json::Value`, read the way Django REST framework reads one: JSON,
/// or a form (`application/x-www-form-urlencoded` or `multipart/form-data`), whose fields become
/// strings (a repeated field a list of them, JSON text of an object or list that object or list)
/// that [`Fields`] coerces as DRF does (`"true"`, numbers as text). Malformed bodies and
/// oversized ones get Label Studio's errors.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let body = if content_type.starts_with("application/x-www-form-urlencoded") {
            let bytes = read_body(req, state).await?;
            // `curl -d '{...}'` labels JSON as a form: JSON it is.
            if let Ok(json @ (Value::Object(_) | Value::Array(_))) =
                serde_json::from_slice::<Value>(&bytes)
            {
                refuse_nul(&json)?;
                return Ok(JsonBody(json));
            }
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
                .map_err(|e| ApiError::BadRequest(format!("Form parse error - {e}")))?;
            form_object(pairs)
        } else if content_type.starts_with("multipart/form-data") {
            let malformed = |e: axum::extract::multipart::MultipartError| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    ApiError::BadRequest(format!("Multipart form parse error - {}", e.body_text()))
                }
            };
            let mut multipart = axum::extract::Multipart::from_request(req, state)
                .await
                .map_err(|e| ApiError::BadRequest(e.body_text()))?;
            let mut pairs = Vec::new();
            while let Some(field) = multipart.next_field().await.map_err(malformed)? {
                // Files belong to the routes that take them (imports, avatars).
                let (Some(name), None) = (field.name().map(str::to_string), field.file_name())
                else {
                    continue;
                };
                pairs.push((name, field.text().await.map_err(malformed)?));
            }
            form_object(pairs)
        } else {
            refuse_unsupported(&content_type)?;
            parse_json(&read_body(req, state).await?)?
        };
        refuse_nul(&body)?;
        Ok(JsonBody(body))
    }
}

/// A form's fields as a JSON object: each a string, a repeated one the list of its values.
/// Text holding a JSON object or list is that object or list, as DRF's `JSONField` reads form
/// input (`data`, `result`, `control_weights`, ...).
fn form_object(pairs: Vec<(String, String)>) -> Value {
    let mut fields: indexmap::IndexMap<String, Vec<Value>> = indexmap::IndexMap::new();
    for (key, text) in pairs {
        let structured = matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['));
        let value = match serde_json::from_str::<Value>(&text) {
            Ok(parsed @ (Value::Object(_) | Value::Array(_))) if structured => parsed,
            _ => Value::String(text),
        };
        fields.entry(key).or_default().push(value);
    }
    let object = fields.into_iter().map(|(key, mut values)| {
        let value = if values.len() == 1 {
            values.remove(0)
        } else {
            Value::Array(values)
        };
        (key, value)
    });
    Value::Object(object.collect())
}

/// DRF's `ProhibitNullCharactersValidator` for a whole body: no database stores the NUL
/// character in text, so a body holding one anywhere is refused, naming each top-level field
/// that does (`non_field_errors` for a body that is not an object).
fn refuse_nul(body: &Value) -> Result<(), ApiError> {
    if !tessera_db::dialect::has_nul(body) {
        return Ok(());
    }
    let message = || Value::from(vec!["Null characters are not allowed."]);
    let mut errors = FieldErrors::new();
    match body {
        Value::Object(map) => {
            for (key, _) in map
                .iter()
                .filter(|(k, v)| k.contains('\0') || tessera_db::dialect::has_nul(v))
            {
                errors.insert(key.replace('\0', ""), message());
            }
        }
        _ => {
            errors.insert("non_field_errors".to_string(), message());
        }
    }
    Err(ApiError::Validation(errors))
}

/// Path parameters; a segment that does not parse (`/api/projects/abc/`) is a 404, as the URL
/// would not match a Label Studio route.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(_) => Err(ApiError::NotFound("Not found.".to_string())),
        }
    }
}

/// Query parameters; a malformed query string is a 400 in the error envelope.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}

/// Refuses a request whose path or query string carries an encoded NUL character (`%00`):
/// no database stores one in text, so no parameter may hold one. A middleware on every route.
pub async fn refuse_nul_in_uri(request: Request, next: axum::middleware::Next) -> Response {
    let uri = request.uri();
    let encoded_nul = |text: &str| {
        text.as_bytes()
            .windows(3)
            .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
    };
    if encoded_nul(uri.path()) || uri.query().is_some_and(encoded_nul) {
        return ApiError::BadRequest("Null characters are not allowed.".to_string())
            .into_response();
    }
    next.run(request).await
}

/// DRF's parser negotiation: a body labelled with a type other than JSON or a form is a 415.
/// (No label at all is read as JSON, as most scripts mean it.)
pub fn refuse_unsupported(content_type: &str) -> Result<(), ApiError> {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let json = essence.is_empty() || essence == "application/json" || essence.ends_with("+json");
    if json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "Unsupported media type \"{essence}\" in request."
        )))
    }
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge("Request body is larger than the configured limit".to_string())
}

/// Reads the whole body, mapping the body-limit rejection to a 413.
pub async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::BadRequest(rejection.body_text())
        }
    })
}

/// Parses JSON; an empty body is an empty object, as DRF treats it.
pub fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(bytes)
        .map_err(|err| ApiError::BadRequest(format!("JSON parse error - {err}")))
}

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
pub fn query_bool(name: &str, value: Option<&str>, default: bool) -> Result<bool, ApiError> {
    match value {
        None | Some("") => Ok(default),
        Some(text) => {
            parse_bool(text).ok_or_else(|| ApiError::field(name, "Must be a valid boolean."))
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
    pub fn new(body: &'a Value) -> Result<Fields<'a>, ApiError> {
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
                Err(ApiError::Validation(errors))
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
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
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
        let Err(ApiError::Validation(errors)) = fields.finish() else {
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
        assert!(parse_json(b"{oops").is_err());
        assert_eq!(parse_json(b"  ").unwrap(), json!({}));
    }
}
