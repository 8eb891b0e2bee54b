//! The projection keeps its book and its positions together: a process that
//! dies between snapshots resumes from the last one and counts every event
//! exactly once.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use futures::StreamExt;
use minsheng_contracts::{Published, vehicle};
use minsheng_eventstore::interposed::{HeldBack, Interposed};
use minsheng_eventstore::sqlite::SqliteStore;
use minsheng_eventstore::{Context, EventStore, ExpectedVersion, NewEvent, StreamName};
use minsheng_kpis::domain::book::{Kpi, KpiBook};
use minsheng_kpis::domain::period::Period;
use minsheng_kpis::projection::{KpiProjection, SPEC};
use minsheng_runtime::projection::{Positioned, SavePolicy, Spec, rebuild::replay_into};
use minsheng_values::{District, PersonKey};

async fn register(store: &dyn EventStore, n: u32) {
    let registered = vehicle::EbikeRegistered {
        owner: PersonKey::from_hash(format!("{n:032x}")),
        owner_phone: minsheng_contracts::fixtures::sealed(&PersonKey::from_hash("0".repeat(32))),
        frame_number: "FRAME123456".into(),
        motor_number: "MOTOR123456".into(),
        plate: "C12345".into(),
        district: District::parse("d", "ruian").unwrap(),
    };
    let event = NewEvent::new(
        vehicle::EbikeRegistered::EVENT_TYPE,
        vehicle::EbikeRegistered::VERSION,
        &registered,
    )
    .unwrap()
    .occurred_at(Utc.with_ymd_and_hms(2015, 5, 1, 4, 0, 0).unwrap());
    let stream = StreamName::parse(&format!("vehicle.ebike.E200001722110102{n:08X}")).unwrap();
    store
        .append(&stream, ExpectedVersion::NoStream, vec![event], None)
        .await
        .unwrap();
}

/// The KPI projection, saving by `policy`.
fn kpis(policy: SavePolicy) -> Arc<KpiProjection> {
    KpiProjection::new(Spec {
        save: policy,
        ..SPEC
    })
}

/// A fresh copy, restored from the snapshot.
async fn restored(store: &dyn EventStore) -> Arc<KpiProjection> {
    let saved = KpiProjection::new(SPEC);
    saved.restore(store).await.unwrap();
    saved
}

fn registered(view: &KpiProjection) -> u64 {
    view.read(|c| {
        c.state
            .value(Period::Year(2015), Kpi::EbikesRegistered, None)
    })
}

async fn wait_for(view: &KpiProjection, n: u64) {
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
    let policy = SavePolicy {
        every_events: 100,
        every: Duration::from_secs(3600),
    };
    let view = kpis(policy);
    view.restore(store.as_ref()).await.unwrap();
    view.set_leading(true);
    let running = tokio::spawn({
        let (view, store) = (view.clone(), store.clone());
        async move {
            view.follow(store.as_ref(), None, || {}, std::future::pending())
                .await
        }
    });
    wait_for(&view, 250).await;
    running.abort();
    let _ = running.await;

    // What was saved is a consistent cut: 200 counted, positions at the 200th.
    let saved = kpis(policy);
    saved.restore(store.as_ref()).await.unwrap();
    saved.set_leading(true);
    assert_eq!(registered(&saved), 200);

    for n in 250..300 {
        register(store.as_ref(), n).await;
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let resumed = tokio::spawn({
        let (saved, store) = (saved.clone(), store.clone());
        async move {
            let stop = async {
                let _ = stopped.await;
            };
            saved.follow(store.as_ref(), None, || {}, stop).await
        }
    });
    wait_for(&saved, 300).await;
    let _ = stop.send(());
    resumed.await.unwrap().unwrap();
    // Stopping saved the rest.
    assert_eq!(registered(&*restored(store.as_ref()).await), 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_leader_saves() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open(dir.path().join("events.db")).unwrap());
    for n in 0..10 {
        register(store.as_ref(), n).await;
    }
    let view = kpis(SavePolicy {
        every_events: 1,
        every: Duration::from_millis(1),
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let follower = tokio::spawn({
        let (view, store) = (view.clone(), store.clone());
        async move {
            let stop = async {
                let _ = stopped.await;
            };
            view.follow(store.as_ref(), None, || {}, stop).await
        }
    });
    wait_for(&view, 10).await;
    let _ = stop.send(());
    follower.await.unwrap().unwrap();
    assert_eq!(store.load_snapshot(SPEC.snapshot).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_while_bikes_keep_coming_replaces_a_wrong_book_and_counts_each_once() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open(dir.path().join("events.db")).unwrap());
    for n in 0..3000 {
        register(sqlite.as_ref(), n).await;
    }
    // The projection will lag: it sees nothing past the first 3000 until
    // the rebuilt book has been swapped in, and must then skip what that
    // book already counted.
    let (open_gate, gate) = tokio::sync::watch::channel(false);
    let store: Arc<dyn EventStore> = Arc::new(Interposed {
        inner: sqlite.clone(),
        hooks: HeldBack {
            after: sqlite
                .head(&Context::parse("vehicle").unwrap())
                .await
                .unwrap(),
            gate,
        },
    });
    // A book an earlier, faulty version saved: 7 bikes too many, and the
    // position of the last event, so that following it counts nothing more.
    let mut wrong = Positioned::<KpiBook>::default();
    replay_into(&store, SPEC.contexts, &mut wrong, 0, &mut |_| {})
        .await
        .unwrap();
    wrong.state.add(
        Utc.with_ymd_and_hms(2015, 5, 1, 4, 0, 0).unwrap(),
        Kpi::EbikesRegistered,
        None,
        7,
    );
    store
        .save_snapshot(SPEC.snapshot, serde_json::to_vec(&wrong).unwrap())
        .await
        .unwrap();
    let view = kpis(SavePolicy {
        every_events: 100,
        every: Duration::from_millis(50),
    });
    view.restore(store.as_ref()).await.unwrap();
    view.set_leading(true);
    let following = tokio::spawn({
        let (view, store) = (view.clone(), store.clone());
        async move {
            view.follow(store.as_ref(), None, || {}, std::future::pending())
                .await
        }
    });
    wait_for(&view, 3007).await;

    // Registrations go on while the rebuild runs, and the view answers.
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for n in 3000..5000 {
                register(store.as_ref(), n).await;
            }
        })
    };
    let mut reports = Vec::new();
    let replayed = view
        .rebuild(&store, &mut |p| reports.push(p.clone()))
        .await
        .unwrap();
    assert!(replayed >= 3000, "replayed {replayed}");
    assert!(
        reports.windows(2).all(|w| w[0].replayed <= w[1].replayed),
        "progress only goes forward"
    );
    writer.await.unwrap();
    open_gate.send(true).unwrap();
    // One more: once it is counted, so is everything before it.
    register(store.as_ref(), 5000).await;
    wait_for(&view, 5001).await;
    // Once the view stands at the store's last event, nothing is left to
    // count twice.
    let head = store
        .head(&Context::parse("vehicle").unwrap())
        .await
        .unwrap();
    minsheng_testkit::eventually("the view reaches the last event", async || {
        view.read(|c| c.positions.get("vehicle").copied()) == Some(head)
    })
    .await;
    assert_eq!(
        registered(&view),
        5001,
        "nothing counted twice after the swap"
    );

    // The swapped-in book is what a fresh fold of the whole store gives,
    // and it is what the leader saved.
    let mut fresh = Positioned::default();
    replay_into(&store, SPEC.contexts, &mut fresh, 0, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(view.read(|c| c.state.clone()), fresh.state);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if registered(&*restored(store.as_ref()).await) == 5001 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the leader did not save the rebuilt book"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    following.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_stops_saves_what_it_counted_on_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open(dir.path().join("events.db")).unwrap());
    for n in 0..10 {
        register(store.as_ref(), n).await;
    }
    // Ready means caught up: the 10 are counted, and (well within the 2 s
    // and 10,000 events of the default policy) not saved yet.
    let process = minsheng_runtime::local::start(
        store.clone(),
        &[Arc::new(minsheng_kpis::target::KpisTarget)],
        minsheng_runtime::auth::TokenKeys::from_secret(b"test"),
        minsheng_runtime::person_keys::PersonKeys::from_secret(b"test"),
        minsheng_runtime::personal_data::ephemeral(),
    )
    .await
    .unwrap();
    process.stop().await.unwrap();
    assert_eq!(
        registered(&*restored(store.as_ref()).await),
        10,
        "the leader saved its book before it gave the leadership up"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_asked_of_one_replica_rebuilds_every_replica_once() {
    use minsheng_proto::kpis::v1 as pb;

    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open(dir.path().join("events.db")).unwrap());
    for n in 0..10 {
        register(store.as_ref(), n).await;
    }
    let keys = minsheng_runtime::auth::TokenKeys::from_secret(b"the replicas' key");
    let replica = async || {
        minsheng_runtime::local::start(
            store.clone(),
            &[Arc::new(minsheng_kpis::target::KpisTarget)],
            keys.clone(),
            minsheng_runtime::person_keys::PersonKeys::from_secret(b"test"),
            minsheng_runtime::personal_data::ephemeral(),
        )
        .await
        .unwrap()
    };
    let (asked, other) = (replica().await, replica().await);
    let client = async |process: &minsheng_runtime::local::LocalProcess| {
        let channel = tonic::transport::Channel::from_shared(format!("http://{}", process.grpc))
            .unwrap()
            .connect()
            .await
            .unwrap();
        pb::projections_client::ProjectionsClient::new(channel)
    };
    let operator = keys
        .mint(
            "operator-1",
            &["operator".to_owned()],
            Duration::from_secs(600),
        )
        .unwrap();
    fn with_token<T>(token: &str, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        minsheng_runtime::auth::attach_bearer(&mut request, token).unwrap();
        request
    }
    let rebuilds = async |process: &minsheng_runtime::local::LocalProcess| {
        client(process)
            .await
            .status(with_token(
                &operator,
                pb::StatusRequest {
                    projection: "kpis".into(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .rebuilds
    };

    let mut progress = client(&asked)
        .await
        .rebuild(with_token(
            &operator,
            pb::RebuildRequest {
                projection: "kpis".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut last = None;
    while let Some(message) = progress.next().await {
        last = Some(message.unwrap());
    }
    let last = last.expect("a last message");
    assert!(last.swapped && last.others_asked, "{last:?}");
    minsheng_testkit::eventually("the other replica rebuilt too", async || {
        rebuilds(&other).await == 1
    })
    .await;
    assert_eq!(
        rebuilds(&asked).await,
        1,
        "the replica asked rebuilt once, not twice"
    );

    // A replica started later was not asked: it restores the saved book.
    let later = replica().await;
    assert_eq!(rebuilds(&later).await, 0);
    for process in [asked, other, later] {
        process.stop().await.unwrap();
    }
}
