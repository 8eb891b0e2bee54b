//! The event store as targets get it: the process's store, with every
//! append timed into `minsheng_store_append_seconds{context, outcome}`,
//! every snapshot saved counted in `minsheng_store_snapshot_saves_total{snapshot}`
//! (a leader's work: on a follower it stays 0), and every write's outcome
//! told to [`crate::writable`] (readiness). Labels are the context (a
//! handful, fixed by the code) and the outcome class, never a stream id,
//! so the label set cannot grow with the data. The hooks are
//! [`Interposed`]'s: everything else goes straight to the store.

use std::sync::Arc;
use std::time::Duration;

use minsheng_eventstore::interposed::{Interpose, Interposed};
use minsheng_eventstore::{AppendOutcome, EventStore, StoreError, StreamName};
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

/// What the metered store does around the process's store.
#[derive(Debug)]
pub struct Meters {
    /// Told of every write's outcome.
    writable: Arc<crate::writable::Writable>,
    appends: Family<AppendLabels, Histogram>,
    snapshot_saves: Family<SnapshotLabel, Counter>,
}

/// `inner`, metered (see the module's comment).
pub fn wrap(
    inner: Arc<dyn EventStore>,
    metrics: &MetricsRegistry,
    readiness: crate::health::Readiness,
    shutdown: crate::shutdown::Shutdown,
) -> Arc<dyn EventStore> {
    let writable = crate::writable::Writable::register(inner.clone(), readiness, metrics, shutdown);
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
    Arc::new(Interposed {
        inner,
        hooks: Meters {
            writable,
            appends,
            snapshot_saves,
        },
    })
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

impl Interpose for Meters {
    fn after_append(
        &self,
        stream: &StreamName,
        outcome: &Result<AppendOutcome, StoreError>,
        took: Duration,
    ) {
        self.appends
            .get_or_create(&AppendLabels {
                context: stream.context_str().to_owned(),
                outcome: outcome_class(outcome),
            })
            .observe(took.as_secs_f64());
        self.writable.saw(outcome);
    }

    fn after_checkpoint(&self, _name: &str, outcome: &Result<(), StoreError>) {
        self.writable.saw(outcome);
    }

    fn after_snapshot(&self, name: &str, outcome: &Result<(), StoreError>) {
        if outcome.is_ok() {
            // Snapshot names are fixed by the code, so the label set is too.
            self.snapshot_saves
                .get_or_create(&SnapshotLabel {
                    snapshot: name.to_owned(),
                })
                .inc();
        }
    }
}
