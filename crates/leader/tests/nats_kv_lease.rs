//! The JetStream key-value election against a real nats-server (testkit's,
//! on a free loopback port), with a 1 s lease so that expiries are quick:
//! exactly one of two replicas leads, a release hands over at once, a
//! replica that dies is taken over once its lease has run out (not
//! before), and a leader whose lease was taken loses its leadership.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use minsheng_leader::lease::LeaseTimings;
use minsheng_leader::nats_kv::{LEASES_BUCKET, NatsKvLease};
use minsheng_leader::{LeaderElection, Leadership};
use minsheng_testkit::NatsServer;
use tokio::time::{Instant, timeout};

const LEASE: Duration = Duration::from_secs(1);

async fn replica(nats: &NatsServer, identity: &str) -> NatsKvLease {
    let client = async_nats::connect(nats.url()).await.unwrap();
    NatsKvLease::open(client, 1, identity, LeaseTimings::for_lease(LEASE))
        .await
        .unwrap()
}

/// Whether `acquire` wins within `within`.
async fn wins_within(election: &NatsKvLease, name: &str, within: Duration) -> Option<Leadership> {
    timeout(within, election.acquire(name))
        .await
        .ok()
        .map(Result::unwrap)
}

#[tokio::test]
async fn of_two_replicas_one_leads_and_its_release_hands_over_at_once() {
    let nats = NatsServer::start().unwrap();
    let (a, b) = (replica(&nats, "a").await, replica(&nats, "b").await);
    let (first, second) = tokio::join!(
        wins_within(&a, "fraud-deadlines", LEASE),
        wins_within(&b, "fraud-deadlines", LEASE)
    );
    let (leader, follower) = match (first, second) {
        (Some(leading), None) => (leading, &b),
        (None, Some(leading)) => (leading, &a),
        (first, second) => panic!(
            "exactly one leads: a {}, b {}",
            first.is_some(),
            second.is_some()
        ),
    };
    // Renewed past several lease durations, still the only leader.
    let held_for = Instant::now();
    assert!(
        wins_within(follower, "fraud-deadlines", 3 * LEASE)
            .await
            .is_none()
    );
    assert!(leader.is_leading(), "renewed for {:?}", held_for.elapsed());

    leader.release().await;
    // Released: the follower need not wait out the lease.
    assert!(
        wins_within(follower, "fraud-deadlines", LEASE / 2)
            .await
            .is_some(),
        "a released lease is taken at once"
    );
}

#[tokio::test]
async fn a_leader_that_dies_is_taken_over_once_its_lease_has_run_out() {
    let nats = NatsServer::start().unwrap();
    let url = nats.url();
    // The leader runs on a runtime of its own, dropped without a release:
    // its renewals stop as if the process were killed.
    let (led, dies) = std::sync::mpsc::channel();
    let doomed = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let client = async_nats::connect(url).await.unwrap();
            let election = NatsKvLease::open(client, 1, "a", LeaseTimings::for_lease(LEASE))
                .await
                .unwrap();
            let leadership = election.acquire("kpis-projection").await.unwrap();
            led.send(()).unwrap();
            std::mem::forget(leadership);
        });
        runtime.shutdown_background();
    });
    dies.recv().unwrap();
    doomed.join().unwrap();

    let rival = replica(&nats, "b").await;
    let campaigning = Instant::now();
    let taken = wins_within(&rival, "kpis-projection", 5 * LEASE).await;
    let waited = campaigning.elapsed();
    assert!(taken.is_some(), "taken over");
    assert!(
        waited >= LEASE,
        "not before the lease ran out by the rival's clock: {waited:?}"
    );
}

#[tokio::test]
async fn a_leader_whose_lease_was_taken_stops_leading() {
    let nats = NatsServer::start().unwrap();
    let a = replica(&nats, "a").await;
    let mut leadership = a.acquire("fraud-block-named-numbers").await.unwrap();
    // Another writer (an operator, a rival with a clock running fast)
    // takes the lease.
    let js = async_nats::jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    js.get_key_value(LEASES_BUCKET)
        .await
        .unwrap()
        .put(
            "fraud-block-named-numbers",
            r#"{"holder":"c","lease_ms":1000}"#.into(),
        )
        .await
        .unwrap();
    assert!(
        timeout(LEASE, leadership.lost()).await.is_ok(),
        "lost at the next renewal"
    );
    assert!(!leadership.is_leading());
}

#[tokio::test]
async fn names_that_are_not_keys_and_impossible_timings_are_refused() {
    let nats = NatsServer::start().unwrap();
    let a = replica(&nats, "a").await;
    for name in ["", "Fraud", "a.b.", "a b", "a*"] {
        assert!(a.acquire(name).await.is_err(), "{name:?}");
    }
    let client = async_nats::connect(nats.url()).await.unwrap();
    let mut late = LeaseTimings::for_lease(LEASE);
    late.renew_deadline = 2 * LEASE;
    assert!(
        NatsKvLease::open(client.clone(), 1, "a", late)
            .await
            .is_err()
    );
    let timings = LeaseTimings::for_lease(LEASE);
    assert!(NatsKvLease::open(client, 1, "", timings).await.is_err());
}
