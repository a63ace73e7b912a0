//! Uploaded files that no database row names: an import (or an avatar upload) stores its files
//! before its transaction commits, so a process killed in between leaves them behind. A sweep at
//! start and every hour removes such files once they are old enough that no request still
//! running (on this or another instance sharing the folder) can be about to record them.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::Utc;
use tessera_db::{queries, Db};
use tessera_storage::{Media, MediaObject};

/// Files younger than this are left alone: an import may still commit them (the longest
/// imports take minutes; a day leaves room for any).
pub const MIN_AGE: Duration = Duration::from_secs(24 * 3600);
/// Time between sweeps.
pub const EVERY: Duration = Duration::from_secs(3600);

/// Removes the files under `upload/<project>/` that no upload row names, and those under
/// `avatars/` that no user shows, once last modified at least `min_age` ago; returns how many.
/// A file that vanishes meanwhile is skipped.
pub async fn sweep(db: &Db, media: &Media, min_age: Duration) -> anyhow::Result<usize> {
    let cutoff = Utc::now() - min_age;
    let old = |objects: Vec<MediaObject>| -> Vec<String> {
        objects
            .into_iter()
            .filter(|object| object.last_modified <= cutoff)
            .map(|object| object.key)
            .collect()
    };
    // Old upload files, by project.
    let mut by_project: HashMap<i64, Vec<String>> = HashMap::new();
    for key in old(media.list("upload/").await?) {
        let project = key.split('/').nth(1).and_then(|id| id.parse().ok());
        if let Some(project) = project {
            by_project.entry(project).or_default().push(key);
        }
    }
    let mut unknown = Vec::new();
    for (project, keys) in by_project {
        let known: HashSet<String> = queries::file_uploads::stored_files(db.conn(), project)
            .await?
            .into_iter()
            .collect();
        unknown.extend(keys.into_iter().filter(|key| !known.contains(key)));
    }
    let avatars: HashSet<String> = queries::users::avatars(db.conn())
        .await?
        .into_iter()
        .filter_map(|url| url.strip_prefix("/data/").map(str::to_string))
        .collect();
    unknown.extend(
        old(media.list("avatars/").await?)
            .into_iter()
            .filter(|key| !avatars.contains(key)),
    );
    let mut removed = 0;
    for key in unknown {
        if media.delete(&key).await.is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}
