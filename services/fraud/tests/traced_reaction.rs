//! The firewall's reaction to an alert, traced: its span links to the
//! analyst's call, and the blocks it writes carry the reaction's own trace
//! context, so a trace viewer follows the chain call → alert → reaction →
//! block instead of losing the reaction. One test per file: telemetry is
//! set up once per process.

#![allow(clippy::unwrap_used)]

// (The embedded tests' support; this file uses only part of it.)
#[allow(dead_code, unused_imports)]
#[path = "grpc_embedded/support.rs"]
mod support;

use minsheng_contracts::Published;
use minsheng_contracts::fraud::NumberBlocked;
use minsheng_runtime::telemetry::{self, LogFormat, TelemetryConfig};
use minsheng_testkit::otlp::OtlpReceiver;
use support::*;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// (trace id, span id) of a W3C traceparent.
fn ids(traceparent: &str) -> (String, String) {
    let parts: Vec<&str> = traceparent.split('-').collect();
    (parts[1].to_owned(), parts[2].to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocks_a_reaction_writes_carry_the_reactions_span_linked_to_the_alerts_call() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let telemetry = telemetry::init(TelemetryConfig {
        log_format: LogFormat::Json,
        service_name: "minsheng-fraud".into(),
        otlp_endpoint: Some(receiver.endpoint()),
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), chrono::Duration::hours(2)).await;
    let mut report = as_role("fraud-analyst", alert());
    report.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE_ID}-{CALLER_SPAN}-01").parse().unwrap(),
    );
    app.alerts().await.report_alert(report).await.unwrap();
    eventually("blocked", async || {
        screen(&app, &[FRAUDSTER_PHONE]).await[0].blocked
    })
    .await;
    let fraud = minsheng_eventstore::Context::parse("fraud").unwrap();
    let events = app
        .store
        .read_all(&fraud, minsheng_eventstore::Position::START, 1000)
        .await
        .unwrap();
    let traceparent_of = |event_type: &str| {
        events
            .iter()
            .find(|e| e.event_type == event_type)
            .and_then(|e| e.metadata.traceparent.clone())
            .unwrap_or_else(|| panic!("no traced {event_type}"))
    };
    let alert = ids(&traceparent_of("fraud.AlertReported"));
    let block = ids(&traceparent_of(NumberBlocked::EVENT_TYPE));
    app.stop().await;
    telemetry.shutdown();

    assert_eq!(
        alert.0, TRACE_ID,
        "the alert is written in the caller's trace"
    );
    let spans = receiver.spans();
    let reaction = spans
        .iter()
        .find(|s| s.span.name == "fraud-block-named-numbers handle")
        .unwrap_or_else(|| panic!("no span for the reaction"));
    assert!(
        reaction
            .span
            .links
            .iter()
            .any(|l| (hex(&l.trace_id), hex(&l.span_id)) == alert),
        "the reaction links to the alert's call: {:?}",
        reaction.span.links
    );
    assert_eq!(
        block.0,
        hex(&reaction.span.trace_id),
        "the block is written in the reaction's trace, not the call's"
    );
    let in_reaction = spans
        .iter()
        .any(|s| hex(&s.span.span_id) == block.1 && hex(&s.span.trace_id) == block.0);
    assert!(
        in_reaction,
        "the block names a span of the reaction's trace"
    );
}
