//! The contract every backend keeps. The conformance suite
//! (`tests/conformance`) checks it, the same assertions for each backend.

use std::fmt;

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::envelope::{NewEvent, RecordedEvent};
use crate::error::StoreError;
use crate::stream::{Context, RequestId, StreamName};

/// Where an event sits in its context's log. Positions only grow: a
/// subscriber that saves the position of the last event it handled resumes
/// right after it. [`Position::START`] is before the first event.
///
/// A position is meaningful within one context of one store: the embedded
/// store numbers all events together, JetStream numbers each context's stream
/// on its own (see `jetstream::position`). Compare positions only within a context.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Position(pub u64);

impl Position {
    pub const START: Position = Position(0);
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What the writer believes about the stream it appends to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedVersion {
    /// Append whatever the stream holds.
    Any,
    /// The stream must have no events yet.
    NoStream,
    /// The stream's last event must have this version (`Exact(0)` is `NoStream`).
    Exact(u64),
}

impl ExpectedVersion {
    /// Whether a stream now at `current` (`None`: no events) satisfies this expectation.
    pub fn admits(self, current: Option<u64>) -> bool {
        match (self, current) {
            (ExpectedVersion::Any, _) => true,
            (ExpectedVersion::NoStream | ExpectedVersion::Exact(0), None) => true,
            (ExpectedVersion::Exact(n), Some(v)) => n == v,
            _ => false,
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::Exact(n) => write!(f, "{n}"),
        }
    }
}

/// What an acknowledged append wrote. Once returned, the events are durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendOutcome {
    /// Version of the first event written.
    pub first_version: u64,
    /// Version of the last event written: the stream's new version.
    pub last_version: u64,
    /// Position of the last event written.
    pub position: Position,
}

/// Events of one context, history first, then live, in log order; ends only
/// with an error or when the store closes. Drop it to unsubscribe.
pub type EventSubscription = BoxStream<'static, Result<RecordedEvent, StoreError>>;

#[async_trait]
pub trait EventStore: Send + Sync + fmt::Debug {
    /// Appends `events` to `stream` atomically (all or none) if the stream's
    /// version matches `expected`. With a `request_id` seen before, writes
    /// nothing and returns the first append's outcome.
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        request_id: Option<&RequestId>,
    ) -> Result<AppendOutcome, StoreError>;

    /// Up to `limit` events of `stream` with version `>= from_version`, in
    /// order. A stream with no events at all is [`StoreError::StreamNotFound`].
    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `limit` events of `context`'s log after position `after`, in order.
    async fn read_all(
        &self,
        context: &Context,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The position of `context`'s last event ([`Position::START`] if it has
    /// none): a subscriber that has handled it has caught up with what was
    /// there when it asked. The default reads the whole log; backends
    /// answer from an index.
    async fn head(&self, context: &Context) -> Result<Position, StoreError> {
        let mut head = Position::START;
        loop {
            match self.read_all(context, head, 4096).await?.last() {
                Some(event) => head = event.position,
                None => return Ok(head),
            }
        }
    }

    /// A catch-up subscription to `context`: every event after `after`, the
    /// stored ones first, then new ones as they are committed, with no gap
    /// and no duplicate.
    async fn subscribe(
        &self,
        context: &Context,
        after: Position,
    ) -> Result<EventSubscription, StoreError>;

    /// The outcome of an earlier append made with `request_id`, if any.
    async fn committed_request(
        &self,
        request_id: &RequestId,
    ) -> Result<Option<AppendOutcome>, StoreError>;

    /// A subscriber's saved position, by subscriber name.
    async fn load_checkpoint(&self, name: &str) -> Result<Option<Position>, StoreError>;

    /// Saves a subscriber's position durably.
    async fn save_checkpoint(&self, name: &str, position: Position) -> Result<(), StoreError>;

    /// A read model's last snapshot, by name (a checkpoint name). A
    /// projection keeps its state and its positions in one snapshot, so
    /// that they are always read back together.
    async fn load_snapshot(&self, _name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Err(StoreError::Unavailable(
            "this backend keeps no snapshots".to_owned(),
        ))
    }

    /// Saves a snapshot durably, replacing the last one whole: a reader
    /// sees the old one or the new one, never a mix. At most
    /// [`MAX_SNAPSHOT_BYTES`].
    async fn save_snapshot(&self, _name: &str, _data: Vec<u8>) -> Result<(), StoreError> {
        Err(StoreError::Unavailable(
            "this backend keeps no snapshots".to_owned(),
        ))
    }
}

/// The largest snapshot a store keeps.
pub const MAX_SNAPSHOT_BYTES: usize = 64 * 1024 * 1024;

/// Checks a snapshot before it is saved.
pub fn check_snapshot(name: &str, data: &[u8]) -> Result<(), StoreError> {
    check_checkpoint_name(name)?;
    if data.len() > MAX_SNAPSHOT_BYTES {
        return Err(StoreError::PayloadTooLarge {
            field: "snapshot",
            size: data.len(),
            limit: MAX_SNAPSHOT_BYTES,
        });
    }
    Ok(())
}

/// Checks a checkpoint name: it becomes a KV key in JetStream.
pub fn check_checkpoint_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidInput {
            field: "checkpoint name",
            reason: "1-128 ASCII letters, digits, '-' or '_' expected".to_owned(),
        })
    }
}
