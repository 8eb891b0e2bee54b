//! Following a context's events: a [`Subscriber`] handles them one by one;
//! [`run`] feeds it from the store's catch-up subscription, saves its
//! checkpoint, restarts it from the checkpoint after an error, reports it
//! not ready until it has caught up, and measures it:
//!
//! - `minsheng_subscription_lag_seconds{consumer}`: how old (by its
//!   recorded time) the event just handled was, 0 once caught up;
//! - `minsheng_subscription_position{consumer}`: the last position handled;
//! - `minsheng_subscription_events_total{consumer}`,
//!   `minsheng_subscription_restarts_total{consumer, reason}` (store,
//!   newer_schema, handler) and
//!   `minsheng_subscription_skipped_total{consumer, event_type}`: a
//!   tolerant reader skips a type it does not read (a newer producer's,
//!   during a rolling update) and fails only on a newer schema version of
//!   a type it reads ([`SubscriberError::NotRead`], `NewerSchema`).
//!
//! Delivery is at least once: after a crash the events since the last
//! checkpoint come again. A subscriber whose effects must count exactly once
//! keeps its checkpoint with its state, by overriding
//! [`Subscriber::resume_after`] and [`Subscriber::commit`].

use async_trait::async_trait;
use futures::{FutureExt, StreamExt};
use minsheng_eventstore::{Context, EventStore, Position, RecordedEvent, StoreError};
use minsheng_leader::LeaderElection;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use tracing::Instrument;

use crate::health::Readiness;
use crate::metrics::MetricsRegistry;
use crate::shutdown::Shutdown;

/// Events handled between two checkpoints while catching up; a caught-up
/// subscriber also saves whenever it runs out of events.
const CHECKPOINT_EVERY: u64 = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum SubscriberError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Handler(String),
    /// Not a failure: a type this consumer does not read (a newer producer
    /// added it). The runner skips the event, counts it per type and logs
    /// the type once.
    #[error("{0} is not a type this consumer reads")]
    NotRead(String),
    /// A type the consumer reads, stored at a schema version newer than
    /// this build reads: it stops (and retries, with backoff) until a newer
    /// build runs, rather than read it wrong.
    #[error("{0}")]
    NewerSchema(String),
}

impl SubscriberError {
    /// The `reason` label of a restart it causes.
    fn reason(&self) -> &'static str {
        match self {
            SubscriberError::Store(_) => "store",
            SubscriberError::NewerSchema(_) => "newer_schema",
            SubscriberError::Handler(_) | SubscriberError::NotRead(_) => "handler",
        }
    }
}

/// A published type read through its contract: stored at a newer version
/// than this build reads is [`SubscriberError::NewerSchema`].
impl From<minsheng_contracts::ContractError> for SubscriberError {
    fn from(error: minsheng_contracts::ContractError) -> Self {
        match error {
            minsheng_contracts::ContractError::NewerVersion { .. } => {
                SubscriberError::NewerSchema(error.to_string())
            }
            other => SubscriberError::Handler(other.to_string()),
        }
    }
}

/// A tolerant reader's decoding: an unknown type is [`SubscriberError::NotRead`],
/// a newer schema version [`SubscriberError::NewerSchema`].
impl From<minsheng_eventstore::CodecError> for SubscriberError {
    fn from(error: minsheng_eventstore::CodecError) -> Self {
        use minsheng_eventstore::CodecError as C;
        match error {
            C::UnknownType(event_type) => SubscriberError::NotRead(event_type),
            C::FromTheFuture { .. } => SubscriberError::NewerSchema(error.to_string()),
            other => SubscriberError::Handler(other.to_string()),
        }
    }
}

#[async_trait]
pub trait Subscriber: Send + 'static {
    /// Names the checkpoint and the metrics label: stable, unique in the
    /// mesh, and a valid checkpoint name (letters, digits, `-`, `_`).
    fn name(&self) -> &str;

    /// The context whose events it follows.
    fn context(&self) -> &Context;

    /// Handles one event. An error restarts the subscription from the last
    /// checkpoint after a pause.
    async fn handle(&mut self, event: &RecordedEvent) -> Result<(), SubscriberError>;

    /// Where to resume. By default, the checkpoint saved in the store.
    async fn resume_after(&mut self, store: &dyn EventStore) -> Result<Position, SubscriberError> {
        Ok(store
            .load_checkpoint(self.name())
            .await?
            .unwrap_or(Position::START))
    }

    /// Makes everything handled up to `position` durable. By default, saves
    /// the checkpoint in the store.
    async fn commit(
        &mut self,
        store: &dyn EventStore,
        position: Position,
    ) -> Result<(), SubscriberError> {
        Ok(store.save_checkpoint(self.name(), position).await?)
    }
}

/// The subscriber of an in-memory read model: it keeps no checkpoint and
/// starts from the beginning of the context at every start, handing each
/// event to `handle`.
pub struct FromTheStart<F> {
    name: String,
    context: Context,
    handle: F,
}

impl<F> FromTheStart<F>
where
    F: FnMut(&RecordedEvent) -> Result<(), SubscriberError> + Send + 'static,
{
    pub fn new(name: &str, context: Context, handle: F) -> Self {
        FromTheStart {
            name: name.to_owned(),
            context,
            handle,
        }
    }
}

impl<F> std::fmt::Debug for FromTheStart<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FromTheStart")
            .field("name", &self.name)
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<F> Subscriber for FromTheStart<F>
where
    F: FnMut(&RecordedEvent) -> Result<(), SubscriberError> + Send + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn context(&self) -> &Context {
        &self.context
    }

    async fn handle(&mut self, event: &RecordedEvent) -> Result<(), SubscriberError> {
        (self.handle)(event)
    }

    async fn resume_after(&mut self, _store: &dyn EventStore) -> Result<Position, SubscriberError> {
        Ok(Position::START)
    }

    async fn commit(
        &mut self,
        _store: &dyn EventStore,
        _position: Position,
    ) -> Result<(), SubscriberError> {
        Ok(())
    }
}

/// A consumer's name as its metrics carry it; made once, used per event.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConsumerLabel {
    consumer: String,
}

impl ConsumerLabel {
    pub fn new(consumer: impl Into<String>) -> Self {
        ConsumerLabel {
            consumer: consumer.into(),
        }
    }
}

/// The subscription metrics of one process.
#[derive(Clone, Debug)]
pub struct SubscriptionMetrics {
    lag: Family<ConsumerLabel, Gauge<f64, std::sync::atomic::AtomicU64>>,
    position: Family<ConsumerLabel, Gauge>,
    events: Family<ConsumerLabel, Counter>,
    restarts: Family<RestartLabels, Counter>,
    skipped: Family<SkippedLabels, Counter>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RestartLabels {
    consumer: String,
    reason: &'static str,
}

/// Event types are fixed by the producers' code, so the label set is too.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SkippedLabels {
    consumer: String,
    event_type: String,
}

impl SubscriptionMetrics {
    pub fn register(registry: &MetricsRegistry) -> Self {
        let metrics = SubscriptionMetrics {
            lag: Family::default(),
            position: Family::default(),
            events: Family::default(),
            restarts: Family::default(),
            skipped: Family::default(),
        };
        registry.register(
            "subscription_lag_seconds",
            "Age of the event a consumer handled last; 0 when it has caught up",
            metrics.lag.clone(),
        );
        registry.register(
            "subscription_position",
            "Position of the last event a consumer handled",
            metrics.position.clone(),
        );
        registry.register(
            "subscription_events",
            "Events a consumer handled",
            metrics.events.clone(),
        );
        registry.register(
            "subscription_restarts",
            "Times a consumer restarted from its checkpoint after an error, by reason (store, newer_schema, handler)",
            metrics.restarts.clone(),
        );
        registry.register(
            "subscription_skipped",
            "Events of a type the consumer does not read (a newer producer's), skipped",
            metrics.skipped.clone(),
        );
        metrics
    }

    /// `consumer` has handled `event`: its lag (the event's age), position
    /// and count. Consumers that follow events on their own (projections)
    /// report through this too, so every consumer reads alike.
    pub fn handled(&self, label: &ConsumerLabel, event: &RecordedEvent) {
        let age = (chrono::Utc::now() - event.recorded_at).as_seconds_f64();
        self.lag.get_or_create(label).set(age.max(0.0));
        self.position
            .get_or_create(label)
            .set(i64::try_from(event.position.0).unwrap_or(i64::MAX));
        self.events.get_or_create(label).inc();
    }

    /// `consumer` has nothing waiting: no lag.
    pub fn idle(&self, label: &ConsumerLabel) {
        self.lag.get_or_create(label).set(0.0);
    }

    /// `consumer` restarted after an error (`reason`: store,
    /// newer_schema, handler).
    pub fn restarted(&self, label: &ConsumerLabel, reason: &'static str) {
        self.restarts
            .get_or_create(&RestartLabels {
                consumer: label.consumer.clone(),
                reason,
            })
            .inc();
    }

    /// `consumer` skipped an event of `event_type`, which it does not read.
    /// Returns whether it is the first of that type (to log it once).
    pub fn skipped(&self, label: &ConsumerLabel, event_type: &str) -> bool {
        self.skipped_counter(label, event_type).inc() == 0
    }

    /// The counter of `consumer`'s skipped events of `event_type`, for a
    /// consumer that skips many (it keeps the handle rather than build the
    /// labels per event).
    pub fn skipped_counter(&self, label: &ConsumerLabel, event_type: &str) -> Counter {
        self.skipped
            .get_or_create(&SkippedLabels {
                consumer: label.consumer.clone(),
                event_type: event_type.to_owned(),
            })
            .clone()
    }

    /// What `consumer` has reported so far (zeros before its first event),
    /// for status answers; `/metrics` shows the same.
    pub fn reading(&self, label: &ConsumerLabel) -> ConsumerReading {
        ConsumerReading {
            lag_seconds: self.lag.get(label).map_or(0.0, |lag| lag.get()),
            events: self.events.get(label).map_or(0, |events| events.get()),
            position: self
                .position
                .get(label)
                .map_or(0, |position| u64::try_from(position.get()).unwrap_or(0)),
        }
    }
}

/// One consumer's lag, event count and last position handled, read back.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ConsumerReading {
    pub lag_seconds: f64,
    pub events: u64,
    pub position: u64,
}

/// Everything [`run`] needs beside the subscriber.
#[derive(Clone, Debug)]
pub struct SubscriptionEnv {
    pub store: std::sync::Arc<dyn EventStore>,
    pub readiness: Readiness,
    pub metrics: SubscriptionMetrics,
    pub shutdown: Shutdown,
}

/// Marks `subscriber` not ready at once, and returns the task that runs it
/// until shutdown, then saves its checkpoint and returns.
pub fn run(
    mut subscriber: Box<dyn Subscriber>,
    env: SubscriptionEnv,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let component = format!("subscription:{}", subscriber.name());
    env.readiness.set(&component, false);
    async move { follow_until_shutdown(subscriber.as_mut(), &env, &component).await }
}

/// Returns the task that runs `subscriber` only while this replica leads
/// the leadership of the subscriber's name (a reaction that writes, which
/// one replica in the mesh is enough to run): it campaigns, follows from
/// the checkpoint while leading, stops when leadership is lost and
/// campaigns again; on shutdown it saves its checkpoint, then releases the
/// leadership. Only one replica runs it, so it holds no replica's
/// readiness back.
pub fn run_while_leading(
    mut subscriber: Box<dyn Subscriber>,
    env: SubscriptionEnv,
    election: std::sync::Arc<dyn LeaderElection>,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let name = subscriber.name().to_owned();
    let component = format!("subscription:{name}");
    let env = SubscriptionEnv {
        readiness: Readiness::new(),
        ..env
    };
    async move {
        loop {
            let mut leadership = tokio::select! {
                () = env.shutdown.wait() => return,
                campaign = election.acquire(&name) => match campaign {
                    Ok(leadership) => leadership,
                    Err(error) => {
                        tracing::error!(consumer = %name, %error, "cannot campaign: this subscription does not run here");
                        return;
                    }
                },
            };
            tracing::info!(consumer = %name, "leading: following its events");
            // Unlike `while_leader`, shutdown does not cut the work off:
            // the subscription sees it, saves its checkpoint and returns.
            tokio::select! {
                () = leadership.lost() => {
                    tracing::warn!(consumer = %name, "leadership lost: stopped following; campaigning again");
                }
                () = follow_until_shutdown(subscriber.as_mut(), &env, &component) => {
                    leadership.release().await;
                    return;
                }
            }
        }
    }
}

async fn follow_until_shutdown(
    subscriber: &mut dyn Subscriber,
    env: &SubscriptionEnv,
    component: &str,
) {
    let name = subscriber.name().to_owned();
    let label = ConsumerLabel {
        consumer: name.clone(),
    };
    let mut backoff = crate::backoff::FIRST;
    loop {
        match follow(subscriber, env, component, &label).await {
            Ok(()) => return,
            Err(error) => {
                env.metrics.restarted(&label, error.reason());
                tracing::warn!(consumer = %name, %error, retry_in = ?backoff, "subscription failed; restarting from its checkpoint");
            }
        }
        tokio::select! {
            () = env.shutdown.wait() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = crate::backoff::next(backoff);
    }
}

/// One subscription, from the checkpoint until shutdown (`Ok`) or an error.
async fn follow(
    subscriber: &mut dyn Subscriber,
    env: &SubscriptionEnv,
    component: &str,
    label: &ConsumerLabel,
) -> Result<(), SubscriberError> {
    let store = env.store.as_ref();
    let mut committed = subscriber.resume_after(store).await?;
    let mut handled = committed;
    // Caught up once everything there now has been handled.
    let head = store.head(subscriber.context()).await?;
    let mut caught_up = handled >= head;
    env.readiness.set(component, caught_up);
    let mut events = store.subscribe(subscriber.context(), committed).await?;
    let mut next = None;
    let mut since_commit = 0u64;
    loop {
        let item = match next.take() {
            Some(item) => item,
            None => {
                // Nothing more is waiting: caught up.
                if handled > committed {
                    subscriber.commit(store, handled).await?;
                    committed = handled;
                    since_commit = 0;
                }
                if caught_up {
                    env.metrics.idle(label);
                }
                tokio::select! {
                    () = env.shutdown.wait() => return Ok(()),
                    item = events.next() => item.ok_or_else(ended)?,
                }
            }
        };
        let event = item?;
        match &event.metadata.traceparent {
            // Traced commands get a span per event, linked to the command's.
            Some(traceparent) => {
                let span = tracing::info_span!(
                    "subscription.handle",
                    otel.name = %format!("{} handle", label.consumer),
                    consumer = %label.consumer,
                    event.r#type = %event.event_type,
                    event.position = event.position.0,
                );
                crate::telemetry::link_to_traceparent(&span, traceparent);
                tolerate(subscriber.handle(&event).instrument(span).await, env, label)?;
            }
            None => tolerate(subscriber.handle(&event).await, env, label)?,
        }
        handled = event.position;
        env.metrics.handled(label, &event);
        if !caught_up && handled >= head {
            caught_up = true;
            env.readiness.set(component, true);
        }
        since_commit += 1;
        if since_commit >= CHECKPOINT_EVERY {
            subscriber.commit(store, handled).await?;
            committed = handled;
            since_commit = 0;
        }
        if env.shutdown.is_triggered() {
            if handled > committed {
                subscriber.commit(store, handled).await?;
            }
            return Ok(());
        }
        next = match events.next().now_or_never() {
            None => None,
            Some(Some(item)) => Some(item),
            Some(None) => return Err(ended()),
        };
    }
}

/// A handler's outcome, with a type the consumer does not read skipped
/// and counted rather than failing the subscription.
fn tolerate(
    outcome: Result<(), SubscriberError>,
    env: &SubscriptionEnv,
    label: &ConsumerLabel,
) -> Result<(), SubscriberError> {
    match outcome {
        Err(SubscriberError::NotRead(event_type)) => {
            if env.metrics.skipped(label, &event_type) {
                tracing::warn!(consumer = %label.consumer, event_type = %event_type, "skipping events of a type this build does not read (counted in minsheng_subscription_skipped_total)");
            }
            Ok(())
        }
        other => other,
    }
}

fn ended() -> SubscriberError {
    SubscriberError::Store(StoreError::Unavailable("the subscription ended".to_owned()))
}
