//! The event envelope: what a command handler hands the store, and what the
//! store hands back to readers and subscribers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::store::Position;
use crate::stream::StreamName;

/// Who and what caused an event: carried with it for tracing and audit.
/// Values are opaque ids (a request id, a JWT subject), never personal data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The client's request id of the command that produced the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Shared by every event of one business flow, across services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The event id (or request id) that directly caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<String>,
    /// The JWT subject of the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// W3C trace context, so a consumer's span links to the command's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

impl Metadata {
    pub fn is_empty(&self) -> bool {
        *self == Metadata::default()
    }
}

/// An event to append. Its payload is JSON, serialized once here.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewEvent {
    pub event_id: Uuid,
    /// Qualified by context, e.g. `vehicle.EbikeRegistered`.
    pub event_type: String,
    pub schema_version: u16,
    pub occurred_at: DateTime<Utc>,
    pub payload: Box<RawValue>,
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
}

impl NewEvent {
    /// A new event of `event_type` at `schema_version`, with a fresh UUIDv7 id,
    /// occurring now.
    pub fn new(
        event_type: impl Into<String>,
        schema_version: u16,
        payload: &impl Serialize,
    ) -> Result<Self, serde_json::Error> {
        Ok(NewEvent {
            event_id: Uuid::now_v7(),
            event_type: event_type.into(),
            schema_version,
            occurred_at: to_stored_precision(Utc::now()),
            payload: serde_json::value::to_raw_value(payload)?,
            metadata: Metadata::default(),
        })
    }

    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    pub fn occurred_at(mut self, at: DateTime<Utc>) -> Self {
        self.occurred_at = to_stored_precision(at);
        self
    }
}

/// An event as stored: its envelope plus where it sits.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecordedEvent {
    pub event_id: Uuid,
    pub stream: StreamName,
    /// 1 for a stream's first event.
    pub version: u64,
    /// Where it sits in its context's log; see [`Position`].
    pub position: Position,
    pub event_type: String,
    pub schema_version: u16,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub payload: Box<RawValue>,
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
}

impl RecordedEvent {
    /// The payload parsed as `T`.
    pub fn payload_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.payload.get())
    }
}

/// Every backend keeps times to the microsecond; cut them there on the way in
/// so that what is read back equals what was written.
pub(crate) fn to_stored_precision(at: DateTime<Utc>) -> DateTime<Utc> {
    from_micros(to_micros(at)).unwrap_or(at)
}

/// Timestamps are stored as microseconds since the Unix epoch, UTC.
pub(crate) fn to_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub(crate) fn from_micros(micros: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
}
