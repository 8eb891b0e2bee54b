//! The distributed backend on NATS JetStream. [`commit`] says how events are
//! laid out; [`append`] how an append finds its version, publishes, and
//! survives a leader election.
//!
//! Reads that must see the latest write (a stream's version, `read_stream`)
//! go through the stream leader (the `STREAM.MSG.GET` API), never a direct
//! get, which a lagging replica may answer. Context logs are read with
//! ordered consumers, watched for stalls ([`follow`]).
//! Request ids and checkpoints live in the key-value buckets
//! `MS_REQUESTS` and `MS_CHECKPOINTS`, snapshots in the object store
//! `MS_SNAPSHOTS` ([`buckets`]).

mod append;
mod buckets;
mod commit;
mod follow;
mod retry;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use async_nats::jetstream::message::StreamMessage;
use async_nats::jetstream::{self, kv, stream};
use async_trait::async_trait;
use futures::StreamExt;

use crate::envelope::{NewEvent, RecordedEvent};
use crate::error::StoreError;
use crate::limits;
use crate::store::{
    AppendOutcome, EventStore, EventSubscription, ExpectedVersion, Position, check_checkpoint_name,
};
use crate::stream::{Context, RequestId, StreamName};
use buckets::{CHECKPOINTS_BUCKET, Snapshots, key_value_bucket};
use follow::ordered_messages;
use retry::{passing, retrying};

/// A handle on a context's JetStream stream.
type JsStream = stream::Stream<()>;

/// How the backend uses the cluster.
#[derive(Clone, Debug)]
pub struct JetStreamConfig {
    /// Server URLs, comma-separated (`nats://a:4222,nats://b:4222`).
    pub urls: String,
    /// Replicas of every stream and bucket: 1 on one node, 3 in production.
    pub replicas: usize,
    /// How long JetStream remembers a message id to drop a re-sent append.
    /// Beyond it, the `MS_REQUESTS` bucket answers repeated request ids.
    pub duplicate_window: Duration,
    /// How long an append keeps retrying through a leader election or a
    /// reconnect before it gives up with [`StoreError::Unavailable`].
    pub retry_for: Duration,
}

impl JetStreamConfig {
    pub fn new(urls: impl Into<String>) -> Self {
        JetStreamConfig {
            urls: urls.into(),
            replicas: 1,
            duplicate_window: Duration::from_secs(120),
            retry_for: Duration::from_secs(30),
        }
    }

    pub fn replicas(mut self, replicas: usize) -> Self {
        self.replicas = replicas;
        self
    }
}

/// A NATS client for `urls` (comma-separated, `nats://user:password@host`
/// for credentials), as the store connects: for what shares the store's
/// cluster (the key-value leader election).
pub async fn connect_client(urls: &str) -> Result<async_nats::Client, StoreError> {
    let servers = urls
        .split(',')
        .map(|url| url.trim().parse::<async_nats::ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::InvalidInput {
            field: "store url",
            reason: e.to_string(),
        })?;
    let mut options = async_nats::ConnectOptions::new();
    // `nats://user:password@host`: async-nats parses the credentials
    // but does not send them; the first server that names some does.
    if let Some((user, password)) = servers
        .iter()
        .find_map(|s| Some((s.username()?.to_owned(), s.password()?.to_owned())))
    {
        options = options.user_and_password(user, password);
    }
    options
        .connection_timeout(Duration::from_secs(5))
        .request_timeout(Some(Duration::from_secs(5)))
        .connect(servers)
        .await
        .map_err(|e| StoreError::unavailable("connect to nats", e))
}

/// The JetStream event store. Clone the `Arc` you keep it in, not the store.
#[derive(Debug)]
pub struct JetStreamStore {
    js: jetstream::Context,
    config: JetStreamConfig,
    requests: kv::Store,
    checkpoints: kv::Store,
    snapshots: Snapshots,
    /// Contexts whose stream is known to exist.
    ready: Mutex<HashSet<String>>,
    /// stream name -> (version, sequence of its last message): saves a round
    /// trip per append; a stale entry only costs one retry.
    heads: Mutex<HashMap<String, (u64, u64)>>,
}

impl JetStreamStore {
    /// Connects and makes sure the key-value buckets exist.
    pub async fn connect(config: JetStreamConfig) -> Result<Self, StoreError> {
        let client = connect_client(&config.urls).await?;
        let js = jetstream::new(client);
        let requests = key_value_bucket(&js, buckets::REQUESTS_BUCKET, &config).await?;
        let checkpoints = key_value_bucket(&js, CHECKPOINTS_BUCKET, &config).await?;
        let snapshots = Snapshots::open(&js, &config).await?;
        Ok(JetStreamStore {
            js,
            config,
            requests,
            checkpoints,
            snapshots,
            ready: Mutex::new(HashSet::new()),
            heads: Mutex::new(HashMap::new()),
        })
    }

    /// The context's stream, created on first use with no limits that would
    /// ever delete an event, and with its leader elected before it is used.
    async fn stream(&self, context: &Context) -> Result<JsStream, StoreError> {
        let name = commit::stream_for(context);
        if !lock(&self.ready).contains(&name) {
            let config = stream::Config {
                name: name.clone(),
                subjects: vec![commit::subjects_for(context)],
                storage: stream::StorageType::File,
                num_replicas: self.config.replicas,
                retention: stream::RetentionPolicy::Limits,
                duplicate_window: self.config.duplicate_window,
                max_message_size: 1024 * 1024,
                deny_delete: true,
                deny_purge: true,
                ..Default::default()
            };
            retrying(self.config.retry_for, "create jetstream stream", || async {
                let info = self
                    .js
                    .get_or_create_stream(config.clone())
                    .await
                    .map_err(passing)?;
                let mut info = info.cached_info().clone();
                while self.config.replicas > 1
                    && info
                        .cluster
                        .as_ref()
                        .and_then(|c| c.leader.as_ref())
                        .is_none()
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    info = self
                        .js
                        .get_stream_no_info(&name)
                        .await
                        .map_err(passing)?
                        .get_info()
                        .await
                        .map_err(passing)?;
                }
                Ok(())
            })
            .await?;
            lock(&self.ready).insert(name.clone());
        }
        // A handle only: no request goes out.
        self.js
            .get_stream_no_info(&name)
            .await
            .map_err(|e| StoreError::unavailable("jetstream stream", e))
    }

    /// A key's value, read through the bucket's stream leader. (The client's
    /// own `get` is a direct get, which a lagging replica may answer with
    /// the value before the last `put`.) We never delete keys.
    async fn read_entry(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<bytes::Bytes>, StoreError> {
        let stream = self
            .js
            .get_stream_no_info(format!("KV_{bucket}"))
            .await
            .map_err(|e| StoreError::unavailable("jetstream bucket", e))?;
        let subject = format!("$KV.{bucket}.{key}");
        Ok(self
            .last_on_subject(&stream, &subject)
            .await?
            .map(|message| message.payload))
    }

    /// The last message on `subject`, read through the stream leader.
    async fn last_on_subject(
        &self,
        js_stream: &JsStream,
        subject: &str,
    ) -> Result<Option<StreamMessage>, StoreError> {
        retrying(self.config.retry_for, "read jetstream stream", || async {
            match js_stream.get_last_raw_message_by_subject(subject).await {
                Ok(message) => Ok(Some(message)),
                Err(e) if append::is_no_message(&e) => Ok(None),
                Err(e) => Err(passing(e)),
            }
        })
        .await
    }

    /// The first message on `subject` at or after `from_sequence`, read
    /// through the stream leader.
    async fn next_on_subject(
        &self,
        js_stream: &JsStream,
        subject: &str,
        from_sequence: u64,
    ) -> Result<Option<StreamMessage>, StoreError> {
        retrying(self.config.retry_for, "read jetstream stream", || async {
            match js_stream
                .raw_message_builder()
                .sequence(from_sequence)
                .next_by_subject(subject.to_owned())
                .send()
                .await
            {
                Ok(message) => Ok(Some(message)),
                Err(e) if append::is_no_message(&e) => Ok(None),
                Err(e) => Err(passing(e)),
            }
        })
        .await
    }

    /// The sequence of `stream`'s last message (0 when it has none).
    async fn last_sequence(&self, stream: &JsStream) -> Result<u64, StoreError> {
        retrying(self.config.retry_for, "jetstream stream info", || async {
            Ok(stream
                .get_info()
                .await
                .map_err(passing)?
                .state
                .last_sequence)
        })
        .await
    }

    /// Events of a context from message `from_sequence` up to the stream's
    /// last message at the time of the call, at most `limit`.
    async fn read_log(
        &self,
        stream: &JsStream,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let (from_sequence, skip) = commit::resume_point(after);
        let last = self.last_sequence(stream).await?;
        let mut events = Vec::new();
        if from_sequence > last || limit == 0 {
            return Ok(events);
        }
        let mut messages = ordered_messages(stream, from_sequence, self.config.retry_for).await?;
        while let Some(message) = tokio::time::timeout(self.config.retry_for, messages.next())
            .await
            .map_err(|_| StoreError::Unavailable("reading the context log timed out".to_owned()))?
        {
            let message = message.map_err(|e| StoreError::unavailable("read jetstream log", e))?;
            let sequence = message
                .info()
                .map_err(|e| StoreError::corrupt("jetstream message info", e))?
                .stream_sequence;
            let skip_here = if sequence == from_sequence { skip } else { 0 };
            let decoded = commit::decode(message.subject.as_str(), sequence, &message.payload)?;
            events.extend(decoded.into_iter().skip(skip_here));
            if sequence >= last || events.len() >= limit {
                break;
            }
        }
        events.truncate(limit);
        Ok(events)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait]
impl EventStore for JetStreamStore {
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
        let js_stream = self.stream(&stream.context()).await?;
        let outcome = self
            .publish(&js_stream, stream, expected, &events, request_id)
            .await?;
        if let Some(id) = request_id {
            self.remember_request(id, &outcome).await;
        }
        Ok(outcome)
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let js_stream = self.stream(&stream.context()).await?;
        let subject = commit::subject_for(stream);
        let mut events = Vec::new();
        let mut next_sequence = 1;
        loop {
            let next = self
                .next_on_subject(&js_stream, &subject, next_sequence)
                .await?;
            let Some(message) = next else { break };
            next_sequence = message.sequence + 1;
            let last_version = append::last_version_of(&message.headers)?;
            if last_version < from_version {
                continue;
            }
            let decoded =
                commit::decode(message.subject.as_str(), message.sequence, &message.payload)?;
            events.extend(decoded.into_iter().filter(|e| e.version >= from_version));
            if events.len() >= limit {
                break;
            }
        }
        if events.is_empty() && next_sequence == 1 {
            return Err(StoreError::StreamNotFound(stream.to_string()));
        }
        events.truncate(limit);
        Ok(events)
    }

    async fn head(&self, context: &Context) -> Result<Position, StoreError> {
        let stream = self.stream(context).await?;
        let last = self.last_sequence(&stream).await?;
        if last == 0 {
            return Ok(Position::START);
        }
        Ok(self.outcome_at(&stream, last).await?.position)
    }

    async fn read_all(
        &self,
        context: &Context,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let stream = self.stream(context).await?;
        self.read_log(&stream, after, limit).await
    }

    async fn subscribe(
        &self,
        context: &Context,
        after: Position,
    ) -> Result<EventSubscription, StoreError> {
        let stream = self.stream(context).await?;
        let (from_sequence, skip) = commit::resume_point(after);
        let messages = ordered_messages(&stream, from_sequence, self.config.retry_for).await?;
        Ok(follow::follow(
            stream,
            commit::stream_for(context),
            from_sequence,
            skip,
            self.config.retry_for,
            messages,
        ))
    }

    async fn committed_request(
        &self,
        request_id: &RequestId,
    ) -> Result<Option<AppendOutcome>, StoreError> {
        let entry = retrying(self.config.retry_for, "read request id", || async {
            self.requests
                .get(request_id.to_hex())
                .await
                .map_err(passing)
        })
        .await?;
        entry
            .map(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| StoreError::corrupt("request record", e))
            })
            .transpose()
    }

    async fn load_checkpoint(&self, name: &str) -> Result<Option<Position>, StoreError> {
        check_checkpoint_name(name)?;
        let entry = self.read_entry(CHECKPOINTS_BUCKET, name).await?;
        entry
            .map(|bytes| {
                std::str::from_utf8(&bytes)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .map(Position)
                    .ok_or_else(|| StoreError::corrupt("checkpoint", name))
            })
            .transpose()
    }

    async fn save_checkpoint(&self, name: &str, position: Position) -> Result<(), StoreError> {
        check_checkpoint_name(name)?;
        retrying(self.config.retry_for, "save checkpoint", || async {
            self.checkpoints
                .put(name, position.0.to_string().into())
                .await
                .map(drop)
                .map_err(passing)
        })
        .await
    }

    async fn load_snapshot(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        check_checkpoint_name(name)?;
        self.snapshots.load(name, self.config.retry_for).await
    }

    async fn save_snapshot(&self, name: &str, data: Vec<u8>) -> Result<(), StoreError> {
        crate::store::check_snapshot(name, &data)?;
        self.snapshots
            .save(name, &data, self.config.retry_for)
            .await
    }
}
