//! A Google Cloud Storage bucket over its JSON API (list, read, write, delete) with OAuth tokens
//! from a service account key, and V4 signed URLs (GOOG4-RSA-SHA256) signed locally with that
//! key. Hand-written rather than `object_store`'s client, which speaks the XML API that the GCS
//! emulators used in tests do not implement (see ARCHITECTURE.md).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, BoxStream};
use futures_util::{StreamExt, TryStreamExt};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tessera_outbound::Outbound;
use tokio::sync::Mutex;
use url::Url;

use super::{RemoteError, RemoteObject};

/// Google's public Cloud Storage address.
const GOOGLE: &str = "https://storage.googleapis.com";
/// The scope Tessera asks tokens for.
const SCOPE: &str = "https://www.googleapis.com/auth/devstorage.read_write";

/// RFC 3986's unreserved characters stay as they are; everything else is percent-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// In paths of signed URLs, `/` stays too.
const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// A service account key (the JSON Google hands out).
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceAccount {
    pub client_email: String,
    pub private_key: String,
    #[serde(default = "default_token_uri")]
    pub token_uri: String,
}

fn default_token_uri() -> String {
    "https://oauth2.googleapis.com/token".into()
}

impl ServiceAccount {
    /// Reads a key's JSON text, with Label Studio's wording for what is wrong with it.
    pub fn parse(text: &str) -> Result<ServiceAccount, RemoteError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|err| {
            RemoteError::Settings(format!(
                "Google Application Credentials must be valid JSON string. {err}"
            ))
        })?;
        let missing: Vec<&str> = ["client_email", "token_uri"]
            .into_iter()
            .filter(|key| value.get(key).is_none())
            .collect();
        if !missing.is_empty() && value.get("private_key").is_none() {
            return Err(RemoteError::Settings(format!(
                "Service account info was not in the expected format, missing fields {}.",
                missing.join(", ")
            )));
        }
        serde_json::from_value(value).map_err(|err| RemoteError::Settings(err.to_string()))
    }

    fn key(&self) -> Result<EncodingKey, RemoteError> {
        EncodingKey::from_rsa_pem(self.private_key.as_bytes()).map_err(|err| {
            RemoteError::Settings(format!("the service account's private key: {err}"))
        })
    }
}

/// A V4 signed URL for reading `object` of `bucket` for `expires`, signed at `now` (the
/// algorithm of Google's documentation, checked against its conformance vector in the tests).
pub fn signed_url(
    account: &ServiceAccount,
    bucket: &str,
    object: &str,
    expires: Duration,
    now: DateTime<Utc>,
) -> Result<String, RemoteError> {
    let datetime = now.format("%Y%m%dT%H%M%SZ").to_string();
    let date = &datetime[..8];
    let scope = format!("{date}/auto/storage/goog4_request");
    let credential = format!("{}/{scope}", account.client_email);
    let path = format!(
        "/{}/{}",
        utf8_percent_encode(bucket, PATH),
        utf8_percent_encode(object, PATH)
    );
    let query = [
        ("X-Goog-Algorithm", "GOOG4-RSA-SHA256".to_string()),
        ("X-Goog-Credential", credential),
        ("X-Goog-Date", datetime.clone()),
        ("X-Goog-Expires", expires.as_secs().min(604_800).to_string()),
        ("X-Goog-SignedHeaders", "host".to_string()),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, UNRESERVED)))
    .collect::<Vec<_>>()
    .join("&");
    let canonical =
        format!("GET\n{path}\n{query}\nhost:storage.googleapis.com\n\nhost\nUNSIGNED-PAYLOAD");
    let to_sign = format!(
        "GOOG4-RSA-SHA256\n{datetime}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let signature =
        jsonwebtoken::crypto::sign(to_sign.as_bytes(), &account.key()?, Algorithm::RS256)
            .map_err(|err| RemoteError::Settings(err.to_string()))?;
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|err| RemoteError::Failed(err.to_string()))?;
    Ok(format!(
        "{GOOGLE}{path}?{query}&X-Goog-Signature={}",
        hex::encode(signature)
    ))
}

/// An access token and when it ends.
type CachedToken = Arc<Mutex<Option<(String, DateTime<Utc>)>>>;

/// A bucket and how to reach it.
#[derive(Clone)]
pub(super) struct GcsBucket {
    bucket: String,
    base: String,
    account: Option<ServiceAccount>,
    outbound: Outbound,
    token: CachedToken,
}

#[derive(Deserialize)]
struct Listing {
    #[serde(default)]
    items: Vec<Item>,
    #[serde(rename = "nextPageToken")]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct Item {
    name: String,
    #[serde(default)]
    size: Option<String>,
    updated: Option<DateTime<Utc>>,
    etag: Option<String>,
    generation: Option<String>,
}

fn failed(err: impl std::fmt::Display) -> RemoteError {
    RemoteError::Failed(err.to_string())
}

impl GcsBucket {
    /// `base`: the service's address (Google's unless set: an emulator).
    pub(super) fn new(
        bucket: String,
        account: Option<ServiceAccount>,
        base: Option<String>,
        outbound: Outbound,
    ) -> GcsBucket {
        GcsBucket {
            bucket,
            base: base
                .map(|b| b.trim_end_matches('/').to_string())
                .unwrap_or_else(|| GOOGLE.to_string()),
            account,
            outbound,
            token: Arc::default(),
        }
    }

    /// An OAuth access token for the service account (cached until a minute before it ends);
    /// none without an account (an emulator, or a public bucket).
    async fn token(&self) -> Result<Option<String>, RemoteError> {
        let Some(account) = &self.account else {
            return Ok(None);
        };
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if *until > Utc::now() + chrono::Duration::seconds(60) {
                return Ok(Some(token.clone()));
            }
        }
        let now = Utc::now().timestamp();
        let claims = serde_json::json!({
            "iss": account.client_email, "scope": SCOPE, "aud": account.token_uri,
            "iat": now, "exp": now + 3600,
        });
        let assertion =
            jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &account.key()?)
                .map_err(|err| RemoteError::Settings(err.to_string()))?;
        let url = self.outbound.check(&account.token_uri).map_err(failed)?;
        let response = self
            .outbound
            .services_client()
            .post(url)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(failed)?;
        if !response.status().is_success() {
            return Err(RemoteError::Denied(format!(
                "Google refused the service account: {}",
                response.text().await.unwrap_or_default()
            )));
        }
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
            expires_in: i64,
        }
        let token: Token = response.json().await.map_err(failed)?;
        let until = Utc::now() + chrono::Duration::seconds(token.expires_in);
        *cached = Some((token.access_token.clone(), until));
        Ok(Some(token.access_token))
    }

    /// Sends a request to the service, authorized, checked by the guard.
    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Bytes>,
    ) -> Result<reqwest::Response, RemoteError> {
        self.send_range(method, url, body, None).await
    }

    /// Sends a request, asking for the bytes `range` (end exclusive) when given.
    async fn send_range(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Bytes>,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<reqwest::Response, RemoteError> {
        let url = self.outbound.check(url).map_err(failed)?;
        let mut request = self.outbound.services_client().request(method, url);
        if let Some(range) = range {
            request = request.header(
                "Range",
                format!("bytes={}-{}", range.start, range.end.saturating_sub(1)),
            );
        }
        if let Some(token) = self.token().await? {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/octet-stream")
                .body(body);
        }
        let response = request.send().await.map_err(failed)?;
        match response.status().as_u16() {
            200..=299 => Ok(response),
            404 => Err(RemoteError::NotFound(format!(
                "No blobs found in {}: {}",
                self.bucket,
                response.text().await.unwrap_or_default()
            ))),
            401 | 403 => Err(RemoteError::Denied(
                response.text().await.unwrap_or_default(),
            )),
            status => Err(RemoteError::Failed(format!(
                "Google Cloud Storage answered {status}: {}",
                response.text().await.unwrap_or_default()
            ))),
        }
    }

    fn object_url(&self, name: &str) -> String {
        format!(
            "{}/storage/v1/b/{}/o/{}",
            self.base,
            utf8_percent_encode(&self.bucket, UNRESERVED),
            utf8_percent_encode(name, UNRESERVED)
        )
    }

    pub(super) fn list(
        &self,
        prefix: Option<String>,
        recursive: bool,
    ) -> BoxStream<'static, Result<RemoteObject, RemoteError>> {
        let this = self.clone();
        stream::try_unfold(Some(None::<String>), move |page| {
            let this = this.clone();
            let prefix = prefix.clone();
            async move {
                let Some(page) = page else {
                    return Ok::<_, RemoteError>(None);
                };
                let mut url = Url::parse(&format!(
                    "{}/storage/v1/b/{}/o",
                    this.base,
                    utf8_percent_encode(&this.bucket, UNRESERVED)
                ))
                .map_err(failed)?;
                {
                    let mut query = url.query_pairs_mut();
                    if let Some(prefix) = &prefix {
                        query.append_pair("prefix", &format!("{prefix}/"));
                    }
                    if !recursive {
                        query.append_pair("delimiter", "/");
                    }
                    if let Some(token) = &page {
                        query.append_pair("pageToken", token);
                    }
                }
                let listing: Listing = this
                    .send(reqwest::Method::GET, url.as_str(), None)
                    .await?
                    .json()
                    .await
                    .map_err(failed)?;
                let objects: Vec<Result<RemoteObject, RemoteError>> = listing
                    .items
                    .into_iter()
                    .map(|item| {
                        Ok(RemoteObject {
                            key: item.name,
                            size: item.size.and_then(|s| s.parse().ok()).unwrap_or(0),
                            last_modified: item.updated,
                            version: item.generation.or(item.etag),
                        })
                    })
                    .collect();
                let next = listing.next_page_token.map(Some);
                Ok(Some((stream::iter(objects), next)))
            }
        })
        .try_flatten()
        .boxed()
    }

    pub(super) async fn get(&self, key: &str) -> Result<Bytes, RemoteError> {
        let url = format!("{}?alt=media", self.object_url(key));
        self.send(reqwest::Method::GET, &url, None)
            .await?
            .bytes()
            .await
            .map_err(failed)
    }

    /// An object's size.
    pub(super) async fn size(&self, key: &str) -> Result<u64, RemoteError> {
        #[derive(serde::Deserialize)]
        struct Meta {
            size: Option<String>,
        }
        let meta: Meta = self
            .send(reqwest::Method::GET, &self.object_url(key), None)
            .await?
            .json()
            .await
            .map_err(failed)?;
        Ok(meta.size.and_then(|s| s.parse().ok()).unwrap_or(0))
    }

    /// The bytes `range` (end exclusive) of an object, as they arrive.
    pub(super) async fn get_range(
        &self,
        key: &str,
        range: std::ops::Range<u64>,
    ) -> Result<futures_util::stream::BoxStream<'static, Result<Bytes, RemoteError>>, RemoteError>
    {
        use futures_util::{StreamExt, TryStreamExt};
        let url = format!("{}?alt=media", self.object_url(key));
        let response = self
            .send_range(reqwest::Method::GET, &url, None, Some(range))
            .await?;
        Ok(response.bytes_stream().map_err(failed).boxed())
    }

    pub(super) async fn put(&self, key: &str, bytes: Bytes) -> Result<(), RemoteError> {
        let url = format!(
            "{}/upload/storage/v1/b/{}/o?uploadType=media&name={}",
            self.base,
            utf8_percent_encode(&self.bucket, UNRESERVED),
            utf8_percent_encode(key, UNRESERVED)
        );
        self.send(reqwest::Method::POST, &url, Some(bytes)).await?;
        Ok(())
    }

    pub(super) async fn delete(&self, key: &str) -> Result<(), RemoteError> {
        match self
            .send(reqwest::Method::DELETE, &self.object_url(key), None)
            .await
        {
            Ok(_) | Err(RemoteError::NotFound(_)) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// A signed URL for `key`; `None` without a service account to sign with.
    pub(super) fn signed_url(&self, key: &str, ttl: Duration) -> Result<Option<Url>, RemoteError> {
        let Some(account) = &self.account else {
            return Ok(None);
        };
        let url = signed_url(account, &self.bucket, key, ttl, Utc::now())?;
        Url::parse(&url).map(Some).map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{TimeZone, Utc};

    use super::{signed_url, ServiceAccount};

    /// Google's V4 signing conformance case "Simple GET" (googleapis/conformance-tests,
    /// `storage/v1/v4_signatures.json`, Apache-2.0), signed with the inactive dummy service
    /// account key those tests publish (`tests/fixtures/gcs-conformance-key.pem`).
    #[test]
    fn signed_urls_match_googles_conformance_vector() {
        let account = ServiceAccount {
            client_email: "test-iam-credentials@dummy-project-id.iam.gserviceaccount.com".into(),
            private_key: include_str!("../../tests/fixtures/gcs-conformance-key.pem").into(),
            token_uri: String::new(),
        };
        let at = Utc.with_ymd_and_hms(2019, 2, 1, 9, 0, 0).unwrap();
        let url = signed_url(
            &account,
            "test-bucket",
            "test-object",
            Duration::from_secs(10),
            at,
        )
        .unwrap();
        assert_eq!(
            url,
            concat!(
                "https://storage.googleapis.com/test-bucket/test-object",
                "?X-Goog-Algorithm=GOOG4-RSA-SHA256",
                "&X-Goog-Credential=test-iam-credentials%40dummy-project-id.iam.",
                "gserviceaccount.com%2F20190201%2Fauto%2Fstorage%2Fgoog4_request",
                "&X-Goog-Date=20190201T090000Z&X-Goog-Expires=10",
                "&X-Goog-SignedHeaders=host",
                "&X-Goog-Signature=95e6a13d43a1d1962e667f17397f2b80ac9bdd1669210d5e08e0",
                "135df9dff4e56113485dbe429ca2266487b9d1796ebdee2d7cf682a6ef3bb9fbb4c3516",
                "86fba90d7b621cf1c4eb1fdf126460dd25fa0837dfdde0a9fd98662ce60844c458448fb",
                "2b352c203d9969cb74efa4bdb742287744a4f2308afa4af0e0773f55e32e9297361924",
                "9214b97283b2daa14195244444e33f938138d1e5f561088ce8011f4986dda33a556412",
                "594db7c12fc40e1ff3f1bedeb7a42f5bcda0b9567f17f65855f65071fabb88ea123718",
                "77f3f77f10e1466fff6ff6973b74a933322ff0949ce357e20abe96c3dd5cfab42c9c83",
                "e740a4d32b9e11e146f0eb3404d2e975896f74"
            )
        );
    }

    #[test]
    fn keys_say_what_is_wrong_with_them() {
        let err = ServiceAccount::parse("not json").unwrap_err().to_string();
        assert!(err.starts_with("Google Application Credentials must be valid JSON string."));
        let err = ServiceAccount::parse("{}").unwrap_err().to_string();
        assert_eq!(
            err,
            "Service account info was not in the expected format, missing fields client_email, token_uri."
        );
    }
}
