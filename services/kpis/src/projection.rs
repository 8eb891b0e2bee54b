//! The KPI projection: follows every context the book counts, folds each
//! event into the book, and keeps the book and its position in each
//! context in one kernel snapshot, so that they are read back together: a
//! restart resumes exactly where the saved book left off, neither skipping
//! nor counting an event twice (delivery at least once, effect exactly once).
//!
//! Every replica folds the events into its own copy (that is what its
//! queries read); only the leader saves snapshots.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt};
use minsheng_contracts::ContractError;
use minsheng_eventstore::{Context, EventStore, Position, RecordedEvent, StoreError};
use minsheng_runtime::subscription::{ConsumerLabel, SubscriptionMetrics};
use prometheus_client::metrics::counter::Counter;
use serde::{Deserialize, Serialize};

use crate::domain::book::KpiBook;
use crate::domain::fold::{CONTEXTS, fold};

/// The snapshot's name.
pub const SNAPSHOT: &str = "metrics-kpis";

/// The book and how far into each context it has counted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counted {
    pub book: KpiBook,
    pub positions: BTreeMap<String, Position>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the saved snapshot is unreadable: {0}")]
    Snapshot(String),
    #[error("event {position} of {context} is unreadable: {reason}")]
    Event {
        context: String,
        position: Position,
        reason: String,
        /// A type the book reads, at a newer schema version than this
        /// build reads (a rolling update's newer producer).
        newer_schema: bool,
    },
}

impl ProjectionError {
    /// An unreadable event's error.
    pub fn event(context: &str, position: Position, error: &ContractError) -> Self {
        ProjectionError::Event {
            context: context.to_owned(),
            position,
            reason: error.to_string(),
            newer_schema: matches!(error, ContractError::NewerVersion { .. }),
        }
    }

    /// The `reason` label of the restart it causes.
    pub fn reason(&self) -> &'static str {
        match self {
            ProjectionError::Store(_) => "store",
            ProjectionError::Event {
                newer_schema: true, ..
            } => "newer_schema",
            ProjectionError::Snapshot(_) | ProjectionError::Event { .. } => "handler",
        }
    }

    /// The context it is about, if one.
    pub fn context(&self) -> Option<&str> {
        match self {
            ProjectionError::Event { context, .. } => Some(context),
            _ => None,
        }
    }
}

/// When the leader saves.
#[derive(Clone, Copy, Debug)]
pub struct SavePolicy {
    pub every_events: u64,
    pub every: Duration,
}

impl Default for SavePolicy {
    fn default() -> Self {
        SavePolicy {
            every_events: 10_000,
            every: Duration::from_secs(2),
        }
    }
}

/// The book as this replica has counted it, for queries.
#[derive(Debug, Default)]
pub struct KpiView {
    counted: RwLock<Counted>,
    /// Woken when a rebuilt book is swapped in, so that the leader saves it.
    swapped: tokio::sync::Notify,
    /// Counts the book's changes, for watchers; bumped after each batch of
    /// events folded (at least every [`CHANGES_EVERY`] under a steady
    /// stream) and on a swap.
    changes: tokio::sync::watch::Sender<u64>,
}

/// How often watchers hear of changes while events keep coming.
const CHANGES_EVERY: Duration = Duration::from_millis(200);

impl KpiView {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn read<T>(&self, f: impl FnOnce(&Counted) -> T) -> T {
        f(&self.counted.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Changes to the book: `changed().await` returns after the next one.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Counts `event` of `context` unless the book has counted it already
    /// (a rebuilt book swapped in may have read further than the
    /// subscription that delivers it): `None` if it had, else whether its
    /// type is one the book reads.
    fn count(&self, context: &str, event: &RecordedEvent) -> Result<Option<bool>, ProjectionError> {
        let mut counted = self.counted.write().unwrap_or_else(PoisonError::into_inner);
        if counted
            .positions
            .get(context)
            .is_some_and(|at| event.position <= *at)
        {
            return Ok(None);
        }
        let read = fold(&mut counted.book, event)
            .map_err(|e| ProjectionError::event(context, event.position, &e))?;
        match counted.positions.get_mut(context) {
            Some(position) => *position = event.position,
            None => {
                counted.positions.insert(context.to_owned(), event.position);
            }
        }
        Ok(Some(read))
    }

    fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Puts `fresh` in the current book's place if it has counted at least
    /// as far in every context; otherwise gives it back, with the contexts
    /// where it is behind. The projection then skips what `fresh` has
    /// already counted, so no event counts twice or goes missing.
    pub fn swap_if_ahead(&self, fresh: Counted) -> Result<(), (Counted, Vec<String>)> {
        let mut counted = self.counted.write().unwrap_or_else(PoisonError::into_inner);
        let behind: Vec<String> = counted
            .positions
            .iter()
            .filter(|(context, at)| {
                fresh
                    .positions
                    .get(context.as_str())
                    .is_none_or(|fresh_at| fresh_at < *at)
            })
            .map(|(context, _)| context.clone())
            .collect();
        if !behind.is_empty() {
            return Err((fresh, behind));
        }
        *counted = fresh;
        drop(counted);
        self.swapped.notify_one();
        self.changed();
        Ok(())
    }
}

/// Loads the last snapshot into `view`.
pub async fn restore(store: &dyn EventStore, view: &KpiView) -> Result<(), ProjectionError> {
    let counted = load(store).await?.unwrap_or_default();
    *view.counted.write().unwrap_or_else(PoisonError::into_inner) = counted;
    view.changed();
    Ok(())
}

/// The last snapshot, if one was saved.
pub(crate) async fn load(store: &dyn EventStore) -> Result<Option<Counted>, ProjectionError> {
    store
        .load_snapshot(SNAPSHOT)
        .await?
        .map(|bytes| {
            serde_json::from_slice(&bytes).map_err(|e| ProjectionError::Snapshot(e.to_string()))
        })
        .transpose()
}

/// Saves `view` as the snapshot.
pub async fn save(store: &dyn EventStore, view: &KpiView) -> Result<(), ProjectionError> {
    let bytes = view
        .read(serde_json::to_vec)
        .map_err(|e| ProjectionError::Snapshot(e.to_string()))?;
    Ok(store.save_snapshot(SNAPSHOT, bytes).await?)
}

/// The consumer the projection reports as on `/metrics` for `context`.
pub fn consumer_label(context: &str) -> ConsumerLabel {
    ConsumerLabel::new(format!("{SNAPSHOT}:{context}"))
}

/// Follows every context from the view's positions until `stop` resolves;
/// if `leading()` says so, saves a snapshot by `policy` and on the way out.
/// `caught_up` is called once the view has counted every event that existed
/// when it started. With `metrics`, each context's lag, position and event
/// count are on `/metrics` as consumer `metrics-kpis:<context>`.
pub async fn follow(
    store: Arc<dyn EventStore>,
    view: Arc<KpiView>,
    policy: SavePolicy,
    metrics: Option<&SubscriptionMetrics>,
    leading: impl Fn() -> bool,
    caught_up: impl FnOnce(),
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), ProjectionError> {
    let labels: BTreeMap<&str, ConsumerLabel> =
        CONTEXTS.iter().map(|c| (*c, consumer_label(c))).collect();
    // The contexts still behind the head they had at the start.
    let mut behind: BTreeMap<&str, Position> = BTreeMap::new();
    let mut streams = Vec::new();
    for name in CONTEXTS {
        let context = Context::parse(name)?;
        let head = store.head(&context).await?;
        let after = view.read(|c| c.positions.get(name).copied().unwrap_or(Position::START));
        if after < head {
            behind.insert(name, head);
        }
        let events = store.subscribe(&context, after).await?;
        streams.push(events.map(move |e| (name, e)).boxed());
    }
    let mut caught_up = Some(caught_up);
    let mut all = futures::stream::select_all(streams);
    let (mut unsaved, mut last_save) = (0u64, Instant::now());
    if behind.is_empty()
        && let Some(done) = caught_up.take()
    {
        done();
    }
    let ended =
        || ProjectionError::from(StoreError::Unavailable("a subscription ended".to_owned()));
    tokio::pin!(stop);
    // An event already taken from the subscriptions, not yet counted.
    let mut waiting = None;
    // Per context and type, the counter of events the book does not read.
    let mut skipped: BTreeMap<&str, HashMap<String, Counter>> = BTreeMap::new();
    // Events counted that watchers have not heard of yet (a count: the
    // clock is read only once every 1024 of them).
    let (mut unannounced, mut announced_at) = (0u64, Instant::now());
    loop {
        if waiting.is_none()
            && let Some(metrics) = metrics
        {
            // Nothing waits: the contexts that have caught up lag by
            // nothing (said before watchers hear of the change, so that
            // what they read next agrees).
            for (context, label) in &labels {
                if !behind.contains_key(context) {
                    metrics.idle(label);
                }
            }
        }
        let announce = unannounced > 0
            && (waiting.is_none()
                || (unannounced.is_multiple_of(1024) && announced_at.elapsed() >= CHANGES_EVERY));
        if announce {
            view.changed();
            (unannounced, announced_at) = (0, Instant::now());
        }
        let next = match waiting.take() {
            Some(next) => Some(next),
            None => {
                tokio::select! {
                    () = &mut stop => break,
                    () = tokio::time::sleep(policy.every), if unsaved > 0 => None,
                    () = view.swapped.notified() => {
                        // A rebuilt book: saved like any change.
                        unsaved += 1;
                        None
                    }
                    next = all.next() => Some(next.ok_or_else(ended)?),
                }
            }
        };
        if let Some((context, event)) = next {
            let event = event?;
            let counted = view.count(context, &event)?;
            if counted.is_some() {
                unsaved += 1;
                unannounced += 1;
            }
            if let (Some(metrics), Some(label)) = (metrics, labels.get(context)) {
                metrics.handled(label, &event);
                if counted == Some(false) {
                    // Most types make no figure: their counters are kept
                    // here, not looked up by labels built per event.
                    let by_type = skipped.entry(context).or_default();
                    match by_type.get(event.event_type.as_str()) {
                        Some(counter) => {
                            counter.inc();
                        }
                        None => {
                            tracing::info!(event_type = %event.event_type, "the KPI book does not read this type: skipped (counted in minsheng_subscription_skipped_total)");
                            let counter = metrics.skipped_counter(label, &event.event_type);
                            counter.inc();
                            by_type.insert(event.event_type.clone(), counter);
                        }
                    }
                }
            }
            if behind
                .get(context)
                .is_some_and(|head| event.position >= *head)
            {
                behind.remove(context);
                if behind.is_empty()
                    && let Some(done) = caught_up.take()
                {
                    done();
                }
            }
            if (&mut stop).now_or_never().is_some() {
                break;
            }
            waiting = match all.next().now_or_never() {
                None => None,
                Some(Some(next)) => Some(next),
                Some(None) => return Err(ended()),
            };
        }
        // (The clock only when nothing waits: under a steady stream the
        // count decides.)
        let due = unsaved >= policy.every_events
            || (unsaved > 0 && waiting.is_none() && last_save.elapsed() >= policy.every);
        if due && leading() {
            save(store.as_ref(), &view).await?;
            (unsaved, last_save) = (0, Instant::now());
        }
    }
    if unsaved > 0 && leading() {
        save(store.as_ref(), &view).await?;
    }
    Ok(())
}
