//! The runtime's projection mechanism through whole processes, with a
//! test's own read model: a tally of the numbers written to two contexts
//! (`alpha`, `beta`; type `testing.Added`, version 1; `testing.Remarked`
//! is a type it does not read).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use minsheng_eventstore::interposed::{HeldBack, Interposed};
use minsheng_eventstore::sqlite::SqliteStore;
use minsheng_eventstore::{
    Context, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StreamName,
};
use minsheng_runtime::auth::TokenKeys;
use minsheng_runtime::local::{self, LocalProcess};
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_runtime::projection::{
    Folded, Positioned, Projection, ReadModel, SavePolicy, Spec, Unreadable,
};
use minsheng_runtime::target::{Registration, Target, TargetContext, TargetError};
use minsheng_testkit::{eventually, metric};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Tally {
    sums: BTreeMap<String, u64>,
}

impl ReadModel for Tally {
    fn fold(&mut self, event: &RecordedEvent) -> Result<Folded, Unreadable> {
        match (event.event_type.as_str(), event.schema_version) {
            ("testing.Added", 1) => {
                let n: u64 = event.payload_as().map_err(|e| Unreadable {
                    reason: e.to_string(),
                    newer_schema: false,
                })?;
                *self
                    .sums
                    .entry(event.stream.context_str().to_owned())
                    .or_default() += n;
                Ok(Folded::Read)
            }
            ("testing.Added", version) => Err(Unreadable {
                reason: format!("testing.Added version {version}"),
                newer_schema: true,
            }),
            _ => Ok(Folded::NotRead),
        }
    }
}

const SPEC: Spec = Spec {
    name: "tally",
    owner: "testing",
    snapshot: "testing-tally",
    leadership: "testing-tally",
    contexts: &["alpha", "beta"],
    save: SavePolicy::DEFAULT,
};

struct TallyTarget(Arc<Projection<Tally>>);

#[async_trait]
impl Target for TallyTarget {
    fn name(&self) -> &'static str {
        "tally"
    }

    async fn start(
        &self,
        _: &TargetContext,
        registration: &mut Registration,
    ) -> Result<(), TargetError> {
        registration.projection(self.0.clone());
        Ok(())
    }
}

async fn add(store: &dyn EventStore, context: &str, n: u64) {
    write(store, context, "testing.Added", 1, n).await;
}

async fn write(store: &dyn EventStore, context: &str, event_type: &str, version: u16, n: u64) {
    let event = NewEvent::new(event_type, version, &n).unwrap();
    let stream = StreamName::parse(&format!("{context}.counter.c1")).unwrap();
    store
        .append(&stream, ExpectedVersion::Any, vec![event], None)
        .await
        .unwrap();
}

async fn start(store: &Arc<dyn EventStore>) -> (Arc<Projection<Tally>>, LocalProcess) {
    let tally = Projection::new(SPEC);
    let target: Arc<dyn Target> = Arc::new(TallyTarget(tally.clone()));
    let process = local::start(
        store.clone(),
        &[target],
        TokenKeys::from_secret(b"test"),
        PersonKeys::from_secret(b"test"),
        minsheng_runtime::personal_data::ephemeral(),
    )
    .await
    .unwrap();
    (tally, process)
}

fn sums(tally: &Projection<Tally>) -> Vec<(String, u64)> {
    tally.read(|t| t.state.sums.clone().into_iter().collect())
}

fn sqlite() -> (tempfile::TempDir, Arc<dyn EventStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("events.db")).unwrap());
    (dir, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projection_of_two_contexts_is_ready_once_both_are_folded_and_resumes_from_its_snapshot()
{
    let (_dir, store) = sqlite();
    for n in [1, 2, 3] {
        add(store.as_ref(), "alpha", n).await;
    }
    add(store.as_ref(), "beta", 10).await;
    write(store.as_ref(), "beta", "testing.Remarked", 1, 0).await;

    // Ready means caught up in both contexts.
    let (tally, process) = start(&store).await;
    assert_eq!(sums(&tally), [("alpha".into(), 6), ("beta".into(), 10)]);
    assert!(tally.leading(), "alone, it leads");
    let skipped = r#"minsheng_subscription_skipped_total{consumer="testing-tally:beta",event_type="testing.Remarked"}"#;
    assert_eq!(metric(process.http, skipped).await, 1.0);
    add(store.as_ref(), "alpha", 4).await;
    eventually("the new event is folded", async || {
        sums(&tally)[0] == ("alpha".into(), 10)
    })
    .await;
    process.stop().await.unwrap();

    // The leader saved the model and its positions as one snapshot on the
    // way out; the next start resumes from it, folding only what is new.
    let saved: Positioned<Tally> =
        serde_json::from_slice(&store.load_snapshot("testing-tally").await.unwrap().unwrap())
            .unwrap();
    assert_eq!(saved.state.sums["alpha"], 10);
    for context in SPEC.contexts {
        let head = store.head(&Context::parse(context).unwrap()).await.unwrap();
        assert_eq!(saved.positions[*context], head, "{context}");
    }
    add(store.as_ref(), "beta", 5).await;
    let (tally, process) = start(&store).await;
    assert_eq!(sums(&tally), [("alpha".into(), 10), ("beta".into(), 15)]);
    let folded = r#"minsheng_subscription_events_total{consumer="testing-tally:beta"}"#;
    assert_eq!(
        metric(process.http, folded).await,
        1.0,
        "only the new event"
    );
    process.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_version_stops_the_projection_and_counts_restarts_until_a_newer_build() {
    let (_dir, store) = sqlite();
    add(store.as_ref(), "alpha", 1).await;
    let (tally, process) = start(&store).await;
    write(store.as_ref(), "alpha", "testing.Added", 2, 100).await;
    add(store.as_ref(), "alpha", 1).await;
    let restarts = r#"minsheng_subscription_restarts_total{consumer="testing-tally:alpha",reason="newer_schema"}"#;
    eventually("the projection restarts, more than once", async || {
        metric(process.http, restarts).await >= 2.0
    })
    .await;
    assert_eq!(
        sums(&tally),
        [("alpha".into(), 1)],
        "nothing after the event it cannot read is folded"
    );
    process.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_snapshot_is_only_a_cache_the_projection_folds_everything_again() {
    let (_dir, store) = sqlite();
    add(store.as_ref(), "alpha", 7).await;
    add(store.as_ref(), "beta", 8).await;
    store
        .save_snapshot(
            "testing-tally",
            b"{\"a\": \"snapshot of another build\"}".to_vec(),
        )
        .await
        .unwrap();
    let (tally, process) = start(&store).await;
    assert_eq!(sums(&tally), [("alpha".into(), 7), ("beta".into(), 8)]);
    process.stop().await.unwrap();
    let saved: Positioned<Tally> =
        serde_json::from_slice(&store.load_snapshot("testing-tally").await.unwrap().unwrap())
            .unwrap();
    assert_eq!(saved.state.sums["beta"], 8, "the leader replaced it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_waits_for_a_context_to_be_caught_up_not_for_a_metric() {
    let (_dir, sqlite) = sqlite();
    add(sqlite.as_ref(), "alpha", 1).await;
    let alpha = Context::parse("alpha").unwrap();
    let (open, gate) = tokio::sync::watch::channel(false);
    let store: Arc<dyn EventStore> = Arc::new(Interposed {
        hooks: HeldBack {
            after: sqlite.head(&alpha).await.unwrap(),
            gate,
        },
        inner: sqlite,
    });
    let (tally, process) = start(&store).await;
    assert!(process.followers().caught_up("alpha").await.unwrap());
    add(store.as_ref(), "alpha", 2).await;
    assert!(
        !process.followers().caught_up("alpha").await.unwrap(),
        "the new event is held back: not caught up"
    );
    assert!(process.followers().caught_up("beta").await.unwrap());
    open.send(true).unwrap();
    process.caught_up("alpha").await.unwrap();
    assert_eq!(sums(&tally), [("alpha".into(), 3)], "folded once caught up");
    process.stop().await.unwrap();
}

/// (The one test of this file that sets up telemetry: it is set up once
/// per process.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_written_under_a_trace_is_folded_in_a_span_linked_to_the_writers() {
    use minsheng_runtime::telemetry::{self, LogFormat, TelemetryConfig};
    const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const WRITER_SPAN: &str = "00f067aa0ba902b7";
    let receiver = minsheng_testkit::otlp::OtlpReceiver::start().await.unwrap();
    let telemetry = telemetry::init(TelemetryConfig {
        log_format: LogFormat::Json,
        service_name: "minsheng-tally".into(),
        otlp_endpoint: Some(receiver.endpoint()),
    })
    .unwrap();
    let (_dir, store) = sqlite();
    let traced = NewEvent::new("testing.Added", 1, &5u64)
        .unwrap()
        .with_metadata(minsheng_eventstore::Metadata {
            traceparent: Some(format!("00-{TRACE_ID}-{WRITER_SPAN}-01")),
            ..Default::default()
        });
    store
        .append(
            &StreamName::parse("alpha.counter.c1").unwrap(),
            ExpectedVersion::Any,
            vec![traced],
            None,
        )
        .await
        .unwrap();
    let tally = Projection::<Tally>::new(SPEC);
    let (done, caught_up) = tokio::sync::oneshot::channel::<()>();
    let stop = async {
        let _ = caught_up.await;
    };
    let ready = move || {
        let _ = done.send(());
    };
    tally
        .follow(store.as_ref(), None, ready, stop)
        .await
        .unwrap();
    assert_eq!(sums(&tally), [("alpha".into(), 5)]);
    telemetry.shutdown();

    let spans = receiver.spans();
    let fold = spans
        .iter()
        .find(|s| s.span.name == "tally fold")
        .unwrap_or_else(|| panic!("no span for the fold among {spans:?}"));
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert!(
        fold.span
            .links
            .iter()
            .any(|l| hex(&l.trace_id) == TRACE_ID && hex(&l.span_id) == WRITER_SPAN),
        "{:?}",
        fold.span.links
    );
}
