//! Project settings: reading a create/update body into the model, with Label Studio's
//! validation and side effects.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveEnum, IntoActiveModel, Iterable};
use serde_json::Value;
use tessera_db::entities::project::{self, Sampling, SkipQueue};
use tessera_db::{counters, queries, time, WriteTxn};
use tessera_labelconfig::LabelConfig;

use crate::error::{CoreError, CoreResult};
use crate::fields::Fields;
use crate::overlap;
use crate::summary::Summary;

/// A field holding one of a stored enum's values (`sampling`, `skip_queue`), with DRF's message
/// for anything else.
fn choice_of<E>(fields: &mut Fields, key: &str) -> Option<E>
where
    E: ActiveEnum<Value = String> + Iterable,
{
    let names: Vec<String> = E::iter().map(|value| value.to_value()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let chosen = fields.choice(key, &names)?;
    E::try_from_value(&chosen).ok()
}

/// The default label config of a new project.
const EMPTY_CONFIG: &str = "<View></View>";

/// The project's parsed label config (stored configs were validated on write, so a parse failure
/// means an empty config).
pub fn config_of(project: &project::Model) -> Option<LabelConfig> {
    LabelConfig::parse(&project.label_config).ok()
}
/// A new project's model with Label Studio's defaults.
pub(super) fn defaults(
    organization_id: i64,
    created_by: i64,
    now: DateTime<Utc>,
) -> project::Model {
    project::Model {
        id: 0,
        organization_id,
        created_by_id: Some(created_by),
        workspace_id: None,
        title: Some(String::new()),
        description: String::new(),
        label_config: EMPTY_CONFIG.to_string(),
        expert_instruction: String::new(),
        show_instruction: false,
        show_skip_button: true,
        enable_empty_annotation: true,
        show_annotation_history: false,
        color: "#FFFFFF".to_string(),
        maximum_annotations: 1,
        is_published: false,
        model_version: String::new(),
        is_draft: false,
        min_annotations_to_start_training: 0,
        show_collab_predictions: true,
        sampling: Sampling::Sequential,
        show_ground_truth_first: false,
        show_overlap_first: false,
        overlap_cohort_percentage: 100,
        task_data_login: None,
        task_data_password: None,
        control_weights: "{}".to_string(),
        evaluate_predictions_automatically: false,
        skip_queue: SkipQueue::RequeueForOthers,
        reveal_preannotations_interactively: false,
        annotator_evaluation_enabled: false,
        pinned_at: None,
        data_types: "{}".to_string(),
        task_number: 0,
        finished_task_number: 0,
        total_annotations_number: 0,
        skipped_annotations_number: 0,
        ground_truth_number: 0,
        useful_annotation_number: 0,
        num_tasks_with_annotations: 0,
        total_predictions_number: 0,
        last_inner_id: 0,
        summary_all_data_columns: "{}".to_string(),
        summary_common_data_columns: "[]".to_string(),
        summary_created_annotations: "{}".to_string(),
        summary_created_labels: "{}".to_string(),
        created_at: now,
        updated_at: now,
    }
}

/// Project instructions as they are stored: HTML with scripts, frames, event handlers, styles
/// and `javascript:` links removed, as Label Studio sanitizes them on save (which keeps
/// `<script>` and `<iframe>`; Tessera removes those too). Classes stay and links gain no `rel`,
/// so other UIs reading the stored text see what Label Studio would give them.
fn clean_instruction(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(None)
        .add_generic_attributes(["class"])
        .clean(html)
        .to_string()
}

/// Validates a label config for the API: the parse error becomes a field error.
fn parse_config(fields: &mut Fields, key: &str, config: &str) -> Option<LabelConfig> {
    match LabelConfig::parse(config) {
        Ok(parsed) => Some(parsed),
        Err(err) => {
            fields.error(key, err.0);
            None
        }
    }
}

/// What changed in an update, for the side effects that follow it.
pub(super) struct Applied {
    pub model: project::Model,
    /// Which overlap settings changed (see `services::overlap`).
    pub overlap: overlap::Changed,
    pub skip_queue_changed: bool,
}

/// Applies a create/update body to `current` (all fields optional, as in Label Studio's PATCH),
/// validating every field and the new config against existing annotations.
pub(super) async fn apply(
    txn: &WriteTxn,
    current: project::Model,
    body: &Value,
    is_new: bool,
) -> CoreResult<Applied> {
    let mut fields = Fields::new(body)?;
    let mut next = current.clone();
    if let Some(title) = fields.nullable_string("title") {
        let len = title.as_deref().map_or(0, |t| t.chars().count());
        if len > 0 && len < 3 {
            fields.error("title", "Ensure this field has at least 3 characters.");
        } else if len > 50 {
            fields.error("title", "Ensure this field has no more than 50 characters.");
        }
        next.title = title;
    }
    if let Some(v) = fields.string("description") {
        next.description = v;
    }
    let mut new_config = None;
    if let Some(config) = fields.string("label_config") {
        if let Some(parsed) = parse_config(&mut fields, "label_config", &config) {
            new_config = Some(parsed);
            next.label_config = config;
        }
    }
    if let Some(v) = fields.string("expert_instruction") {
        next.expert_instruction = clean_instruction(&v);
    }
    macro_rules! flags {
        ($($name:ident),*) => {$(
            if let Some(v) = fields.boolean(stringify!($name)) { next.$name = v; }
        )*};
    }
    flags!(
        show_instruction,
        show_skip_button,
        enable_empty_annotation,
        show_annotation_history,
        is_published,
        is_draft,
        show_collab_predictions,
        show_ground_truth_first,
        show_overlap_first,
        evaluate_predictions_automatically,
        reveal_preannotations_interactively,
        annotator_evaluation_enabled
    );
    if let Some(color) = fields
        .bounded_string("color", 16)
        .filter(|c| c.chars().count() <= 16)
    {
        let valid = color.len() == 7
            && color.starts_with('#')
            && color[1..].chars().all(|c| c.is_ascii_hexdigit());
        if valid {
            next.color = color;
        } else {
            fields.error("color", "Color must be in \"#RRGGBB\" format");
        }
    }
    if let Some(v) = fields.int32("maximum_annotations") {
        next.maximum_annotations = v;
    }
    if let Some(v) = fields.int32("min_annotations_to_start_training") {
        next.min_annotations_to_start_training = v;
    }
    if let Some(v) = fields.boolean("start_training_on_annotation_update") {
        next.min_annotations_to_start_training = i32::from(v);
    }
    if let Some(v) = fields.int32("overlap_cohort_percentage") {
        next.overlap_cohort_percentage = v;
    }
    // Label Studio takes a null sampling (and keeps serving in its default order).
    if fields.raw("sampling").is_some_and(|v| !v.is_null()) {
        if let Some(v) = choice_of(&mut fields, "sampling") {
            next.sampling = v;
        }
    }
    if let Some(v) = choice_of(&mut fields, "skip_queue") {
        next.skip_queue = v;
    }
    for (key, slot) in [
        ("task_data_login", &mut next.task_data_login),
        ("task_data_password", &mut next.task_data_password),
    ] {
        if let Some(v) = fields.nullable_string(key) {
            if v.as_deref().is_some_and(|v| v.chars().count() > 256) {
                fields.error(key, "Ensure this field has no more than 256 characters.");
            }
            *slot = v;
        }
    }
    // Read-only in effect, but checked as Label Studio's serializer checks them.
    if let Some(creator) = fields
        .raw("created_by")
        .filter(|v| !v.is_null() && !v.is_object())
    {
        let message = format!(
            "Invalid data. Expected a dictionary, but got {}.",
            crate::fields::python_type(creator)
        );
        fields.nested_error(
            "created_by",
            serde_json::json!({"non_field_errors": [message]}),
        );
    }
    if let Some(organization) = fields.primary_key("organization") {
        if queries::organizations::find(&**txn, organization)
            .await?
            .is_none()
        {
            fields.missing("organization", organization);
        }
    }
    if let Some(v) = fields.nullable_integer("workspace") {
        let known = match v {
            Some(id) => queries::workspaces::find(&**txn, current.organization_id, id)
                .await?
                .is_some(),
            None => true,
        };
        if known {
            next.workspace_id = v;
        } else {
            fields.missing("workspace", v.unwrap_or_default());
        }
    }
    if let Some(pinned) = fields.nullable_string("pinned_at") {
        next.pinned_at = match pinned {
            None => None,
            Some(text) => match DateTime::parse_from_rfc3339(&text) {
                Ok(at) => Some(at.with_timezone(&Utc)),
                Err(_) => {
                    fields.error(
                        "pinned_at",
                        "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
                    );
                    None
                }
            },
        };
    }
    // A null resets the weights to the config's defaults.
    let weights = match fields.raw("control_weights") {
        Some(Value::Null) => Some(Value::Object(Default::default())),
        _ => fields.object("control_weights").map(Value::Object),
    };
    let model_version = match fields.raw("model_version") {
        // No version at all is one Label Studio cannot find.
        Some(Value::Null) => {
            fields.error(
                "model_version",
                "Model version doesn't exist either as live model or as static predictions.",
            );
            None
        }
        _ => fields.string("model_version"),
    };
    fields.finish()?;

    if next.is_published && next.is_draft {
        next.is_draft = false;
    }
    if let Some(version) = model_version {
        // Label Studio checks the version only when an existing project's changes; a new
        // project takes whatever it is given (the seed's payload sends "string"). A version is
        // one of the project's predictions' or the title of one of its backends (a live model).
        if !is_new
            && !version.is_empty()
            && version != current.model_version
            && !queries::projects::has_prediction_version(&**txn, current.id, &version).await?
            && crate::ml::live_backend(&**txn, current.id, &version)
                .await?
                .is_none()
        {
            return Err(CoreError::field(
                "model_version",
                "Model version doesn't exist either as live model or as static predictions.",
            ));
        }
        next.model_version = version;
    }
    if !next.show_collab_predictions {
        next.model_version = String::new();
    }
    let config = match new_config {
        Some(config) => {
            if !is_new {
                let summary = Summary::load(
                    &current.summary_created_annotations,
                    &current.summary_created_labels,
                );
                summary
                    .check_config(&config, false)
                    .map_err(|message| CoreError::field("label_config", message))?;
            }
            next.data_types =
                serde_json::to_string(&config.data_types).unwrap_or_else(|_| "{}".into());
            Some(config)
        }
        None => LabelConfig::parse(&next.label_config).ok(),
    };
    if let Some(config) = config {
        let existing = weights
            .unwrap_or_else(|| serde_json::from_str(&current.control_weights).unwrap_or_default());
        next.control_weights = config.control_weights(&existing).to_string();
    }
    next.updated_at = time::now();
    let overlap = overlap::Changed {
        maximum_annotations: !is_new && next.maximum_annotations != current.maximum_annotations,
        cohort_percentage: !is_new
            && next.overlap_cohort_percentage != current.overlap_cohort_percentage,
        task_number: false,
    };
    let skip_queue_changed = !is_new && next.skip_queue != current.skip_queue;
    Ok(Applied {
        model: next,
        overlap,
        skip_queue_changed,
    })
}

/// Saves an applied change and runs its side effects (task overlap, `is_labeled`, counters).
pub(super) async fn save(
    txn: &WriteTxn,
    applied: Applied,
    is_new: bool,
) -> CoreResult<project::Model> {
    let mut active = applied.model.clone().into_active_model();
    if is_new {
        active.id = sea_orm::ActiveValue::NotSet;
    } else {
        active = mark_all_changed(active);
    }
    let saved = queries::projects::save(&**txn, active).await?;
    let overlap_changed = applied.overlap.maximum_annotations || applied.overlap.cohort_percentage;
    if overlap_changed {
        overlap::update(txn, &saved, applied.overlap).await?;
    }
    if applied.skip_queue_changed {
        counters::recount_project(&**txn, saved.id, saved.skip_queue).await?;
    }
    Ok(saved)
}

/// Marks every settings column as changed so `update` writes them; counters, `last_inner_id`
/// and the summary are left out, since their own statements maintain them in this transaction.
fn mark_all_changed(active: project::ActiveModel) -> project::ActiveModel {
    use project::Column as C;
    use sea_orm::ActiveModelTrait;
    let mut active = active.reset_all();
    for column in [
        C::TaskNumber,
        C::FinishedTaskNumber,
        C::TotalAnnotationsNumber,
        C::SkippedAnnotationsNumber,
        C::GroundTruthNumber,
        C::UsefulAnnotationNumber,
        C::NumTasksWithAnnotations,
        C::TotalPredictionsNumber,
        C::LastInnerId,
        C::SummaryAllDataColumns,
        C::SummaryCommonDataColumns,
        C::SummaryCreatedAnnotations,
        C::SummaryCreatedLabels,
    ] {
        active.not_set(column);
    }
    active
}
