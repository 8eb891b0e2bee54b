//! Riding out faults: a leader election (a few seconds with no answers), a
//! reconnect after a node restart, a stream or bucket whose leader is not
//! elected yet. Every call to the cluster goes through [`retrying`], which
//! tries again with backoff until the store's `retry_for` runs out.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::StoreError;

/// Why one try failed.
pub(super) enum Fault {
    /// An answer: trying again would get the same one.
    Final(StoreError),
    /// No answer, or a passing one (timeout, no responders, no leader).
    Passing(String),
}

/// Any error from the client: passing, unless the caller says otherwise.
pub(super) fn passing(err: impl std::fmt::Display) -> Fault {
    Fault::Passing(err.to_string())
}

pub(super) async fn retrying<T, F, Fut>(
    retry_for: Duration,
    what: &str,
    mut attempt: F,
) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Fault>>,
{
    let deadline = Instant::now() + retry_for;
    let mut backoff = Duration::from_millis(25);
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(Fault::Final(err)) => return Err(err),
            Err(Fault::Passing(reason)) if Instant::now() + backoff < deadline => {
                tracing::debug!(%reason, what, "jetstream call failed, retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
            Err(Fault::Passing(reason)) => return Err(StoreError::unavailable(what, reason)),
        }
    }
}
