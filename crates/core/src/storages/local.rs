//! Serving local-files storages' files (`/data/local-files/?d=<path under the document root>`):
//! only when serving is enabled, only inside the document root, and only files in the folder
//! of a local-files import storage of a project the actor sees.

use std::path::{Component, Path, PathBuf};

use serde_json::Value;
use tessera_db::{queries, Db};

use super::connect::{normalize_path, StorageEnv};
use super::kinds::{Direction, Kind};
use super::object_of;
use crate::actor::Actor;
use crate::error::CoreResult;

/// Why a local file is not served.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Serving local files is off (Label Studio answers 403 with an explanation).
    Disabled,
    /// No `d` (403, empty).
    Missing,
    /// Not a file the actor may read (404).
    NotFound,
}

/// The file `d` names, for the actor.
pub async fn file(
    db: &Db,
    env: &StorageEnv,
    actor: &Actor,
    d: Option<&str>,
) -> CoreResult<Result<PathBuf, Refusal>> {
    let (real, folder) = match under_root(env, d) {
        Ok(found) => found,
        Err(refusal) => return Ok(Err(refusal)),
    };
    for project in queries::projects::visible_ids(db.conn(), actor.viewer()).await? {
        if in_storage_of(db, project, &folder, &real).await? {
            return Ok(Ok(real));
        }
    }
    Ok(Err(Refusal::NotFound))
}

/// The file `d` names if it is in the folder of one of `project`'s local-files import storages
/// (what an export of the project may read).
pub async fn project_file(
    db: &Db,
    env: &StorageEnv,
    project: i64,
    d: &str,
) -> CoreResult<Option<PathBuf>> {
    let Ok((real, folder)) = under_root(env, Some(d)) else {
        return Ok(None);
    };
    Ok(in_storage_of(db, project, &folder, &real)
        .await?
        .then_some(real))
}

/// The real path of the file `d` names and the folder it was named in, when serving is on and
/// the file is inside the document root once links are followed.
fn under_root(env: &StorageEnv, d: Option<&str>) -> Result<(PathBuf, PathBuf), Refusal> {
    if !env.local_files.serving {
        return Err(Refusal::Disabled);
    }
    let Some(d) = d.filter(|d| !d.is_empty()) else {
        return Err(Refusal::Missing);
    };
    let relative = normalize_path(d);
    let relative = relative.trim_start_matches('/');
    if Path::new(relative)
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
        || d.split(['/', '\\']).any(|part| part == "..")
    {
        return Err(Refusal::NotFound);
    }
    let path = env.local_files.root.join(relative);
    let folder = path.parent().ok_or(Refusal::NotFound)?.to_path_buf();
    // Inside a folder once links are followed: a link may not lead out of it.
    let real = match path.canonicalize() {
        Ok(real) if real.is_file() => real,
        _ => return Err(Refusal::NotFound),
    };
    if !inside(&real, &env.local_files.root) {
        return Err(Refusal::NotFound);
    }
    Ok((real, folder))
}

/// Whether `real` (named in `folder`) is in the folder of a local-files import storage of
/// `project`.
async fn in_storage_of(db: &Db, project: i64, folder: &Path, real: &Path) -> CoreResult<bool> {
    let storages = queries::storages::of_project(
        db.conn(),
        project,
        Direction::Import.name(),
        Some(Kind::LocalFiles.name()),
    )
    .await?;
    Ok(storages.iter().any(|storage| {
        object_of(&storage.settings)
            .get("path")
            .and_then(Value::as_str)
            .is_some_and(|dir| folder.starts_with(dir) && inside(real, Path::new(dir)))
    }))
}

/// Whether `real` is inside `dir` once `dir`'s links are followed.
fn inside(real: &Path, dir: &Path) -> bool {
    dir.canonicalize().is_ok_and(|dir| real.starts_with(dir))
}

/// The answer Label Studio gives when serving local files is off.
pub const DISABLED: &str = "Serving local files can be dangerous, so it's disabled by default. You can enable it with LOCAL_FILES_SERVING_ENABLED environment variable.";
