//! Uploaded files of a project: listing and deleting them (their stored files go too) and
//! reading one for a member of its organization.

use serde::Serialize;
use serde_json::Value;
use tessera_db::entities::file_upload;
use tessera_db::{queries, Db};
use tessera_storage::{ByteStream, Media, MediaError};

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::query_bool;
use crate::scope;

/// `FileUploadSerializer`: `{id, file, size}`, plus the name the file had when uploaded.
#[derive(Serialize)]
pub struct UploadOut {
    pub id: i64,
    pub file: String,
    pub size: Option<i64>,
    pub original_name: Option<String>,
}

impl From<file_upload::Model> for UploadOut {
    fn from(upload: file_upload::Model) -> UploadOut {
        UploadOut {
            id: upload.id,
            file: upload.file,
            size: Some(upload.size),
            original_name: upload.original_name,
        }
    }
}

/// The actor's uploads to a project: those `ids` names (a JSON list, as given), or all of them
/// with `all` (a Django boolean) or while the project is a draft; else none.
pub async fn list(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    ids: Option<&str>,
    all: Option<&str>,
) -> CoreResult<Vec<UploadOut>> {
    let project = scope::project(db.conn(), actor, project_id).await?;
    let ids: Option<Vec<i64>> = match ids {
        Some(text) => Some(
            serde_json::from_str(text)
                .map_err(|_| CoreError::field("ids", "Expected a JSON list of ids, e.g. [1,2]"))?,
        ),
        None => None,
    };
    if ids.is_none() && !query_bool("all", all, false)? && !project.is_draft {
        return Ok(Vec::new());
    }
    let uploads = queries::file_uploads::of_project(db.conn(), project.id, ids.as_deref()).await?;
    Ok(uploads
        .into_iter()
        .filter(|u| u.user_id == Some(actor.user.id))
        .map(UploadOut::from)
        .collect())
}

/// Deletes a project's uploads (those `{"file_upload_ids": [...]}` names, or all) and their
/// files; how many went.
pub async fn delete_many(
    db: &Db,
    media: &Media,
    actor: &Actor,
    project_id: i64,
    body: &Value,
) -> CoreResult<u64> {
    let project = scope::project(db.conn(), actor, project_id).await?;
    let wanted: Option<Vec<i64>> = match body.get("file_upload_ids") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            serde_json::from_value(value.clone())
                .map_err(|_| CoreError::field("file_upload_ids", "Expected a list of ids."))?,
        ),
    };
    let txn = db.write().await?;
    let uploads = queries::file_uploads::of_project(&*txn, project.id, wanted.as_deref()).await?;
    let ids: Vec<i64> = uploads.iter().map(|u| u.id).collect();
    let deleted = queries::file_uploads::delete(&*txn, &ids).await?;
    txn.commit().await?;
    for upload in uploads {
        remove_file(media, &upload.file).await;
    }
    Ok(deleted)
}

/// One upload of a project the actor sees.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> CoreResult<UploadOut> {
    Ok(scope::upload(db.conn(), actor, id).await?.into())
}

/// Deletes one upload and its file.
pub async fn delete(db: &Db, media: &Media, actor: &Actor, id: i64) -> CoreResult<()> {
    let upload = scope::upload(db.conn(), actor, id).await?;
    let txn = db.write().await?;
    queries::file_uploads::delete(&*txn, &[upload.id]).await?;
    txn.commit().await?;
    remove_file(media, &upload.file).await;
    Ok(())
}

/// Removes a deleted upload's file (a failure is logged: the orphan sweep retries it).
async fn remove_file(media: &Media, key: &str) {
    if let Err(err) = media.delete(key).await {
        tracing::warn!(error = %err, "removing a deleted upload's file failed");
    }
}

/// The stored file `upload/{project}/{name}` of a project the actor sees, as a stream.
pub async fn file(
    db: &Db,
    media: &Media,
    actor: &Actor,
    project_id: i64,
    name: &str,
) -> CoreResult<ByteStream> {
    let not_found = || CoreError::NotFound("Not found.".into());
    scope::project(db.conn(), actor, project_id).await?;
    let relative = format!("upload/{project_id}/{name}");
    let upload = queries::file_uploads::find_by_file(db.conn(), &relative)
        .await?
        .ok_or_else(not_found)?;
    match media.stream(&upload.file).await {
        Ok((_, stream)) => Ok(stream),
        Err(MediaError::NotFound(_) | MediaError::InvalidKey(_)) => Err(not_found()),
        Err(err) => Err(err.into()),
    }
}
