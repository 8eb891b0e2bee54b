//! One rebuild for every replica. The replica an operator asks records a
//! rebuild request in the store (stream `<owner>.projection.<name>`, event
//! `<owner>.RebuildRequested`, naming the replica that asked); every other
//! replica follows that stream from where it stood at its start and, on a
//! request not its own, rebuilds its own model. A replica that starts later
//! needs no request: it restores the leader's snapshot, which the leader
//! saves as soon as its rebuild is swapped in.

use std::sync::Arc;

use async_trait::async_trait;
use minsheng_eventstore::{
    Context, EventStore, ExpectedVersion, Metadata, NewEvent, Position, RecordedEvent, StoreError,
    StreamName,
};
use serde::{Deserialize, Serialize};

use super::{Projection, ReadModel, Spec};
use crate::subscription::{Subscriber, SubscriberError};

#[derive(Debug, Serialize, Deserialize)]
struct RebuildRequested {
    /// The replica that was asked (and is rebuilding already).
    replica: String,
}

fn stream(spec: &Spec) -> String {
    format!("{}.projection.{}", spec.owner, spec.name)
}

fn event_type(spec: &Spec) -> String {
    format!("{}.RebuildRequested", spec.owner)
}

impl<M: ReadModel> Projection<M> {
    /// Records that this replica was asked to rebuild, so that the others
    /// do too. `metadata` says who asked (the operator's subject) and
    /// traces it.
    pub async fn ask_the_others(
        &self,
        store: &dyn EventStore,
        metadata: Metadata,
    ) -> Result<(), StoreError> {
        let event = NewEvent::new(
            event_type(&self.spec),
            1,
            &RebuildRequested {
                replica: self.replica.clone(),
            },
        )
        .map_err(|e| StoreError::InvalidInput {
            field: "rebuild request",
            reason: e.to_string(),
        })?
        .with_metadata(metadata);
        store
            .append(
                &StreamName::parse(&stream(&self.spec))?,
                ExpectedVersion::Any,
                vec![event],
                None,
            )
            .await
            .map(drop)
    }
}

/// Follows the requests recorded from this replica's start on (the
/// runtime feeds it, restarts it after an error and measures it like any
/// subscriber) and rebuilds this replica's model for each one another
/// replica recorded. It keeps no checkpoint: a replica that restarts
/// restores the saved model, made after the requests before it.
pub struct RebuildRequests<M> {
    name: String,
    context: Context,
    stream: String,
    event_type: String,
    projection: Arc<Projection<M>>,
    store: Arc<dyn EventStore>,
    /// The last request seen, once there is one or the head at the start
    /// has been read: where to resume after an error.
    after: Option<Position>,
}

impl<M: ReadModel> RebuildRequests<M> {
    pub fn new(
        projection: Arc<Projection<M>>,
        store: Arc<dyn EventStore>,
    ) -> Result<Self, StoreError> {
        let spec = *projection.spec();
        Ok(RebuildRequests {
            name: format!("{}-rebuild-requests", spec.name),
            context: Context::parse(spec.owner)?,
            stream: stream(&spec),
            event_type: event_type(&spec),
            projection,
            store,
            after: None,
        })
    }
}

impl<M> std::fmt::Debug for RebuildRequests<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RebuildRequests")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<M: ReadModel> Subscriber for RebuildRequests<M> {
    fn name(&self) -> &str {
        &self.name
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
        if event.event_type != self.event_type || event.stream.as_str() != self.stream {
            return Ok(());
        }
        let Ok(request) = serde_json::from_str::<RebuildRequested>(event.payload.get()) else {
            tracing::warn!(
                position = event.position.0,
                "an unreadable rebuild request; skipped"
            );
            return Ok(());
        };
        if request.replica == self.projection.replica() {
            return Ok(());
        }
        let projection = self.projection.spec().name;
        match self.projection.start_rebuild(self.store.clone()) {
            Ok(mut progress) => {
                tracing::info!(projection, asked = %request.replica, "another replica was asked to rebuild the projection; rebuilding this one");
                // The rebuild reports its own end; nobody reads the rest.
                tokio::spawn(async move { while progress.recv().await.is_some() {} });
            }
            Err(already) => {
                tracing::info!(projection, %already, "a rebuild request arrived during a rebuild");
            }
        }
        Ok(())
    }
}
