//! How long a call may run. A client's deadline (`grpc-timeout`) always
//! wins (tonic itself ends a call at it), a unary call's up to
//! [`GrpcLimits::max_deadline`]; a unary call sent without one gets the
//! server's default ([`GrpcLimits::timeout`]); a streaming call (a base
//! station's sightings, a partner's screening, a watch) is never cut by
//! the server's clock: HTTP/2 keep-alives find a dead peer instead. A call
//! cut by the server's limit is answered DEADLINE_EXCEEDED, which clients
//! retry (tonic's own timeout answered CANCELLED, which they do not).

use std::collections::HashSet;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use prost::Message;
use tonic::body::Body;

use super::GrpcLimits;

/// The limit the server puts on a call: `None` when it sets none (the
/// client's deadline, if any, is tonic's to keep).
pub fn server_limit(
    client_deadline: Option<Duration>,
    streaming: bool,
    limits: &GrpcLimits,
) -> Option<Duration> {
    match client_deadline {
        _ if streaming => None,
        Some(asked) => (asked > limits.max_deadline).then_some(limits.max_deadline),
        None => Some(limits.timeout),
    }
}

/// A `grpc-timeout` header's duration: up to 8 digits and a unit (`H`,
/// `M`, `S`, `m`, `u`, `n`); `None` if malformed.
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// The paths (`/package.Service/Method`) of the streaming methods the
/// encoded descriptor sets declare.
pub fn streaming_methods(sets: &[&[u8]]) -> HashSet<String> {
    let mut streaming = HashSet::new();
    for set in sets {
        let Ok(set) = prost_types::FileDescriptorSet::decode(*set) else {
            continue;
        };
        for file in &set.file {
            let package = file.package();
            for service in &file.service {
                for method in &service.method {
                    if method.client_streaming() || method.server_streaming() {
                        streaming.insert(format!(
                            "/{package}.{}/{}",
                            service.name(),
                            method.name()
                        ));
                    }
                }
            }
        }
    }
    streaming
}

/// The layer that applies [`server_limit`] to every call.
#[derive(Clone, Debug)]
pub struct Deadlines {
    limits: GrpcLimits,
    streaming: Arc<HashSet<String>>,
}

impl Deadlines {
    pub fn new(limits: GrpcLimits, streaming: HashSet<String>) -> Self {
        Deadlines {
            limits,
            streaming: Arc::new(streaming),
        }
    }
}

impl<S> tower::Layer<S> for Deadlines {
    type Service = WithDeadline<S>;
    fn layer(&self, inner: S) -> Self::Service {
        WithDeadline {
            deadlines: self.clone(),
            inner,
        }
    }
}

#[derive(Clone, Debug)]
pub struct WithDeadline<S> {
    deadlines: Deadlines,
    inner: S,
}

impl<S> tower::Service<http::Request<Body>> for WithDeadline<S>
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

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let client_deadline = request
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout);
        let streaming = self.deadlines.streaming.contains(request.uri().path());
        let limit = server_limit(client_deadline, streaming, &self.deadlines.limits);
        let mut inner = super::take_ready(&mut self.inner);
        let call = inner.call(request);
        match limit {
            None => Box::pin(call),
            Some(limit) => Box::pin(async move {
                match tokio::time::timeout(limit, call).await {
                    Ok(answered) => answered,
                    Err(_) => Ok(tonic::Status::deadline_exceeded(format!(
                        "no answer within the server's limit of {} s",
                        limit.as_secs_f64()
                    ))
                    .into_http()),
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clients_deadline_wins_up_to_the_cap_and_streams_are_never_cut_by_the_default() {
        let limits = GrpcLimits::default();
        let (default, cap) = (limits.timeout, limits.max_deadline);
        let minute = Duration::from_secs(60);
        assert_eq!(server_limit(None, false, &limits), Some(default));
        assert_eq!(server_limit(None, true, &limits), None);
        assert_eq!(server_limit(Some(minute * 2), false, &limits), None);
        assert_eq!(server_limit(Some(minute * 2), true, &limits), None);
        assert_eq!(server_limit(Some(cap * 2), false, &limits), Some(cap));
        assert_eq!(server_limit(Some(cap * 2), true, &limits), None);
        assert!(default < minute * 2 && minute * 2 < cap);
    }

    #[test]
    fn grpc_timeout_headers_are_read_as_the_protocol_writes_them() {
        assert_eq!(parse_grpc_timeout("45S"), Some(Duration::from_secs(45)));
        assert_eq!(
            parse_grpc_timeout("120000m"),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_grpc_timeout("2H"), Some(Duration::from_secs(7200)));
        for bad in ["", "S", "123456789S", "10s", "-1S", "1.5S"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_streaming_methods_are_read_from_the_descriptors() {
        let streaming = streaming_methods(&[tonic_health::pb::FILE_DESCRIPTOR_SET]);
        assert!(streaming.contains("/grpc.health.v1.Health/Watch"));
        assert!(!streaming.contains("/grpc.health.v1.Health/Check"));
    }
}
