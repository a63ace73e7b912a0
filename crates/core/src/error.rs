//! The core's one error type: what went wrong in a use case, in words Label Studio's clients
//! know. The server renders it as Label Studio's error envelope (400 for `Validation` and
//! `BadRequest`, 403, 404, 409, 503, an opaque 500 for `Internal`); a background job records it.

use indexmap::IndexMap;
use serde_json::Value;

/// Per-field validation messages, DRF style: `{"title": ["Ensure this field ..."]}`.
pub type FieldErrors = IndexMap<String, Value>;

/// Every way a use case can fail.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Bad input, with per-field messages.
    #[error("validation error: {0:?}")]
    Validation(FieldErrors),
    /// Bad input, with one message.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The credentials presented do not identify anyone (a revoked or invalid token).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The actor's role does not allow it.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such object, or not the actor's to see.
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database ran past the statement timeout, or had no connection free in time.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A server Tessera called (SMTP; webhooks and ML backends next) failed.
    #[error("upstream: {0}")]
    Upstream(String),
    /// Anything unexpected.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// A use case's result.
pub type CoreResult<T> = Result<T, CoreError>;

/// DRF's `PrimaryKeyRelatedField` message for an id naming no object.
pub fn missing_pk(id: impl std::fmt::Display) -> String {
    format!("Invalid pk \"{id}\" - object does not exist.")
}

impl CoreError {
    /// A validation error on one field.
    pub fn field(name: &str, message: impl Into<String>) -> CoreError {
        let mut errors = FieldErrors::new();
        errors.insert(name.to_string(), Value::from(vec![message.into()]));
        CoreError::Validation(errors)
    }

    /// DRF's message on `field` for a related object that does not exist (or is not the
    /// actor's to name).
    pub fn missing(field: &str, id: impl std::fmt::Display) -> CoreError {
        CoreError::field(field, missing_pk(id))
    }

    /// `No <Model> matches the given query.`, Django's wording for a missing object.
    pub fn no_match(model: &str) -> CoreError {
        CoreError::NotFound(format!("No {model} matches the given query."))
    }
}

/// A Data Manager query that cannot run is the client's mistake.
impl From<tessera_db::filters::QueryError> for CoreError {
    fn from(err: tessera_db::filters::QueryError) -> CoreError {
        CoreError::BadRequest(err.0)
    }
}

impl From<tessera_storage::MediaError> for CoreError {
    fn from(err: tessera_storage::MediaError) -> CoreError {
        CoreError::Internal(err.into())
    }
}

/// A unique violation is a conflict, a regular expression the database refuses is bad input, a
/// timeout is unavailability; anything else is internal.
impl From<sea_orm::DbErr> for CoreError {
    fn from(err: sea_orm::DbErr) -> CoreError {
        if tessera_db::is_unique_violation(&err) {
            return CoreError::Conflict("Object with these values already exists".to_string());
        }
        if tessera_db::is_invalid_regex(&err) {
            return CoreError::BadRequest("Invalid regular expression in a filter.".to_string());
        }
        if tessera_db::is_timeout(&err) {
            return CoreError::Unavailable(
                "The database took too long to answer this request and it was cancelled: narrow the filter or search, \
                 or ask the administrator to raise --statement-timeout."
                    .to_string(),
            );
        }
        if let sea_orm::DbErr::RecordNotFound(what) = &err {
            return CoreError::NotFound(what.clone());
        }
        CoreError::Internal(anyhow::Error::new(err).context("database error"))
    }
}

/// A use case failing inside a background job: tried again later, while attempts remain.
impl From<CoreError> for tessera_jobs::JobError {
    fn from(err: CoreError) -> tessera_jobs::JobError {
        tessera_jobs::JobError::Retry(err.to_string())
    }
}
