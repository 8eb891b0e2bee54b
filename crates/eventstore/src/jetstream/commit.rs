//! How an append is laid out in JetStream.
//!
//! - Each context has one stream, `MS_EV_<CONTEXT>` over `ms.ev.<context>.>`.
//! - Each aggregate instance has one subject, `ms.ev.<stream name>`.
//! - One append is one message (a [`CommitBody`]), so it is atomic on any
//!   server version. Its `Ms-Last-Version` header lets the backend learn a
//!   stream's version without parsing the body; `Ms-Commit-Id` names the
//!   append (see `append`); `traceparent` carries the trace of the command
//!   that made it.
//! - A [`Position`] packs the message's stream sequence and the event's index
//!   in it: `sequence << 10 | index`. Sequences start at 1, so every position
//!   is above [`Position::START`].

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::envelope::{Metadata, NewEvent, RecordedEvent, from_micros, to_micros};
use crate::error::StoreError;
use crate::limits::MAX_EVENTS_PER_APPEND;
use crate::store::Position;
use crate::stream::{Context, StreamName};

pub(crate) const LAST_VERSION_HEADER: &str = "Ms-Last-Version";
/// The append's own id, to recognise a re-sent append that had landed.
pub(crate) const COMMIT_ID_HEADER: &str = "Ms-Commit-Id";
/// W3C trace context of the command that made the append.
pub(crate) const TRACEPARENT_HEADER: &str = "traceparent";
const SUBJECT_PREFIX: &str = "ms.ev.";
const INDEX_BITS: u32 = 10;
const _: () = assert!(MAX_EVENTS_PER_APPEND <= 1 << INDEX_BITS);

pub(crate) fn stream_for(context: &Context) -> String {
    format!(
        "MS_EV_{}",
        context.as_str().to_ascii_uppercase().replace('-', "_")
    )
}

pub(crate) fn subjects_for(context: &Context) -> String {
    format!("{SUBJECT_PREFIX}{context}.>")
}

pub(crate) fn subject_for(stream: &StreamName) -> String {
    format!("{SUBJECT_PREFIX}{stream}")
}

pub(crate) fn position(sequence: u64, index: usize) -> Position {
    Position(sequence << INDEX_BITS | index as u64)
}

/// The sequence of the message that holds the event at `position`.
pub(crate) fn sequence_of(position: Position) -> u64 {
    position.0 >> INDEX_BITS
}

/// The message sequence to start reading at for events after `after`, and
/// how many events of that first message to skip.
pub(crate) fn resume_point(after: Position) -> (u64, usize) {
    if after == Position::START {
        return (1, 0);
    }
    let sequence = after.0 >> INDEX_BITS;
    let index = (after.0 & ((1 << INDEX_BITS) - 1)) as usize;
    (sequence, index + 1)
}

#[derive(Serialize, Deserialize)]
pub(crate) struct CommitBody {
    first_version: u64,
    recorded_at: i64,
    events: Vec<StoredEvent>,
}

#[derive(Serialize, Deserialize)]
struct StoredEvent {
    id: Uuid,
    #[serde(rename = "type")]
    event_type: String,
    schema: u16,
    occurred_at: i64,
    payload: Box<RawValue>,
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    metadata: Metadata,
}

pub(crate) fn encode(first_version: u64, events: &[NewEvent]) -> Result<Vec<u8>, StoreError> {
    let body = CommitBody {
        first_version,
        recorded_at: to_micros(Utc::now()),
        events: events
            .iter()
            .map(|e| StoredEvent {
                id: e.event_id,
                event_type: e.event_type.clone(),
                schema: e.schema_version,
                occurred_at: to_micros(e.occurred_at),
                payload: e.payload.clone(),
                metadata: e.metadata.clone(),
            })
            .collect(),
    };
    serde_json::to_vec(&body).map_err(|e| StoreError::corrupt("encode commit", e))
}

/// The events of the message at `sequence` on `subject`.
pub(crate) fn decode(
    subject: &str,
    sequence: u64,
    payload: &[u8],
) -> Result<Vec<RecordedEvent>, StoreError> {
    let corrupt = |what: &str| {
        StoreError::corrupt("jetstream commit", format!("{what} at sequence {sequence}"))
    };
    let name = subject
        .strip_prefix(SUBJECT_PREFIX)
        .ok_or_else(|| corrupt("subject"))?;
    let stream = StreamName::parse(name).map_err(|_| corrupt("subject"))?;
    let body: CommitBody = serde_json::from_slice(payload).map_err(|_| corrupt("body"))?;
    let recorded_at = from_micros(body.recorded_at).ok_or_else(|| corrupt("recorded_at"))?;
    body.events
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            Ok(RecordedEvent {
                event_id: e.id,
                stream: stream.clone(),
                version: body.first_version + i as u64,
                position: position(sequence, i),
                event_type: e.event_type,
                schema_version: e.schema,
                occurred_at: from_micros(e.occurred_at).ok_or_else(|| corrupt("occurred_at"))?,
                recorded_at,
                payload: e.payload,
                metadata: e.metadata,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_order_by_message_then_index() {
        assert!(position(1, 0) > Position::START);
        assert!(position(1, 999) < position(2, 0));
        assert_eq!(resume_point(Position::START), (1, 0));
        assert_eq!(resume_point(position(7, 3)), (7, 4));
    }

    #[test]
    fn names_follow_the_context() {
        let ctx = Context::parse("gang-cases").expect("valid");
        assert_eq!(stream_for(&ctx), "MS_EV_GANG_CASES");
        assert_eq!(subjects_for(&ctx), "ms.ev.gang-cases.>");
    }
}
