//! Durable deadlines through whole processes, on a manual clock: a
//! deadline overdue at start fires once; a firing that fails is retried
//! (without a restart) until it is recorded; two replicas firing the same
//! deadline record it once. The deadlines here are a test's own: a
//! `testing.DueSet` event schedules its stream's deadline, a
//! `testing.DueFired` settles it, and firing appends that event at the
//! stream's version (so a second firing finds it fired).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use minsheng_eventstore::sqlite::SqliteStore;
use minsheng_eventstore::{
    Context, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StoreError, StreamName,
};
use minsheng_runtime::auth::TokenKeys;
use minsheng_runtime::clock::{Clock, ManualClock};
use minsheng_runtime::deadlines::{DeadlineChange, Deadlines};
use minsheng_runtime::local::{self, LocalProcess};
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_runtime::subscription::SubscriberError;
use minsheng_runtime::target::{Registration, Target, TargetContext, TargetError};
use minsheng_testkit::eventually;

struct DueDates {
    store: Arc<dyn EventStore>,
    context: Context,
    /// Firings to fail before the first that may succeed.
    failing: Arc<AtomicU32>,
}

#[async_trait]
impl Deadlines for DueDates {
    fn name(&self) -> &str {
        "testing-due-dates"
    }

    fn context(&self) -> &Context {
        &self.context
    }

    fn change(&self, event: &RecordedEvent) -> Result<Option<DeadlineChange>, SubscriberError> {
        let id = event.stream.as_str().to_owned();
        Ok(match event.event_type.as_str() {
            "testing.DueSet" => Some(DeadlineChange::Scheduled {
                id,
                due: event
                    .payload_as()
                    .map_err(|e| SubscriberError::Handler(e.to_string()))?,
            }),
            "testing.DueFired" => Some(DeadlineChange::Settled { id }),
            _ => None,
        })
    }

    async fn fire(&self, id: &str, due: DateTime<Utc>, _now: DateTime<Utc>) -> Result<(), String> {
        if self
            .failing
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err("the store is away".to_owned());
        }
        let stream = StreamName::parse(id).unwrap();
        let history = self.store.read_stream(&stream, 1, 100).await.unwrap();
        if history.iter().any(|e| e.event_type == "testing.DueFired") {
            return Ok(());
        }
        let fired = NewEvent::new("testing.DueFired", 1, &due).unwrap();
        let expected = ExpectedVersion::Exact(history.last().map_or(0, |e| e.version));
        match self
            .store
            .append(&stream, expected, vec![fired], None)
            .await
        {
            // Another replica fired it first: it is fired.
            Ok(_) | Err(StoreError::WrongExpectedVersion { .. }) => Ok(()),
            Err(error) => Err(error.to_string()),
        }
    }
}

struct DueTarget {
    failing: Arc<AtomicU32>,
}

#[async_trait]
impl Target for DueTarget {
    fn name(&self) -> &'static str {
        "due-dates"
    }

    async fn start(
        &self,
        context: &TargetContext,
        registration: &mut Registration,
    ) -> Result<(), TargetError> {
        registration.deadlines(DueDates {
            store: context.store.clone(),
            context: Context::parse("testing").unwrap(),
            failing: self.failing.clone(),
        });
        Ok(())
    }
}

fn noon() -> DateTime<Utc> {
    "2015-06-01T04:00:00Z".parse().unwrap()
}

async fn set_due(store: &dyn EventStore, id: &str, due: DateTime<Utc>) {
    let stream = StreamName::parse(&format!("testing.due.{id}")).unwrap();
    let set = NewEvent::new("testing.DueSet", 1, &due).unwrap();
    store
        .append(&stream, ExpectedVersion::Any, vec![set], None)
        .await
        .unwrap();
}

async fn firings_of(store: &dyn EventStore, id: &str) -> usize {
    let stream = StreamName::parse(&format!("testing.due.{id}")).unwrap();
    store
        .read_stream(&stream, 1, 100)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event_type == "testing.DueFired")
        .count()
}

async fn start(store: &Arc<dyn EventStore>, clock: &ManualClock, failing: u32) -> LocalProcess {
    let target: Arc<dyn Target> = Arc::new(DueTarget {
        failing: Arc::new(AtomicU32::new(failing)),
    });
    local::start_with_clock(
        store.clone(),
        &[target],
        TokenKeys::from_secret(b"the deadline tests' key"),
        PersonKeys::from_secret(b"the deadline tests' person key.."),
        minsheng_runtime::personal_data::ephemeral(),
        Arc::new(clock.clone()) as Arc<dyn Clock>,
    )
    .await
    .unwrap()
}

async fn sample(process: &LocalProcess, series: &str) -> f64 {
    minsheng_testkit::metric(process.http, series.trim_end()).await
}

fn store_in(dir: &tempfile::TempDir) -> Arc<dyn EventStore> {
    Arc::new(SqliteStore::open(dir.path().join("events.db")).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_overdue_at_start_fires_once_and_one_still_to_come_when_its_time_comes() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let clock = ManualClock::starting_at(noon());
    set_due(
        store.as_ref(),
        "overdue",
        noon() - chrono::Duration::hours(1),
    )
    .await;
    set_due(store.as_ref(), "later", noon() + chrono::Duration::hours(1)).await;
    let process = start(&store, &clock, 0).await;
    eventually("the overdue deadline fired", async || {
        firings_of(store.as_ref(), "overdue").await == 1
    })
    .await;
    assert_eq!(firings_of(store.as_ref(), "later").await, 0);
    clock.advance(chrono::Duration::hours(1));
    eventually("the later one fired when its time came", async || {
        firings_of(store.as_ref(), "later").await == 1
    })
    .await;
    // Each settled by its firing: nothing pending, each fired once.
    eventually("nothing pending", async || {
        sample(
            &process,
            r#"minsheng_deadlines_pending{deadlines="testing-due-dates"} "#,
        )
        .await
            == 0.0
    })
    .await;
    assert_eq!(firings_of(store.as_ref(), "overdue").await, 1);
    process.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firing_that_fails_is_retried_until_it_is_recorded_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let clock = ManualClock::starting_at(noon());
    set_due(store.as_ref(), "d1", noon()).await;
    // The first two firings fail; the retries wait on the clock.
    let process = start(&store, &clock, 2).await;
    let failures = r#"minsheng_deadlines_fire_failures_total{deadlines="testing-due-dates"} "#;
    eventually("the first firing failed", async || {
        sample(&process, failures).await == 1.0
    })
    .await;
    clock.advance(chrono::Duration::seconds(1));
    eventually("the second failed after a pause", async || {
        sample(&process, failures).await == 2.0
    })
    .await;
    clock.advance(chrono::Duration::seconds(1));
    eventually("recorded by the third", async || {
        firings_of(store.as_ref(), "d1").await == 1
    })
    .await;
    process.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_firing_one_deadline_record_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let clock = ManualClock::starting_at(noon());
    for n in 0..20 {
        set_due(
            store.as_ref(),
            &format!("d{n}"),
            noon() + chrono::Duration::minutes(1),
        )
        .await;
    }
    // Both lead (each process's own always-leader): the worst case.
    let (a, b) = (
        start(&store, &clock, 0).await,
        start(&store, &clock, 0).await,
    );
    clock.advance(chrono::Duration::minutes(1));
    for n in 0..20 {
        let id = format!("d{n}");
        eventually("fired", async || firings_of(store.as_ref(), &id).await >= 1).await;
    }
    let fired = r#"minsheng_deadlines_fired_total{deadlines="testing-due-dates"} "#;
    eventually("both replicas settled every one", async || {
        let pending = r#"minsheng_deadlines_pending{deadlines="testing-due-dates"} "#;
        sample(&a, pending).await == 0.0 && sample(&b, pending).await == 0.0
    })
    .await;
    for n in 0..20 {
        assert_eq!(firings_of(store.as_ref(), &format!("d{n}")).await, 1);
    }
    assert!(sample(&a, fired).await + sample(&b, fired).await >= 20.0);
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
