//! Projections: read models folded from the events of one or more
//! contexts, the one way every service keeps one that must survive a
//! restart without replaying everything (the KPI book today; exit-entry's
//! restriction register next).
//!
//! A service supplies a [`ReadModel`] (pure: one event in, the model
//! changed) and a [`Spec`] (its names, contexts and save policy); the
//! runtime does the rest the same way for every projection:
//!
//! - [`Projection`]: the model and its position in each context, under one
//!   lock, read by queries; every replica folds into its own copy.
//! - [`follow`](Projection::follow): the contexts' events folded as they
//!   come; the model and its positions saved together as one snapshot, by
//!   the leader only, so that a restart resumes exactly where the saved
//!   model left off (at-least-once delivery, exactly-once effect). Each
//!   event written under a trace is folded in a span linked to the
//!   writer's.
//! - [`run`](Projection::run): restore at start, readiness once caught up,
//!   restarts counted on `/metrics` and resumed from the snapshot with
//!   backoff, lag and positions per context on `/metrics`.
//! - [`rebuild`]: a fresh model replayed beside the live one, swapped in
//!   when it has caught up; [`requests`] passes a rebuild asked of one
//!   replica on to the others; [`status`] says where it stands.
//!
//! A target hands a projection to the runtime with
//! [`Registration::projection`](crate::target::Registration::projection).

mod follow;
pub mod rebuild;
pub mod requests;
pub(crate) mod run;
pub mod status;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use minsheng_eventstore::{EventStore, Position, RecordedEvent, StoreError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::subscription::ConsumerLabel;

pub use rebuild::{AlreadyRunning, Progress, RebuildEvent};

/// A read model a projection folds events into. Pure and synchronous: it
/// reads the published contracts, never the clock or the store.
pub trait ReadModel: Default + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Folds one event of one of the projection's contexts.
    fn fold(&mut self, event: &RecordedEvent) -> Result<Folded, Unreadable>;
}

/// What folding an event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Folded {
    /// The model reads this type.
    Read,
    /// A type the model does not read (a newer producer's, or one that
    /// makes no difference to it): skipped, counted per type on `/metrics`.
    NotRead,
}

/// An event the model cannot read. It stops the projection (which resumes
/// from its snapshot, with backoff) rather than fold it wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Unreadable {
    pub reason: String,
    /// A type the model reads, at a schema version newer than this build
    /// reads (a rolling update's newer producer): counted as a restart of
    /// reason `newer_schema`, so the alert fires until a newer build runs.
    pub newer_schema: bool,
}

/// A projection's names, contexts and save policy.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// As operators name it (`minsheng projections rebuild kpis`).
    pub name: &'static str,
    /// The context that owns it: rebuild requests are recorded in its
    /// stream `<owner>.projection.<name>`.
    pub owner: &'static str,
    /// Names its snapshot, its readiness component (`projection:<snapshot>`)
    /// and its consumers on `/metrics` (`<snapshot>:<context>`).
    pub snapshot: &'static str,
    /// The leadership whose holder saves the snapshot (a valid Lease name).
    pub leadership: &'static str,
    /// The contexts it folds.
    pub contexts: &'static [&'static str],
    pub save: SavePolicy,
}

impl Spec {
    /// The consumer it reports as on `/metrics` for `context`.
    pub fn consumer_label(&self, context: &str) -> ConsumerLabel {
        ConsumerLabel::new(format!("{}:{context}", self.snapshot))
    }

    /// Its component in `/readyz`: ready once caught up.
    pub fn readiness(&self) -> String {
        format!("projection:{}", self.snapshot)
    }
}

/// When the leader saves: after so many events, or so long after the
/// first unsaved one once nothing more waits.
#[derive(Clone, Copy, Debug)]
pub struct SavePolicy {
    pub every_events: u64,
    pub every: Duration,
}

impl SavePolicy {
    /// Every 10,000 events, or 2 s after the first unsaved one.
    pub const DEFAULT: SavePolicy = SavePolicy {
        every_events: 10_000,
        every: Duration::from_secs(2),
    };
}

impl Default for SavePolicy {
    fn default() -> Self {
        SavePolicy::DEFAULT
    }
}

/// A model and how far into each context it has folded: what a snapshot
/// holds, so that the two are always read back together.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Positioned<M> {
    /// Stored as `book`, the name the KPI projection gave it before the
    /// runtime kept projections: its snapshots stay readable both ways (an
    /// upgrade resumes from one, a rollback too).
    #[serde(rename = "book")]
    pub state: M,
    pub positions: BTreeMap<String, Position>,
}

impl<M> Positioned<M> {
    /// Where it stands in `context`.
    pub fn position(&self, context: &str) -> Position {
        self.positions
            .get(context)
            .copied()
            .unwrap_or(Position::START)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the saved snapshot is unreadable: {0}")]
    Snapshot(String),
    #[error("event {position} of {context} is unreadable: {unreadable}")]
    Event {
        context: String,
        position: Position,
        unreadable: Unreadable,
    },
}

impl ProjectionError {
    /// The `reason` label of the restart it causes.
    pub fn reason(&self) -> &'static str {
        match self {
            ProjectionError::Store(_) => "store",
            ProjectionError::Event { unreadable, .. } if unreadable.newer_schema => "newer_schema",
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

/// One projection of this process: the model as this replica has folded
/// it, which queries read, and the handles of its rebuild.
#[derive(Debug)]
pub struct Projection<M> {
    spec: Spec,
    folded: RwLock<Positioned<M>>,
    /// Woken when a rebuilt model is swapped in, so that the leader saves it.
    swapped: tokio::sync::Notify,
    /// Counts the model's changes, for watchers: bumped after each batch of
    /// events folded (at least every [`follow::CHANGES_EVERY`] under a
    /// steady stream) and on a swap or a restore.
    changes: tokio::sync::watch::Sender<u64>,
    /// Whether this replica holds the leadership (and so saves).
    leading: AtomicBool,
    /// This replica's name in rebuild requests.
    replica: String,
    rebuilding: Arc<AtomicBool>,
    /// Rebuilds swapped in since the process started.
    rebuilds: AtomicU64,
    /// The types not read that have been logged (once each, per process).
    logged_not_read: std::sync::Mutex<std::collections::HashSet<(String, String)>>,
}

impl<M: ReadModel> Projection<M> {
    pub fn new(spec: Spec) -> Arc<Self> {
        Arc::new(Projection {
            spec,
            folded: RwLock::default(),
            swapped: tokio::sync::Notify::new(),
            changes: tokio::sync::watch::Sender::default(),
            leading: AtomicBool::new(false),
            replica: uuid::Uuid::now_v7().to_string(),
            rebuilding: Arc::new(AtomicBool::new(false)),
            rebuilds: AtomicU64::new(0),
            logged_not_read: std::sync::Mutex::default(),
        })
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Reads the model and its positions (under the lock: keep it short).
    pub fn read<T>(&self, f: impl FnOnce(&Positioned<M>) -> T) -> T {
        f(&self.folded.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Changes to the model: `changed().await` returns after the next one.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Whether this replica leads the projection, and so saves it.
    pub fn leading(&self) -> bool {
        self.leading.load(Ordering::SeqCst)
    }

    /// Says whether this replica leads (the runner's campaign does; a test
    /// may).
    pub fn set_leading(&self, leading: bool) {
        self.leading.store(leading, Ordering::SeqCst);
    }

    /// Rebuilds swapped in on this replica since it started.
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds.load(Ordering::SeqCst)
    }

    /// This replica's name in rebuild requests.
    pub fn replica(&self) -> &str {
        &self.replica
    }

    fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Folds `event` of `context` unless the model has folded it already
    /// (a rebuilt model swapped in may have read further than the
    /// subscription that delivers it): `None` if it had.
    fn fold(
        &self,
        context: &str,
        event: &RecordedEvent,
    ) -> Result<Option<Folded>, ProjectionError> {
        let mut folded = self.folded.write().unwrap_or_else(PoisonError::into_inner);
        if folded
            .positions
            .get(context)
            .is_some_and(|at| event.position <= *at)
        {
            return Ok(None);
        }
        let read = folded
            .state
            .fold(event)
            .map_err(|unreadable| ProjectionError::Event {
                context: context.to_owned(),
                position: event.position,
                unreadable,
            })?;
        match folded.positions.get_mut(context) {
            Some(position) => *position = event.position,
            None => {
                folded.positions.insert(context.to_owned(), event.position);
            }
        }
        Ok(Some(read))
    }

    /// Puts `fresh` in the current model's place if it has folded at least
    /// as far in every context; otherwise gives it back, with the contexts
    /// where it is behind. Following then skips what `fresh` has already
    /// folded, so no event counts twice or goes missing.
    pub fn swap_if_ahead(&self, fresh: Positioned<M>) -> Result<(), (Positioned<M>, Vec<String>)> {
        let mut folded = self.folded.write().unwrap_or_else(PoisonError::into_inner);
        let behind: Vec<String> = folded
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
        *folded = fresh;
        drop(folded);
        self.swapped.notify_one();
        self.changed();
        Ok(())
    }

    /// Replaces the model with the last snapshot (an empty one if none was
    /// saved).
    pub async fn restore(&self, store: &dyn EventStore) -> Result<(), ProjectionError> {
        let saved = self.load(store).await?.unwrap_or_default();
        *self.folded.write().unwrap_or_else(PoisonError::into_inner) = saved;
        self.changed();
        Ok(())
    }

    /// The last snapshot, if one was saved.
    pub async fn load(
        &self,
        store: &dyn EventStore,
    ) -> Result<Option<Positioned<M>>, ProjectionError> {
        load_snapshot(store, self.spec.snapshot).await
    }

    /// Saves the model and its positions as the snapshot.
    pub async fn save(&self, store: &dyn EventStore) -> Result<(), ProjectionError> {
        let bytes = self
            .read(serde_json::to_vec)
            .map_err(|e| ProjectionError::Snapshot(e.to_string()))?;
        Ok(store.save_snapshot(self.spec.snapshot, bytes).await?)
    }
}

/// The snapshot saved under `name`, read as `T` (a whole
/// [`Positioned`] model, or only its positions).
async fn load_snapshot<T: DeserializeOwned>(
    store: &dyn EventStore,
    name: &str,
) -> Result<Option<T>, ProjectionError> {
    store
        .load_snapshot(name)
        .await?
        .map(|bytes| {
            serde_json::from_slice(&bytes).map_err(|e| ProjectionError::Snapshot(e.to_string()))
        })
        .transpose()
}
