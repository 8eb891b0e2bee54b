//! The projection keeps its book and its positions together: a process that
//! dies between snapshots resumes from the last one and counts every event
//! exactly once.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use minsheng_eventstore::sqlite::SqliteStore;
use minsheng_eventstore::{EventStore, ExpectedVersion, StreamName, codec};
use minsheng_metrics::domain::book::Kpi;
use minsheng_metrics::domain::period::Period;
use minsheng_metrics::projection::{self, KpiView, SavePolicy};
use minsheng_values::{District, PersonKey, Phone};
use minsheng_vehicle_iot::domain::events::VehicleEvent;

async fn register(store: &dyn EventStore, n: u32) {
    let event = codec::encode(&VehicleEvent::EbikeRegistered {
        owner: PersonKey::from_hash(format!("{n:032x}")),
        owner_phone: Phone::parse("p", "13812345678").unwrap(),
        frame_number: "FRAME123456".into(),
        motor_number: "MOTOR123456".into(),
        plate: "C12345".into(),
        district: District::parse("d", "ruian").unwrap(),
    })
    .unwrap()
    .occurred_at(Utc.with_ymd_and_hms(2015, 5, 1, 4, 0, 0).unwrap());
    let stream = StreamName::parse(&format!("vehicle.ebike.E200001722110102{n:08X}")).unwrap();
    store
        .append(&stream, ExpectedVersion::NoStream, vec![event], None)
        .await
        .unwrap();
}

fn registered(view: &KpiView) -> u64 {
    view.read(|c| {
        c.book
            .value(Period::Year(2015), Kpi::EbikesRegistered, None)
    })
}

async fn wait_for(view: &KpiView, n: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while registered(view) != n {
        assert!(
            std::time::Instant::now() < deadline,
            "counted {} of {n}",
            registered(view)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projection_killed_between_snapshots_counts_every_event_once() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open(dir.path().join("events.db")).unwrap());
    for n in 0..250 {
        register(store.as_ref(), n).await;
    }
    // Saves every 100 events, then is killed (aborted, no last save).
    let view = KpiView::new();
    projection::restore(store.as_ref(), &view).await.unwrap();
    let policy = SavePolicy {
        every_events: 100,
        every: Duration::from_secs(3600),
    };
    let running = tokio::spawn(projection::follow(
        store.clone(),
        view.clone(),
        policy,
        || true,
        || {},
        std::future::pending(),
    ));
    wait_for(&view, 250).await;
    running.abort();
    let _ = running.await;

    // What was saved is a consistent cut: 200 counted, positions at the 200th.
    let saved = KpiView::new();
    projection::restore(store.as_ref(), &saved).await.unwrap();
    assert_eq!(registered(&saved), 200);

    for n in 250..300 {
        register(store.as_ref(), n).await;
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let resumed = tokio::spawn(projection::follow(
        store.clone(),
        saved.clone(),
        policy,
        || true,
        || {},
        async {
            let _ = stopped.await;
        },
    ));
    wait_for(&saved, 300).await;
    let _ = stop.send(());
    resumed.await.unwrap().unwrap();
    // Stopping saved the rest.
    let again = KpiView::new();
    projection::restore(store.as_ref(), &again).await.unwrap();
    assert_eq!(registered(&again), 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_leader_saves() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open(dir.path().join("events.db")).unwrap());
    for n in 0..10 {
        register(store.as_ref(), n).await;
    }
    let view = KpiView::new();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let follower = tokio::spawn(projection::follow(
        store.clone(),
        view.clone(),
        SavePolicy {
            every_events: 1,
            every: Duration::from_millis(1),
        },
        || false,
        || {},
        async {
            let _ = stopped.await;
        },
    ));
    wait_for(&view, 10).await;
    let _ = stop.send(());
    follower.await.unwrap().unwrap();
    assert_eq!(
        store.load_snapshot(projection::SNAPSHOT).await.unwrap(),
        None
    );
}
