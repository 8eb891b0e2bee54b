//! A context log followed through an ordered consumer, and watched.
//!
//! The client library recreates an ordered consumer it has lost, but it
//! notices late: after two idle heartbeats missed in a row (up to a minute
//! with its defaults), or, when the connection moved to another server,
//! only once asking the lost consumer's server for its state has timed out
//! five times. A subscriber would see nothing meanwhile, though the
//! events are there (`tests/mesh_over_nats.rs` kills the node leading a
//! stream: the KPI projection stalled for over 30 s, one run in three).
//! So the subscription watches itself: whenever nothing has arrived for
//! [`STALL_CHECK`], it asks the stream for its last message; behind it at
//! two checks in a row, it drops the consumer and creates another from the
//! next message it has not delivered. Messages it has delivered already
//! are skipped by sequence, so a consumer recreated twice (by the library
//! and by this) delivers nothing twice.

use std::collections::VecDeque;
use std::time::Duration;

use async_nats::jetstream::consumer;
use futures::{FutureExt, StreamExt};

use super::retry::{passing, retrying};
use super::{JsStream, commit};
use crate::envelope::RecordedEvent;
use crate::error::StoreError;
use crate::store::EventSubscription;

/// How long a subscription waits for a message before it checks that the
/// stream has none it should have had.
pub(super) const STALL_CHECK: Duration = Duration::from_secs(2);

/// Checks in a row that find the stream ahead before the consumer is
/// recreated (one could be a message in flight).
const STALLED_AFTER: u32 = 2;

struct Follow {
    stream: JsStream,
    /// The stream's name, for the log.
    name: String,
    retry_for: Duration,
    /// The next message to deliver, and how many events of it were
    /// delivered before the subscription started.
    next_sequence: u64,
    skip_first: Option<(u64, usize)>,
    messages: Option<consumer::pull::Ordered>,
    ready: VecDeque<RecordedEvent>,
    behind_checks: u32,
}

/// The events of `stream` from message `from_sequence` on, less the first
/// `skip` events of that message.
pub(super) fn follow(
    stream: JsStream,
    name: String,
    from_sequence: u64,
    skip: usize,
    retry_for: Duration,
    messages: consumer::pull::Ordered,
) -> EventSubscription {
    let state = Follow {
        stream,
        name,
        retry_for,
        next_sequence: from_sequence,
        skip_first: Some((from_sequence, skip)),
        messages: Some(messages),
        ready: VecDeque::new(),
        behind_checks: 0,
    };
    futures::stream::unfold(state, |mut follow| async move {
        let item = follow.next_event().await?;
        Some((item, follow))
    })
    .boxed()
}

/// An ordered consumer of `stream` from message `start_sequence` on.
pub(super) async fn ordered_messages(
    stream: &JsStream,
    start_sequence: u64,
    retry_for: Duration,
) -> Result<consumer::pull::Ordered, StoreError> {
    retrying(retry_for, "consume jetstream log", || async {
        stream
            .create_consumer(consumer::pull::OrderedConfig {
                deliver_policy: consumer::DeliverPolicy::ByStartSequence { start_sequence },
                ..Default::default()
            })
            .await
            .map_err(passing)?
            .messages()
            .await
            .map_err(passing)
    })
    .await
}

impl Follow {
    async fn next_event(&mut self) -> Option<Result<RecordedEvent, StoreError>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(Ok(event));
            }
            let messages = match &mut self.messages {
                Some(messages) => messages,
                None => {
                    match ordered_messages(&self.stream, self.next_sequence, self.retry_for).await {
                        Ok(messages) => self.messages = Some(messages),
                        Err(error) => return Some(Err(error)),
                    }
                    continue;
                }
            };
            // A message already there needs no timer (catching up, it is
            // every message).
            let message = match messages.next().now_or_never() {
                Some(message) => message,
                None => tokio::select! {
                    message = messages.next() => message,
                    () = tokio::time::sleep(STALL_CHECK) => {
                        self.check_for_a_stall().await;
                        continue;
                    }
                },
            };
            match message {
                None => return None,
                Some(Err(error)) => {
                    return Some(Err(StoreError::unavailable(
                        "jetstream subscription",
                        error,
                    )));
                }
                Some(Ok(message)) => {
                    if let Err(error) = self.take(&message) {
                        return Some(Err(error));
                    }
                }
            }
        }
    }

    /// Queues the events of one delivered commit, unless delivered before.
    fn take(&mut self, message: &async_nats::jetstream::Message) -> Result<(), StoreError> {
        let sequence = message
            .info()
            .map_err(|e| StoreError::corrupt("jetstream message info", e))?
            .stream_sequence;
        self.behind_checks = 0;
        if sequence < self.next_sequence {
            return Ok(());
        }
        let skip = match self.skip_first.take() {
            Some((first, skip)) if first == sequence => skip,
            _ => 0,
        };
        let events = commit::decode(message.subject.as_str(), sequence, &message.payload)?;
        self.ready.extend(events.into_iter().skip(skip));
        self.next_sequence = sequence + 1;
        Ok(())
    }

    /// Nothing came for a while: recreate the consumer if the stream has
    /// had a message for it at two checks in a row.
    async fn check_for_a_stall(&mut self) {
        // One attempt, no retries: while the cluster elects, look again
        // at the next check.
        let last = match self.stream.get_info().await {
            Ok(info) => info.state.last_sequence,
            Err(_) => return,
        };
        if last < self.next_sequence {
            self.behind_checks = 0;
            return;
        }
        self.behind_checks += 1;
        if self.behind_checks >= STALLED_AFTER {
            tracing::warn!(
                stream = %self.name,
                from = self.next_sequence,
                last,
                "a subscription's consumer delivers nothing though the stream has moved on; recreating it"
            );
            self.messages = None;
            self.behind_checks = 0;
        }
    }
}
