//! Reading the media an export packs or measures (images for `_WITH_IMAGES`, VOC and COCO
//! sizes, audio for the ASR manifest): uploads of the organization's projects, objects in the
//! project's import buckets, files of its local-files storages, and web addresses through the
//! SSRF-guarded client. What cannot be read is skipped, as Label Studio's converter skips it.

use std::collections::HashMap;

use bytes::Bytes;
use tessera_db::{queries, Db};
use tessera_formats::convert::media_names::MediaSource;
use tessera_storage::Media;

use crate::storages::connect::StorageEnv;
use crate::storages::{local, resolve};

/// The largest file an export reads into memory.
const LIMIT: u64 = 512 * 1024 * 1024;

/// Reads media for one project's export.
pub struct MediaReader {
    db: Db,
    media: Media,
    env: StorageEnv,
    project_id: i64,
    organization_id: i64,
    /// Whether each project whose uploads were asked for is in the organization.
    same_organization: HashMap<i64, bool>,
}

impl MediaReader {
    /// A reader for the export of `project_id` (of `organization_id`).
    pub fn new(
        db: Db,
        media: Media,
        env: StorageEnv,
        project_id: i64,
        organization_id: i64,
    ) -> MediaReader {
        MediaReader {
            db,
            media,
            env,
            project_id,
            organization_id,
            same_organization: HashMap::new(),
        }
    }

    /// The bytes of the file at `address`, or `None` when it cannot be read.
    pub async fn read(&mut self, address: &str) -> Option<Bytes> {
        let read = match MediaSource::parse(address)? {
            MediaSource::Upload { key } => self.upload(&key).await,
            MediaSource::Bucket { uri } => self.bucket(&uri).await,
            MediaSource::LocalFile { path } => self.local_file(&path).await,
            MediaSource::Web { url } => self
                .env
                .outbound
                .get(&url, LIMIT)
                .await
                .map(|fetched| fetched.body)
                .map_err(anyhow::Error::from),
        };
        match read {
            Ok(bytes) => Some(bytes),
            Err(err) => {
                tracing::debug!(address, error = %err, "export media not read");
                None
            }
        }
    }

    async fn upload(&mut self, key: &str) -> anyhow::Result<Bytes> {
        let project: i64 = key
            .split('/')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("not an upload key"))?;
        if !self.same_organization.contains_key(&project) {
            let same = project == self.project_id
                || queries::projects::find_by_id(self.db.conn(), project)
                    .await?
                    .is_some_and(|p| p.organization_id == self.organization_id);
            self.same_organization.insert(project, same);
        }
        anyhow::ensure!(
            self.same_organization[&project],
            "an upload of another organization"
        );
        Ok(self.media.get(key).await?)
    }

    async fn bucket(&self, uri: &str) -> anyhow::Result<Bytes> {
        let (remote, key, _) = resolve::bucket_object(&self.db, &self.env, self.project_id, uri)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no import storage reads this bucket"))?;
        Ok(remote.get(&key).await?)
    }

    async fn local_file(&self, path: &str) -> anyhow::Result<Bytes> {
        let file = local::project_file(&self.db, &self.env, self.project_id, path)
            .await?
            .ok_or_else(|| anyhow::anyhow!("not a file of the project's local storages"))?;
        anyhow::ensure!(
            tokio::fs::metadata(&file).await?.len() <= LIMIT,
            "the file is too large"
        );
        Ok(Bytes::from(tokio::fs::read(&file).await?))
    }
}
