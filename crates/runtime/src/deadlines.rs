//! Durable deadlines, as events. A deadline lives in the stream that owns
//! it: scheduled, then settled (cancelled or fired) by that stream's own
//! events. The timer table is a read model of those events, rebuilt from
//! the start of the context on every replica, so a restart or a new leader
//! loses none. Only the leader of the deadlines' name fires them; a
//! firing is the owner's own command (written with an expected version, so
//! it happens once however many replicas try), retried with backoff until
//! the settling event arrives, never dropped. A deadline overdue at start
//! fires at once. A sweep every [`SWEEP`] looks at the table again, so no
//! pending deadline is left without a timer (a wake-up missed, the clock
//! stepped).
//!
//! A service implements [`Deadlines`] (which events schedule and settle a
//! deadline, and how to fire one) and registers it with
//! [`crate::target::Registration::deadlines`]. On `/metrics`:
//! `minsheng_deadlines_pending{deadlines}`,
//! `minsheng_deadlines_fired_total{deadlines}` and
//! `minsheng_deadlines_fire_failures_total{deadlines}`.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use minsheng_eventstore::{Context, RecordedEvent};
use minsheng_leader::LeaderElection;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::Notify;

use crate::backoff;
use crate::clock::Clock;
use crate::metrics::MetricsRegistry;
use crate::shutdown::Shutdown;
use crate::subscription::{FromTheStart, Subscriber, SubscriberError};

/// How often the timer looks at the whole table whatever happens.
pub const SWEEP: chrono::TimeDelta = chrono::TimeDelta::seconds(30);
/// How long a fired deadline waits for its settling event before it is
/// fired again (the firing may have been lost).
const REFIRE_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// What an event does to its stream's deadlines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeadlineChange {
    /// `id` is due at `due` (a later schedule of the same id moves it).
    Scheduled { id: String, due: DateTime<Utc> },
    /// `id` needs no firing any more: cancelled, or fired.
    Settled { id: String },
}

/// One service's deadlines.
#[async_trait]
pub trait Deadlines: Send + Sync + 'static {
    /// Names the leadership, the metrics label and the table's
    /// subscription: stable and unique in the mesh.
    fn name(&self) -> &str;

    /// The context whose events schedule and settle them.
    fn context(&self) -> &Context;

    /// What `event` does to deadlines, if anything (pure: read the event).
    /// Ids are unique in the context: the owning stream's name, with a
    /// suffix if one stream owns several.
    fn change(&self, event: &RecordedEvent) -> Result<Option<DeadlineChange>, SubscriberError>;

    /// Fires `id`, due at `due`, at `now`: records the owner's firing
    /// event. `Ok` too when the owner says it is already settled (another
    /// replica fired it, or an answer came first). An error is retried.
    async fn fire(&self, id: &str, due: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), String>;
}

/// The pending deadlines, by due time, and what the timer tried.
#[derive(Debug, Default)]
pub struct DeadlineTable {
    by_due: BTreeSet<(DateTime<Utc>, String)>,
    due_of: HashMap<String, DateTime<Utc>>,
    /// Fired or failed: not to be tried again before this time, and the
    /// pause that led there (doubled at the next failure).
    retry_at: HashMap<String, (DateTime<Utc>, std::time::Duration)>,
}

impl DeadlineTable {
    pub fn apply(&mut self, change: DeadlineChange) {
        match change {
            DeadlineChange::Scheduled { id, due } => {
                self.settle(&id);
                self.by_due.insert((due, id.clone()));
                self.due_of.insert(id, due);
            }
            DeadlineChange::Settled { id } => self.settle(&id),
        }
    }

    fn settle(&mut self, id: &str) {
        if let Some(due) = self.due_of.remove(id) {
            self.by_due.remove(&(due, id.to_owned()));
        }
        self.retry_at.remove(id);
    }

    pub fn pending(&self) -> usize {
        self.due_of.len()
    }

    /// The deadlines due at `now` that may be tried now.
    pub fn to_fire(&self, now: DateTime<Utc>) -> Vec<(String, DateTime<Utc>)> {
        self.by_due
            .iter()
            .take_while(|(due, _)| *due <= now)
            .filter(|(_, id)| self.retry_at.get(id).is_none_or(|(at, _)| *at <= now))
            .map(|(due, id)| (id.clone(), *due))
            .collect()
    }

    /// When the timer must look next: the earliest due or retry time.
    pub fn next_wake(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.by_due
            .iter()
            .map(|(due, id)| match self.retry_at.get(id) {
                Some((at, _)) if *due <= now => (*at).max(*due),
                _ => *due,
            })
            .min()
    }

    /// `id` was fired at `now`: until its settling event arrives, it is
    /// not fired again before a pause (the firing may have been lost).
    pub fn fired(&mut self, id: &str, now: DateTime<Utc>) {
        self.retry_at
            .insert(id.to_owned(), (now + REFIRE_AFTER, backoff::LAST));
    }

    /// Firing `id` failed at `now`: tried again after the runtime's
    /// backoff (200 ms, doubling at each failure, at most 30 s).
    pub fn failed(&mut self, id: &str, now: DateTime<Utc>) {
        let pause = self
            .retry_at
            .get(id)
            .map_or(backoff::FIRST, |(_, pause)| backoff::next(*pause));
        let wait = chrono::TimeDelta::from_std(pause).unwrap_or(REFIRE_AFTER);
        self.retry_at.insert(id.to_owned(), (now + wait, pause));
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeadlinesLabel {
    deadlines: String,
}

/// A service's deadlines as the runtime runs them: the table (fed by a
/// subscription on every replica) and the timer (on the leader).
pub(crate) struct DeadlineRunner {
    deadlines: Arc<dyn Deadlines>,
    table: Mutex<DeadlineTable>,
    changed: Notify,
    label: DeadlinesLabel,
    pending: Family<DeadlinesLabel, Gauge>,
    fired: Family<DeadlinesLabel, Counter>,
    failures: Family<DeadlinesLabel, Counter>,
}

impl DeadlineRunner {
    pub(crate) fn new(deadlines: Arc<dyn Deadlines>, metrics: &MetricsRegistry) -> Arc<Self> {
        let runner = DeadlineRunner {
            label: DeadlinesLabel {
                deadlines: deadlines.name().to_owned(),
            },
            deadlines,
            table: Mutex::new(DeadlineTable::default()),
            changed: Notify::new(),
            pending: Family::default(),
            fired: Family::default(),
            failures: Family::default(),
        };
        metrics.register(
            "deadlines_pending",
            "Deadlines scheduled and not yet settled",
            runner.pending.clone(),
        );
        metrics.register(
            "deadlines_fired",
            "Deadlines this process fired",
            runner.fired.clone(),
        );
        metrics.register(
            "deadlines_fire_failures",
            "Firings that failed and will be retried",
            runner.failures.clone(),
        );
        Arc::new(runner)
    }

    fn table(&self) -> MutexGuard<'_, DeadlineTable> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The subscription that keeps the table, from the start of the
    /// context at every start.
    pub(crate) fn subscriber(self: &Arc<Self>) -> impl Subscriber {
        let runner = self.clone();
        let name = format!("{}-table", self.deadlines.name());
        FromTheStart::new(&name, self.deadlines.context().clone(), move |event| {
            if let Some(change) = runner.deadlines.change(event)? {
                let pending = {
                    let mut table = runner.table();
                    table.apply(change);
                    table.pending()
                };
                runner
                    .pending
                    .get_or_create(&runner.label)
                    .set(i64::try_from(pending).unwrap_or(i64::MAX));
                runner.changed.notify_one();
            }
            Ok(())
        })
    }

    /// The timer, while this process leads the deadlines' name, until
    /// `stop`.
    pub(crate) async fn run(
        self: Arc<Self>,
        leader: Arc<dyn LeaderElection>,
        clock: Arc<dyn Clock>,
        stop: Shutdown,
    ) {
        let name = self.deadlines.name().to_owned();
        let outcome = minsheng_leader::while_leader(leader.as_ref(), &name, stop.wait(), || {
            let (runner, clock) = (self.clone(), clock.clone());
            async move { runner.fire_forever(clock.as_ref()).await }
        })
        .await;
        if let Err(error) = outcome {
            tracing::warn!(deadlines = %name, %error, "the deadline timer stopped");
        }
    }

    async fn fire_forever(&self, clock: &dyn Clock) {
        loop {
            let now = clock.now();
            let due = self.table().to_fire(now);
            for (id, at) in due {
                match self.deadlines.fire(&id, at, now).await {
                    Ok(()) => {
                        self.table().fired(&id, now);
                        self.fired.get_or_create(&self.label).inc();
                    }
                    Err(error) => {
                        self.table().failed(&id, now);
                        self.failures.get_or_create(&self.label).inc();
                        tracing::warn!(deadlines = %self.deadlines.name(), deadline = %id, %error, "firing failed; will retry");
                    }
                }
            }
            let now = clock.now();
            let wake = self
                .table()
                .next_wake(now)
                .map_or(now + SWEEP, |at| at.min(now + SWEEP));
            // Registered before sleeping, so a deadline added meanwhile
            // wakes the timer.
            let changed = self.changed.notified();
            tokio::select! {
                () = clock.sleep_until(wake) => {}
                () = changed => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::TimeDelta::minutes(minutes)
    }

    fn scheduled(id: &str, due: DateTime<Utc>) -> DeadlineChange {
        DeadlineChange::Scheduled {
            id: id.to_owned(),
            due,
        }
    }

    #[test]
    fn what_is_due_fires_in_order_and_a_settled_deadline_not_at_all() {
        let mut table = DeadlineTable::default();
        table.apply(scheduled("b", at(20)));
        table.apply(scheduled("a", at(10)));
        table.apply(scheduled("c", at(30)));
        table.apply(DeadlineChange::Settled { id: "b".into() });
        assert_eq!(table.to_fire(at(25)), [("a".to_owned(), at(10))]);
        assert_eq!(table.next_wake(at(0)), Some(at(10)));
        assert_eq!(table.pending(), 2);
    }

    #[test]
    fn a_failed_firing_is_retried_after_a_pause_that_doubles_and_is_never_dropped() {
        let mut table = DeadlineTable::default();
        table.apply(scheduled("a", at(10)));
        let now = at(10);
        table.failed("a", now);
        assert!(table.to_fire(now).is_empty(), "not at once");
        let first_pause = chrono::TimeDelta::from_std(backoff::FIRST).unwrap_or_default();
        let first = now + first_pause;
        assert_eq!(table.to_fire(first).len(), 1);
        table.failed("a", first);
        assert!(
            table.to_fire(first + first_pause).is_empty(),
            "the pause doubled"
        );
        assert_eq!(table.to_fire(first + first_pause * 2).len(), 1);
        assert_eq!(table.next_wake(first), Some(first + first_pause * 2));
    }

    #[test]
    fn a_fired_deadline_waits_for_its_settling_event_then_leaves() {
        let mut table = DeadlineTable::default();
        table.apply(scheduled("a", at(10)));
        table.fired("a", at(10));
        assert!(table.to_fire(at(10)).is_empty());
        assert_eq!(
            table.to_fire(at(10) + REFIRE_AFTER).len(),
            1,
            "tried again if the firing was lost"
        );
        table.apply(DeadlineChange::Settled { id: "a".into() });
        assert_eq!(table.pending(), 0);
        assert_eq!(table.next_wake(at(100)), None);
    }
}
