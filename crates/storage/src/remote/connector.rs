//! object_store's HTTP transport over Tessera's guarded client: every request's URL is checked
//! (an address written in it bypasses the resolver) and every host name is resolved and checked
//! by the guard, so a bucket endpoint cannot reach a blocked network.

use async_trait::async_trait;
use http_body_util::BodyExt;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse,
    HttpResponseBody, HttpService,
};
use object_store::ClientOptions;
use tessera_outbound::Outbound;

/// Connects object stores through [`Outbound`].
#[derive(Clone)]
pub struct GuardedConnector {
    outbound: Outbound,
}

impl GuardedConnector {
    pub fn new(outbound: Outbound) -> GuardedConnector {
        GuardedConnector { outbound }
    }
}

impl std::fmt::Debug for GuardedConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GuardedConnector")
    }
}

impl HttpConnector for GuardedConnector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        Ok(HttpClient::new(self.clone()))
    }
}

/// The kind of a transport failure, as object_store's retries understand it.
fn kind_of(err: &reqwest::Error) -> HttpErrorKind {
    if err.is_timeout() {
        HttpErrorKind::Timeout
    } else if err.is_connect() {
        HttpErrorKind::Connect
    } else if err.is_decode() || err.is_body() {
        HttpErrorKind::Decode
    } else if err.is_request() {
        HttpErrorKind::Request
    } else {
        HttpErrorKind::Unknown
    }
}

#[async_trait]
impl HttpService for GuardedConnector {
    async fn call(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let url = self
            .outbound
            .check(&parts.uri.to_string())
            .map_err(|err| HttpError::new(HttpErrorKind::Connect, err))?;
        let body = body
            .collect()
            .await
            .map_err(|err| HttpError::new(HttpErrorKind::Request, err))?
            .to_bytes();
        let mut outgoing = reqwest::Request::new(parts.method, url);
        *outgoing.headers_mut() = parts.headers;
        *outgoing.body_mut() = Some(body.into());
        let client = self.outbound.services_client();
        let response = client.execute(outgoing).await.map_err(|err| {
            let kind = kind_of(&err);
            HttpError::new(kind, err.without_url())
        })?;
        let response: http::Response<reqwest::Body> = response.into();
        let (parts, body) = response.into_parts();
        let body = body.map_err(|err| {
            let kind = kind_of(&err);
            HttpError::new(kind, err)
        });
        Ok(HttpResponse::from_parts(parts, HttpResponseBody::new(body)))
    }
}
