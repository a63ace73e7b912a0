//! Uploaded files that no database row names: an import (or an avatar upload) stores its files
//! before its transaction commits, so a process killed in between leaves them behind. A sweep at
//! start and every hour removes such files once they are old enough that no request still
//! running (on this or another instance sharing the folder) can be about to record them.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, SystemTime};

use tessera_db::{queries, Db};

/// Files younger than this are left alone: an import may still commit them (the longest
/// imports take minutes; a day leaves room for any).
pub const MIN_AGE: Duration = Duration::from_secs(24 * 3600);
/// Time between sweeps.
pub const EVERY: Duration = Duration::from_secs(3600);

/// Removes the files under `<media>/upload/<project>/` that no upload row names, and those under
/// `<media>/avatars/` that no user shows, once last modified at least `min_age` ago; returns how
/// many. A file that vanishes or cannot be read meanwhile is skipped.
pub async fn sweep(db: &Db, media_root: &Path, min_age: Duration) -> anyhow::Result<usize> {
    let cutoff = SystemTime::now() - min_age;
    let mut removed = 0;
    if let Ok(mut projects) = tokio::fs::read_dir(media_root.join("upload")).await {
        while let Ok(Some(dir)) = projects.next_entry().await {
            let Some(project_id) = dir
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<i64>().ok())
            else {
                continue;
            };
            let known: HashSet<String> = queries::file_uploads::stored_files(db.conn(), project_id)
                .await?
                .into_iter()
                .collect();
            removed += remove_unknown(
                &dir.path(),
                &format!("upload/{project_id}/"),
                &known,
                cutoff,
            )
            .await;
        }
    }
    let avatars: HashSet<String> = queries::users::avatars(db.conn())
        .await?
        .into_iter()
        .filter_map(|url| url.strip_prefix("/data/").map(str::to_string))
        .collect();
    removed += remove_unknown(&media_root.join("avatars"), "avatars/", &avatars, cutoff).await;
    Ok(removed)
}

/// Removes the files of `dir` modified before `cutoff` whose path (`prefix` + name) is not in
/// `known`; returns how many.
async fn remove_unknown(
    dir: &Path,
    prefix: &str,
    known: &HashSet<String>,
    cutoff: SystemTime,
) -> usize {
    let Ok(mut files) = tokio::fs::read_dir(dir).await else {
        return 0;
    };
    let mut removed = 0;
    while let Ok(Some(file)) = files.next_entry().await {
        let Ok(metadata) = file.metadata().await else {
            continue;
        };
        let old = metadata.modified().is_ok_and(|modified| modified <= cutoff);
        let relative = format!("{prefix}{}", file.file_name().to_string_lossy());
        if metadata.is_file()
            && old
            && !known.contains(&relative)
            && tokio::fs::remove_file(file.path()).await.is_ok()
        {
            removed += 1;
        }
    }
    removed
}
