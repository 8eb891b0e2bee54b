//! One rebuild for every replica. The replica an operator asks records a
//! rebuild request in the store (stream `metrics.projection.kpis`, event
//! `metrics.RebuildRequested`, naming the replica that asked); every other
//! replica follows that stream from where it stood at its start and, on a
//! request not its own, rebuilds its own book. A replica that starts later
//! needs no request: it restores the leader's snapshot, which the leader
//! saves as soon as its rebuild is swapped in.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use minsheng_eventstore::{
    Context, EventStore, ExpectedVersion, Metadata, NewEvent, Position, StoreError, StreamName,
};
use minsheng_runtime::shutdown::Shutdown;
use serde::{Deserialize, Serialize};

use crate::rebuild::Rebuilder;

/// The context the requests are recorded in, and their stream and type.
pub const CONTEXT: &str = "metrics";
const STREAM: &str = "metrics.projection.kpis";
pub const REQUESTED: &str = "metrics.RebuildRequested";

/// Waits between attempts to follow the requests after a store error.
const RETRY_AFTER: Duration = Duration::from_secs(1);

#[derive(Debug, Serialize, Deserialize)]
struct RebuildRequested {
    /// The replica that was asked (and is rebuilding already).
    replica: String,
}

/// Records that `replica` was asked to rebuild, so that the others do too.
/// `metadata` says who asked (the operator's subject) and traces it.
pub async fn ask_the_others(
    store: &dyn EventStore,
    replica: &str,
    metadata: Metadata,
) -> Result<(), StoreError> {
    let event = NewEvent::new(
        REQUESTED,
        1,
        &RebuildRequested {
            replica: replica.to_owned(),
        },
    )
    .map_err(|e| StoreError::InvalidInput {
        field: "rebuild request",
        reason: e.to_string(),
    })?
    .with_metadata(metadata);
    store
        .append(
            &StreamName::parse(STREAM)?,
            ExpectedVersion::Any,
            vec![event],
            None,
        )
        .await
        .map(drop)
}

/// Follows the requests recorded from now on and rebuilds this replica's
/// book for each one another replica recorded, until `stop`. A store error
/// is retried, from the last request seen.
pub async fn follow(
    store: Arc<dyn EventStore>,
    rebuilder: Arc<Rebuilder>,
    replica: String,
    stop: Shutdown,
) {
    let mut after = None;
    loop {
        let outcome = tokio::select! {
            () = stop.wait() => return,
            outcome = follow_from(store.as_ref(), &rebuilder, &replica, &mut after) => outcome,
        };
        let error = match outcome {
            Ok(()) => StoreError::Unavailable("the subscription ended".to_owned()),
            Err(error) => error,
        };
        tracing::warn!(%error, "cannot follow the metrics rebuild requests; trying again");
        tokio::select! {
            () = stop.wait() => return,
            () = tokio::time::sleep(RETRY_AFTER) => {}
        }
    }
}

async fn follow_from(
    store: &dyn EventStore,
    rebuilder: &Rebuilder,
    replica: &str,
    after: &mut Option<Position>,
) -> Result<(), StoreError> {
    let context = Context::parse(CONTEXT)?;
    let from = match *after {
        Some(position) => position,
        // Requests recorded before this replica started are not its own:
        // it restored the snapshot saved after them.
        None => store.head(&context).await?,
    };
    *after = Some(from);
    let mut requests = store.subscribe(&context, from).await?;
    while let Some(event) = requests.next().await {
        let event = event?;
        *after = Some(event.position);
        if event.event_type != REQUESTED {
            continue;
        }
        let Ok(request) = serde_json::from_str::<RebuildRequested>(event.payload.get()) else {
            tracing::warn!(
                position = event.position.0,
                "an unreadable rebuild request; skipped"
            );
            continue;
        };
        if request.replica == replica {
            continue;
        }
        match rebuilder.start() {
            Ok(mut progress) => {
                tracing::info!(asked = %request.replica, "another replica was asked to rebuild the metrics projection; rebuilding this one");
                // The rebuilder reports its own end; nobody reads the rest.
                tokio::spawn(async move { while progress.recv().await.is_some() {} });
            }
            Err(already) => tracing::info!(%already, "a rebuild request arrived during a rebuild"),
        }
    }
    Ok(())
}
