//! Logs and traces.
//!
//! Logs go to stderr, pretty or as JSON lines, filtered by `MINSHENG_LOG`
//! (`info` by default). Given an OTLP endpoint (the binary reads
//! `OTEL_EXPORTER_OTLP_ENDPOINT`), spans are also exported over OTLP/gRPC
//! under the configured service name.
//!
//! Trace context travels as W3C `traceparent`: extracted from incoming gRPC
//! metadata ([`extract`], used by the RPC layer), injected into outgoing
//! gRPC metadata ([`inject`]), stored in each event's metadata
//! ([`current_traceparent`], used by the command context) and so in the
//! NATS message headers of the JetStream store; a subscriber's span links to
//! the command's span ([`link_to_traceparent`]).
//!
//! Spans and log fields carry ids, codes and method names, never a request
//! body: personal data (resident IDs, phones, accounts) has no way in.
//! Handlers that must mention such a value use [`crate::masking`].

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Log lines for people or for a log pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("OTLP exporter: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
    #[error("logging was already set up: {0}")]
    AlreadySet(#[from] tracing_subscriber::util::TryInitError),
}

/// Keeps the trace pipeline; [`Telemetry::shutdown`] flushes it.
#[derive(Debug)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

/// How a process logs and traces.
#[derive(Clone, Debug)]
pub struct TelemetryConfig {
    pub log_format: LogFormat,
    /// `service.name` of the exported spans.
    pub service_name: String,
    /// Where to export spans over OTLP/gRPC (`http://collector:4317`); none:
    /// spans are not exported.
    pub otlp_endpoint: Option<String>,
}

/// Sets up logging, and trace export if configured, for this process.
/// Call it once, inside the Tokio runtime (the exporter's channel lives there).
pub fn init(config: TelemetryConfig) -> Result<Telemetry, TelemetryError> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = tracing_subscriber::EnvFilter::try_from_env("MINSHENG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs = match config.log_format {
        LogFormat::Pretty => logs.boxed(),
        LogFormat::Json => logs.json().boxed(),
    };
    let endpoint = config.otlp_endpoint.filter(|e| !e.is_empty());
    let provider = if let Some(endpoint) = endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()?;
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name(config.service_name)
            .build();
        Some(
            SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(resource)
                .build(),
        )
    } else {
        None
    };
    let traces = provider
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer("minsheng")));
    tracing_subscriber::registry()
        .with(filter)
        .with(logs)
        .with(traces)
        .try_init()?;
    Ok(Telemetry { provider })
}

impl Telemetry {
    /// Sends the spans still buffered and stops the exporter.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "trace export did not flush");
        }
    }
}

struct HeaderSource<'a>(&'a http::HeaderMap);

impl Extractor for HeaderSource<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct MetadataSink<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataSink<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            value.parse(),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// The trace context a request's headers carry (none: a new trace starts).
pub fn extract(headers: &http::HeaderMap) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&HeaderSource(headers))
}

/// Puts the current span's trace context into an outgoing call's metadata.
pub fn inject(metadata: &mut tonic::metadata::MetadataMap) {
    let context = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&context, &mut MetadataSink(metadata));
}

/// The current span's W3C `traceparent`, if it belongs to a sampled or
/// remote trace; stored in the metadata of the events a command writes.
pub fn current_traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove("traceparent")
}

/// Links `span` to the trace of the command a `traceparent` names (an
/// event's), so a consumer's work can be followed back to its cause.
pub fn link_to_traceparent(span: &tracing::Span, traceparent: &str) {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let context = TraceContextPropagator::new().extract(&carrier);
    let remote = context.span().span_context().clone();
    if remote.is_valid() {
        span.add_link(remote);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_traceparent_header_is_read_back_as_the_same_trace() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            TRACEPARENT.parse().unwrap_or_else(|_| unreachable!()),
        );
        let context = extract(&headers);
        let span = context.span();
        let span_context = span.span_context();
        assert_eq!(
            span_context.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(span_context.is_remote());
    }

    #[test]
    fn without_a_trace_there_is_no_traceparent_to_store() {
        assert_eq!(current_traceparent(), None);
        let mut metadata = tonic::metadata::MetadataMap::new();
        inject(&mut metadata);
        assert!(metadata.get("traceparent").is_none());
    }
}
