//! The backend conformance suite: one set of cases, the same assertions, run
//! against every backend. A backend's test file implements [`Backend`] and
//! calls `conformance_suite!(make_backend())`.

#![allow(dead_code, clippy::unwrap_used)]

mod cases;
pub use cases::*;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use minsheng_eventstore::{
    Context, EventStore, EventSubscription, ExpectedVersion, NewEvent, RecordedEvent, StoreError,
    StreamName,
};

/// A backend under test, holding its own data (a temp file, a nats-server).
#[async_trait]
pub trait Backend: Send {
    /// The store, opened on the first call.
    async fn store(&mut self) -> Arc<dyn EventStore>;
    /// Closes the store, restarts what lies beneath it (reopens the file,
    /// restarts the server process) and opens it again on the same data.
    async fn restart(&mut self) -> Arc<dyn EventStore>;
}

/// Instantiates every case for a backend. `$make` is an async expression
/// giving the backend. With `ignore = "why"`, every case is marked ignored
/// with that reason, so that a run without the backend's server reports
/// them as ignored (skipped), never as passed; `--include-ignored` runs them.
#[macro_export]
macro_rules! conformance_suite {
    // One case at a time: the marks repeat inside each case, not beside it.
    (@each $make:expr; [$($mark:tt)*];) => {};
    (@each $make:expr; [$($mark:tt)*]; $case:ident, $($rest:ident,)*) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        $($mark)*
        async fn $case() {
            let mut backend = $make.await;
            $crate::conformance::$case(&mut backend).await;
        }
        conformance_suite!(@each $make; [$($mark)*]; $($rest,)*);
    };
    ($make:expr $(, ignore = $why:literal)?) => {
        conformance_suite!(@each $make; [$(#[ignore = $why])?];
            append_then_read_round_trips,
            expected_version_rules,
            racing_writers_win_one_version_each,
            concurrent_writers_lose_nothing_and_duplicate_nothing,
            a_repeated_request_id_writes_nothing_and_returns_the_first_outcome,
            a_multi_event_append_is_seen_whole_or_not_at_all,
            a_subscription_delivers_history_then_live_events_in_order,
            a_subscription_resumes_from_a_checkpoint,
            a_subscription_keeps_up_with_concurrent_writers,
            bad_input_is_refused_and_nothing_is_written,
            the_head_is_the_last_event_of_the_context,
            a_snapshot_is_replaced_whole_and_survives_a_restart,
            data_survives_a_restart,
        );
    };
}

pub const WAIT: Duration = Duration::from_secs(20);

pub fn stream(name: &str) -> StreamName {
    StreamName::parse(name).unwrap()
}

pub fn context(name: &str) -> Context {
    Context::parse(name).unwrap()
}

/// A small event whose payload says which one it is.
pub fn event(tag: &str, n: u64) -> NewEvent {
    NewEvent::new(
        "test.Happened",
        1,
        &serde_json::json!({ "tag": tag, "n": n }),
    )
    .unwrap()
}

pub fn events(tag: &str, range: std::ops::Range<u64>) -> Vec<NewEvent> {
    range.map(|n| event(tag, n)).collect()
}

pub fn tag_of(e: &RecordedEvent) -> (String, u64) {
    let v: serde_json::Value = e.payload_as().unwrap();
    (
        v["tag"].as_str().unwrap().to_owned(),
        v["n"].as_u64().unwrap(),
    )
}

pub async fn read_everything(store: &dyn EventStore, stream: &StreamName) -> Vec<RecordedEvent> {
    match store.read_stream(stream, 1, usize::MAX).await {
        Ok(events) => events,
        Err(StoreError::StreamNotFound(_)) => Vec::new(),
        Err(e) => panic!("read_stream failed: {e}"),
    }
}

pub async fn next_event(sub: &mut EventSubscription) -> RecordedEvent {
    match tokio::time::timeout(WAIT, sub.next()).await {
        Ok(Some(Ok(event))) => event,
        Ok(Some(Err(e))) => panic!("subscription failed: {e}"),
        Ok(None) => panic!("subscription ended"),
        Err(_) => panic!("no event within {WAIT:?}"),
    }
}

/// Asserts that nothing more arrives: appends a marker to the context and
/// expects it next. A subscription delivers in position order, so anything
/// still due would come first; no timer decides what "nothing" means.
pub async fn assert_quiet(store: &dyn EventStore, sub: &mut EventSubscription) {
    store
        .append(
            &stream("test.quiet.marker"),
            ExpectedVersion::Any,
            vec![event(QUIET, 0)],
            None,
        )
        .await
        .unwrap();
    let next = next_event(sub).await;
    assert_eq!(
        tag_of(&next).0,
        QUIET,
        "unexpected extra item: {:?}",
        (next.stream, next.version)
    );
}

/// The tag of [`assert_quiet`]'s markers.
pub const QUIET: &str = "quiet";
