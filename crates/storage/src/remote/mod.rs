//! The users' buckets that storages import from and export to: S3 (and S3-compatible servers),
//! Azure Blob containers, local folders (through `object_store`), Google Cloud Storage buckets
//! ([`gcs`]) and Redis databases, behind one type. Every connection goes through the SSRF-guarded client.

mod connector;
pub mod gcs;
mod redis_db;

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, BoxStream};
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::signer::Signer;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};
use tessera_outbound::Outbound;
use url::Url;

pub use connector::GuardedConnector;
use gcs::{GcsBucket, ServiceAccount};
use redis_db::RedisDb;

/// Why talking to a bucket failed, in words a storage's owner can act on.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// No such bucket, container, folder or object.
    #[error("{0}")]
    NotFound(String),
    /// The credentials were refused.
    #[error("{0}")]
    Denied(String),
    /// The settings cannot describe a bucket (a missing name, a bad endpoint).
    #[error("{0}")]
    Settings(String),
    /// Anything else: the network, the server.
    #[error("{0}")]
    Failed(String),
    /// The range asked for is outside the object, whose size this is.
    #[error("the range is outside the object ({0} bytes)")]
    Unsatisfiable(u64),
}

/// A part of an object, as an HTTP `Range` header asks for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// From this offset to the end.
    From(u64),
    /// From `first` to `last`, both included.
    Bounded { first: u64, last: u64 },
    /// The last this many bytes.
    Last(u64),
}

impl ByteRange {
    /// Parses a `Range` header of one range (`bytes=0-99`, `bytes=100-`, `bytes=-500`); other
    /// forms (several ranges, other units) are `None`, and the whole object is sent.
    pub fn parse(header: &str) -> Option<ByteRange> {
        let spec = header.trim().strip_prefix("bytes=")?;
        if spec.contains(',') {
            return None;
        }
        let (first, last) = spec.split_once('-')?;
        let number = |text: &str| text.trim().parse::<u64>().ok();
        match (first.trim().is_empty(), last.trim().is_empty()) {
            (false, true) => Some(ByteRange::From(number(first)?)),
            (false, false) => Some(ByteRange::Bounded {
                first: number(first)?,
                last: number(last)?,
            }),
            (true, false) => Some(ByteRange::Last(number(last)?)),
            (true, true) => None,
        }
    }

    /// The bytes this names in an object of `size` bytes (end exclusive); `None` when none of
    /// them exists.
    pub fn within(self, size: u64) -> Option<std::ops::Range<u64>> {
        match self {
            ByteRange::From(first) => (first < size).then_some(first..size),
            ByteRange::Bounded { first, last } => {
                (first < size && first <= last).then(|| first..(last + 1).min(size))
            }
            ByteRange::Last(count) => {
                (count > 0 && size > 0).then(|| size.saturating_sub(count)..size)
            }
        }
    }
}

/// An object being read: its size, the bytes sent (end exclusive) and their stream.
pub struct ObjectRead {
    pub size: u64,
    pub range: std::ops::Range<u64>,
    pub body: BoxStream<'static, Result<Bytes, RemoteError>>,
}

impl From<object_store::Error> for RemoteError {
    fn from(err: object_store::Error) -> RemoteError {
        match err {
            object_store::Error::NotFound { path, .. } => RemoteError::NotFound(path),
            object_store::Error::PermissionDenied { source, .. }
            | object_store::Error::Unauthenticated { source, .. } => {
                RemoteError::Denied(source.to_string())
            }
            object_store::Error::InvalidPath { source } => {
                RemoteError::Settings(source.to_string())
            }
            other => classify(other.to_string()),
        }
    }
}

/// What a store's error text says happened: the services answer missing buckets and refused
/// credentials inside generic errors (`404 Not Found: <Code>NoSuchBucket</Code>`).
fn classify(text: String) -> RemoteError {
    const MISSING: [&str; 4] = [
        "NoSuchBucket",
        "ContainerNotFound",
        "404 Not Found",
        "NoSuchKey",
    ];
    const DENIED: [&str; 6] = [
        "403 Forbidden",
        "AccessDenied",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "AuthenticationFailed",
        "401 Unauthorized",
    ];
    if MISSING.iter().any(|code| text.contains(code)) {
        RemoteError::NotFound(text)
    } else if DENIED.iter().any(|code| text.contains(code)) {
        RemoteError::Denied(text)
    } else {
        RemoteError::Failed(text)
    }
}

/// The bytes of an object of `size` a request asks for: all of it without a range.
fn part(range: Option<ByteRange>, size: u64) -> Result<std::ops::Range<u64>, RemoteError> {
    match range {
        None => Ok(0..size),
        Some(range) => range.within(size).ok_or(RemoteError::Unsatisfiable(size)),
    }
}

/// An S3 bucket, as a storage names it.
#[derive(Debug, Clone, Default)]
pub struct S3Bucket {
    pub bucket: String,
    pub region: Option<String>,
    /// Another S3-compatible server (MinIO, moto, Cloudflare R2, ...).
    pub endpoint: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

/// An Azure Blob container, as a storage names it.
#[derive(Debug, Clone, Default)]
pub struct AzureContainer {
    pub container: String,
    pub account_name: String,
    pub account_key: String,
    /// The Blob service's address (`https://<account>.blob.core.windows.net` unless set: the
    /// server's setting for Azurite and sovereign clouds).
    pub endpoint: Option<String>,
}

/// A Redis database, as a storage names it.
#[derive(Debug, Clone, Default)]
pub struct RedisDatabase {
    pub host: String,
    pub port: u16,
    pub password: Option<String>,
    pub db: i64,
}

/// An object as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteObject {
    pub key: String,
    pub size: u64,
    pub last_modified: Option<DateTime<Utc>>,
    /// What changes when the object changes (an ETag, or size and time).
    pub version: Option<String>,
}

/// A user's bucket; cheap to clone.
#[derive(Clone)]
pub struct Remote {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Objects {
        store: Arc<dyn ObjectStore>,
        signer: Option<Arc<dyn Signer>>,
        /// The local folder, for local files: keys are absolute paths.
        folder: Option<PathBuf>,
    },
    Redis(RedisDb),
    Gcs(GcsBucket),
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Remote(..)")
    }
}

/// Few retries: a storage's owner waits for the answer of a connection check.
fn retries() -> RetryConfig {
    RetryConfig {
        max_retries: 2,
        retry_timeout: Duration::from_secs(20),
        ..RetryConfig::default()
    }
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl Remote {
    /// An S3 bucket. Credentials come from the storage only (never from this machine's
    /// environment or instance metadata); without them requests go unsigned.
    pub fn s3(bucket: &S3Bucket, outbound: &Outbound) -> Result<Remote, RemoteError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket.bucket.clone())
            .with_region(present(&bucket.region).unwrap_or("us-east-1"))
            .with_retry(retries())
            .with_http_connector(GuardedConnector::new(outbound.clone()));
        if let Some(endpoint) = present(&bucket.endpoint) {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        match (
            present(&bucket.access_key_id),
            present(&bucket.secret_access_key),
        ) {
            (Some(id), Some(secret)) => {
                builder = builder
                    .with_access_key_id(id)
                    .with_secret_access_key(secret);
                if let Some(token) = present(&bucket.session_token) {
                    builder = builder.with_token(token);
                }
            }
            _ => builder = builder.with_skip_signature(true),
        }
        let store = Arc::new(builder.build()?);
        Ok(Remote {
            inner: Inner::Objects {
                signer: Some(store.clone()),
                store,
                folder: None,
            },
        })
    }

    /// An Azure Blob container.
    pub fn azure(container: &AzureContainer, outbound: &Outbound) -> Result<Remote, RemoteError> {
        let account = container.account_name.trim();
        let endpoint = match container.endpoint.as_deref().map(str::trim) {
            Some(base) if !base.is_empty() => format!("{}/{account}", base.trim_end_matches('/')),
            _ => format!("https://{account}.blob.core.windows.net"),
        };
        let store = Arc::new(
            MicrosoftAzureBuilder::new()
                .with_account(account)
                .with_access_key(container.account_key.trim())
                .with_container_name(container.container.clone())
                .with_allow_http(endpoint.starts_with("http://"))
                .with_endpoint(endpoint)
                .with_retry(retries())
                .with_http_connector(GuardedConnector::new(outbound.clone()))
                .build()?,
        );
        Ok(Remote {
            inner: Inner::Objects {
                signer: Some(store.clone()),
                store,
                folder: None,
            },
        })
    }

    /// A folder on this machine; keys are absolute paths inside it.
    pub fn local(folder: &FsPath) -> Result<Remote, RemoteError> {
        let store = LocalFileSystem::new_with_prefix(folder)?;
        Ok(Remote {
            inner: Inner::Objects {
                store: Arc::new(store),
                signer: None,
                folder: Some(folder.to_path_buf()),
            },
        })
    }

    /// A Google Cloud Storage bucket; `credentials` is a service account key's JSON (none for
    /// an emulator or a public bucket), `base` the service's address when not Google's.
    pub fn gcs(
        bucket: &str,
        credentials: Option<&str>,
        base: Option<String>,
        outbound: &Outbound,
    ) -> Result<Remote, RemoteError> {
        let account = credentials.map(ServiceAccount::parse).transpose()?;
        Ok(Remote {
            inner: Inner::Gcs(GcsBucket::new(
                bucket.to_string(),
                account,
                base,
                outbound.clone(),
            )),
        })
    }

    /// A Redis database (connected on first use, to an address the guard allows).
    pub fn redis(database: &RedisDatabase, outbound: &Outbound) -> Remote {
        Remote {
            inner: Inner::Redis(RedisDb::new(database.clone(), outbound.clone())),
        }
    }

    /// A key as the store knows it (local files: relative to the folder).
    fn store_key(&self, key: &str) -> Result<Key, RemoteError> {
        let relative = match &self.inner {
            Inner::Objects {
                folder: Some(folder),
                ..
            } => FsPath::new(key)
                .strip_prefix(folder)
                .map_err(|_| {
                    RemoteError::Settings(format!("{key} is outside {}", folder.display()))
                })?
                .to_string_lossy()
                .into_owned(),
            _ => key.to_string(),
        };
        Key::parse(&relative).map_err(|err| RemoteError::Settings(err.to_string()))
    }

    /// A key as storages show it (local files: the absolute path).
    fn shown_key(folder: Option<&PathBuf>, key: &Key) -> String {
        match folder {
            Some(folder) => folder.join(key.as_ref()).to_string_lossy().into_owned(),
            None => key.to_string(),
        }
    }

    /// The objects under `prefix` (all of them, or, unless `recursive`, only those directly in
    /// it), as they are listed.
    pub fn list(
        &self,
        prefix: Option<&str>,
        recursive: bool,
    ) -> BoxStream<'static, Result<RemoteObject, RemoteError>> {
        match &self.inner {
            Inner::Redis(db) => db.list(prefix.unwrap_or_default().to_string()),
            Inner::Gcs(bucket) => bucket.list(
                prefix
                    .map(|p| p.trim_matches('/').to_string())
                    .filter(|p| !p.is_empty()),
                recursive,
            ),
            Inner::Objects { store, folder, .. } => {
                let prefix = prefix
                    .map(|p| p.trim_matches('/'))
                    .filter(|p| !p.is_empty())
                    .map(Key::from);
                let folder = folder.clone();
                let object = move |meta: ObjectMeta| RemoteObject {
                    key: Remote::shown_key(folder.as_ref(), &meta.location),
                    size: meta.size,
                    last_modified: Some(meta.last_modified),
                    version: meta.e_tag.clone().or_else(|| {
                        Some(format!(
                            "{}-{}",
                            meta.size,
                            meta.last_modified.timestamp_micros()
                        ))
                    }),
                };
                if recursive {
                    store
                        .list(prefix.as_ref())
                        .map_ok(object)
                        .map_err(RemoteError::from)
                        .boxed()
                } else {
                    let store = store.clone();
                    stream::once(async move {
                        let listed = store.list_with_delimiter(prefix.as_ref()).await?;
                        Ok::<_, RemoteError>(stream::iter(
                            listed.objects.into_iter().map(object).map(Ok),
                        ))
                    })
                    .try_flatten()
                    .boxed()
                }
            }
        }
    }

    /// Checks that the bucket answers with these settings; whether anything is under `prefix`.
    pub async fn check(&self, prefix: Option<&str>) -> Result<bool, RemoteError> {
        if let Inner::Redis(db) = &self.inner {
            db.ping().await?;
        }
        match self.list(prefix, true).next().await {
            None => Ok(false),
            Some(Ok(_)) => Ok(true),
            Some(Err(err)) => Err(err),
        }
    }

    /// An object's bytes.
    pub async fn get(&self, key: &str) -> Result<Bytes, RemoteError> {
        match &self.inner {
            Inner::Redis(db) => db.get(key).await,
            Inner::Gcs(bucket) => bucket.get(key).await,
            Inner::Objects { store, .. } => {
                Ok(store.get(&self.store_key(key)?).await?.bytes().await?)
            }
        }
    }

    /// An object, or the part `range` asks for, as it arrives (a part past the end is
    /// [`RemoteError::Unsatisfiable`]).
    pub async fn read(
        &self,
        key: &str,
        range: Option<ByteRange>,
    ) -> Result<ObjectRead, RemoteError> {
        match &self.inner {
            // Redis values are small and come whole.
            Inner::Redis(_) => {
                let bytes = self.get(key).await?;
                let size = bytes.len() as u64;
                let range = part(range, size)?;
                let body = bytes.slice(range.start as usize..range.end as usize);
                Ok(ObjectRead {
                    size,
                    range,
                    body: stream::once(async move { Ok(body) }).boxed(),
                })
            }
            Inner::Objects { store, .. } => {
                let location = self.store_key(key)?;
                let size = store.head(&location).await?.size;
                let range = part(range, size)?;
                let body = if range.is_empty() {
                    stream::empty().boxed()
                } else {
                    let options = object_store::GetOptions {
                        range: Some(object_store::GetRange::Bounded(range.clone())),
                        ..Default::default()
                    };
                    store
                        .get_opts(&location, options)
                        .await?
                        .into_stream()
                        .map_err(RemoteError::from)
                        .boxed()
                };
                Ok(ObjectRead { size, range, body })
            }
            Inner::Gcs(bucket) => {
                let size = bucket.size(key).await?;
                let range = part(range, size)?;
                let body = if range.is_empty() {
                    stream::empty().boxed()
                } else {
                    bucket.get_range(key, range.clone()).await?
                };
                Ok(ObjectRead { size, range, body })
            }
        }
    }

    /// Writes an object, replacing what was there.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), RemoteError> {
        match &self.inner {
            Inner::Redis(db) => db.set(key, bytes).await,
            Inner::Gcs(bucket) => bucket.put(key, bytes).await,
            Inner::Objects { store, .. } => {
                store
                    .put(&self.store_key(key)?, PutPayload::from(bytes))
                    .await?;
                Ok(())
            }
        }
    }

    /// Removes an object; a missing one is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), RemoteError> {
        match &self.inner {
            Inner::Redis(db) => db.delete(key).await,
            Inner::Gcs(bucket) => bucket.delete(key).await,
            Inner::Objects { store, .. } => match store.delete(&self.store_key(key)?).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(err) => Err(err.into()),
            },
        }
    }

    /// A URL that reads the object for `ttl` without credentials; `None` when the store cannot
    /// sign (local folders, Redis).
    pub async fn signed_url(&self, key: &str, ttl: Duration) -> Result<Option<Url>, RemoteError> {
        match &self.inner {
            Inner::Objects {
                signer: Some(signer),
                ..
            } => Ok(Some(
                signer
                    .signed_url(http::Method::GET, &self.store_key(key)?, ttl)
                    .await?,
            )),
            Inner::Gcs(bucket) => bucket.signed_url(key, ttl),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ByteRange;

    #[test]
    fn ranges_are_read_as_http_names_them() {
        assert_eq!(
            ByteRange::parse("bytes=0-99"),
            Some(ByteRange::Bounded { first: 0, last: 99 })
        );
        assert_eq!(ByteRange::parse("bytes=100-"), Some(ByteRange::From(100)));
        assert_eq!(ByteRange::parse("bytes=-5"), Some(ByteRange::Last(5)));
        assert_eq!(ByteRange::parse("bytes=0-1,4-5"), None);
        assert_eq!(ByteRange::parse("items=0-1"), None);
        assert_eq!(ByteRange::parse("bytes=x-1"), None);
        assert_eq!(
            ByteRange::Bounded { first: 5, last: 99 }.within(10),
            Some(5..10)
        );
        assert_eq!(ByteRange::Last(50).within(10), Some(0..10));
        assert_eq!(ByteRange::From(10).within(10), None);
        assert_eq!(ByteRange::Bounded { first: 4, last: 2 }.within(10), None);
        assert_eq!(ByteRange::Last(0).within(10), None);
    }
}
