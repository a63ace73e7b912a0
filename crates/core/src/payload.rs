//! Every payload shape Tessera sends — task, annotation, prediction, draft, project — built in
//! one place, matching Label Studio's serializers (`label_studio/tasks/serializers.py`,
//! `data_manager/serializers.py`, `projects/serializers.py`). The API, exports, storage exports
//! and webhooks render through here. Where the database writes a document for speed (the JSON
//! export's annotations, `dialect::export_annotation_json`), the Rust shape here is the
//! reference it is tested against (`payload_equality` in the API tests).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use tessera_db::entities::project::{Sampling, SkipQueue};
use tessera_db::entities::{annotation, draft, file_upload, prediction, project, task, user};
use tessera_db::{queries, time};
use tessera_formats::import::UNDEFINED_KEY;
use tessera_labelconfig::{pyrepr, LabelConfig};

use crate::error::CoreResult;
use crate::projects::config_of;

/// Django's `timesince`: the largest unit and the next one when it is not zero, with a
/// non-breaking space before each unit: `"0\u{a0}minutes"`, `"1\u{a0}hour, 5\u{a0}minutes"`.
pub fn created_ago(at: &DateTime<Utc>, now: &DateTime<Utc>) -> String {
    const UNITS: [(i64, &str); 6] = [
        (365 * 86400, "year"),
        (30 * 86400, "month"),
        (7 * 86400, "week"),
        (86400, "day"),
        (3600, "hour"),
        (60, "minute"),
    ];
    let plural = |n: i64, name: &str| format!("{n}\u{a0}{name}{}", if n == 1 { "" } else { "s" });
    let seconds = (*now - *at).num_seconds().max(0);
    let Some(index) = UNITS.iter().position(|(size, _)| seconds >= *size) else {
        return "0\u{a0}minutes".to_string();
    };
    let (size, name) = UNITS[index];
    let first = plural(seconds / size, name);
    match UNITS.get(index + 1) {
        Some((next_size, next_name)) if (seconds % size) / next_size > 0 => {
            format!(
                "{first}, {}",
                plural((seconds % size) / next_size, next_name)
            )
        }
        _ => first,
    }
}

/// Parses stored JSON text; corrupt text renders as null rather than failing the request.
pub fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// The first data key of a project's config, which `$undefined$` is renamed to on every read.
pub fn first_data_key(project: &project::Model) -> Option<String> {
    let types: Map<String, Value> = serde_json::from_str(&project.data_types).unwrap_or_default();
    types.keys().next().cloned()
}

/// Task data as stored, with `$undefined$` renamed to `first_key` (moved to the end, as
/// Label Studio's pop-and-set does).
pub fn task_data(text: &str, first_key: Option<&str>) -> Value {
    let mut data = json_of(text);
    if let (Some(key), Value::Object(map)) = (first_key, &mut data) {
        if let Some(value) = map.shift_remove(UNDEFINED_KEY) {
            map.insert(key.to_string(), value);
        }
    }
    data
}

/// Keeps only the `include`d keys (comma-separated) of a rendered object: DRF FlexFields'
/// `include=id,title`.
pub fn only_included(value: Value, include: Option<&str>) -> Value {
    match (value, include) {
        (Value::Object(map), Some(include)) => {
            let keys: Vec<&str> = include.split(',').map(str::trim).collect();
            Value::Object(
                map.into_iter()
                    .filter(|(k, _)| keys.contains(&k.as_str()))
                    .collect(),
            )
        }
        (value, _) => value,
    }
}

/// Initials as Label Studio computes them (`users/models.py`, `get_initials`).
pub fn initials(user: &user::Model) -> String {
    let first = user.first_name.chars().next();
    let last = user.last_name.chars().next();
    match (first, last) {
        (None, None) => {
            let name = if user.username.is_empty() {
                &user.email
            } else {
                &user.username
            };
            name.chars().take(2).collect()
        }
        (Some(f), None) => f.to_string(),
        (None, Some(l)) => l.to_string(),
        (Some(f), Some(l)) => format!("{f}{l}"),
    }
}

/// Users by id, loaded once per response.
pub struct Users(HashMap<i64, user::Model>);

impl Users {
    /// Loads the users referenced by these ids.
    pub async fn load<C: sea_orm::ConnectionTrait>(
        conn: &C,
        ids: impl IntoIterator<Item = Option<i64>>,
    ) -> CoreResult<Users> {
        let mut wanted: Vec<i64> = ids.into_iter().flatten().collect();
        wanted.sort_unstable();
        wanted.dedup();
        let users = queries::users::find_many(conn, &wanted).await?;
        Ok(Users(users.into_iter().map(|u| (u.id, u)).collect()))
    }

    /// A loaded user.
    pub fn get(&self, id: i64) -> Option<&user::Model> {
        self.0.get(&id)
    }

    /// `"<full name> <email>, <id>"` (Label Studio's `created_username`; an empty name leaves a
    /// leading space).
    pub fn created_username(&self, id: Option<i64>) -> String {
        match id.and_then(|id| self.0.get(&id)) {
            Some(u) => format!(
                "{} {}, {}",
                format!("{} {}", u.first_name, u.last_name).trim(),
                u.email,
                u.id
            ),
            None => String::new(),
        }
    }

    /// The user's email ("" when the user is gone).
    pub fn email(&self, id: i64) -> String {
        self.0.get(&id).map(|u| u.email.clone()).unwrap_or_default()
    }

    /// `{id, first_name, last_name, email}`, as storage exports nest a user (null when gone).
    pub fn brief(&self, id: Option<i64>) -> Value {
        match id.and_then(|id| self.0.get(&id)) {
            Some(u) => serde_json::json!({
                "id": u.id, "first_name": u.first_name, "last_name": u.last_name, "email": u.email,
            }),
            None => Value::Null,
        }
    }

    /// `{id, first_name, last_name, avatar, email, initials}` as the task detail view expands it
    /// (the bare id when the user is gone).
    pub fn expanded(&self, id: Option<i64>) -> Value {
        match id.and_then(|id| self.0.get(&id)) {
            Some(u) => serde_json::to_value(ExpandedUser {
                id: u.id,
                first_name: &u.first_name,
                last_name: &u.last_name,
                avatar: u.avatar.as_deref(),
                email: &u.email,
                initials: initials(u),
            })
            .unwrap_or(Value::Null),
            None => id.map_or(Value::Null, Value::from),
        }
    }
}

/// A user as the task detail view nests it.
#[derive(Serialize)]
struct ExpandedUser<'a> {
    id: i64,
    first_name: &'a str,
    last_name: &'a str,
    avatar: Option<&'a str>,
    email: &'a str,
    initials: String,
}

/// An entry of the Data Manager's `updated_by` list.
#[derive(Serialize)]
pub struct UpdatedBy {
    pub user_id: i64,
}

/// How an annotation's `completed_by` is shown.
#[derive(Clone, Copy)]
pub enum CompletedBy {
    Id,
    Expanded,
}

/// `AnnotationSerializer` output.
#[derive(Serialize)]
pub struct AnnotationOut {
    pub id: i64,
    pub result: Value,
    pub created_username: String,
    pub created_ago: String,
    pub completed_by: Value,
    pub was_cancelled: bool,
    pub ground_truth: bool,
    pub created_at: String,
    pub updated_at: String,
    pub draft_created_at: Option<String>,
    pub lead_time: Option<f64>,
    pub import_id: Option<i64>,
    pub last_action: Option<String>,
    pub bulk_created: bool,
    pub task: i64,
    pub project: i64,
    pub updated_by: Option<i64>,
    pub parent_prediction: Option<i64>,
    pub parent_annotation: Option<i64>,
    pub last_created_by: Option<i64>,
}

/// Renders an annotation.
pub fn annotation_out(
    a: annotation::Model,
    users: &Users,
    completed_by: CompletedBy,
    now: &DateTime<Utc>,
) -> AnnotationOut {
    AnnotationOut {
        id: a.id,
        result: a.result.as_deref().map_or(Value::Null, json_of),
        created_username: users.created_username(a.completed_by_id),
        created_ago: created_ago(&a.created_at, now),
        completed_by: match completed_by {
            CompletedBy::Id => a.completed_by_id.map_or(Value::Null, Value::from),
            CompletedBy::Expanded => users.expanded(a.completed_by_id),
        },
        was_cancelled: a.was_cancelled,
        ground_truth: a.ground_truth,
        created_at: time::format(&a.created_at),
        updated_at: time::format(&a.updated_at),
        draft_created_at: a.draft_created_at.as_ref().map(time::format),
        lead_time: a.lead_time,
        import_id: a.import_id,
        last_action: a.last_action,
        bulk_created: a.bulk_created,
        task: a.task_id,
        project: a.project_id,
        updated_by: a.updated_by_id,
        parent_prediction: a.parent_prediction_id,
        parent_annotation: a.parent_annotation_id,
        last_created_by: a.last_created_by_id,
    }
}

/// `PredictionSerializer` output.
#[derive(Serialize)]
pub struct PredictionOut {
    pub id: i64,
    pub result: Value,
    pub model_version: String,
    pub created_ago: String,
    pub score: Option<f64>,
    pub cluster: Option<i64>,
    pub neighbors: Value,
    pub mislabeling: f64,
    pub created_at: String,
    pub updated_at: String,
    pub model: Option<i64>,
    pub model_run: Option<i64>,
    pub task: i64,
    pub project: i64,
}

/// Renders a prediction.
pub fn prediction_out(p: prediction::Model, now: &DateTime<Utc>) -> PredictionOut {
    PredictionOut {
        id: p.id,
        result: json_of(&p.result),
        model_version: p.model_version,
        created_ago: created_ago(&p.created_at, now),
        score: p.score,
        cluster: p.cluster,
        neighbors: p.neighbors.as_deref().map_or(Value::Null, json_of),
        mislabeling: p.mislabeling,
        created_at: time::format(&p.created_at),
        updated_at: time::format(&p.updated_at),
        model: p.model_id,
        model_run: p.model_run_id,
        task: p.task_id,
        project: p.project_id,
    }
}

/// `TaskSimpleSerializer`/`TaskSerializer` output (`/api/projects/{id}/tasks/`, task writes).
#[derive(Serialize)]
pub struct SimpleTaskOut {
    pub id: i64,
    pub data: Value,
    pub meta: Value,
    pub created_at: String,
    pub updated_at: String,
    pub is_labeled: bool,
    pub overlap: i32,
    pub inner_id: i64,
    pub total_annotations: i32,
    pub cancelled_annotations: i32,
    pub total_predictions: i32,
    pub comment_count: i32,
    pub unresolved_comment_count: i32,
    pub last_comment_updated_at: Option<String>,
    pub project: i64,
    pub updated_by: Option<i64>,
    pub file_upload: Option<i64>,
    pub comment_authors: Vec<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Vec<AnnotationOut>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predictions: Option<Vec<PredictionOut>>,
}

/// Renders a task in the simple shape; `nested` adds annotations and predictions.
pub fn simple_task(
    t: task::Model,
    first_key: Option<&str>,
    nested: Option<(Vec<AnnotationOut>, Vec<PredictionOut>)>,
) -> SimpleTaskOut {
    let (annotations, predictions) = match nested {
        Some((a, p)) => (Some(a), Some(p)),
        None => (None, None),
    };
    SimpleTaskOut {
        id: t.id,
        data: task_data(&t.data, first_key),
        meta: json_of(&t.meta),
        created_at: time::format(&t.created_at),
        updated_at: time::format(&t.updated_at),
        is_labeled: t.is_labeled,
        overlap: t.overlap,
        inner_id: t.inner_id,
        total_annotations: t.total_annotations,
        cancelled_annotations: t.cancelled_annotations,
        total_predictions: t.total_predictions,
        comment_count: 0,
        unresolved_comment_count: 0,
        last_comment_updated_at: None,
        project: t.project_id,
        updated_by: t.updated_by_id,
        file_upload: t.file_upload_id,
        comment_authors: Vec::new(),
        annotations,
        predictions,
    }
}

/// The Data Manager task shape (`/api/tasks/`, `/api/tasks/{id}/`).
#[derive(Serialize)]
pub struct DmTaskOut {
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predictions: Option<Vec<PredictionOut>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Vec<AnnotationOut>>,
    pub drafts: Vec<DraftOut>,
    pub annotators: Vec<i64>,
    pub inner_id: i64,
    pub cancelled_annotations: i32,
    pub total_annotations: i32,
    pub total_predictions: i32,
    pub completed_at: Option<String>,
    pub annotations_results: String,
    pub predictions_results: String,
    pub predictions_score: Option<f64>,
    pub file_upload: Option<String>,
    pub storage_filename: Option<String>,
    pub annotations_ids: String,
    pub predictions_model_versions: String,
    pub avg_lead_time: Option<f64>,
    pub draft_exists: bool,
    pub updated_by: Vec<UpdatedBy>,
    pub data: Value,
    pub meta: Value,
    pub created_at: String,
    pub updated_at: String,
    pub is_labeled: bool,
    pub overlap: i32,
    pub comment_count: i32,
    pub unresolved_comment_count: i32,
    pub last_comment_updated_at: Option<String>,
    pub project: i64,
    pub comment_authors: Vec<i64>,
}

/// A draft as Label Studio's `AnnotationDraftSerializer` shows it (`user` is the email).
#[derive(Serialize)]
pub struct DraftOut {
    pub id: i64,
    pub user: String,
    pub created_username: String,
    pub created_ago: String,
    pub result: Value,
    pub lead_time: Option<f64>,
    pub was_postponed: bool,
    pub import_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    pub task: i64,
    pub annotation: Option<i64>,
}

/// Renders a draft; `users` must hold its author.
pub fn draft_out(d: draft::Model, users: &Users, now: &DateTime<Utc>) -> DraftOut {
    DraftOut {
        id: d.id,
        user: users.email(d.user_id),
        created_username: users
            .created_username(Some(d.user_id))
            .trim_start()
            .to_string(),
        created_ago: created_ago(&d.created_at, now),
        result: json_of(&d.result),
        lead_time: d.lead_time,
        was_postponed: d.was_postponed,
        import_id: d.import_id,
        created_at: time::format(&d.created_at),
        updated_at: time::format(&d.updated_at),
        task: d.task_id,
        annotation: d.annotation_id,
    }
}

/// What the Data Manager shape needs of the project.
pub struct DmProject {
    /// The config's first data key (`$undefined$` is shown under it).
    pub first_key: Option<String>,
    pub model_version: String,
}

impl DmProject {
    /// Reads it off the project.
    pub fn of(project: &project::Model) -> DmProject {
        DmProject {
            first_key: first_data_key(project),
            model_version: project.model_version.clone(),
        }
    }
}

/// Everything needed to render a page of tasks in the Data Manager shape.
pub struct TaskBatch {
    pub annotations: HashMap<i64, Vec<annotation::Model>>,
    pub predictions: HashMap<i64, Vec<prediction::Model>>,
    pub uploads: HashMap<i64, String>,
    /// The object key each task was made of, for tasks an import storage made.
    pub storage_keys: HashMap<i64, String>,
    pub users: Users,
    /// The viewer's own drafts, per task (shown only where Label Studio shows drafts).
    pub drafts: HashMap<i64, Vec<draft::Model>>,
    /// Tasks with a draft by anyone (`draft_exists`).
    pub with_drafts: std::collections::HashSet<i64>,
}

impl TaskBatch {
    /// Drops the annotations not by `user` (for callers who see only their own work).
    pub fn keep_annotations_of(&mut self, user: i64) {
        for list in self.annotations.values_mut() {
            list.retain(|a| a.completed_by_id == Some(user));
        }
    }

    /// Loads annotations, predictions, upload names, users and drafts of these tasks; `viewer`'s
    /// own drafts are kept for display.
    pub async fn load<C: sea_orm::ConnectionTrait>(
        conn: &C,
        tasks: &[task::Model],
        viewer: i64,
    ) -> CoreResult<TaskBatch> {
        let ids: Vec<i64> = tasks.iter().map(|t| t.id).collect();
        let mut annotations: HashMap<i64, Vec<annotation::Model>> = HashMap::new();
        for a in queries::annotations::of_tasks(conn, &ids).await? {
            annotations.entry(a.task_id).or_default().push(a);
        }
        let mut predictions: HashMap<i64, Vec<prediction::Model>> = HashMap::new();
        for p in queries::predictions::of_tasks(conn, &ids).await? {
            predictions.entry(p.task_id).or_default().push(p);
        }
        let upload_ids: Vec<i64> = tasks.iter().filter_map(|t| t.file_upload_id).collect();
        let uploads = queries::file_uploads::find_many(conn, &upload_ids).await?;
        let uploads = uploads
            .into_iter()
            .map(|u: file_upload::Model| (u.id, basename(&u.file)))
            .collect();
        let mut drafts: HashMap<i64, Vec<draft::Model>> = HashMap::new();
        for d in queries::drafts::of_tasks_by_user(conn, &ids, viewer).await? {
            drafts.entry(d.task_id).or_default().push(d);
        }
        let with_drafts = queries::drafts::tasks_with_drafts(conn, &ids)
            .await?
            .into_iter()
            .collect();
        let completers = annotations.values().flatten().map(|a| a.completed_by_id);
        let users = Users::load(conn, completers.chain(std::iter::once(Some(viewer)))).await?;
        let storage_keys = queries::storages::keys_of_tasks(conn, &ids).await?;
        Ok(TaskBatch {
            annotations,
            predictions,
            uploads,
            storage_keys,
            users,
            drafts,
            with_drafts,
        })
    }
}

/// The distinct items, in first-seen order.
fn distinct<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The last path segment.
pub fn basename(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// The Data Manager's text of stacked results (`annotations_results`, `predictions_results`):
/// each result as Python's `json.dumps` writes it, joined by commas, cut at 500 characters, then
/// with quotes dropped, as Label Studio's `_pretty_results` shows them.
fn stacked_results<'a>(results: impl Iterator<Item = &'a str>) -> String {
    let joined: Vec<String> = results
        .map(|text| pyrepr::json_dumps(&json_of(text)))
        .collect();
    let cut: String = joined.join(",").chars().take(500).collect();
    cut.replace(",\"", ", \"")
        .replace("],[", "] [")
        .replace('"', "")
}

/// How a project scores its tasks in the Data Manager: the average score of the predictions of
/// its current model version (`predictions_score`).
pub fn predictions_score(predictions: &[prediction::Model], model_version: &str) -> Option<f64> {
    let scores: Vec<f64> = predictions
        .iter()
        .filter(|p| p.model_version == model_version)
        .filter_map(|p| p.score)
        .collect();
    (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
}

/// Renders a task in the Data Manager shape; `nested` adds annotations/predictions.
pub fn dm_task(
    t: task::Model,
    batch: &TaskBatch,
    project: &DmProject,
    nested: Option<CompletedBy>,
    now: &DateTime<Utc>,
) -> DmTaskOut {
    let first_key = project.first_key.as_deref();
    let empty_a = Vec::new();
    let empty_p = Vec::new();
    let annotations = batch.annotations.get(&t.id).unwrap_or(&empty_a);
    let predictions = batch.predictions.get(&t.id).unwrap_or(&empty_p);
    let annotators = distinct(annotations.iter().filter_map(|a| a.completed_by_id));
    let lead_times: Vec<f64> = annotations.iter().filter_map(|a| a.lead_time).collect();
    let versions = distinct(predictions.iter().map(|p| p.model_version.as_str()));
    DmTaskOut {
        id: t.id,
        predictions: nested.map(|_| {
            predictions
                .iter()
                .cloned()
                .map(|p| prediction_out(p, now))
                .collect()
        }),
        annotations: nested.map(|how| {
            annotations
                .iter()
                .cloned()
                .map(|a| annotation_out(a, &batch.users, how, now))
                .collect()
        }),
        drafts: match nested {
            Some(_) => batch
                .drafts
                .get(&t.id)
                .map(|ds| {
                    ds.iter()
                        .map(|d| draft_out(d.clone(), &batch.users, now))
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        },
        annotators,
        inner_id: t.inner_id,
        cancelled_annotations: t.cancelled_annotations,
        total_annotations: t.total_annotations,
        total_predictions: t.total_predictions,
        completed_at: t.completed_at.as_ref().map(time::format),
        annotations_results: stacked_results(
            annotations.iter().filter_map(|a| a.result.as_deref()),
        ),
        predictions_results: stacked_results(predictions.iter().map(|p| p.result.as_str())),
        predictions_score: predictions_score(predictions, &project.model_version),
        file_upload: t
            .file_upload_id
            .and_then(|id| batch.uploads.get(&id).cloned()),
        storage_filename: batch.storage_keys.get(&t.id).cloned(),
        annotations_ids: annotations
            .iter()
            .map(|a| a.id.to_string())
            .collect::<Vec<_>>()
            .join(","),
        predictions_model_versions: versions.join(","),
        avg_lead_time: (!lead_times.is_empty())
            .then(|| lead_times.iter().sum::<f64>() / lead_times.len() as f64),
        draft_exists: batch.with_drafts.contains(&t.id),
        updated_by: t
            .updated_by_id
            .map(|user_id| vec![UpdatedBy { user_id }])
            .unwrap_or_default(),
        data: task_data(&t.data, first_key),
        meta: json_of(&t.meta),
        created_at: time::format(&t.created_at),
        updated_at: time::format(&t.updated_at),
        is_labeled: t.is_labeled,
        overlap: t.overlap,
        comment_count: 0,
        unresolved_comment_count: 0,
        last_comment_updated_at: None,
        project: t.project_id,
        comment_authors: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use serde_json::json;

    #[test]
    fn humanizes_like_django() {
        let now = Utc::now();
        assert_eq!(created_ago(&now, &now), "0\u{a0}minutes");
        assert_eq!(
            created_ago(&(now - Duration::minutes(1)), &now),
            "1\u{a0}minute"
        );
        assert_eq!(
            created_ago(&(now - Duration::hours(5)), &now),
            "5\u{a0}hours"
        );
        assert_eq!(
            created_ago(&(now - Duration::minutes(63)), &now),
            "1\u{a0}hour, 3\u{a0}minutes"
        );
    }

    #[test]
    fn renames_undefined_key() {
        assert_eq!(
            task_data(r#"{"$undefined$": "x", "a": 1}"#, Some("text")),
            json!({"a": 1, "text": "x"})
        );
        assert_eq!(
            task_data(r#"{"$undefined$": "x"}"#, None),
            json!({"$undefined$": "x"})
        );
    }
}

/// `created_by` as the project serializer shows it.
#[derive(Serialize)]
pub struct UserBrief {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub avatar: Option<String>,
}

impl From<&user::Model> for UserBrief {
    fn from(user: &user::Model) -> UserBrief {
        UserBrief {
            id: user.id,
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            email: user.email.clone(),
            avatar: user.avatar.clone(),
        }
    }
}

/// `ProjectSerializer` output, field for field and in Label Studio's order.
#[derive(Serialize)]
pub struct ProjectResponse {
    pub id: i64,
    pub title: Option<String>,
    pub description: String,
    pub label_config: String,
    pub expert_instruction: String,
    pub show_instruction: bool,
    pub show_skip_button: bool,
    pub enable_empty_annotation: bool,
    pub show_annotation_history: bool,
    pub organization: i64,
    pub color: String,
    pub maximum_annotations: i32,
    pub is_published: bool,
    pub model_version: String,
    pub is_draft: bool,
    pub created_by: Option<UserBrief>,
    pub created_at: String,
    pub min_annotations_to_start_training: i32,
    pub start_training_on_annotation_update: bool,
    pub show_collab_predictions: bool,
    pub num_tasks_with_annotations: Option<i64>,
    pub task_number: Option<i64>,
    pub useful_annotation_number: Option<i64>,
    pub ground_truth_number: Option<i64>,
    pub skipped_annotations_number: Option<i64>,
    pub total_annotations_number: Option<i64>,
    pub total_predictions_number: Option<i64>,
    pub sampling: Sampling,
    pub show_ground_truth_first: bool,
    pub annotator_evaluation_enabled: bool,
    pub show_overlap_first: bool,
    pub overlap_cohort_percentage: i32,
    pub task_data_login: Option<String>,
    pub task_data_password: Option<String>,
    pub control_weights: Value,
    pub parsed_label_config: Value,
    pub evaluate_predictions_automatically: bool,
    pub config_has_control_tags: bool,
    pub skip_queue: SkipQueue,
    pub reveal_preannotations_interactively: bool,
    pub pinned_at: Option<String>,
    pub finished_task_number: Option<i64>,
    pub queue_total: i64,
    pub queue_done: i64,
    pub config_suitable_for_bulk_annotation: bool,
    pub workspace: Option<i64>,
    pub state: Option<()>,
}

/// Whether the counters are shown (the create response shows them as null, as Label Studio).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Counters {
    Shown,
    Hidden,
}

/// A config's `parsed_label_config` (an empty object without a config).
fn parsed_config(config: Option<&LabelConfig>) -> Value {
    config.map_or(
        Value::Object(Default::default()),
        LabelConfig::parsed_label_config,
    )
}

/// A project as the API answers it (`ProjectSerializer`).
pub fn project_out(
    project: project::Model,
    created_by: Option<&user::Model>,
    queue: (i64, i64),
    counters: Counters,
) -> ProjectResponse {
    let config = config_of(&project);
    let parsed = parsed_config(config.as_ref());
    let shown = |n: i64| (counters == Counters::Shown).then_some(n);
    ProjectResponse {
        id: project.id,
        title: project.title,
        description: project.description,
        label_config: project.label_config,
        expert_instruction: project.expert_instruction,
        show_instruction: project.show_instruction,
        show_skip_button: project.show_skip_button,
        enable_empty_annotation: project.enable_empty_annotation,
        show_annotation_history: project.show_annotation_history,
        organization: project.organization_id,
        color: project.color,
        maximum_annotations: project.maximum_annotations,
        is_published: project.is_published,
        model_version: project.model_version,
        is_draft: project.is_draft,
        created_by: created_by.map(UserBrief::from),
        created_at: time::format(&project.created_at),
        min_annotations_to_start_training: project.min_annotations_to_start_training,
        start_training_on_annotation_update: project.min_annotations_to_start_training != 0,
        show_collab_predictions: project.show_collab_predictions,
        num_tasks_with_annotations: shown(project.num_tasks_with_annotations),
        task_number: shown(project.task_number),
        useful_annotation_number: shown(project.useful_annotation_number),
        ground_truth_number: shown(project.ground_truth_number),
        skipped_annotations_number: shown(project.skipped_annotations_number),
        total_annotations_number: shown(project.total_annotations_number),
        total_predictions_number: shown(project.total_predictions_number),
        sampling: project.sampling,
        show_ground_truth_first: project.show_ground_truth_first,
        annotator_evaluation_enabled: project.annotator_evaluation_enabled,
        show_overlap_first: project.show_overlap_first,
        overlap_cohort_percentage: project.overlap_cohort_percentage,
        task_data_login: project.task_data_login,
        task_data_password: project.task_data_password,
        control_weights: serde_json::from_str(&project.control_weights)
            .unwrap_or(Value::Object(Default::default())),
        config_has_control_tags: parsed.as_object().is_some_and(|m| !m.is_empty()),
        parsed_label_config: parsed,
        evaluate_predictions_automatically: project.evaluate_predictions_automatically,
        skip_queue: project.skip_queue,
        reveal_preannotations_interactively: project.reveal_preannotations_interactively,
        pinned_at: project.pinned_at.as_ref().map(time::format),
        finished_task_number: shown(project.finished_task_number),
        queue_total: queue.0,
        queue_done: queue.1,
        config_suitable_for_bulk_annotation: config
            .as_ref()
            .is_none_or(LabelConfig::suitable_for_bulk_annotation),
        workspace: project.workspace_id,
        state: None,
    }
}

/// `NextTaskSerializer` output plus the queue the task came from.
#[derive(Serialize)]
pub struct NextTaskOut {
    pub id: i64,
    predictions: Vec<PredictionOut>,
    annotations: Vec<Value>,
    drafts: Vec<DraftOut>,
    updated_by: Vec<UpdatedBy>,
    unique_lock_id: Option<String>,
    /// The task's data (bucket URIs are resolved by the caller).
    pub data: Value,
    meta: Value,
    created_at: String,
    updated_at: String,
    is_labeled: bool,
    overlap: i32,
    inner_id: i64,
    total_annotations: i32,
    cancelled_annotations: i32,
    total_predictions: i32,
    comment_count: i32,
    unresolved_comment_count: i32,
    last_comment_updated_at: Option<String>,
    project: i64,
    file_upload: Option<i64>,
    comment_authors: Vec<i64>,
    queue: &'static str,
}

/// A task served by the labeling stream, with what its payload shows.
pub struct ServedTask {
    pub task: task::Model,
    /// The predictions shown with it (of the project's model version, when it shows them).
    pub predictions: Vec<prediction::Model>,
    /// The annotator's drafts of it.
    pub drafts: Vec<draft::Model>,
    /// The lock that reserves it for the annotator.
    pub lock_id: Option<String>,
    /// The queue it came from.
    pub queue: &'static str,
}

/// The labeling stream's task (`NextTaskSerializer`).
pub fn next_task_out(
    served: ServedTask,
    first_key: Option<&str>,
    users: &Users,
    now: &DateTime<Utc>,
) -> NextTaskOut {
    let task = served.task;
    NextTaskOut {
        id: task.id,
        predictions: served
            .predictions
            .into_iter()
            .map(|p| prediction_out(p, now))
            .collect(),
        annotations: Vec::new(),
        drafts: served
            .drafts
            .into_iter()
            .map(|d| draft_out(d, users, now))
            .collect(),
        updated_by: task
            .updated_by_id
            .map(|user_id| vec![UpdatedBy { user_id }])
            .unwrap_or_default(),
        unique_lock_id: served.lock_id,
        data: task_data(&task.data, first_key),
        meta: json_of(&task.meta),
        created_at: time::format(&task.created_at),
        updated_at: time::format(&task.updated_at),
        is_labeled: task.is_labeled,
        overlap: task.overlap,
        inner_id: task.inner_id,
        total_annotations: task.total_annotations,
        cancelled_annotations: task.cancelled_annotations,
        total_predictions: task.total_predictions,
        comment_count: 0,
        unresolved_comment_count: 0,
        last_comment_updated_at: None,
        project: task.project_id,
        file_upload: task.file_upload_id,
        comment_authors: Vec::new(),
        queue: served.queue,
    }
}

/// `completed_by` in exports: the user's `{id, email, first_name, last_name}`, or the bare id
/// (`annotations__completed_by__only_id`, or a user that is gone).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ExportedUser {
    Id(Option<i64>),
    User {
        id: i64,
        email: String,
        first_name: String,
        last_name: String,
    },
}

/// An annotation as the JSON export writes it (Label Studio's export serializer, field order
/// included). The export has the database write this document
/// (`dialect::export_annotation_json`); this is the shape it must equal.
#[derive(Debug, Serialize)]
pub struct ExportAnnotationOut {
    pub id: i64,
    pub completed_by: ExportedUser,
    pub result: Value,
    pub was_cancelled: bool,
    pub ground_truth: bool,
    pub created_at: String,
    pub updated_at: String,
    pub draft_created_at: Option<String>,
    pub lead_time: Option<f64>,
    pub prediction: Value,
    pub result_count: i32,
    pub unique_id: Option<String>,
    pub import_id: Option<i64>,
    pub last_action: Option<String>,
    pub bulk_created: bool,
    pub task: i64,
    pub project: i64,
    pub updated_by: Option<i64>,
    pub parent_prediction: Option<i64>,
    pub parent_annotation: Option<i64>,
    pub last_created_by: Option<i64>,
}

/// Renders an annotation for the JSON export; `user` is its `completed_by` user, if any.
pub fn export_annotation_out(
    a: &annotation::Model,
    user: Option<&user::Model>,
    only_id: bool,
) -> ExportAnnotationOut {
    let completed_by = match user {
        Some(user) if !only_id => ExportedUser::User {
            id: user.id,
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
        },
        _ => ExportedUser::Id(a.completed_by_id),
    };
    ExportAnnotationOut {
        id: a.id,
        completed_by,
        result: a.result.as_deref().map_or(Value::Null, json_of),
        was_cancelled: a.was_cancelled,
        ground_truth: a.ground_truth,
        created_at: time::format(&a.created_at),
        updated_at: time::format(&a.updated_at),
        draft_created_at: a.draft_created_at.as_ref().map(time::format),
        lead_time: a.lead_time,
        prediction: json_of(&a.prediction),
        result_count: a.result_count,
        unique_id: a.unique_id.clone(),
        import_id: a.import_id,
        last_action: a.last_action.clone(),
        bulk_created: a.bulk_created,
        task: a.task_id,
        project: a.project_id,
        updated_by: a.updated_by_id,
        parent_prediction: a.parent_prediction_id,
        parent_annotation: a.parent_annotation_id,
        last_created_by: a.last_created_by_id,
    }
}

/// A task as the JSON export writes it. The export writes it from stored JSON text, by the
/// database or byte by byte (`export.rs`); this is the shape both must equal.
#[derive(Debug, Serialize)]
pub struct ExportTaskOut {
    pub id: i64,
    pub annotations: Vec<ExportAnnotationOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_upload: Option<String>,
    pub drafts: Vec<Value>,
    pub predictions: Vec<i64>,
    pub data: Value,
    pub meta: Value,
    pub created_at: String,
    pub updated_at: String,
    pub allow_skip: bool,
    pub inner_id: i64,
    pub total_annotations: i32,
    pub cancelled_annotations: i32,
    pub total_predictions: i32,
    pub comment_count: i32,
    pub unresolved_comment_count: i32,
    pub last_comment_updated_at: Option<String>,
    pub project: i64,
    pub updated_by: Option<i64>,
    pub comment_authors: Vec<i64>,
}

/// Renders a task for the JSON export, with its rendered annotations, the stored name of the
/// file it came from, its predictions' ids, and `$undefined$` renamed to `first_key`.
pub fn export_task_out(
    t: &task::Model,
    annotations: Vec<ExportAnnotationOut>,
    file_upload: Option<String>,
    predictions: Vec<i64>,
    first_key: Option<&str>,
) -> ExportTaskOut {
    ExportTaskOut {
        id: t.id,
        annotations,
        file_upload,
        drafts: Vec::new(),
        predictions,
        data: task_data(&t.data, first_key),
        meta: json_of(&t.meta),
        created_at: time::format(&t.created_at),
        updated_at: time::format(&t.updated_at),
        allow_skip: t.allow_skip,
        inner_id: t.inner_id,
        total_annotations: t.total_annotations,
        cancelled_annotations: t.cancelled_annotations,
        total_predictions: t.total_predictions,
        comment_count: 0,
        unresolved_comment_count: 0,
        last_comment_updated_at: None,
        project: t.project_id,
        updated_by: t.updated_by_id,
        comment_authors: Vec::new(),
    }
}

/// A task as Label Studio's model serializers (`fields = '__all__'`) render it: what export
/// storages nest in an annotation and webhooks send (data as read, `$undefined$` renamed).
pub fn task_model_out(t: &task::Model, first_key: Option<&str>) -> Value {
    serde_json::json!({
        "id": t.id,
        "data": task_data(&t.data, first_key),
        "meta": json_of(&t.meta),
        "created_at": time::format(&t.created_at),
        "updated_at": time::format(&t.updated_at),
        "is_labeled": t.is_labeled,
        "allow_skip": t.allow_skip,
        "overlap": t.overlap,
        "inner_id": t.inner_id,
        "total_annotations": t.total_annotations,
        "cancelled_annotations": t.cancelled_annotations,
        "total_predictions": t.total_predictions,
        "precomputed_agreement": null,
        "comment_count": 0,
        "unresolved_comment_count": 0,
        "last_comment_updated_at": null,
        "project": t.project_id,
        "updated_by": t.updated_by_id,
        "file_upload": t.file_upload_id,
        "comment_authors": [],
    })
}

/// An annotation as Label Studio's model serializer renders it (webhooks): related objects by
/// id.
pub fn annotation_model_out(a: &annotation::Model) -> Value {
    serde_json::json!({
        "id": a.id,
        "result": a.result.as_deref().map_or(Value::Null, json_of),
        "was_cancelled": a.was_cancelled,
        "ground_truth": a.ground_truth,
        "created_at": time::format(&a.created_at),
        "updated_at": time::format(&a.updated_at),
        "draft_created_at": a.draft_created_at.as_ref().map(time::format),
        "lead_time": a.lead_time,
        "prediction": json_of(&a.prediction),
        "result_count": a.result_count,
        "unique_id": a.unique_id,
        "import_id": a.import_id,
        "last_action": a.last_action,
        "bulk_created": a.bulk_created,
        "task": a.task_id,
        "project": a.project_id,
        "completed_by": a.completed_by_id,
        "updated_by": a.updated_by_id,
        "parent_prediction": a.parent_prediction_id,
        "parent_annotation": a.parent_annotation_id,
        "last_created_by": a.last_created_by_id,
    })
}

/// A project as Label Studio's webhooks send it (`ProjectWebhookSerializer`: the model's fields
/// with its counters first). Label Studio's per-project invite `token` does not exist in
/// Tessera (null); `label_config_hash` is a stable hash of the config (Label Studio's is
/// Python's per-process `hash()`).
#[derive(Serialize)]
pub struct WebhookProjectOut {
    pub id: i64,
    pub task_number: i64,
    pub finished_task_number: i64,
    pub total_predictions_number: i64,
    pub total_annotations_number: i64,
    pub num_tasks_with_annotations: i64,
    pub useful_annotation_number: i64,
    pub ground_truth_number: i64,
    pub skipped_annotations_number: i64,
    pub title: Option<String>,
    pub description: String,
    pub label_config: String,
    pub parsed_label_config: Value,
    pub label_config_hash: i64,
    pub expert_instruction: String,
    pub show_instruction: bool,
    pub show_skip_button: bool,
    pub enable_empty_annotation: bool,
    pub reveal_preannotations_interactively: bool,
    pub show_annotation_history: bool,
    pub show_collab_predictions: bool,
    pub evaluate_predictions_automatically: bool,
    pub token: Option<()>,
    pub result_count: i64,
    pub color: String,
    pub maximum_annotations: i32,
    pub min_annotations_to_start_training: i32,
    pub control_weights: Value,
    pub model_version: String,
    pub data_types: Value,
    pub is_draft: bool,
    pub is_published: bool,
    pub created_at: String,
    pub updated_at: String,
    pub sampling: Sampling,
    pub skip_queue: SkipQueue,
    pub show_ground_truth_first: bool,
    pub annotator_evaluation_enabled: bool,
    pub show_overlap_first: bool,
    pub overlap_cohort_percentage: i32,
    pub task_data_login: Option<String>,
    pub task_data_password: Option<String>,
    pub pinned_at: Option<String>,
    pub custom_task_lock_ttl: Option<()>,
    pub deleted_at: Option<()>,
    pub purge_at: Option<()>,
    pub search_vector: Option<()>,
    pub organization: i64,
    pub created_by: Option<i64>,
    pub deleted_by: Option<()>,
}

/// [`WebhookProjectOut`] of a project.
pub fn webhook_project_out(p: &project::Model) -> WebhookProjectOut {
    let parsed = parsed_config(config_of(p).as_ref());
    WebhookProjectOut {
        id: p.id,
        task_number: p.task_number,
        finished_task_number: p.finished_task_number,
        total_predictions_number: p.total_predictions_number,
        total_annotations_number: p.total_annotations_number,
        num_tasks_with_annotations: p.num_tasks_with_annotations,
        useful_annotation_number: p.useful_annotation_number,
        ground_truth_number: p.ground_truth_number,
        skipped_annotations_number: p.skipped_annotations_number,
        title: p.title.clone(),
        description: p.description.clone(),
        label_config: p.label_config.clone(),
        parsed_label_config: parsed,
        label_config_hash: config_hash(&p.label_config),
        expert_instruction: p.expert_instruction.clone(),
        show_instruction: p.show_instruction,
        show_skip_button: p.show_skip_button,
        enable_empty_annotation: p.enable_empty_annotation,
        reveal_preannotations_interactively: p.reveal_preannotations_interactively,
        show_annotation_history: p.show_annotation_history,
        show_collab_predictions: p.show_collab_predictions,
        evaluate_predictions_automatically: p.evaluate_predictions_automatically,
        token: None,
        result_count: 0,
        color: p.color.clone(),
        maximum_annotations: p.maximum_annotations,
        min_annotations_to_start_training: p.min_annotations_to_start_training,
        control_weights: json_of(&p.control_weights),
        model_version: p.model_version.clone(),
        data_types: json_of(&p.data_types),
        is_draft: p.is_draft,
        is_published: p.is_published,
        created_at: time::format(&p.created_at),
        updated_at: time::format(&p.updated_at),
        sampling: p.sampling,
        skip_queue: p.skip_queue,
        show_ground_truth_first: p.show_ground_truth_first,
        annotator_evaluation_enabled: p.annotator_evaluation_enabled,
        show_overlap_first: p.show_overlap_first,
        overlap_cohort_percentage: p.overlap_cohort_percentage,
        task_data_login: p.task_data_login.clone(),
        task_data_password: p.task_data_password.clone(),
        pinned_at: p.pinned_at.as_ref().map(time::format),
        custom_task_lock_ttl: None,
        deleted_at: None,
        purge_at: None,
        search_vector: None,
        organization: p.organization_id,
        created_by: p.created_by_id,
        deleted_by: None,
    }
}

/// A stable signed 63-bit hash of a labeling config.
fn config_hash(config: &str) -> i64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(config.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(bytes) >> 1) as i64
}

/// An annotation as export storages write it (Label Studio's `StorageAnnotationSerializer`): the
/// annotation with its task nested (data as read, without other annotations) and its author in
/// brief.
pub fn storage_annotation_out(
    a: &annotation::Model,
    t: &task::Model,
    first_key: Option<&str>,
    users: &Users,
    now: &DateTime<Utc>,
) -> Value {
    serde_json::json!({
        "id": a.id,
        "result": a.result.as_deref().map_or(Value::Null, json_of),
        "created_username": users.created_username(a.completed_by_id),
        "created_ago": created_ago(&a.created_at, now),
        "completed_by": users.brief(a.completed_by_id),
        "task": task_model_out(t, first_key),
        "was_cancelled": a.was_cancelled,
        "ground_truth": a.ground_truth,
        "created_at": time::format(&a.created_at),
        "updated_at": time::format(&a.updated_at),
        "draft_created_at": a.draft_created_at.as_ref().map(time::format),
        "lead_time": a.lead_time,
        "import_id": a.import_id,
        "last_action": a.last_action,
        "bulk_created": a.bulk_created,
        "project": a.project_id,
        "updated_by": a.updated_by_id,
        "parent_prediction": a.parent_prediction_id,
        "parent_annotation": a.parent_annotation_id,
        "last_created_by": a.last_created_by_id,
    })
}
