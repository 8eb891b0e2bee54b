//! One rebuild for every replica. The replica an operator asks records a
//! rebuild request in the store (stream `kpis.projection.kpis`, event
//! `kpis.RebuildRequested`, naming the replica that asked); every other
//! replica follows that stream from where it stood at its start and, on a
//! request not its own, rebuilds its own book. A replica that starts later
//! needs no request: it restores the leader's snapshot, which the leader
//! saves as soon as its rebuild is swapped in.

use std::sync::Arc;

use async_trait::async_trait;
use minsheng_eventstore::{
    Context, EventStore, ExpectedVersion, Metadata, NewEvent, Position, RecordedEvent, StoreError,
    StreamName,
};
use minsheng_runtime::subscription::{Subscriber, SubscriberError};
use serde::{Deserialize, Serialize};

use crate::rebuild::Rebuilder;

/// The context the requests are recorded in, and their stream and type.
pub const CONTEXT: &str = "kpis";
const STREAM: &str = "kpis.projection.kpis";
pub const REQUESTED: &str = "kpis.RebuildRequested";

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

/// Follows the requests recorded from this replica's start on (the
/// runtime feeds it, restarts it after an error and measures it like any
/// subscriber) and rebuilds this replica's book for each one another
/// replica recorded. It keeps no checkpoint: a replica that restarts
/// restores the saved book, made after the requests before it.
pub struct RebuildRequests {
    context: Context,
    rebuilder: Arc<Rebuilder>,
    replica: String,
    /// The last request seen, once there is one or the head at the start
    /// has been read: where to resume after an error.
    after: Option<Position>,
}

impl RebuildRequests {
    pub fn new(rebuilder: Arc<Rebuilder>, replica: String) -> Result<Self, StoreError> {
        Ok(RebuildRequests {
            context: Context::parse(CONTEXT)?,
            rebuilder,
            replica,
            after: None,
        })
    }
}

impl std::fmt::Debug for RebuildRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RebuildRequests")
            .field("replica", &self.replica)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Subscriber for RebuildRequests {
    fn name(&self) -> &str {
        "metrics-rebuild-requests"
    }

    fn context(&self) -> &Context {
        &self.context
    }

    async fn resume_after(&mut self, store: &dyn EventStore) -> Result<Position, SubscriberError> {
        let after = match self.after {
            Some(after) => after,
            None => store.head(&self.context).await?,
        };
        self.after = Some(after);
        Ok(after)
    }

    async fn commit(
        &mut self,
        _store: &dyn EventStore,
        _position: Position,
    ) -> Result<(), SubscriberError> {
        Ok(())
    }

    async fn handle(&mut self, event: &RecordedEvent) -> Result<(), SubscriberError> {
        self.after = Some(event.position);
        if event.event_type != REQUESTED {
            return Ok(());
        }
        let Ok(request) = serde_json::from_str::<RebuildRequested>(event.payload.get()) else {
            tracing::warn!(
                position = event.position.0,
                "an unreadable rebuild request; skipped"
            );
            return Ok(());
        };
        if request.replica == self.replica {
            return Ok(());
        }
        match self.rebuilder.start() {
            Ok(mut progress) => {
                tracing::info!(asked = %request.replica, "another replica was asked to rebuild the KPI projection; rebuilding this one");
                // The rebuilder reports its own end; nobody reads the rest.
                tokio::spawn(async move { while progress.recv().await.is_some() {} });
            }
            Err(already) => tracing::info!(%already, "a rebuild request arrived during a rebuild"),
        }
        Ok(())
    }
}
