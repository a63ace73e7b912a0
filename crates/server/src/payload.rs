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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_json_and_reads_an_empty_body_as_an_object() {
        assert!(parse_json(b"{oops").is_err());
        assert_eq!(parse_json(b"  ").unwrap(), json!({}));
    }
}
