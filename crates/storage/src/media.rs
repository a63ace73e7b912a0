//! [`Media`]: keys such as `upload/12/3f2a9c1e-cats.csv` or `avatars/4-9b1c.png`, stored in any
//! `ObjectStore`.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

/// Why a media operation failed.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// No object under that key.
    #[error("no stored file {0}")]
    NotFound(String),
    /// The key is not a plain relative path (empty segments, `.` or `..`).
    #[error("{0:?} is not a valid media key")]
    InvalidKey(String),
    /// The store failed (disk full, permissions, network).
    #[error("media storage failed: {0}")]
    Store(#[from] object_store::Error),
}

/// A stored object, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaObject {
    pub key: String,
    pub size: u64,
    pub last_modified: DateTime<Utc>,
}

/// An object's bytes as they are read.
pub type ByteStream = BoxStream<'static, Result<Bytes, MediaError>>;

/// The files Tessera keeps; cheap to clone.
#[derive(Debug, Clone)]
pub struct Media {
    store: Arc<dyn ObjectStore>,
}

/// Parses a key, refusing anything but a plain relative path.
fn key(text: &str) -> Result<Key, MediaError> {
    let invalid = || MediaError::InvalidKey(text.to_string());
    if text.is_empty() || text.starts_with('/') {
        return Err(invalid());
    }
    let parsed = Key::parse(text).map_err(|_| invalid())?;
    if parsed.as_ref() != text {
        return Err(invalid());
    }
    Ok(parsed)
}

impl Media {
    /// Media in the folder `root` (created when missing). Writes land in a temporary file that
    /// is renamed into place, so a reader never sees half a file.
    pub fn local(root: &std::path::Path) -> Result<Media, MediaError> {
        std::fs::create_dir_all(root).map_err(|err| {
            MediaError::Store(object_store::Error::Generic {
                store: "LocalFileSystem",
                source: Box::new(err),
            })
        })?;
        Ok(Media::new(Arc::new(LocalFileSystem::new_with_prefix(
            root,
        )?)))
    }

    /// Media in `bucket` when one is given (several instances then share it), else in the
    /// folder `root`.
    pub fn open(
        root: &std::path::Path,
        bucket: Option<&crate::MediaBucket>,
    ) -> Result<Media, MediaError> {
        match bucket {
            Some(bucket) => Ok(Media::new(bucket.store()?)),
            None => Media::local(root),
        }
    }

    /// Media in any object store.
    pub fn new(store: Arc<dyn ObjectStore>) -> Media {
        Media { store }
    }

    /// Stores `bytes` under `key`, replacing what was there.
    pub async fn put(&self, key_text: &str, bytes: Bytes) -> Result<(), MediaError> {
        self.store
            .put(&key(key_text)?, PutPayload::from_bytes(bytes))
            .await?;
        Ok(())
    }

    /// A writer of a large object under `key`, sent in parts as it is written (memory stays
    /// flat); the object appears whole when the writer finishes.
    pub async fn writer(&self, key_text: &str) -> Result<MediaWriter, MediaError> {
        let upload = self.store.put_multipart(&key(key_text)?).await?;
        Ok(MediaWriter {
            parts: WriteMultipart::new(upload),
        })
    }

    /// The whole object under `key`.
    pub async fn get(&self, key_text: &str) -> Result<Bytes, MediaError> {
        let found = self.store.get(&key(key_text)?).await;
        Ok(found
            .map_err(|err| not_found(err, key_text))?
            .bytes()
            .await?)
    }

    /// The object under `key` as a stream, with its size, for serving large files without
    /// holding them in memory.
    pub async fn stream(&self, key_text: &str) -> Result<(u64, ByteStream), MediaError> {
        let found = self
            .store
            .get(&key(key_text)?)
            .await
            .map_err(|err| not_found(err, key_text))?;
        let size = found.meta.size;
        Ok((size, found.into_stream().map_err(MediaError::from).boxed()))
    }

    /// Removes the object under `key`; a missing one is not an error.
    pub async fn delete(&self, key_text: &str) -> Result<(), MediaError> {
        match self.store.delete(&key(key_text)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Every object whose key starts with the folder `prefix` (`upload/`, `avatars/`), at any
    /// depth. Entries that cannot be read as objects (a name the store cannot represent, a file
    /// that vanished meanwhile) are left out, so one odd file does not hide the others.
    pub async fn list(&self, prefix: &str) -> Result<Vec<MediaObject>, MediaError> {
        let prefix = key(prefix.trim_end_matches('/'))?;
        Ok(self
            .store
            .list(Some(&prefix))
            .filter_map(|meta| async move { meta.ok() })
            .map(|meta| MediaObject {
                key: meta.location.to_string(),
                size: meta.size,
                last_modified: meta.last_modified,
            })
            .collect()
            .await)
    }
}

fn not_found(err: object_store::Error, key_text: &str) -> MediaError {
    match err {
        object_store::Error::NotFound { .. } => MediaError::NotFound(key_text.to_string()),
        other => other.into(),
    }
}

/// An object being written part by part ([`Media::writer`]).
pub struct MediaWriter {
    parts: WriteMultipart,
}

/// Parts sent to the store at once.
const PARTS_IN_FLIGHT: usize = 4;

impl MediaWriter {
    /// Appends `bytes`, waiting when too many parts are still on their way.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), MediaError> {
        self.parts.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        self.parts.write(bytes);
        Ok(())
    }

    /// Completes the object.
    pub async fn finish(self) -> Result<(), MediaError> {
        self.parts.finish().await?;
        Ok(())
    }

    /// Gives the object up: nothing appears under its key.
    pub async fn abort(self) -> Result<(), MediaError> {
        self.parts.abort().await?;
        Ok(())
    }
}
