//! Export snapshots (`/api/projects/{id}/exports/`): an export made into a stored file by a
//! background job ([`write`]), listed with its status and counters, downloaded as stored or in
//! another format, converted once to another format ([`convert`]), and deleted with its files.

pub mod convert;
pub mod options;
pub mod write;

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use tessera_db::entities::{export_conversion, export_snapshot, project};
use tessera_db::{queries, time, Db};
use tessera_formats::export::Format;
use tessera_jobs::NewJob;
use tessera_storage::{ByteStream, Media};

use crate::export::files::IoStream;

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::Fields;
use crate::payload::{json_of, Users};
use crate::scope;

/// How long a create or convert request waits for its job before answering with the state it
/// is in (Label Studio's community edition does the work inside the request; a large project's
/// snapshot goes on in the background and the answer says `in_progress`).
const WAIT: Duration = Duration::from_secs(10);

/// The longest title (Label Studio's).
const TITLE_MAX: usize = 2048;

/// Renders snapshots with their conversions and authors.
async fn render_all(db: &Db, snapshots: Vec<export_snapshot::Model>) -> CoreResult<Vec<Value>> {
    let ids: Vec<i64> = snapshots.iter().map(|s| s.id).collect();
    let conversions = queries::export_snapshots::conversions_of(db.conn(), &ids).await?;
    let users = Users::load(db.conn(), snapshots.iter().map(|s| s.created_by_id)).await?;
    Ok(snapshots
        .into_iter()
        .map(|s| {
            let converted = conversions
                .iter()
                .filter(|c| c.snapshot_id == s.id)
                .map(conversion_out)
                .collect();
            snapshot_out(s, &users, converted)
        })
        .collect())
}

fn conversion_out(c: &export_conversion::Model) -> Value {
    json!({"id": c.id, "status": c.status, "export_type": c.export_type, "traceback": c.traceback})
}

fn snapshot_out(s: export_snapshot::Model, users: &Users, converted: Vec<Value>) -> Value {
    let created_by = match s.created_by_id.and_then(|id| users.get(id)) {
        Some(u) => json!({
            "id": u.id, "first_name": u.first_name, "last_name": u.last_name,
            "email": u.email, "avatar": u.avatar,
        }),
        None => Value::Null,
    };
    json!({
        "title": s.title,
        "id": s.id,
        "created_by": created_by,
        "created_at": time::format(&s.created_at),
        "finished_at": s.finished_at.as_ref().map(time::format),
        "status": s.status,
        "md5": s.md5,
        "counters": json_of(&s.counters),
        "converted_formats": converted,
    })
}

async fn render_one(db: &Db, snapshot: export_snapshot::Model) -> CoreResult<Value> {
    Ok(render_all(db, vec![snapshot]).await?.remove(0))
}

/// A snapshot of a project the actor sees.
async fn find(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    id: i64,
) -> CoreResult<(project::Model, export_snapshot::Model)> {
    let project = scope::project(db.conn(), actor, project_id).await?;
    let snapshot = queries::export_snapshots::find(db.conn(), id)
        .await?
        .filter(|s| s.project_id == project.id)
        .ok_or_else(|| CoreError::no_match("Export"))?;
    Ok((project, snapshot))
}

fn is_running(status: &str) -> bool {
    matches!(status, "created" | "in_progress")
}

/// A project's snapshots, newest first.
pub async fn list(db: &Db, actor: &Actor, project_id: i64) -> CoreResult<Vec<Value>> {
    let project = scope::project(db.conn(), actor, project_id).await?;
    let snapshots = queries::export_snapshots::of_project(db.conn(), project.id).await?;
    render_all(db, snapshots).await
}

/// One snapshot.
pub async fn get(db: &Db, actor: &Actor, project_id: i64, id: i64) -> CoreResult<Value> {
    let (_, snapshot) = find(db, actor, project_id, id).await?;
    render_one(db, snapshot).await
}

/// Starts a snapshot (`title`, `task_filter_options`, `annotation_filter_options`,
/// `serialization_options`) and answers it as it is after a short wait.
pub async fn create(db: &Db, actor: &Actor, project_id: i64, body: &Value) -> CoreResult<Value> {
    let mut fields = Fields::new(body)?;
    let title = match fields.raw("title") {
        None => None,
        Some(_) => fields.bounded_string("title", TITLE_MAX),
    };
    let options = options::read(&mut fields);
    fields.finish()?;
    let project = scope::project(db.conn(), actor, project_id).await?;
    let now = time::now();
    let title = title.filter(|t| !t.is_empty()).unwrap_or_else(|| {
        format!(
            "{}-at-{}",
            project
                .title
                .as_deref()
                .unwrap_or_default()
                .replace(' ', "-"),
            now.format("%Y-%m-%d-%H-%M")
        )
    });
    let options = serde_json::to_string(&options).map_err(anyhow::Error::from)?;
    let txn = db.write().await?;
    let snapshot =
        queries::export_snapshots::insert(&*txn, project.id, &title, actor.user.id, options, now)
            .await?;
    let job = NewJob::new(write::JOB, json!({"snapshot": snapshot.id})).max_attempts(3);
    tessera_jobs::queue::enqueue(&*txn, job).await?;
    txn.commit().await?;
    let id = snapshot.id;
    crate::waiting::while_running(WAIT, || async move {
        Ok(queries::export_snapshots::find(db.conn(), id)
            .await?
            .is_some_and(|s| is_running(&s.status)))
    })
    .await?;
    let snapshot = queries::export_snapshots::find(db.conn(), id)
        .await?
        .ok_or_else(|| CoreError::no_match("Export"))?;
    let mut out = render_one(db, snapshot).await?;
    // The create answer also names the options, always null (Label Studio's serializer).
    for key in [
        "task_filter_options",
        "annotation_filter_options",
        "serialization_options",
    ] {
        out[key] = Value::Null;
    }
    Ok(out)
}

/// Deletes a snapshot, its conversions and their files.
pub async fn delete(
    db: &Db,
    media: &Media,
    actor: &Actor,
    project_id: i64,
    id: i64,
) -> CoreResult<()> {
    let (_, snapshot) = find(db, actor, project_id, id).await?;
    let conversions = queries::export_snapshots::conversions_of(db.conn(), &[snapshot.id]).await?;
    let txn = db.write().await?;
    queries::export_snapshots::delete(&*txn, snapshot.id).await?;
    txn.commit().await?;
    let files = snapshot
        .file
        .into_iter()
        .chain(conversions.into_iter().filter_map(|c| c.file));
    for file in files {
        if let Err(err) = media.delete(&file).await {
            tracing::warn!(error = %err, "removing a deleted export's file failed");
        }
    }
    Ok(())
}

/// What a download answers.
pub enum Download {
    /// The snapshot is not written yet (or failed).
    NotCompleted,
    /// The stored file.
    Stored { name: String, body: ByteStream },
    /// The snapshot in another format: its stored conversion, or converted as it is sent.
    Converted {
        name: String,
        content_type: &'static str,
        body: IoStream,
    },
}

/// Downloads a snapshot: its stored file, or (with `export_type`) the snapshot converted.
pub async fn download(
    with: &convert::Converting,
    actor: &Actor,
    project_id: i64,
    id: i64,
    export_type: Option<&str>,
) -> CoreResult<Download> {
    let format = export_type
        .map(|name| {
            Format::parse(name).ok_or_else(|| {
                CoreError::BadRequest(format!("{name} is not supported export format"))
            })
        })
        .transpose()?;
    let (project, snapshot) = find(&with.db, actor, project_id, id).await?;
    let Some(file) = snapshot
        .file
        .clone()
        .filter(|_| snapshot.status == "completed")
    else {
        return Ok(Download::NotCompleted);
    };
    let name = file.rsplit('/').next().unwrap_or(&file).to_string();
    let Some(format) = format else {
        let (_, body) = with
            .media
            .stream(&file)
            .await
            .map_err(anyhow::Error::from)?;
        return Ok(Download::Stored { name, body });
    };
    let stem = name.strip_suffix(".json").unwrap_or(&name).to_string();
    let converted =
        queries::export_snapshots::live_conversion(with.db.conn(), snapshot.id, format.name())
            .await?
            .filter(|c| c.status == "completed")
            .and_then(|c| c.file);
    if let Some(converted) = converted {
        let (_, body) = with
            .media
            .stream(&converted)
            .await
            .map_err(anyhow::Error::from)?;
        let zipped = converted.ends_with(".zip");
        let extension = converted.rsplit('.').next().unwrap_or("zip");
        return Ok(Download::Converted {
            name: format!("{stem}.{extension}"),
            content_type: if zipped {
                "application/zip"
            } else {
                format.content_type()
            },
            body: body
                .map(|chunk| chunk.map_err(std::io::Error::other))
                .boxed(),
        });
    }
    let exported = convert::export(with, project, file, format, false).await?;
    Ok(Download::Converted {
        name: format!("{stem}.{}", exported.extension),
        content_type: exported.content_type,
        body: exported.body,
    })
}

/// Converts a snapshot to `export_type` once (`{"export_type"}`); answers
/// `{"export_type", "converted_format"}` after a short wait for the conversion.
pub async fn start_conversion(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    id: i64,
    body: &Value,
) -> CoreResult<Value> {
    let mut fields = Fields::new(body)?;
    fields.require(&["export_type"]);
    let export_type = fields.string("export_type");
    let download_resources = if fields.has("download_resources") {
        fields.boolean("download_resources")
    } else {
        None
    };
    fields.finish()?;
    let export_type = export_type.unwrap_or_default();
    let (project, snapshot) = find(db, actor, project_id, id).await?;
    let supported = Format::parse(&export_type)
        .is_some_and(|format| crate::export::config_for(&project, format).is_ok());
    if !supported {
        return Err(CoreError::field(
            "export_type",
            format!("{export_type} is not supported export format"),
        ));
    }
    let txn = db.write().await?;
    if queries::export_snapshots::live_conversion(&*txn, snapshot.id, &export_type)
        .await?
        .is_some()
    {
        return Err(CoreError::field(
            "non_field_errors",
            format!("Conversion to {export_type} already started"),
        ));
    }
    let conversion =
        queries::export_snapshots::insert_conversion(&*txn, snapshot.id, &export_type, time::now())
            .await?;
    let job = NewJob::new(
        convert::JOB,
        json!({"conversion": conversion.id, "download_resources": download_resources.unwrap_or(false)}),
    )
    .max_attempts(3);
    tessera_jobs::queue::enqueue(&*txn, job).await?;
    txn.commit().await?;
    let conversion_id = conversion.id;
    crate::waiting::while_running(WAIT, || async move {
        Ok(
            queries::export_snapshots::find_conversion(db.conn(), conversion_id)
                .await?
                .is_some_and(|c| is_running(&c.status)),
        )
    })
    .await?;
    Ok(json!({"export_type": export_type, "converted_format": conversion_id}))
}
