//! One append: find the stream's version, publish one message that JetStream
//! accepts only if the subject's last message is still the one we saw
//! (`Nats-Expected-Last-Subject-Sequence`), and keep trying through faults.
//!
//! The expected-sequence header speaks of stream sequences, not versions, so
//! the backend maps a version to the sequence of the message that ends it:
//! from its `heads` cache, else from the subject's last message, read
//! through the leader.
//!
//! A re-send after a timeout or a leader election cannot write twice: every
//! commit carries its own id (`Ms-Commit-Id`: the request id, else the first
//! event's id), and a re-send of a commit that did land meets a sequence
//! conflict, after which the first message past the expected sequence is
//! read: if it carries this commit's id, that is the outcome. Appends with a
//! request id also carry `Nats-Msg-Id`, so JetStream itself drops a repeat
//! within its duplicate window, whatever stream it was aimed at. (Sending it
//! on every append would cost the server about a fifth of its throughput,
//! measured in docs/performance.md, for nothing the sequence check does not
//! already give.)

use async_nats::HeaderMap;
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::{PublishMessage, StreamMessage};
use async_nats::jetstream::stream::{LastRawMessageErrorKind, RawMessageError};

use super::retry::{Fault, passing, retrying};
use super::{JetStreamStore, JsStream, commit, lock};
use crate::envelope::NewEvent;
use crate::error::StoreError;
use crate::store::{AppendOutcome, ExpectedVersion};
use crate::stream::{RequestId, StreamName};

/// Entries in the version cache before it is cleared.
const MAX_CACHED_HEADS: usize = 100_000;

enum Attempt {
    /// JetStream stored the message at this sequence now.
    Stored(u64),
    /// JetStream had stored this message before, at this sequence.
    Duplicate(u64),
    /// The subject moved since we looked: look again.
    Moved,
}

impl JetStreamStore {
    pub(super) async fn publish(
        &self,
        js_stream: &JsStream,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: &[NewEvent],
        request_id: Option<&RequestId>,
    ) -> Result<AppendOutcome, StoreError> {
        let subject = commit::subject_for(stream);
        let commit_id = match request_id {
            Some(id) => id.as_str().to_owned(),
            None => events[0].event_id.to_string(),
        };
        let mut fresh = false;
        loop {
            let (version, sequence) = match self.cached_head(stream) {
                Some(head) if !fresh => head,
                _ => self.head_from_leader(js_stream, &subject).await?,
            };
            let current = (version > 0).then_some(version);
            if !expected.admits(current) {
                if !fresh {
                    // The cache may be behind another writer: ask the leader before refusing.
                    fresh = true;
                    continue;
                }
                return Err(StoreError::WrongExpectedVersion {
                    stream: stream.to_string(),
                    expected,
                    actual: current,
                });
            }
            let body = commit::encode(version + 1, events)?;
            let size = body.len();
            let last_version = version + events.len() as u64;
            let mut message = PublishMessage::build()
                .payload(body.into())
                .header(commit::COMMIT_ID_HEADER, commit_id.as_str())
                .expected_last_subject_sequence(sequence)
                .header(
                    commit::LAST_VERSION_HEADER,
                    last_version.to_string().as_str(),
                );
            if request_id.is_some() {
                message = message.message_id(&commit_id);
            }
            // The trace of the command that wrote these events, for whoever
            // reads the raw stream (checked to be a traceparent by the limits).
            if let Some(traceparent) = events
                .first()
                .and_then(|e| e.metadata.traceparent.as_deref())
            {
                message = message.header(commit::TRACEPARENT_HEADER, traceparent);
            }
            let outcome = match self.send(&subject, message, size).await? {
                Attempt::Stored(sequence) => AppendOutcome {
                    first_version: version + 1,
                    last_version,
                    position: commit::position(sequence, events.len() - 1),
                },
                // A duplicate names the first message: answer with what it wrote.
                Attempt::Duplicate(sequence) => self.outcome_at(js_stream, sequence).await?,
                Attempt::Moved => {
                    lock(&self.heads).remove(stream.as_str());
                    if let Some(outcome) = self
                        .own_commit_after(js_stream, &subject, sequence, &commit_id)
                        .await?
                    {
                        return Ok(outcome);
                    }
                    fresh = true;
                    continue;
                }
            };
            self.cache_head(
                stream,
                outcome.last_version,
                commit::sequence_of(outcome.position),
            );
            return Ok(outcome);
        }
    }

    /// What the append stored at `sequence` wrote.
    pub(super) async fn outcome_at(
        &self,
        js_stream: &JsStream,
        sequence: u64,
    ) -> Result<AppendOutcome, StoreError> {
        retrying(
            self.config.retry_for,
            "read back jetstream commit",
            || async {
                let stored = js_stream.get_raw_message(sequence).await.map_err(passing)?;
                outcome_of(&stored).map_err(Fault::Final)
            },
        )
        .await
    }

    /// Publishes, re-sending the same message through transient faults.
    /// `size` is the body's length, for the error if the server finds it too large.
    async fn send(
        &self,
        subject: &str,
        message: PublishMessage,
        size: usize,
    ) -> Result<Attempt, StoreError> {
        retrying(self.config.retry_for, "jetstream publish", || async {
            let acked = match self
                .js
                .send_publish(subject.to_owned(), message.clone())
                .await
            {
                Ok(ack) => ack.await,
                Err(e) => Err(e),
            };
            match acked {
                Ok(ack) if ack.duplicate => Ok(Attempt::Duplicate(ack.sequence)),
                Ok(ack) => Ok(Attempt::Stored(ack.sequence)),
                Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => Ok(Attempt::Moved),
                Err(e) if e.kind() == PublishErrorKind::MaxPayloadExceeded => {
                    Err(Fault::Final(StoreError::PayloadTooLarge {
                        field: "append",
                        size,
                        limit: crate::limits::MAX_APPEND_BYTES,
                    }))
                }
                Err(e) => Err(passing(e)),
            }
        })
        .await
    }

    /// `(version, sequence of the last message)` of a subject, read through
    /// the stream leader; `(0, 0)` for a subject with no message.
    async fn head_from_leader(
        &self,
        js_stream: &JsStream,
        subject: &str,
    ) -> Result<(u64, u64), StoreError> {
        match self.last_on_subject(js_stream, subject).await? {
            Some(message) => Ok((last_version_of(&message.headers)?, message.sequence)),
            None => Ok((0, 0)),
        }
    }

    /// Whether an earlier try of this very append landed: it would be the
    /// first message on the subject after `sequence`, since JetStream took it
    /// only while `sequence` was the subject's last. (JetStream's own dedupe,
    /// where used, does not always remember across a server restart.)
    async fn own_commit_after(
        &self,
        js_stream: &JsStream,
        subject: &str,
        sequence: u64,
        commit_id: &str,
    ) -> Result<Option<AppendOutcome>, StoreError> {
        let next = self
            .next_on_subject(js_stream, subject, sequence + 1)
            .await?;
        let Some(message) = next else { return Ok(None) };
        let ours = message
            .headers
            .get(commit::COMMIT_ID_HEADER)
            .is_some_and(|id| id.as_str() == commit_id);
        if !ours {
            return Ok(None);
        }
        outcome_of(&message).map(Some)
    }

    fn cached_head(&self, stream: &StreamName) -> Option<(u64, u64)> {
        lock(&self.heads).get(stream.as_str()).copied()
    }

    fn cache_head(&self, stream: &StreamName, version: u64, sequence: u64) {
        let mut heads = lock(&self.heads);
        if heads.len() >= MAX_CACHED_HEADS {
            heads.clear();
        }
        let entry = heads
            .entry(stream.as_str().to_owned())
            .or_insert((version, sequence));
        if version >= entry.0 {
            *entry = (version, sequence);
        }
    }

    /// Records a request id's outcome beyond the duplicate window. The append
    /// is already durable: a failure here is logged, not returned, and a
    /// retry inside the window is still answered by JetStream's dedupe.
    pub(super) async fn remember_request(&self, id: &RequestId, outcome: &AppendOutcome) {
        let saved = retrying(self.config.retry_for, "record request id", || async {
            let record = serde_json::to_vec(outcome)
                .map_err(|e| Fault::Final(StoreError::corrupt("request record", e)))?;
            self.requests
                .put(id.to_hex(), record.into())
                .await
                .map(drop)
                .map_err(passing)
        })
        .await;
        if let Err(e) = saved {
            tracing::warn!(error = %e, "request id not recorded beyond the duplicate window");
        }
    }
}

/// What the append stored in `message` wrote.
fn outcome_of(message: &StreamMessage) -> Result<AppendOutcome, StoreError> {
    let events = commit::decode(message.subject.as_str(), message.sequence, &message.payload)?;
    match (events.first(), events.last()) {
        (Some(first), Some(last)) => Ok(AppendOutcome {
            first_version: first.version,
            last_version: last.version,
            position: last.position,
        }),
        _ => Err(StoreError::corrupt("jetstream commit", "no events")),
    }
}

pub(super) fn is_no_message(err: &RawMessageError) -> bool {
    matches!(err.kind(), LastRawMessageErrorKind::NoMessageFound)
}

pub(super) fn last_version_of(headers: &HeaderMap) -> Result<u64, StoreError> {
    headers
        .get(commit::LAST_VERSION_HEADER)
        .and_then(|v| v.as_str().parse().ok())
        .ok_or_else(|| StoreError::corrupt("jetstream commit", "missing version header"))
}
