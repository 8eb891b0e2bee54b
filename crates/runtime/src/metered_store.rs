//! The event store as targets get it: the process's store, with every
//! append timed into `minsheng_store_append_seconds{context, outcome}` and
//! every snapshot saved counted in `minsheng_store_snapshot_saves_total{snapshot}`
//! (a leader's work: on a follower it stays 0).
//! Labels are the context (a handful, fixed by the code) and the outcome
//! class, never a stream id, so the label set cannot grow with the data.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use minsheng_eventstore::{
    AppendOutcome, Context, EventStore, EventSubscription, ExpectedVersion, NewEvent, Position,
    RecordedEvent, RequestId, StoreError, StreamName,
};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

use crate::metrics::MetricsRegistry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AppendLabels {
    context: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SnapshotLabel {
    snapshot: String,
}

#[derive(Debug)]
pub struct MeteredStore {
    inner: Arc<dyn EventStore>,
    /// Told of every write's outcome (see [`crate::writable`]).
    writable: Arc<crate::writable::Writable>,
    appends: Family<AppendLabels, Histogram>,
    snapshot_saves: Family<SnapshotLabel, Counter>,
}

impl MeteredStore {
    pub fn wrap(
        inner: Arc<dyn EventStore>,
        metrics: &MetricsRegistry,
        readiness: crate::health::Readiness,
        shutdown: crate::shutdown::Shutdown,
    ) -> Arc<dyn EventStore> {
        let writable =
            crate::writable::Writable::register(inner.clone(), readiness, metrics, shutdown);
        let appends = Family::<AppendLabels, Histogram>::new_with_constructor(|| {
            // 50 µs to ~1.6 s: a group commit on a laptop disk to a slow quorum.
            Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
        });
        metrics.register(
            "store_append_seconds",
            "Event store append latency, by context and outcome (ok, conflict, refused, error)",
            appends.clone(),
        );
        let snapshot_saves = Family::<SnapshotLabel, Counter>::default();
        metrics.register(
            "store_snapshot_saves",
            "Read-model snapshots this process saved, by snapshot",
            snapshot_saves.clone(),
        );
        Arc::new(MeteredStore {
            inner,
            writable,
            appends,
            snapshot_saves,
        })
    }
}

fn outcome_class(result: &Result<AppendOutcome, StoreError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(StoreError::WrongExpectedVersion { .. }) => "conflict",
        Err(
            StoreError::InvalidInput { .. }
            | StoreError::InvalidStreamName { .. }
            | StoreError::PayloadTooLarge { .. },
        ) => "refused",
        Err(_) => "error",
    }
}

#[async_trait]
impl EventStore for MeteredStore {
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        request_id: Option<&RequestId>,
    ) -> Result<AppendOutcome, StoreError> {
        let started = Instant::now();
        let result = self
            .inner
            .append(stream, expected, events, request_id)
            .await;
        self.appends
            .get_or_create(&AppendLabels {
                context: stream.context_str().to_owned(),
                outcome: outcome_class(&result),
            })
            .observe(started.elapsed().as_secs_f64());
        self.writable.saw(&result);
        result
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream, from_version, limit).await
    }

    async fn read_all(
        &self,
        context: &Context,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(context, after, limit).await
    }

    async fn head(&self, context: &Context) -> Result<Position, StoreError> {
        self.inner.head(context).await
    }

    async fn subscribe(
        &self,
        context: &Context,
        after: Position,
    ) -> Result<EventSubscription, StoreError> {
        self.inner.subscribe(context, after).await
    }

    async fn committed_request(
        &self,
        request_id: &RequestId,
    ) -> Result<Option<AppendOutcome>, StoreError> {
        self.inner.committed_request(request_id).await
    }

    async fn load_checkpoint(&self, name: &str) -> Result<Option<Position>, StoreError> {
        self.inner.load_checkpoint(name).await
    }

    async fn save_checkpoint(&self, name: &str, position: Position) -> Result<(), StoreError> {
        let saved = self.inner.save_checkpoint(name, position).await;
        self.writable.saw(&saved);
        saved
    }

    async fn load_snapshot(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.load_snapshot(name).await
    }

    async fn save_snapshot(&self, name: &str, data: Vec<u8>) -> Result<(), StoreError> {
        let saved = self.inner.save_snapshot(name, data).await;
        if saved.is_ok() {
            // Snapshot names are fixed by the code, so the label set is too.
            self.snapshot_saves
                .get_or_create(&SnapshotLabel {
                    snapshot: name.to_owned(),
                })
                .inc();
        }
        saved
    }
}
