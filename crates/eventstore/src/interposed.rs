//! A store with hooks around its writes and subscriptions: for the
//! runtime, which measures every write (`metered_store`), and for tests
//! that need a store that fails, races or lags on cue. Wrap any store in
//! [`Interposed`] and implement only the hooks needed; everything else
//! goes straight through.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::envelope::{NewEvent, RecordedEvent};
use crate::error::StoreError;
use crate::store::{AppendOutcome, EventStore, EventSubscription, ExpectedVersion, Position};
use crate::stream::{Context, RequestId, StreamName};

#[async_trait]
pub trait Interpose: Send + Sync + fmt::Debug + 'static {
    /// Runs before an append reaches the store (which it may also write
    /// to, to race it); an error refuses the append, nothing written.
    async fn before_append(
        &self,
        _inner: &dyn EventStore,
        _stream: &StreamName,
        _events: &[NewEvent],
    ) -> Result<(), StoreError> {
        Ok(())
    }

    /// Hears what an append that reached the store came to, and how long
    /// the store took.
    fn after_append(
        &self,
        _stream: &StreamName,
        _outcome: &Result<AppendOutcome, StoreError>,
        _took: Duration,
    ) {
    }

    /// Runs before a checkpoint is saved; an error refuses it.
    async fn before_checkpoint(&self, _name: &str) -> Result<(), StoreError> {
        Ok(())
    }

    /// Hears what saving a checkpoint came to.
    fn after_checkpoint(&self, _name: &str, _outcome: &Result<(), StoreError>) {}

    /// Hears what saving a snapshot came to.
    fn after_snapshot(&self, _name: &str, _outcome: &Result<(), StoreError>) {}

    /// What a subscription delivers, from what the store delivers.
    fn subscription(&self, events: EventSubscription) -> EventSubscription {
        events
    }
}

/// `inner`, with `hooks` around it.
#[derive(Debug)]
pub struct Interposed<H> {
    pub inner: Arc<dyn EventStore>,
    pub hooks: H,
}

#[async_trait]
impl<H: Interpose> EventStore for Interposed<H> {
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        request_id: Option<&RequestId>,
    ) -> Result<AppendOutcome, StoreError> {
        self.hooks
            .before_append(self.inner.as_ref(), stream, &events)
            .await?;
        let started = Instant::now();
        let outcome = self
            .inner
            .append(stream, expected, events, request_id)
            .await;
        self.hooks.after_append(stream, &outcome, started.elapsed());
        outcome
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
        Ok(self
            .hooks
            .subscription(self.inner.subscribe(context, after).await?))
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
        self.hooks.before_checkpoint(name).await?;
        let outcome = self.inner.save_checkpoint(name, position).await;
        self.hooks.after_checkpoint(name, &outcome);
        outcome
    }

    async fn load_snapshot(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.load_snapshot(name).await
    }

    async fn save_snapshot(&self, name: &str, data: Vec<u8>) -> Result<(), StoreError> {
        let outcome = self.inner.save_snapshot(name, data).await;
        self.hooks.after_snapshot(name, &outcome);
        outcome
    }
}

/// Subscriptions that hold back every event after `after` until `gate`
/// says open: a follower that lags on purpose (a projection behind a
/// rebuild, a read model a test must see not caught up).
#[derive(Debug)]
pub struct HeldBack {
    pub after: Position,
    pub gate: tokio::sync::watch::Receiver<bool>,
}

impl Interpose for HeldBack {
    fn subscription(&self, events: EventSubscription) -> EventSubscription {
        use futures::StreamExt;
        let (after, gate) = (self.after, self.gate.clone());
        events
            .then(move |event| {
                let mut gate = gate.clone();
                async move {
                    if event.as_ref().is_ok_and(|e| e.position > after) {
                        let _ = gate.wait_for(|open| *open).await;
                    }
                    event
                }
            })
            .boxed()
    }
}
