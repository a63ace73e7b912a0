//! Media kept in a bucket rather than a folder, so that several instances serve the same
//! uploads: `s3://bucket/prefix` (AWS S3, and S3-compatible servers such as MinIO, Cloudflare R2
//! or Google Cloud Storage's interoperability endpoint) or `az://container/prefix` (Azure Blob).
//!
//! Credentials come from the standard environment variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT`, …; `AZURE_STORAGE_ACCOUNT_NAME`,
//! `AZURE_STORAGE_ACCOUNT_KEY`, …); the URL's query may set any of `object_store`'s options
//! besides (`?endpoint=http://127.0.0.1:9000&allow_http=true`).

use std::str::FromStr;
use std::sync::Arc;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::path::Path as Key;
use object_store::prefix::PrefixStore;
use object_store::ObjectStore;
use tessera_outbound::{Allow, Outbound, OutboundConfig};
use url::Url;

use crate::remote::GuardedConnector;

/// Why a media bucket's address cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("media store {url}: {reason}")]
pub struct BucketUrlError {
    url: String,
    reason: String,
}

/// A media bucket's address, checked: its scheme names a supported service. Shown (and
/// debug-printed) without its query and user part, which may hold secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct MediaBucket {
    url: Url,
}

impl FromStr for MediaBucket {
    type Err = BucketUrlError;

    fn from_str(text: &str) -> Result<MediaBucket, BucketUrlError> {
        let fail = |reason: &str| BucketUrlError {
            url: redact(text),
            reason: reason.to_string(),
        };
        let url = Url::parse(text).map_err(|err| fail(&err.to_string()))?;
        match url.scheme() {
            "s3" | "az" | "azure" => {}
            _ => return Err(fail("the scheme must be s3:// or az://")),
        }
        if url.host_str().unwrap_or("").is_empty() {
            return Err(fail("the bucket (or container) name is missing"));
        }
        let bucket = MediaBucket { url };
        bucket.store().map_err(|err| fail(&err.to_string()))?;
        Ok(bucket)
    }
}

/// The text of a URL without its query and user part, which may hold secrets.
fn redact(text: &str) -> String {
    let address = text.split('?').next().unwrap_or_default();
    match address.split_once("://") {
        Some((scheme, rest)) => {
            let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{rest}")
        }
        None => address.to_string(),
    }
}

impl std::fmt::Display for MediaBucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact(self.url.as_str()))
    }
}

impl std::fmt::Debug for MediaBucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MediaBucket({self})")
    }
}

impl MediaBucket {
    /// The bucket as an object store, its keys under the URL's path.
    pub(crate) fn store(&self) -> Result<Arc<dyn ObjectStore>, object_store::Error> {
        let mut base = self.url.clone();
        base.set_query(None);
        base.set_path("");
        let options = self.url.query_pairs();
        // The operator chose this address: no SSRF rule applies to it.
        let connector = GuardedConnector::new(Outbound::new(OutboundConfig {
            allow: Allow::Everything,
            ..Default::default()
        }));
        let store: Arc<dyn ObjectStore> = if self.url.scheme() == "s3" {
            let mut builder = AmazonS3Builder::from_env().with_url(base.as_str());
            for (key, value) in options {
                builder = builder.with_config(AmazonS3ConfigKey::from_str(&key)?, value);
            }
            Arc::new(builder.with_http_connector(connector).build()?)
        } else {
            let mut builder = MicrosoftAzureBuilder::from_env().with_url(base.as_str());
            for (key, value) in options {
                builder = builder.with_config(AzureConfigKey::from_str(&key)?, value);
            }
            Arc::new(builder.with_http_connector(connector).build()?)
        };
        let prefix = self.url.path().trim_matches('/');
        Ok(if prefix.is_empty() {
            store
        } else {
            Arc::new(PrefixStore::new(store, Key::from(prefix)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn secrets_are_left_out_of_shown_addresses() {
        assert_eq!(
            redact("s3://KEY:SECRET@bucket/media?secret_access_key=x"),
            "s3://bucket/media"
        );
        assert_eq!(redact("az://container/p"), "az://container/p");
    }
}
