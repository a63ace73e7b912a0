//! Looking objects up within the caller's organization. Every lookup of an organization-owned
//! object goes through here, so another organization's object is always Label Studio's 404
//! (`No <Model> matches the given query.`), never a leak. So are projects the caller's role does
//! not let them see (`Actor::viewer`) and, for annotators, other people's annotations.

use sea_orm::ConnectionTrait;
use tessera_db::entities::{annotation, file_upload, prediction, project, task};
use tessera_db::queries;

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::pk_of;

/// A project of the caller's organization.
pub async fn project<C: ConnectionTrait>(
    conn: &C,
    caller: &Actor,
    id: i64,
) -> CoreResult<project::Model> {
    queries::projects::find(conn, caller.viewer(), id)
        .await?
        .ok_or_else(|| CoreError::no_match("Project"))
}

/// The project of an object, reported as that object's 404 when it is another organization's.
async fn owning_project<C: ConnectionTrait>(
    conn: &C,
    caller: &Actor,
    project_id: i64,
    model: &str,
) -> CoreResult<project::Model> {
    queries::projects::find(conn, caller.viewer(), project_id)
        .await?
        .ok_or_else(|| CoreError::no_match(model))
}

/// A task of the caller's organization and its project.
pub async fn task<C: ConnectionTrait>(
    conn: &C,
    caller: &Actor,
    id: i64,
) -> CoreResult<(task::Model, project::Model)> {
    let task = queries::tasks::find(conn, id)
        .await?
        .ok_or_else(|| CoreError::no_match("Task"))?;
    let project = owning_project(conn, caller, task.project_id, "Task").await?;
    Ok((task, project))
}

/// An annotation of the caller's organization and its project.
pub async fn annotation<C: ConnectionTrait>(
    conn: &C,
    caller: &Actor,
    id: i64,
) -> CoreResult<(annotation::Model, project::Model)> {
    let annotation = queries::annotations::find(conn, id)
        .await?
        .filter(|a| caller.sees_others_work() || a.completed_by_id == Some(caller.user.id))
        .ok_or_else(|| CoreError::no_match("Annotation"))?;
    let project = owning_project(conn, caller, annotation.project_id, "Annotation").await?;
    Ok((annotation, project))
}

/// A prediction of the caller's organization and its project.
pub async fn prediction<C: ConnectionTrait>(
    conn: &C,
    caller: &Actor,
    id: i64,
) -> CoreResult<(prediction::Model, project::Model)> {
    let prediction = queries::predictions::find(conn, id)
        .await?
        .ok_or_else(|| CoreError::no_match("Prediction"))?;
    let project = owning_project(conn, caller, prediction.project_id, "Prediction").await?;
    Ok((prediction, project))
}

/// An uploaded file of the caller's organization.
pub async fn upload<C: ConnectionTrait>(
    conn: &C,
    caller: &Actor,
    id: i64,
) -> CoreResult<file_upload::Model> {
    let upload = queries::file_uploads::find(conn, id)
        .await?
        .ok_or_else(|| CoreError::no_match("FileUpload"))?;
    owning_project(conn, caller, upload.project_id, "FileUpload").await?;
    Ok(upload)
}

/// A user id read from `key` of a request (a number or digits) that must name a live member of
/// the caller's organization; DRF's messages otherwise.
pub async fn member_user<C: ConnectionTrait>(
    conn: &C,
    caller: &Actor,
    value: Option<&serde_json::Value>,
    key: &str,
) -> CoreResult<i64> {
    let value = value
        .filter(|v| !v.is_null())
        .ok_or_else(|| CoreError::field(key, "This field is required."))?;
    let id = pk_of(value).ok_or_else(|| CoreError::field(key, "A valid integer is required."))?;
    match queries::organizations::membership(conn, caller.organization_id, id).await? {
        Some(_) => Ok(id),
        None => Err(CoreError::missing(key, id)),
    }
}

/// The member a removal names: the `query` parameter, else the first of `body_keys` present in
/// the body (Label Studio accepts both), checked as [`member_user`].
pub async fn named_member<C: ConnectionTrait>(
    conn: &C,
    caller: &Actor,
    query: Option<String>,
    body: &serde_json::Value,
    body_keys: &[&str],
    key: &str,
) -> CoreResult<i64> {
    let from_query = query.map(serde_json::Value::from);
    let named = from_query
        .as_ref()
        .or_else(|| body_keys.iter().find_map(|k| body.get(*k)));
    member_user(conn, caller, named, key).await
}

/// A project named by a DRF primary-key field of a body: a mistyped value and an unknown (or
/// another organization's) project are 400s on `project`.
pub async fn project_pk<C: ConnectionTrait>(
    conn: &C,
    caller: &Actor,
    value: &serde_json::Value,
) -> CoreResult<i64> {
    let Some(id) = pk_of(value) else {
        return Err(CoreError::field(
            "project",
            format!(
                "Incorrect type. Expected pk value, received {}.",
                crate::fields::python_type(value)
            ),
        ));
    };
    match queries::projects::find(conn, caller.viewer(), id).await? {
        Some(project) => Ok(project.id),
        None => Err(CoreError::missing("project", id)),
    }
}
