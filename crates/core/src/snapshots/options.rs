//! What a snapshot holds: the task, annotation and serialization options of
//! `POST /api/projects/{id}/exports/`, read with Label Studio's serializer rules and messages.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::CoreError;
use crate::fields::Fields;

/// `only` or `exclude` tasks with some property (none: no filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Only {
    Only,
    Exclude,
}

/// Which tasks (`task_filter_options`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFilter {
    /// A Data Manager view whose filters and ordering select the tasks.
    pub view: Option<i64>,
    /// Tasks with a skipped (cancelled) annotation.
    pub skipped: Option<Only>,
    /// Tasks that are labeled (complete).
    pub finished: Option<Only>,
    /// Tasks with an annotation that is not skipped.
    pub annotated: Option<Only>,
    /// Tasks that keep an annotation once the annotation filter applied.
    pub only_with_annotations: bool,
}

/// Which annotations (`annotation_filter_options`): any that is of a chosen kind; all when
/// none is chosen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnotationFilter {
    /// Neither skipped nor ground truth.
    pub usual: bool,
    pub ground_truth: bool,
    pub skipped: bool,
}

/// How each task is written (`serialization_options`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Serialization {
    /// Drafts written whole (else their ids).
    pub drafts: bool,
    /// Predictions written whole (else their ids).
    pub predictions: bool,
    /// `completed_by` as `{id, email, first_name, last_name}` (else the id).
    pub completed_by: bool,
    /// Video tracking sequences with every frame between key frames filled in.
    #[serde(default)]
    pub interpolate_key_frames: bool,
}

/// Everything a snapshot was asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    pub tasks: Option<TaskFilter>,
    pub annotations: Option<AnnotationFilter>,
    pub serialization: Serialization,
}

/// Reads a nested object of the body with `read`, recording its errors under `key`.
fn nested<T>(
    fields: &mut Fields<'_>,
    key: &str,
    read: impl FnOnce(&mut Fields<'_>) -> T,
) -> Option<T> {
    let value = fields.raw(key)?;
    if value.is_null() {
        fields.error(key, "This field may not be null.");
        return None;
    }
    let mut inner = match Fields::new(value) {
        Ok(inner) => inner,
        Err(err) => {
            record(fields, key, err);
            return None;
        }
    };
    let read = read(&mut inner);
    match inner.finish() {
        Ok(()) => Some(read),
        Err(err) => {
            record(fields, key, err);
            None
        }
    }
}

fn record(fields: &mut Fields<'_>, key: &str, err: CoreError) {
    if let CoreError::Validation(errors) = err {
        fields.nested_error(
            key,
            Value::Object(errors.into_iter().collect::<Map<_, _>>()),
        );
    }
}

fn only(fields: &mut Fields<'_>, key: &str) -> Option<Only> {
    match fields.raw(key) {
        None | Some(Value::Null) => None,
        Some(_) => match fields.choice(key, &["only", "exclude"]).as_deref() {
            Some("only") => Some(Only::Only),
            Some(_) => Some(Only::Exclude),
            None => None,
        },
    }
}

fn flag(fields: &mut Fields<'_>, key: &str) -> bool {
    match fields.raw(key) {
        None | Some(Value::Null) => false,
        Some(_) => fields.boolean(key).unwrap_or(false),
    }
}

/// Whether a serialization option asks for whole objects: given as `{"only_id": false}`.
fn expanded(fields: &mut Fields<'_>, key: &str) -> bool {
    nested(fields, key, |inner| !flag(inner, "only_id")).unwrap_or(false)
}

/// Reads the options of a create body, recording errors in `fields`.
pub fn read(fields: &mut Fields<'_>) -> Options {
    let tasks = nested(fields, "task_filter_options", |inner| TaskFilter {
        view: match inner.raw("view") {
            None | Some(Value::Null) => None,
            Some(_) => inner.integer("view"),
        },
        skipped: only(inner, "skipped"),
        finished: only(inner, "finished"),
        annotated: only(inner, "annotated"),
        only_with_annotations: flag(inner, "only_with_annotations"),
    });
    let annotations = nested(fields, "annotation_filter_options", |inner| {
        AnnotationFilter {
            // Label Studio's default once the object is given.
            usual: match inner.raw("usual") {
                None => true,
                Some(Value::Null) => false,
                Some(_) => inner.boolean("usual").unwrap_or(false),
            },
            ground_truth: flag(inner, "ground_truth"),
            skipped: flag(inner, "skipped"),
        }
    });
    let serialization = nested(fields, "serialization_options", |inner| Serialization {
        drafts: expanded(inner, "drafts"),
        predictions: expanded(inner, "predictions"),
        completed_by: expanded(inner, "annotations__completed_by"),
        interpolate_key_frames: flag(inner, "interpolate_key_frames"),
    })
    .unwrap_or_default();
    Options {
        tasks,
        annotations,
        serialization,
    }
}
