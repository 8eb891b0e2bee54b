//! RPC metrics and spans: calls by method and final status code, and
//! latency by method, for `/metrics`; and one `grpc.server` span per call,
//! child of the caller's trace when the request carries a `traceparent`,
//! with the OpenTelemetry RPC attributes and the final code. A unary call's status comes in the response
//! trailers (or, for a refusal, in the headers), so the layer follows the
//! response body to its end. Method labels are limited to the methods the
//! process serves; anything else counts as `other`, so a caller cannot grow
//! the label set.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::BoxFuture;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tonic::body::Body;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: String,
}

/// The RPC metrics of one process, as a tower layer.
#[derive(Clone, Debug)]
pub struct RpcMetrics {
    calls: Family<CallLabels, Counter>,
    latency: Family<MethodLabels, Histogram>,
    known: Arc<HashSet<String>>,
}

impl RpcMetrics {
    /// Registers the metrics; `methods` are the paths that get their own label.
    pub fn register(registry: &mut Registry, methods: impl IntoIterator<Item = String>) -> Self {
        let calls = Family::<CallLabels, Counter>::default();
        let latency = Family::<MethodLabels, Histogram>::new_with_constructor(|| {
            // 100 µs to ~3.3 s.
            Histogram::new(exponential_buckets(0.0001, 2.0, 16))
        });
        registry.register(
            "grpc_server_calls",
            "gRPC calls by method and final status code",
            calls.clone(),
        );
        registry.register(
            "grpc_server_call_seconds",
            "gRPC call latency, to the end of the response",
            latency.clone(),
        );
        RpcMetrics {
            calls,
            latency,
            known: Arc::new(methods.into_iter().collect()),
        }
    }

    fn label(&self, path: &str) -> String {
        let open =
            path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.");
        if open || self.known.contains(path) {
            path.to_owned()
        } else {
            "other".to_owned()
        }
    }
}

impl<S> tower::Layer<S> for RpcMetrics {
    type Service = Measured<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Measured {
            metrics: self.clone(),
            inner,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Measured<S> {
    metrics: RpcMetrics,
    inner: S,
}

impl<S> tower::Service<http::Request<Body>> for Measured<S>
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
        let method = self.metrics.label(request.uri().path());
        let span = call_span(&method);
        // Only fails when no OpenTelemetry layer is installed: nothing to link.
        let _ = span.set_parent(crate::telemetry::extract(request.headers()));
        let recorder = Recorder {
            method,
            started: Instant::now(),
            done: false,
            metrics: self.metrics.clone(),
            span: span.clone(),
        };
        let mut inner = super::take_ready(&mut self.inner);
        Box::pin(async move {
            let response = inner.call(request).instrument(span).await?;
            let mut recorder = recorder;
            // A refusal carries its status in the headers: record it now.
            if let Some(code) = status_in(response.headers()) {
                recorder.finish(Some(code));
            }
            let (parts, body) = response.into_parts();
            Ok(http::Response::from_parts(
                parts,
                Body::new(Observed {
                    inner: body,
                    recorder,
                }),
            ))
        })
    }
}

/// The call's span. Its fields are the method and the outcome only: no
/// request data, so no personal data.
fn call_span(method: &str) -> tracing::Span {
    let (service, name) = method
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or((method, ""));
    tracing::info_span!(
        "grpc.server",
        otel.name = %method.trim_start_matches('/'),
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %name,
        rpc.grpc.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    )
}

fn status_in(headers: &http::HeaderMap) -> Option<i32> {
    headers.get("grpc-status")?.to_str().ok()?.parse().ok()
}

/// Records one call, once: when its status is seen (before it goes out), or,
/// if it never is, when the response is dropped.
struct Recorder {
    method: String,
    started: Instant,
    done: bool,
    metrics: RpcMetrics,
    /// Kept open until the call ends, so its duration covers the response.
    span: tracing::Span,
}

impl Recorder {
    fn finish(&mut self, code: Option<i32>) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        // No status at all: the call was cut off (the client went away).
        let code = code.map_or(tonic::Code::Cancelled, tonic::Code::from);
        self.span.record("rpc.grpc.status_code", code as i32);
        if code != tonic::Code::Ok {
            self.span.record("otel.status_code", "ERROR");
        }
        let code = format!("{code:?}");
        let labels = CallLabels {
            method: self.method.clone(),
            code,
        };
        self.metrics.calls.get_or_create(&labels).inc();
        self.metrics
            .latency
            .get_or_create(&MethodLabels {
                method: self.method.clone(),
            })
            .observe(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.finish(None);
    }
}

struct Observed {
    inner: Body,
    recorder: Recorder,
}

impl http_body::Body for Observed {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(trailers) = frame.trailers_ref()
        {
            let code = status_in(trailers);
            self.recorder.finish(code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
