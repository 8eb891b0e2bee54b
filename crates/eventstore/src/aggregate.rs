//! Aggregates and the command runner.
//!
//! An [`Aggregate`] is pure: it folds its events into state ([`Aggregate::apply`])
//! and decides which events a command produces ([`Aggregate::decide`]). The
//! [`CommandRunner`] does the I/O around it: load the stream, decide, append
//! with the version it loaded, and when another writer got there first,
//! reload and decide again, a bounded number of times.

use std::sync::Arc;
use std::time::Duration;

use crate::codec::{self, CodecError, DomainEvent};
use crate::envelope::Metadata;
use crate::error::StoreError;
use crate::store::{EventStore, ExpectedVersion, Position};
use crate::stream::{RequestId, StreamName};

pub trait Aggregate: Default + Send + Sync {
    type Event: DomainEvent;
    type Command: Send + Sync;
    /// A business rule the command broke.
    type Error: std::error::Error + Send + Sync + 'static;

    fn apply(&mut self, event: &Self::Event);

    /// The events `command` produces from this state; none is a valid answer.
    fn decide(&self, command: &Self::Command) -> Result<Vec<Self::Event>, Self::Error>;
}

/// Who is asking, for idempotency and for the events' metadata.
#[derive(Clone, Debug, Default)]
pub struct CommandContext {
    pub request_id: Option<RequestId>,
    /// Copied into every event; its `request_id` is set from the field above.
    pub metadata: Metadata,
}

/// What a command did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Executed {
    /// The stream's version after the command.
    pub version: u64,
    /// Position of the last event written; `None` if the command wrote nothing.
    pub position: Option<Position>,
    /// Whether this request id had run before and this is its first outcome.
    pub replayed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error + 'static> {
    #[error(transparent)]
    Rejected(E),
    #[error("gave up after {attempts} attempts: the stream kept changing under the command")]
    Contended { attempts: u32 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Codec(#[from] CodecError),
}

const PAGE: usize = 1024;

#[derive(Clone, Debug)]
pub struct CommandRunner {
    store: Arc<dyn EventStore>,
    max_attempts: u32,
}

impl CommandRunner {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        CommandRunner {
            store,
            max_attempts: 5,
        }
    }

    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    /// The aggregate's state and version (0 for a stream with no events).
    pub async fn load<A: Aggregate>(
        &self,
        stream: &StreamName,
    ) -> Result<(A, u64), CommandError<A::Error>> {
        let mut state = A::default();
        let mut version = 0;
        loop {
            let page = match self.store.read_stream(stream, version + 1, PAGE).await {
                Ok(page) => page,
                Err(StoreError::StreamNotFound(_)) => return Ok((state, 0)),
                Err(e) => return Err(e.into()),
            };
            for recorded in &page {
                state.apply(&codec::decode::<A::Event>(recorded)?);
                version = recorded.version;
            }
            if page.len() < PAGE {
                return Ok((state, version));
            }
        }
    }

    /// The aggregate's state and version, or `None` for a stream never
    /// written (a query's "no such thing").
    pub async fn find<A: Aggregate>(
        &self,
        stream: &StreamName,
    ) -> Result<Option<(A, u64)>, StoreError> {
        match self.load::<A>(stream).await {
            Ok((_, 0)) => Ok(None),
            Ok(found) => Ok(Some(found)),
            Err(CommandError::Store(e)) => Err(e),
            Err(other) => Err(StoreError::Corrupt(other.to_string())),
        }
    }

    /// Runs `command` against the aggregate in `stream`.
    pub async fn execute<A: Aggregate>(
        &self,
        stream: &StreamName,
        command: &A::Command,
        context: &CommandContext,
    ) -> Result<Executed, CommandError<A::Error>> {
        let request_id = context.request_id.as_ref();
        if let Some(id) = request_id
            && let Some(first) = self.store.committed_request(id).await?
        {
            return Ok(Executed {
                version: first.last_version,
                position: Some(first.position),
                replayed: true,
            });
        }
        let mut metadata = context.metadata.clone();
        metadata.request_id = request_id.map(|id| id.as_str().to_owned());

        for attempt in 1..=self.max_attempts {
            let (state, version) = self.load::<A>(stream).await?;
            let events = state.decide(command).map_err(CommandError::Rejected)?;
            if events.is_empty() {
                return Ok(Executed {
                    version,
                    position: None,
                    replayed: false,
                });
            }
            let new_events = events
                .iter()
                .map(|e| codec::encode(e).map(|n| n.with_metadata(metadata.clone())))
                .collect::<Result<Vec<_>, _>>()?;
            let expected = if version == 0 {
                ExpectedVersion::NoStream
            } else {
                ExpectedVersion::Exact(version)
            };
            match self
                .store
                .append(stream, expected, new_events, request_id)
                .await
            {
                Ok(outcome) => {
                    return Ok(Executed {
                        version: outcome.last_version,
                        position: Some(outcome.position),
                        replayed: false,
                    });
                }
                Err(StoreError::WrongExpectedVersion { .. }) if attempt < self.max_attempts => {
                    // Spread the racers out a little so they do not collide again at once.
                    let jitter = u64::from(uuid::Uuid::now_v7().as_bytes()[15] % 8);
                    tokio::time::sleep(Duration::from_millis(u64::from(attempt) + jitter)).await;
                }
                Err(StoreError::WrongExpectedVersion { .. }) => break,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CommandError::Contended {
            attempts: self.max_attempts,
        })
    }
}
