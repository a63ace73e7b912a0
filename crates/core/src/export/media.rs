//! Reading the media an export packs or measures (images for `_WITH_IMAGES`, VOC and COCO
//! sizes, audio for the ASR manifest): uploads of the organization's projects, objects in the
//! project's import buckets, files of its local-files storages, and web addresses through the
//! SSRF-guarded client. What cannot be read is skipped, as Label Studio's converter skips it.

use std::collections::HashMap;

use bytes::Bytes;
use tessera_db::{queries, Db};
use tessera_formats::convert::media_names::MediaSource;
use tessera_storage::remote::ByteRange;
use tessera_storage::Media;

use crate::storages::connect::StorageEnv;
use crate::storages::{local, resolve};

/// The largest file an export reads into memory.
const LIMIT: u64 = 512 * 1024 * 1024;

/// How much of a file is read when only its header is wanted (an image's size and bands, a
/// WAV file's duration): enough for headers behind large metadata blocks.
pub const HEAD: u64 = 256 * 1024;

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

    /// The bytes of the file at `address` (with `head`, at least its first [`HEAD`] bytes where
    /// the source can give part of a file), or `None` when it cannot be read.
    pub async fn read(&mut self, address: &str, head: bool) -> Option<Bytes> {
        let read = match MediaSource::parse(address)? {
            MediaSource::Upload { key } => self.upload(&key, head).await,
            MediaSource::Bucket { uri } => self.bucket(&uri, head).await,
            MediaSource::LocalFile { path } => self.local_file(&path, head).await,
            MediaSource::Web { url } => {
                let outbound = &self.env.outbound;
                let fetched = if head {
                    outbound.get_head(&url, HEAD).await
                } else {
                    outbound.get(&url, LIMIT).await
                };
                fetched
                    .map(|fetched| fetched.body)
                    .map_err(anyhow::Error::from)
            }
        };
        match read {
            Ok(bytes) => Some(bytes),
            Err(err) => {
                tracing::debug!(address, error = %err, "export media not read");
                None
            }
        }
    }

    async fn upload(&mut self, key: &str, head: bool) -> anyhow::Result<Bytes> {
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
        let (size, mut body) = self.media.stream(key).await?;
        anyhow::ensure!(head || size <= LIMIT, "the file is too large");
        let mut bytes = Vec::new();
        while let Some(chunk) = futures_util::StreamExt::next(&mut body).await {
            bytes.extend_from_slice(&chunk?);
            if head && bytes.len() as u64 >= HEAD {
                break;
            }
        }
        Ok(Bytes::from(bytes))
    }

    async fn bucket(&self, uri: &str, head: bool) -> anyhow::Result<Bytes> {
        let (remote, key, _) = resolve::bucket_object(&self.db, &self.env, self.project_id, uri)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no import storage reads this bucket"))?;
        let range = head.then_some(ByteRange::Bounded {
            first: 0,
            last: HEAD - 1,
        });
        let mut read = remote.read(&key, range).await?;
        anyhow::ensure!(head || read.size <= LIMIT, "the file is too large");
        let mut bytes = Vec::new();
        while let Some(chunk) = futures_util::StreamExt::next(&mut read.body).await {
            bytes.extend_from_slice(&chunk?);
        }
        Ok(Bytes::from(bytes))
    }

    async fn local_file(&self, path: &str, head: bool) -> anyhow::Result<Bytes> {
        use tokio::io::AsyncReadExt;
        let file = local::project_file(&self.db, &self.env, self.project_id, path)
            .await?
            .ok_or_else(|| anyhow::anyhow!("not a file of the project's local storages"))?;
        let limit = if head { HEAD } else { LIMIT };
        let size = tokio::fs::metadata(&file).await?.len();
        anyhow::ensure!(head || size <= LIMIT, "the file is too large");
        let mut bytes = Vec::new();
        tokio::fs::File::open(&file)
            .await?
            .take(limit)
            .read_to_end(&mut bytes)
            .await?;
        Ok(Bytes::from(bytes))
    }
}
