//! Two real `minsheng serve --target all` replicas electing their leaders
//! on the store's NATS (`--leader-election nats-kv`, a 2 s lease): each
//! singleton (the KPI projection's snapshot saves, the stop-payment
//! deadline timer, the reaction that blocks an alert's numbers) runs on
//! exactly one of them, and when that one is killed (SIGKILL, no release)
//! the other takes over once the lease runs out and does the work from then
//! on. What each replica does is read from its own `/metrics`.

#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use minsheng_proto::fraud::v1 as fraud;
use minsheng_runtime::auth::TokenKeys;
use minsheng_testkit::{NatsServer, eventually};
use support::binary::{Running, channel, serve_replica};
use support::city::{as_role, feed, now};

const LEASE: Duration = Duration::from_secs(2);
/// Every leadership the targets campaign for.
const LEADERSHIPS: [&str; 3] = [
    "kpis-projection",
    "fraud-deadlines",
    "fraud-block-named-numbers",
];
/// The KPI projection's snapshot.
const SNAPSHOT: &str = "metrics-kpis";

fn replica(data_dir: &std::path::Path, nats: &str, identity: &str) -> Running {
    serve_replica(
        data_dir,
        nats,
        "all",
        identity,
        &[
            "--lease-duration",
            "2s",
            // Long enough for the feed to answer its first request in
            // time, short enough for the other ten to expire in the test.
            "--stop-payment-deadline",
            "6s",
        ],
    )
}

/// The value of the series `name{labels}` (without labels: `name`) on
/// the replica's /metrics; 0 when it has none yet.
async fn sample(http: SocketAddr, name: &str, labels: &str) -> f64 {
    let series = if labels.is_empty() {
        name.to_owned()
    } else {
        format!("{name}{{{labels}}}")
    };
    minsheng_testkit::metric(http, &series).await
}

async fn leads(http: SocketAddr, leadership: &str) -> bool {
    sample(
        http,
        "minsheng_leading",
        &format!("leadership=\"{leadership}\""),
    )
    .await
        == 1.0
}

/// Who leads each leadership, once each has exactly one leader.
async fn one_leader_each(replicas: &[SocketAddr]) -> Vec<SocketAddr> {
    let mut leaders = Vec::new();
    for leadership in LEADERSHIPS {
        let mut leading = Vec::new();
        eventually(
            &format!("exactly one replica leads {leadership}"),
            async || {
                leading.clear();
                for &http in replicas {
                    if leads(http, leadership).await {
                        leading.push(http);
                    }
                }
                leading.len() == 1
            },
        )
        .await;
        leaders.push(leading[0]);
    }
    leaders
}

/// What each replica did of each singleton's work.
#[derive(Debug, PartialEq)]
struct Work {
    snapshots_saved: f64,
    stops_expired: f64,
    numbers_handled: f64,
}

async fn work(http: SocketAddr) -> Work {
    Work {
        snapshots_saved: sample(
            http,
            "minsheng_store_snapshot_saves_total",
            &format!("snapshot=\"{SNAPSHOT}\""),
        )
        .await,
        stops_expired: sample(
            http,
            "minsheng_deadlines_fired_total",
            "deadlines=\"fraud-deadlines\"",
        )
        .await,
        numbers_handled: sample(
            http,
            "minsheng_subscription_events_total",
            "consumer=\"fraud-block-named-numbers\"",
        )
        .await,
    }
}

/// One more alert naming one number, and a stop-payment on it no one will
/// answer.
async fn one_more_alert(grpc: SocketAddr, keys: &TokenKeys) -> String {
    let ch = channel(grpc).await;
    let alert_id = fraud::alerts_client::AlertsClient::new(ch.clone())
        .report_alert(as_role(
            keys,
            "fraud-analyst",
            None,
            fraud::ReportAlertRequest {
                victim_resident_id: "11010519491231002X".into(),
                amount_fen: 90_000,
                channel: fraud::FraudChannel::PhoneCall as i32,
                transferred_at: Some(now()),
                accounts: vec![fraud::ReceivingAccount {
                    account: "6222020200112233445".into(),
                    institution: "icbc".into(),
                }],
                fraud_numbers: vec!["17099998888".into()],
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .id;
    fraud::stop_payments_client::StopPaymentsClient::new(ch)
        .request_stop_payment(as_role(
            keys,
            "fraud-analyst",
            None,
            fraud::RequestStopPaymentRequest {
                alert_id,
                account_index: 0,
                amount_fen: 90_000,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_singleton_runs_on_one_replica_and_the_other_takes_over_when_it_is_killed() {
    let nats = NatsServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = support::deployment_keys(dir.path());
    let mut replicas = [
        replica(dir.path(), &nats.url(), "replica-a"),
        replica(dir.path(), &nats.url(), "replica-b"),
    ];
    let https: Vec<SocketAddr> = replicas.iter().map(|r| r.http).collect();
    one_leader_each(&https).await;

    // The city's feed (10 alerts naming 15 numbers, 11 stop-payments of
    // which 1 is answered) through the first replica.
    feed(channel(replicas[0].grpc).await, &keys).await;
    eventually("the ten unanswered requests expire", async || {
        let (a, b) = (work(https[0]).await, work(https[1]).await);
        a.stops_expired + b.stops_expired == 10.0
    })
    .await;
    eventually("the leader has saved the KPI snapshot", async || {
        let (a, b) = (work(https[0]).await, work(https[1]).await);
        a.snapshots_saved + b.snapshots_saved > 0.0
    })
    .await;
    // The leaders may have moved while starting; each is settled now.
    let leaders = one_leader_each(&https).await;
    for (leadership, leader) in LEADERSHIPS.iter().zip(&leaders) {
        let follower = if *leader == https[0] {
            https[1]
        } else {
            https[0]
        };
        let (on_leader, on_follower) = (work(*leader).await, work(follower).await);
        let (led, followed) = match *leadership {
            "kpis-projection" => (on_leader.snapshots_saved, on_follower.snapshots_saved),
            "fraud-deadlines" => (on_leader.stops_expired, on_follower.stops_expired),
            _ => (on_leader.numbers_handled, on_follower.numbers_handled),
        };
        assert!(
            led > 0.0 && followed == 0.0,
            "{leadership}: the leader did {led}, the follower {followed}"
        );
    }

    // Kill the replica leading the projection: no release, so the other
    // waits out the lease.
    let victim = usize::from(leaders[0] == https[1]);
    let survivor = 1 - victim;
    replicas[victim].child.kill().unwrap();
    let killed = Instant::now();
    let before = work(https[survivor]).await;
    for leadership in LEADERSHIPS {
        eventually(&format!("the survivor leads {leadership}"), async || {
            leads(https[survivor], leadership).await
        })
        .await;
    }
    // How long it took is a figure, not a check (a loaded machine must not
    // fail the suite): the lease's timing rules are the leader crate's unit
    // tests; here `eventually` bounds it.
    println!(
        "takeover after a SIGKILL: {:?} with a {LEASE:?} lease",
        killed.elapsed()
    );

    // Work from then on happens on the survivor.
    one_more_alert(replicas[survivor].grpc, &keys).await;
    eventually(
        "the survivor expires the new request, blocks its number and saves",
        async || {
            let now = work(https[survivor]).await;
            now.stops_expired > before.stops_expired
                && now.numbers_handled > before.numbers_handled
                && now.snapshots_saved > before.snapshots_saved
        },
    )
    .await;
}
