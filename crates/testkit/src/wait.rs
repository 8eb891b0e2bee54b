//! Waiting for something a test caused elsewhere (another task, another
//! process) to show: polled, bounded, and failing with what never happened.

use std::time::{Duration, Instant};

/// How long [`eventually`] waits before it fails the test.
pub const EVENTUALLY_WITHIN: Duration = Duration::from_secs(20);

/// Polls `probe` every 20 ms until it holds; panics naming `what` if it
/// has not within [`EVENTUALLY_WITHIN`]. Never a measure of speed: the
/// bound is there so that a broken test stops.
pub async fn eventually(what: &str, mut probe: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + EVENTUALLY_WITHIN;
    while !probe().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
