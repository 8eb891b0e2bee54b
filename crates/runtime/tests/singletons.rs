//! Singleton subscriptions: a reaction that writes runs on one replica of
//! the mesh, the one that leads, and a new leader resumes where the old
//! one's checkpoint says.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use minsheng_eventstore::{Context, EventStore, Position};
use minsheng_testkit::eventually;
use support::{AppOptions, LeaderByHand, channel, note, officer_token};

const REACTOR: &str = "notebook-reactor";

async fn last_position(store: &dyn EventStore) -> Position {
    store
        .read_all(&Context::parse("testing").unwrap(), Position::START, 100)
        .await
        .unwrap()
        .last()
        .unwrap()
        .position
}

/// Notes `n<number>` for each of `numbers`, written through `app` and
/// acknowledged.
async fn write_notes(app: &support::App, numbers: std::ops::Range<u32>) {
    let token = officer_token("clerk-1");
    for n in numbers {
        support::write(
            channel(app.grpc).await,
            Some(&token),
            note(&format!("n{n}"), "x"),
            &[],
        )
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_leading_replica_reacts_and_the_next_leader_resumes_from_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let store = minsheng_runtime::store::open(
        &format!("sqlite://{}", dir.path().join("events.db").display()),
        1,
    )
    .await
    .unwrap();
    let (first, second) = (LeaderByHand::not_leading(), LeaderByHand::not_leading());
    let replica = |leader: &LeaderByHand| AppOptions {
        leader: Arc::new(leader.clone()),
        ..AppOptions::default()
    };
    // Both replicas become ready with nobody leading: the singleton holds
    // no readiness back (spawn_app_on waits for /readyz).
    let a = support::spawn_app_on(store.clone(), replica(&first)).await;
    let b = support::spawn_app_on(store.clone(), replica(&second)).await;
    write_notes(&a, 0..3).await;
    eventually(
        "both replicas' ordinary subscriptions saw the 3 notes",
        async || a.counted.load(Ordering::SeqCst) == 3 && b.counted.load(Ordering::SeqCst) == 3,
    )
    .await;
    assert_eq!(a.reacted.load(Ordering::SeqCst), 0, "nobody leads yet");
    assert_eq!(b.reacted.load(Ordering::SeqCst), 0, "nobody leads yet");
    assert_eq!(store.load_checkpoint(REACTOR).await.unwrap(), None);

    first.set(true);
    eventually("the leader reacted to the 3 notes", async || {
        a.reacted.load(Ordering::SeqCst) == 3
    })
    .await;
    let third = last_position(store.as_ref()).await;
    eventually("the leader saved its checkpoint", async || {
        store.load_checkpoint(REACTOR).await.unwrap() == Some(third)
    })
    .await;
    assert_eq!(b.reacted.load(Ordering::SeqCst), 0, "b does not lead");

    // Leadership moves from a to b; 2 more notes.
    first.set(false);
    second.set(true);
    write_notes(&a, 3..5).await;
    eventually("the new leader reacted to the 2 new notes", async || {
        b.reacted.load(Ordering::SeqCst) == 2
    })
    .await;
    eventually("both ordinary subscriptions saw all 5", async || {
        a.counted.load(Ordering::SeqCst) == 5 && b.counted.load(Ordering::SeqCst) == 5
    })
    .await;
    assert_eq!(
        a.reacted.load(Ordering::SeqCst),
        3,
        "the old leader stopped reacting"
    );

    // b saves its checkpoint and releases on shutdown.
    let fifth = last_position(store.as_ref()).await;
    b.stop(std::time::Duration::from_secs(30)).await;
    assert_eq!(store.load_checkpoint(REACTOR).await.unwrap(), Some(fifth));
    a.stop(std::time::Duration::from_secs(30)).await;
}
