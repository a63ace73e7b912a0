//! `/api/projects/{id}/model-versions/`: the model versions of a project's predictions with
//! their counts (Label Studio's `ProjectModelVersions`), optionally with the live backends, and
//! deleting one version's predictions.

use serde::Serialize;
use serde_json::{json, Map, Value};
use tessera_db::counters::{self, TaskSet};
use tessera_db::{queries, time, Db};

use super::{render, MlOut};
use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::query_bool;
use crate::scope;

/// The query of a listing: `extended`, `include_live_models`, `limit`, as given.
#[derive(Default)]
pub struct VersionsQuery<'a> {
    pub extended: Option<&'a str>,
    pub include_live_models: Option<&'a str>,
    pub limit: Option<&'a str>,
}

/// One version in the extended listing.
#[derive(Serialize)]
pub struct StaticVersion {
    pub model_version: String,
    pub count: i64,
    pub latest: String,
}

/// The extended listing: the predictions' versions, and the backends when asked for.
#[derive(Serialize)]
pub struct ExtendedVersions {
    #[serde(rename = "static")]
    pub static_versions: Vec<StaticVersion>,
    pub live: Option<Vec<MlOut>>,
}

/// `GET`: `{version: count}` most recently predicted first (the project's own version added with
/// 0 when no prediction carries it, within `limit`), or with `extended` the
/// [`ExtendedVersions`].
pub async fn list(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    query: VersionsQuery<'_>,
) -> CoreResult<Value> {
    let project = scope::project(db.conn(), actor, project_id).await?;
    let extended = query_bool("extended", query.extended, false)?;
    let live = query_bool("include_live_models", query.include_live_models, false)?;
    let limit = match query.limit.filter(|l| !l.is_empty()) {
        None => None,
        Some(text) => Some(
            text.trim()
                .parse::<i64>()
                .map_err(|_| CoreError::field("limit", "A valid integer is required."))?,
        ),
    };
    let counts = queries::predictions::version_counts(db.conn(), project.id).await?;
    if extended {
        let live = if live {
            let backends = queries::ml_backends::of_project(db.conn(), project.id, None).await?;
            Some(backends.into_iter().map(render).collect())
        } else {
            None
        };
        let out = ExtendedVersions {
            static_versions: counts
                .into_iter()
                .map(|c| StaticVersion {
                    model_version: c.model_version,
                    count: c.count,
                    latest: time::format(&c.latest),
                })
                .collect(),
            live,
        };
        return Ok(serde_json::to_value(out).map_err(anyhow::Error::from)?);
    }
    // Django slices with a positive limit only; zero or less means no limit.
    let limit = limit.filter(|l| *l > 0).map(|l| l as usize);
    let mut out = Map::new();
    for c in counts.into_iter().take(limit.unwrap_or(usize::MAX)) {
        out.insert(c.model_version, json!(c.count));
    }
    let room = limit.is_none_or(|l| out.len() < l);
    if !project.model_version.is_empty() && !out.contains_key(&project.model_version) && room {
        out.insert(project.model_version.clone(), json!(0));
    }
    Ok(Value::Object(out))
}

/// `DELETE` with `{"model_version": ...}`: deletes the project's predictions of that version
/// (the counters follow); the project forgets its model version when it was that one or a live
/// backend, as Label Studio does. `{"deleted_predictions": n}`.
pub async fn delete(db: &Db, actor: &Actor, project_id: i64, body: &Value) -> CoreResult<Value> {
    let project = scope::project(db.conn(), actor, project_id).await?;
    let version = match body.get("model_version") {
        Some(Value::String(text)) if !text.is_empty() => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        _ => {
            return Err(CoreError::field(
                "non_field_errors",
                "model_version param is required",
            ))
        }
    };
    let txn = db.write().await?;
    queries::projects::lock(&*txn, project.id).await?;
    // Read again under the lock: the version another write may just have changed.
    let project = queries::projects::find_by_id(&*txn, project.id)
        .await?
        .ok_or_else(|| CoreError::no_match("Project"))?;
    let live = super::live_backend(&*txn, project.id, &project.model_version).await?;
    if project.model_version == version || live.is_some() {
        queries::projects::set_model_version(&*txn, project.id, "").await?;
    }
    let tasks = queries::predictions::tasks_with_version(&*txn, project.id, &version).await?;
    let deleted = queries::predictions::delete_of_version(&*txn, project.id, &version).await?;
    for chunk in tasks.chunks(counters::ID_CHUNK) {
        counters::recount_tasks(
            &*txn,
            project.id,
            project.skip_queue,
            TaskSet::Ids(chunk),
            None,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(json!({"deleted_predictions": deleted}))
}
