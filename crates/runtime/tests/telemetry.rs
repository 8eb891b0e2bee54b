//! Trace export to a real OTLP/gRPC receiver on loopback. One test per
//! file: telemetry is set up once per process.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use minsheng_eventstore::StreamName;
use minsheng_runtime::telemetry::{self, LogFormat, TelemetryConfig};
use minsheng_testkit::otlp::OtlpReceiver;
use support::{AppOptions, Note, channel, officer_token, spawn_app};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";
const RESIDENT_ID: &str = "110105194912310029";
const PHONE: &str = "13800138000";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_is_traced_from_the_caller_to_the_subscriber_with_no_personal_data() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let telemetry = telemetry::init(TelemetryConfig {
        log_format: LogFormat::Json,
        service_name: "minsheng-notebook".into(),
        otlp_endpoint: Some(receiver.endpoint()),
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path(), AppOptions::default()).await;
    let traceparent = format!("00-{TRACE_ID}-{CALLER_SPAN}-01");
    support::write(
        channel(app.grpc).await,
        Some(&officer_token("officer-7")),
        Note {
            id: "n1".into(),
            text: format!("resident {RESIDENT_ID}, phone {PHONE}"),
        },
        &[("traceparent", &traceparent)],
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.counted.load(Ordering::SeqCst) < 1 {
        assert!(Instant::now() < deadline, "the counter never saw the note");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stream = StreamName::parse("testing.note.n1").unwrap();
    let stored = app.store.read_stream(&stream, 1, 1).await.unwrap();
    app.stop(Duration::from_secs(20)).await;
    telemetry.shutdown();

    let spans = receiver.spans();
    let names: Vec<&str> = spans.iter().map(|s| s.span.name.as_str()).collect();
    let write = spans
        .iter()
        .find(|s| s.span.name == "minsheng.testing.v1.Notebook/Write")
        .unwrap_or_else(|| panic!("no span for the call among {names:?}"));
    assert_eq!(write.service_name.as_deref(), Some("minsheng-notebook"));
    assert_eq!(hex(&write.span.trace_id), TRACE_ID, "the caller's trace");
    assert_eq!(hex(&write.span.parent_span_id), CALLER_SPAN);
    assert_eq!(write.span.kind, 2, "a server span");
    assert_eq!(write.attribute("rpc.system").as_deref(), Some("grpc"));
    assert_eq!(
        write.attribute("rpc.service").as_deref(),
        Some("minsheng.testing.v1.Notebook")
    );
    assert_eq!(write.attribute("rpc.method").as_deref(), Some("Write"));
    assert_eq!(
        write.attribute("rpc.grpc.status_code").as_deref(),
        Some("0")
    );

    // The event carries the call's trace context, and the subscriber's span
    // links back to the call.
    let write_span = hex(&write.span.span_id);
    assert_eq!(
        stored[0].metadata.traceparent.as_deref(),
        Some(format!("00-{TRACE_ID}-{write_span}-01").as_str())
    );
    let handled = spans
        .iter()
        .find(|s| s.span.name == "notebook-counter handle")
        .unwrap_or_else(|| panic!("no span for the subscriber among {names:?}"));
    assert!(
        handled
            .span
            .links
            .iter()
            .any(|l| hex(&l.trace_id) == TRACE_ID && hex(&l.span_id) == write_span),
        "{:?}",
        handled.span.links
    );

    let everything = receiver.everything();
    for personal in [RESIDENT_ID, PHONE] {
        assert!(!everything.contains(personal), "{personal} was exported");
    }
}
