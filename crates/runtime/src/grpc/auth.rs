//! A tower layer that checks every call's bearer token and role before the
//! service sees it. Health and reflection are open to all (probes and tools
//! carry no token). On success the [`Caller`] rides in the request's
//! extensions, so handlers can record the actor.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tonic::body::Body;

use super::command::REQUEST_ID_HEADER;
use super::status;
use crate::auth::{AccessTable, Caller, TokenKeys};
use crate::person_keys::PersonKeys;

const OPEN_PREFIXES: [&str; 2] = ["/grpc.health.v1.Health/", "/grpc.reflection."];

#[derive(Clone, Debug)]
pub struct Gatekeeper {
    keys: TokenKeys,
    access: Arc<AccessTable>,
    /// Hashes each admitted call's `x-request-id`: handlers, the store and
    /// the logs see only the hash.
    request_ids: PersonKeys,
}

impl Gatekeeper {
    pub fn new(keys: TokenKeys, access: AccessTable, request_ids: PersonKeys) -> Self {
        Gatekeeper {
            keys,
            access: Arc::new(access),
            request_ids,
        }
    }

    /// Replaces the call's `x-request-id` with its keyed hash; a malformed
    /// one is refused naming the header (never echoing it).
    fn hash_request_id(&self, headers: &mut http::HeaderMap) -> Result<(), tonic::Status> {
        let Some(sent) = headers.get(REQUEST_ID_HEADER) else {
            return Ok(());
        };
        let sent = sent
            .to_str()
            .map_err(|_| status::invalid_field(REQUEST_ID_HEADER, "printable ASCII expected"))?;
        minsheng_eventstore::RequestId::parse(sent)
            .map_err(|e| status::invalid_field(REQUEST_ID_HEADER, &e.to_string()))?;
        let hashed = self.request_ids.request_key(sent);
        let value = http::HeaderValue::from_str(&hashed)
            .unwrap_or_else(|_| unreachable!("hex digits are a valid header value"));
        headers.insert(REQUEST_ID_HEADER, value);
        Ok(())
    }

    /// The methods the access table names.
    pub fn methods(&self) -> impl Iterator<Item = String> + '_ {
        self.access.methods()
    }

    /// Who may pass: `Ok(None)` for an open method.
    fn admit(
        &self,
        method: &str,
        authorization: Option<&str>,
    ) -> Result<Option<Caller>, tonic::Status> {
        if OPEN_PREFIXES.iter().any(|p| method.starts_with(p)) {
            return Ok(None);
        }
        let refused = |err: crate::auth::AuthError| {
            // The reason and the method, never the token.
            tracing::info!(method, reason = %err, "call refused");
            status::from_auth(&err)
        };
        let caller = self.keys.verify(authorization).map_err(refused)?;
        self.access.check(method, &caller).map_err(refused)?;
        Ok(Some(caller))
    }
}

impl<S> tower::Layer<S> for Gatekeeper {
    type Service = Guarded<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Guarded {
            gate: self.clone(),
            inner,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Guarded<S> {
    gate: Gatekeeper,
    inner: S,
}

impl<S> tower::Service<http::Request<Body>> for Guarded<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        if let Some(refusal) = oversized_metadata(request.headers()) {
            return Box::pin(async move { Ok(refusal.into_http()) });
        }
        let authorization = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        match self.gate.admit(request.uri().path(), authorization) {
            Ok(caller) => {
                if let Err(refusal) = self.gate.hash_request_id(request.headers_mut()) {
                    return Box::pin(async move { Ok(refusal.into_http()) });
                }
                if let Some(caller) = caller {
                    request.extensions_mut().insert(caller);
                }
                let mut inner = super::take_ready(&mut self.inner);
                Box::pin(async move { inner.call(request).await })
            }
            Err(status) => Box::pin(async move { Ok(status.into_http()) }),
        }
    }
}

/// Longest value of one metadata entry (a token is about 300 bytes).
pub const MAX_METADATA_VALUE_BYTES: usize = 8 * 1024;

/// A refusal of the first metadata entry longer than
/// [`MAX_METADATA_VALUE_BYTES`], naming it (never its value): an oversized
/// token is UNAUTHENTICATED, anything else INVALID_ARGUMENT. Checked before
/// anything else, on every method, open ones too.
fn oversized_metadata(headers: &http::HeaderMap) -> Option<tonic::Status> {
    let (name, _) = headers
        .iter()
        .find(|(_, value)| value.len() > MAX_METADATA_VALUE_BYTES)?;
    let message = format!(
        "metadata {name} is longer than {MAX_METADATA_VALUE_BYTES} bytes",
        name = name.as_str()
    );
    Some(if name == http::header::AUTHORIZATION {
        tonic::Status::unauthenticated(message)
    } else {
        tonic::Status::invalid_argument(message)
    })
}
