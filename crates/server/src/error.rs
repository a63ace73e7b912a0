//! The one API error type, rendered as Label Studio's error envelope.
//!
//! Label Studio wraps DRF exceptions (`label_studio/core/utils/common.py`,
//! `custom_exception_handler`) as `{"id", "status_code", "version", "detail", "exc_info"}` plus
//! `validation_errors` for serializer errors. Handlers return `Result<T, ApiError>`; query code
//! returns `DbErr`, mapped here: a unique violation is a 409, a regular expression the database
//! refuses a 400, anything else an opaque 500 whose cause is logged with the same `id` the client
//! sees.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;

/// The Label Studio version whose API Tessera speaks; reported in error bodies and `/api/version`.
pub const LS_VERSION: &str = "1.23.2";

use tessera_core::error::CoreError;
pub use tessera_core::error::{missing_pk, FieldErrors};

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with `detail: "Validation error"` and per-field messages.
    #[error("validation error: {0:?}")]
    Validation(FieldErrors),
    /// 400 with a plain detail.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401; `WWW-Authenticate: Token` is added as Label Studio does.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed: {0}")]
    MethodNotAllowed(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    /// 415: a body of a content type the route does not read.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// 503: the database ran past the statement timeout, or had no connection free in time.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A body Label Studio returns without the envelope (e.g. `/api/projects/validate/`).
    #[error("raw {0}: {1}")]
    Raw(StatusCode, Value),
    /// A bare `{"detail": ...}` body without the envelope, as some Label Studio views answer.
    #[error("bare {0}: {1}")]
    Bare(StatusCode, String),
    /// Anything unexpected: logged with its cause, answered with an opaque 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 400 validation error on one field ([`CoreError::field`]).
    pub fn field(name: &str, message: impl Into<String>) -> ApiError {
        CoreError::field(name, message).into()
    }

    /// 400 on `field`: DRF's message for a related object that does not exist
    /// ([`CoreError::missing`]).
    pub fn missing(field: &str, id: impl std::fmt::Display) -> ApiError {
        CoreError::missing(field, id).into()
    }

    /// 404 `No <Model> matches the given query.` ([`CoreError::no_match`]).
    pub fn no_match(model: &str) -> ApiError {
        CoreError::no_match(model).into()
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Raw(status, _) | ApiError::Bare(status, _) => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Serialize)]
struct Detail<'a> {
    detail: &'a str,
}

#[derive(Serialize)]
struct Envelope<'a> {
    id: String,
    status_code: u16,
    version: &'static str,
    detail: &'a str,
    exc_info: Option<()>,
    #[serde(skip_serializing_if = "Option::is_none")]
    validation_errors: Option<&'a FieldErrors>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let id = uuid::Uuid::new_v4().to_string();
        let (detail, validation_errors) = match &self {
            ApiError::Validation(errors) => ("Validation error".to_string(), Some(errors)),
            ApiError::BadRequest(d)
            | ApiError::Unauthorized(d)
            | ApiError::Forbidden(d)
            | ApiError::NotFound(d)
            | ApiError::MethodNotAllowed(d)
            | ApiError::Conflict(d)
            | ApiError::PayloadTooLarge(d)
            | ApiError::UnsupportedMediaType(d)
            | ApiError::Unavailable(d) => (d.clone(), None),
            ApiError::Raw(_, body) => return (status, Json(body.clone())).into_response(),
            ApiError::Bare(_, detail) => return (status, Json(Detail { detail })).into_response(),
            ApiError::Internal(err) => {
                tracing::error!(error.id = %id, error = ?err, "internal error");
                ("Internal server error".to_string(), None)
            }
        };
        let body = Envelope {
            id,
            status_code: status.as_u16(),
            version: LS_VERSION,
            detail: &detail,
            exc_info: None,
            validation_errors,
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
        }
        response
    }
}

impl From<CoreError> for ApiError {
    fn from(err: CoreError) -> ApiError {
        match err {
            CoreError::Validation(errors) => ApiError::Validation(errors),
            CoreError::BadRequest(detail) => ApiError::BadRequest(detail),
            CoreError::Unauthorized(detail) => ApiError::Unauthorized(detail),
            CoreError::Forbidden(detail) => ApiError::Forbidden(detail),
            CoreError::NotFound(detail) => ApiError::NotFound(detail),
            CoreError::Conflict(detail) => ApiError::Conflict(detail),
            CoreError::Unavailable(detail) => ApiError::Unavailable(detail),
            CoreError::Upstream(detail) => ApiError::Bare(StatusCode::BAD_GATEWAY, detail),
            CoreError::Internal(err) => ApiError::Internal(err),
        }
    }
}

/// Database, query and media errors read as the core reads them.
macro_rules! through_core {
    ($($from:ty),*) => {$(
        impl From<$from> for ApiError {
            fn from(err: $from) -> ApiError {
                CoreError::from(err).into()
            }
        }
    )*};
}
through_core!(
    sea_orm::DbErr,
    tessera_db::filters::QueryError,
    tessera_storage::MediaError
);

/// What every handler returns.
pub type ApiResult<T> = Result<T, ApiError>;
