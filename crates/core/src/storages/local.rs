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
    if !env.local_files.serving {
        return Ok(Err(Refusal::Disabled));
    }
    let Some(d) = d.filter(|d| !d.is_empty()) else {
        return Ok(Err(Refusal::Missing));
    };
    let relative = normalize_path(d);
    let relative = relative.trim_start_matches('/');
    if Path::new(relative)
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
        || d.split(['/', '\\']).any(|part| part == "..")
    {
        return Ok(Err(Refusal::NotFound));
    }
    let path = env.local_files.root.join(relative);
    let Some(folder) = path.parent() else {
        return Ok(Err(Refusal::NotFound));
    };
    // Inside a folder once links are followed: a link may not lead out of it.
    let real = match path.canonicalize() {
        Ok(real) if real.is_file() => real,
        _ => return Ok(Err(Refusal::NotFound)),
    };
    let inside = |dir: &Path| dir.canonicalize().is_ok_and(|dir| real.starts_with(dir));
    if !inside(&env.local_files.root) {
        return Ok(Err(Refusal::NotFound));
    }
    let projects = queries::projects::visible_ids(db.conn(), actor.viewer()).await?;
    let mut allowed = false;
    for project in projects {
        let storages = queries::storages::of_project(
            db.conn(),
            project,
            Direction::Import.name(),
            Some(Kind::LocalFiles.name()),
        )
        .await?;
        allowed = storages.iter().any(|storage| {
            object_of(&storage.settings)
                .get("path")
                .and_then(Value::as_str)
                .is_some_and(|dir| folder.starts_with(dir) && inside(Path::new(dir)))
        });
        if allowed {
            break;
        }
    }
    if !allowed {
        return Ok(Err(Refusal::NotFound));
    }
    Ok(Ok(real))
}

/// The answer Label Studio gives when serving local files is off.
pub const DISABLED: &str = "Serving local files can be dangerous, so it's disabled by default. You can enable it with LOCAL_FILES_SERVING_ENABLED environment variable.";
