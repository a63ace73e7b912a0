//! Tessera's one outbound HTTP client, for URL imports now and webhooks, ML backends and cloud
//! storages next: timeouts, a response-size limit, no proxies from the environment, and SSRF
//! protection ([`guard`]).
//!
//! The protection holds where it matters, at connection time: host names are resolved by
//! Tessera's resolver, which refuses the whole name when any of its addresses is blocked and
//! hands the connector exactly the addresses it checked, so a DNS answer that changes between
//! the check and the connection (rebinding) cannot slip through. Addresses written in the URL
//! (which bypass resolvers) are checked before the request and on every redirect hop.

pub mod guard;

use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect;
use reqwest::Url;

pub use guard::Allow;

/// Why an outbound request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// Not an absolute `http://` or `https://` URL.
    #[error("URLs must use http:// or https://")]
    Scheme,
    /// The URL could not be parsed.
    #[error("{0:?} is not a valid URL")]
    InvalidUrl(String),
    /// The target (or a redirect's target) is in a blocked range.
    #[error("URL resolves to a reserved network address (block: {0})")]
    Blocked(IpNet),
    /// The host name has no address.
    #[error("Can't resolve hostname {0}")]
    Unresolvable(String),
    /// The answer is larger than the limit.
    #[error("Maximum total size of all files is {limit} bytes, current size is {size} bytes")]
    TooLarge { limit: u64, size: u64 },
    /// The server answered with an error status.
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    /// No answer in time.
    #[error("{0} did not answer in time")]
    Timeout(String),
    /// Any other failure to connect or read (refused connection, TLS, too many redirects).
    #[error("could not fetch {url}: {reason}")]
    Failed { url: String, reason: String },
}

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct OutboundConfig {
    /// Addresses allowed beyond the public internet.
    pub allow: Allow,
    /// Connecting, and the whole exchange.
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Redirects followed (each re-checked).
    pub max_redirects: usize,
}

impl Default for OutboundConfig {
    fn default() -> OutboundConfig {
        OutboundConfig {
            allow: Allow::PublicOnly,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(120),
            max_redirects: 10,
        }
    }
}

/// A fetched document.
#[derive(Debug)]
pub struct Fetched {
    /// Where it came from after redirects.
    pub url: Url,
    pub content_type: Option<String>,
    pub body: Bytes,
}

/// The guarded client; cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    /// For clients of other services (object stores) that follow redirects themselves and stream
    /// large bodies: the same resolver, no redirects, no limit on the whole exchange.
    services: reqwest::Client,
    allow: Arc<Allow>,
}

/// Resolves host names and refuses those with a blocked address.
struct GuardedResolver {
    allow: Arc<Allow>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| boxed(OutboundError::Unresolvable(host.clone())))?
                .collect();
            if addrs.is_empty() {
                return Err(boxed(OutboundError::Unresolvable(host)));
            }
            for addr in &addrs {
                allow
                    .check(addr.ip())
                    .map_err(|net| boxed(OutboundError::Blocked(net)))?;
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

fn boxed(err: OutboundError) -> Box<dyn StdError + Send + Sync> {
    Box::new(err)
}

/// Refuses URLs that are not http(s) and hosts written as blocked addresses.
fn check_url(allow: &Allow, url: &Url) -> Result<(), OutboundError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(OutboundError::Scheme);
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(url::Host::Domain(_)) => return Ok(()),
        None => return Err(OutboundError::InvalidUrl(url.to_string())),
    };
    allow.check(ip).map_err(OutboundError::Blocked)
}

impl Outbound {
    /// A client with `config`.
    pub fn new(config: OutboundConfig) -> Outbound {
        let allow = Arc::new(config.allow);
        let redirect_allow = allow.clone();
        let max_redirects = config.max_redirects;
        let client = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("Tessera/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver {
                allow: allow.clone(),
            }))
            .redirect(redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > max_redirects {
                    return attempt.error("too many redirects");
                }
                match check_url(&redirect_allow, attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(err) => attempt.error(err),
                }
            }))
            .build()
            .expect("the TLS backend is compiled in");
        let services = reqwest::Client::builder()
            .no_proxy()
            // Header names in title case (`X-Custom`), as receivers used to Python's `requests`
            // see them, not lower-cased.
            .http1_title_case_headers()
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("Tessera/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver {
                allow: allow.clone(),
            }))
            .redirect(redirect::Policy::none())
            .build()
            .expect("the TLS backend is compiled in");
        Outbound {
            client,
            services,
            allow,
        }
    }

    /// The guarded client for other services' client libraries, which follow redirects
    /// themselves: host names are resolved and checked as for [`Outbound::get`]; a caller must
    /// [`Outbound::check`] each URL first (addresses written in a URL bypass the resolver).
    pub fn services_client(&self) -> reqwest::Client {
        self.services.clone()
    }

    /// Checks `url` as far as it can be checked without resolving it.
    pub fn check(&self, url: &str) -> Result<Url, OutboundError> {
        let parsed = Url::parse(url).map_err(|_| {
            if url.contains("://") {
                OutboundError::InvalidUrl(url.to_string())
            } else {
                OutboundError::Scheme
            }
        })?;
        check_url(&self.allow, &parsed)?;
        Ok(parsed)
    }

    /// GETs `url` and reads its body, refusing bodies over `limit` bytes (announced or read)
    /// and error statuses.
    pub async fn get(&self, url: &str, limit: u64) -> Result<Fetched, OutboundError> {
        self.fetch(url, limit, false).await
    }

    /// GETs the first `length` bytes of `url` (asked for with a `Range` header; a server that
    /// sends the whole body anyway is read only that far).
    pub async fn get_head(&self, url: &str, length: u64) -> Result<Fetched, OutboundError> {
        self.fetch(url, length, true).await
    }

    /// POSTs `body` to `url` with `headers` within `timeout`, redirects not followed; the
    /// answer's status, whatever it is (the body is not read).
    pub async fn post(
        &self,
        url: &str,
        headers: reqwest::header::HeaderMap,
        body: Bytes,
        timeout: Duration,
    ) -> Result<u16, OutboundError> {
        let parsed = self.check(url)?;
        let shown = parsed.to_string();
        let response = self
            .services
            .post(parsed)
            .headers(headers)
            .body(body)
            .timeout(timeout)
            .send()
            .await
            .map_err(|err| classify(err, &shown))?;
        Ok(response.status().as_u16())
    }

    /// Sends `method` to `url` with `headers` and `body` within `timeout`, redirects not
    /// followed; the answer's status and body (at most `limit` bytes), whatever the status.
    pub async fn exchange(
        &self,
        method: reqwest::Method,
        url: &str,
        headers: reqwest::header::HeaderMap,
        body: Option<Bytes>,
        timeout: Duration,
        limit: u64,
    ) -> Result<(u16, Bytes), OutboundError> {
        let parsed = self.check(url)?;
        let shown = parsed.to_string();
        let mut request = self
            .services
            .request(method, parsed)
            .headers(headers)
            .timeout(timeout);
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.map_err(|err| classify(err, &shown))?;
        let status = response.status().as_u16();
        let mut read = BytesMut::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|err| classify(err, &shown))?;
            let size = (read.len() + chunk.len()) as u64;
            if size > limit {
                return Err(OutboundError::TooLarge { limit, size });
            }
            read.extend_from_slice(&chunk);
        }
        Ok((status, read.freeze()))
    }

    /// Checks `url` and every address its host resolves to now (what a form that saves a URL
    /// for later calls checks before saving it; calls are checked again when made).
    pub async fn check_resolved(&self, url: &str) -> Result<Url, OutboundError> {
        let parsed = self.check(url)?;
        if let Some(url::Host::Domain(host)) = parsed.host() {
            let unresolvable = || OutboundError::Unresolvable(host.to_string());
            let addrs: Vec<SocketAddr> =
                tokio::time::timeout(Duration::from_secs(10), tokio::net::lookup_host((host, 0)))
                    .await
                    .map_err(|_| unresolvable())?
                    .map_err(|_| unresolvable())?
                    .collect();
            if addrs.is_empty() {
                return Err(unresolvable());
            }
            for addr in addrs {
                self.allow
                    .check(addr.ip())
                    .map_err(OutboundError::Blocked)?;
            }
        }
        Ok(parsed)
    }

    async fn fetch(&self, url: &str, limit: u64, head: bool) -> Result<Fetched, OutboundError> {
        let parsed = self.check(url)?;
        let shown = parsed.to_string();
        let mut request = self.client.get(parsed);
        if head {
            request = request.header(
                reqwest::header::RANGE,
                format!("bytes=0-{}", limit.saturating_sub(1)),
            );
        }
        let response = request.send().await.map_err(|err| classify(err, &shown))?;
        let final_url = response.url().clone();
        if !response.status().is_success() {
            return Err(OutboundError::Status {
                url: final_url.to_string(),
                status: response.status().as_u16(),
            });
        }
        if let Some(size) = response
            .content_length()
            .filter(|&size| size > limit && !head)
        {
            return Err(OutboundError::TooLarge { limit, size });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut body = BytesMut::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|err| classify(err, &shown))?;
            let size = (body.len() + chunk.len()) as u64;
            if size > limit {
                if head {
                    body.extend_from_slice(&chunk[..(limit as usize - body.len())]);
                    break;
                }
                return Err(OutboundError::TooLarge { limit, size });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            url: final_url,
            content_type,
            body: body.freeze(),
        })
    }
}

/// Our own refusal when it is behind `err` (from the resolver or the redirect policy), else a
/// timeout or a plain failure.
fn classify(err: reqwest::Error, url: &str) -> OutboundError {
    let mut source: Option<&(dyn StdError + 'static)> = Some(&err);
    while let Some(cause) = source {
        if let Some(ours) = cause.downcast_ref::<OutboundError>() {
            return match ours {
                OutboundError::Blocked(net) => OutboundError::Blocked(*net),
                OutboundError::Unresolvable(host) => OutboundError::Unresolvable(host.clone()),
                OutboundError::Scheme => OutboundError::Scheme,
                other => OutboundError::Failed {
                    url: url.to_string(),
                    reason: other.to_string(),
                },
            };
        }
        source = cause.source();
    }
    if err.is_timeout() {
        return OutboundError::Timeout(url.to_string());
    }
    let mut reason = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        reason = format!("{reason}: {cause}");
        source = cause.source();
    }
    OutboundError::Failed {
        url: url.to_string(),
        reason,
    }
}
