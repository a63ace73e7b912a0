//! Talking to a model server the way Label Studio's `ml/api_connector.py` does: JSON over HTTP
//! at `<url>/health`, `/setup`, `/predict`, `/webhook`, `/versions`, HTTP Basic auth when a user
//! and password are set, every request through the SSRF-guarded client.

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;
use tessera_outbound::Outbound;

/// How long a health check may take.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a setup call may take.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read from a model server.
const ANSWER_LIMIT: u64 = 64 * 1024 * 1024;

/// Why a call to a model server failed.
#[derive(Debug, Clone)]
pub struct MlError {
    /// The server's status, when it answered.
    pub status: Option<u16>,
    pub message: String,
}

/// One model server.
pub struct MlApi<'a> {
    outbound: &'a Outbound,
    url: String,
    basic_auth: Option<(String, String)>,
}

impl<'a> MlApi<'a> {
    /// The server at `url`, with Basic auth when both parts are given.
    pub fn new(
        outbound: &'a Outbound,
        url: &str,
        basic_auth: Option<(String, String)>,
    ) -> MlApi<'a> {
        MlApi {
            outbound,
            url: url.to_string(),
            basic_auth: basic_auth.filter(|(user, pass)| !user.is_empty() && !pass.is_empty()),
        }
    }

    /// `<url>/<suffix>`, the URL's own path kept.
    fn endpoint(&self, suffix: &str) -> String {
        format!("{}/{suffix}", self.url.trim_end_matches('/'))
    }

    fn headers(&self, json: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if json {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some((user, pass)) = &self.basic_auth {
            use base64::Engine;
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            if let Ok(value) = HeaderValue::from_str(&format!("Basic {token}")) {
                headers.insert(AUTHORIZATION, value);
            }
        }
        headers
    }

    async fn call(
        &self,
        method: http::Method,
        suffix: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<Value, MlError> {
        let url = self.endpoint(suffix);
        let body = body.map(|b| Bytes::from(b.to_string()));
        let json = body.is_some();
        let (status, answer) = self
            .outbound
            .exchange(
                method,
                &url,
                self.headers(json),
                body,
                timeout,
                ANSWER_LIMIT,
            )
            .await
            .map_err(|err| MlError {
                status: None,
                message: err.to_string(),
            })?;
        if !(200..300).contains(&status) {
            let detail = String::from_utf8_lossy(&answer[..answer.len().min(500)]).into_owned();
            return Err(MlError {
                status: Some(status),
                message: format!("{url} answered {status}: {detail}"),
            });
        }
        serde_json::from_slice(&answer).map_err(|err| MlError {
            status: Some(status),
            message: format!("{url} answered something that is not JSON: {err}"),
        })
    }

    /// `GET /health`.
    pub async fn health(&self) -> Result<Value, MlError> {
        self.call(http::Method::GET, "health", None, HEALTH_TIMEOUT)
            .await
    }

    /// `POST /setup`.
    pub async fn setup(&self, body: &Value) -> Result<Value, MlError> {
        self.call(http::Method::POST, "setup", Some(body), SETUP_TIMEOUT)
            .await
    }

    /// `POST /predict`.
    pub async fn predict(&self, body: &Value, timeout: Duration) -> Result<Value, MlError> {
        self.call(http::Method::POST, "predict", Some(body), timeout)
            .await
    }

    /// `POST /webhook` (training events).
    pub async fn webhook(&self, body: &Value, timeout: Duration) -> Result<Value, MlError> {
        self.call(http::Method::POST, "webhook", Some(body), timeout)
            .await
    }

    /// `GET /versions`.
    pub async fn versions(&self) -> Result<Value, MlError> {
        self.call(http::Method::GET, "versions", None, SETUP_TIMEOUT)
            .await
    }
}
