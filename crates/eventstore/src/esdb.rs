//! The EventStoreDB backend (cargo feature `eventstoredb`), on the
//! `eventstore` client crate, keeping the same contract as the others.
//!
//! No EventStoreDB server can be installed on the machines this project is
//! built on, so this module is compiled and linted in CI but its conformance
//! run (`tests/esdb.rs`) happens only where `MINSHENG_TEST_ESDB_URL` points
//! at a server. Mapping:
//!
//! - Stream names are used as they are; versions are revisions + 1.
//! - The envelope's schema version, occurred-at and metadata travel in the
//!   event's custom metadata; recorded-at is the server's `created`.
//! - A [`Position`] is the event's prepare position in `$all`. Resuming
//!   passes it as both commit and prepare position, which holds for events
//!   appended outside explicit transactions (all of ours).
//! - Request ids: EventStoreDB drops a re-sent append with the same event ids
//!   for a while; beyond that, each request id's outcome is kept in its own
//!   stream `ms-request-<hex>`.
//! - Checkpoints: the last event of stream `ms-checkpoint-<name>`.

use async_trait::async_trait;
use eventstore as es;
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::envelope::{Metadata, NewEvent, RecordedEvent, from_micros, to_micros};
use crate::error::StoreError;
use crate::limits;
use crate::store::{
    AppendOutcome, EventStore, EventSubscription, ExpectedVersion, Position, check_checkpoint_name,
};
use crate::stream::{Context, RequestId, StreamName};

/// What the envelope keeps in an event's custom metadata.
#[derive(Serialize, Deserialize)]
struct EnvelopeExtras {
    schema_version: u16,
    occurred_at: i64,
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    metadata: Metadata,
}

pub struct EsdbStore {
    client: es::Client,
}

impl std::fmt::Debug for EsdbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsdbStore").finish_non_exhaustive()
    }
}

fn unavailable(what: &str, err: es::Error) -> StoreError {
    StoreError::unavailable(what, err)
}

impl EsdbStore {
    /// Connects with an `esdb://` connection string.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let settings: es::ClientSettings =
            url.parse()
                .map_err(|e: es::ClientSettingsParseError| StoreError::InvalidInput {
                    field: "store url",
                    reason: e.to_string(),
                })?;
        let client = es::Client::new(settings)
            .map_err(|e| StoreError::unavailable("connect to eventstoredb", e))?;
        Ok(EsdbStore { client })
    }

    async fn read_raw(
        &self,
        stream: &str,
        options: &es::ReadStreamOptions,
    ) -> Result<Vec<es::RecordedEvent>, StoreError> {
        let mut read = match self.client.read_stream(stream, options).await {
            Ok(read) => read,
            Err(es::Error::ResourceNotFound) => return Ok(Vec::new()),
            Err(e) => return Err(unavailable("read eventstoredb stream", e)),
        };
        let mut events = Vec::new();
        loop {
            match read.next().await {
                Ok(Some(resolved)) => events.extend(resolved.event),
                Ok(None) | Err(es::Error::ResourceNotFound) => return Ok(events),
                Err(e) => return Err(unavailable("read eventstoredb stream", e)),
            }
        }
    }

    async fn last_event(&self, stream: &str) -> Result<Option<es::RecordedEvent>, StoreError> {
        let options = es::ReadStreamOptions::default()
            .position(es::StreamPosition::End)
            .backwards()
            .max_count(1);
        Ok(self.read_raw(stream, &options).await?.pop())
    }
}

fn to_event_data(event: &NewEvent) -> Result<es::EventData, StoreError> {
    let extras = EnvelopeExtras {
        schema_version: event.schema_version,
        occurred_at: to_micros(event.occurred_at),
        metadata: event.metadata.clone(),
    };
    es::EventData::json(&event.event_type, &event.payload)
        .and_then(|data| data.metadata_as_json(&extras))
        .map(|data| data.id(event.event_id))
        .map_err(|e| StoreError::corrupt("encode eventstoredb event", e))
}

fn from_recorded(event: &es::RecordedEvent) -> Result<RecordedEvent, StoreError> {
    let corrupt = |what: &str| StoreError::corrupt("eventstoredb event", what.to_owned());
    let extras: EnvelopeExtras =
        serde_json::from_slice(&event.custom_metadata).map_err(|_| corrupt("custom metadata"))?;
    let payload = String::from_utf8(event.data.to_vec()).map_err(|_| corrupt("payload"))?;
    Ok(RecordedEvent {
        event_id: event.id,
        stream: StreamName::parse(&event.stream_id).map_err(|_| corrupt("stream name"))?,
        version: event.revision + 1,
        position: Position(event.position.prepare),
        event_type: event.event_type.clone(),
        schema_version: extras.schema_version,
        occurred_at: from_micros(extras.occurred_at).ok_or_else(|| corrupt("occurred_at"))?,
        recorded_at: from_micros(event.created.timestamp_micros())
            .ok_or_else(|| corrupt("created"))?,
        payload: serde_json::value::RawValue::from_string(payload)
            .map_err(|_| corrupt("payload"))?,
        metadata: extras.metadata,
    })
}

fn start_at(after: Position) -> es::StreamPosition<es::Position> {
    if after == Position::START {
        es::StreamPosition::Start
    } else {
        es::StreamPosition::Position(es::Position {
            commit: after.0,
            prepare: after.0,
        })
    }
}

fn in_context(event: &es::RecordedEvent, context: &Context) -> bool {
    event
        .stream_id
        .strip_prefix(context.as_str())
        .is_some_and(|rest| rest.starts_with('.'))
}

#[async_trait]
impl EventStore for EsdbStore {
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        request_id: Option<&RequestId>,
    ) -> Result<AppendOutcome, StoreError> {
        limits::check_append(&events)?;
        if let Some(id) = request_id
            && let Some(first) = self.committed_request(id).await?
        {
            return Ok(first);
        }
        let revision = match expected {
            ExpectedVersion::Any => es::ExpectedRevision::Any,
            ExpectedVersion::NoStream | ExpectedVersion::Exact(0) => es::ExpectedRevision::NoStream,
            ExpectedVersion::Exact(n) => es::ExpectedRevision::Exact(n - 1),
        };
        let data = events
            .iter()
            .map(to_event_data)
            .collect::<Result<Vec<_>, _>>()?;
        let options = es::AppendToStreamOptions::default().expected_revision(revision);
        let written = match self
            .client
            .append_to_stream(stream.as_str(), &options, data)
            .await
        {
            Ok(written) => written,
            Err(es::Error::WrongExpectedVersion { current, .. }) => {
                return Err(StoreError::WrongExpectedVersion {
                    stream: stream.to_string(),
                    expected,
                    actual: match current {
                        es::CurrentRevision::Current(r) => Some(r + 1),
                        es::CurrentRevision::NoStream => None,
                    },
                });
            }
            Err(e) => return Err(unavailable("append to eventstoredb", e)),
        };
        let last_version = written.next_expected_version + 1;
        let outcome = AppendOutcome {
            first_version: last_version + 1 - events.len() as u64,
            last_version,
            position: Position(written.position.prepare),
        };
        if let Some(id) = request_id {
            let record = es::EventData::json("ms.RequestCommitted", &outcome)
                .map_err(|e| StoreError::corrupt("encode request record", e))?;
            let options = es::AppendToStreamOptions::default()
                .expected_revision(es::ExpectedRevision::NoStream);
            match self
                .client
                .append_to_stream(format!("ms-request-{}", id.to_hex()), &options, record)
                .await
            {
                Ok(_) | Err(es::Error::WrongExpectedVersion { .. }) => {}
                Err(e) => tracing::warn!(error = %e, "request id not recorded"),
            }
        }
        Ok(outcome)
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let options = es::ReadStreamOptions::default()
            .position(es::StreamPosition::Position(from_version.saturating_sub(1)))
            .forwards()
            .max_count(limit.min(u32::MAX as usize));
        let events = self.read_raw(stream.as_str(), &options).await?;
        if events.is_empty() && self.last_event(stream.as_str()).await?.is_none() {
            return Err(StoreError::StreamNotFound(stream.to_string()));
        }
        events.iter().map(from_recorded).collect()
    }

    async fn read_all(
        &self,
        context: &Context,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut options = es::ReadAllOptions::default()
            .position(start_at(after))
            .forwards();
        options = options.max_count(4096);
        let mut events = Vec::new();
        let mut from = after;
        'pages: loop {
            let mut read = self
                .client
                .read_all(&options)
                .await
                .map_err(|e| unavailable("read eventstoredb $all", e))?;
            let mut seen = 0;
            while let Some(resolved) = read
                .next()
                .await
                .map_err(|e| unavailable("read eventstoredb $all", e))?
            {
                seen += 1;
                let Some(event) = resolved.event else {
                    continue;
                };
                from = Position(event.position.prepare);
                if Position(event.position.prepare) <= after || !in_context(&event, context) {
                    continue;
                }
                events.push(from_recorded(&event)?);
                if events.len() >= limit {
                    break 'pages;
                }
            }
            if seen < 4096 {
                break;
            }
            options = es::ReadAllOptions::default()
                .position(start_at(from))
                .forwards()
                .max_count(4096);
        }
        Ok(events)
    }

    async fn subscribe(
        &self,
        context: &Context,
        after: Position,
    ) -> Result<EventSubscription, StoreError> {
        let filter = es::SubscriptionFilter::on_stream_name().add_prefix(format!("{context}."));
        let options = es::SubscribeToAllOptions::default()
            .position(start_at(after))
            .filter(filter);
        let subscription = self.client.subscribe_to_all(&options).await;
        let context = context.clone();
        let events = futures::stream::unfold(subscription, move |mut sub| {
            let context = context.clone();
            async move {
                loop {
                    match sub.next().await {
                        Ok(resolved) => {
                            let Some(event) = resolved.event else {
                                continue;
                            };
                            if Position(event.position.prepare) <= after
                                || !in_context(&event, &context)
                            {
                                continue;
                            }
                            return Some((from_recorded(&event), sub));
                        }
                        Err(e) => {
                            return Some((Err(unavailable("eventstoredb subscription", e)), sub));
                        }
                    }
                }
            }
        });
        Ok(events.boxed())
    }

    async fn committed_request(
        &self,
        request_id: &RequestId,
    ) -> Result<Option<AppendOutcome>, StoreError> {
        self.last_event(&format!("ms-request-{}", request_id.to_hex()))
            .await?
            .map(|e| {
                serde_json::from_slice(&e.data)
                    .map_err(|err| StoreError::corrupt("request record", err))
            })
            .transpose()
    }

    async fn load_checkpoint(&self, name: &str) -> Result<Option<Position>, StoreError> {
        check_checkpoint_name(name)?;
        self.last_event(&format!("ms-checkpoint-{name}"))
            .await?
            .map(|e| {
                serde_json::from_slice(&e.data)
                    .map_err(|err| StoreError::corrupt("checkpoint", err))
            })
            .transpose()
    }

    async fn save_checkpoint(&self, name: &str, position: Position) -> Result<(), StoreError> {
        check_checkpoint_name(name)?;
        let data = es::EventData::json("ms.Checkpoint", &position)
            .map_err(|e| StoreError::corrupt("encode checkpoint", e))?;
        self.client
            .append_to_stream(
                format!("ms-checkpoint-{name}"),
                &es::AppendToStreamOptions::default(),
                data,
            )
            .await
            .map(drop)
            .map_err(|e| unavailable("save checkpoint", e))
    }
}
