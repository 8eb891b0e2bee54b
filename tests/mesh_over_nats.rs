//! Two real `minsheng serve` processes sharing one testkit nats-server:
//! what one records, the other's read models see (a stolen bike's hit
//! reaches a console on the other; a number blocked on one is screened as
//! blocked on the other); and the city's figures on a 3-node JetStream
//! cluster, through a node killed and a restart.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use futures::StreamExt;
use minsheng_proto::vehicle::v1 as pb;
use minsheng_testkit::{NatsCluster, NatsServer};
use support::binary::{Running, channel, minsheng, serve_replica, start};
use support::city::{as_role, now};
use tonic::Request;

const TAG: &str = "E20000172211010218905BD1";

/// `minsheng serve --target <target>` on the shared NATS store, as the
/// replica `identity` (`tests/one_leader_over_nats.rs` shows that only
/// one replica runs each singleton).
fn serve(data_dir: &std::path::Path, nats: &str, target: &str, identity: &str) -> Running {
    serve_replica(data_dir, nats, target, identity, &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hit_recorded_by_one_process_reaches_a_console_on_another() {
    let nats = NatsServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = support::deployment_keys(dir.path());
    let recorder = serve(dir.path(), &nats.url(), "vehicle-iot", "recorder");
    let dispatch = serve(dir.path(), &nats.url(), "vehicle-iot", "dispatch");

    let ch = channel(recorder.grpc).await;
    pb::readers_client::ReadersClient::new(ch.clone())
        .install_reader(as_role(
            &keys,
            "iot-admin",
            None,
            pb::InstallReaderRequest {
                reader_id: "RD-OH-0001".into(),
                latitude: 28.02,
                longitude: 120.6,
                district: "ouhai".into(),
            },
        ))
        .await
        .unwrap();
    let mut ebikes = pb::ebikes_client::EbikesClient::new(ch.clone());
    ebikes
        .register_ebike(as_role(
            &keys,
            "registration-clerk",
            None,
            pb::RegisterEbikeRequest {
                tag_id: TAG.into(),
                owner_resident_id: "11010519491231002X".into(),
                owner_phone: "13812345678".into(),
                frame_number: "FRAME123456".into(),
                motor_number: "MOTOR654321".into(),
                plate: "浙C12345".into(),
                district: "ouhai".into(),
            },
        ))
        .await
        .unwrap();
    ebikes
        .report_stolen(as_role(
            &keys,
            "officer",
            None,
            pb::ReportStolenRequest {
                tag_id: TAG.into(),
                case_id: "WZ-2015-0042".into(),
                stolen_at: Some(now()),
                place: "Ouhai market".into(),
                owner_resident_id: String::new(),
            },
        ))
        .await
        .unwrap();

    let mut watch = pb::sightings_client::SightingsClient::new(channel(dispatch.grpc).await)
        .watch_hits(as_role(
            &keys,
            "officer",
            None,
            pb::HitFilter {
                district: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();

    // The recorder learns of the theft through its subscription; until
    // then the sighting is only counted. Send until it is a hit.
    let mut sightings = pb::sightings_client::SightingsClient::new(ch);
    let mut hits = 0;
    for _ in 0..200 {
        let batch = pb::SightingBatch {
            sightings: vec![pb::Sighting {
                tag_id: TAG.into(),
                reader_id: "RD-OH-0001".into(),
                seen_at: Some(now()),
            }],
        };
        let summary = sightings
            .record_sighting_batch(as_role(&keys, "iot-reader", None, batch))
            .await
            .unwrap()
            .into_inner();
        hits += summary.hits;
        if hits > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(hits, 1);
    let hit = tokio::time::timeout(Duration::from_secs(30), watch.next())
        .await
        .expect("the hit crosses NATS in time")
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            hit.tag_id.as_str(),
            hit.reader_id.as_str(),
            hit.district.as_str(),
            hit.case_id.as_str()
        ),
        (TAG, "RD-OH-0001", "ouhai", "WZ-2015-0042")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_blocked_on_one_process_is_screened_as_blocked_on_another() {
    use minsheng_proto::fraud::v1 as fraud;
    let nats = NatsServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = support::deployment_keys(dir.path());
    let centre = serve(dir.path(), &nats.url(), "fraud", "centre");
    let gateway = serve(dir.path(), &nats.url(), "fraud", "gateway");

    fraud::firewall_client::FirewallClient::new(channel(centre.grpc).await)
        .block_number(as_role(
            &keys,
            "fraud-analyst",
            None,
            fraud::BlockNumberRequest {
                number: "17012345678".into(),
                reason: "reported by three victims".into(),
            },
        ))
        .await
        .unwrap();
    let partner = keys
        .mint_for(
            "gateway-1",
            &["partner".to_owned()],
            Some("telecom"),
            Duration::from_secs(600),
        )
        .unwrap();
    let mut screening = fraud::firewall_client::FirewallClient::new(channel(gateway.grpc).await);
    let started = std::time::Instant::now();
    loop {
        let mut request = Request::new(fraud::ScreenRequest {
            numbers: vec!["17012345678".into()],
        });
        minsheng_runtime::auth::attach_bearer(&mut request, &partner).unwrap();
        let verdict = screening
            .screen(request)
            .await
            .unwrap()
            .into_inner()
            .verdicts
            .remove(0);
        if verdict.blocked {
            assert_eq!(verdict.category, fraud::BlockCategory::Analyst as i32);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never blocked on the other process"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_city_figures_add_up_on_a_jetstream_cluster_through_a_node_kill_and_a_restart() {
    use support::city::{city_figures, expected, feed, registration, until_the_figures_add_up};

    let mut cluster = NatsCluster::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = support::deployment_keys(dir.path());
    let urls = cluster.urls();
    let serve_all = || {
        start(minsheng(
            &[
                "serve",
                "--target",
                "all",
                "--store",
                &urls,
                "--store-replicas",
                "3",
                "--drain-delay",
                "0s",
                "--leader-election",
                "nats-kv",
            ],
            dir.path(),
        ))
    };
    let first = serve_all();
    feed(channel(first.grpc).await, &keys).await;
    until_the_figures_add_up(first.http).await;

    // SIGKILL the node leading the vehicle stream; a bike registered after
    // is recorded on the two left and counted.
    let leader = cluster
        .stream_leader("MS_EV_VEHICLE")
        .expect("the vehicle stream has a leader");
    cluster.node_mut(leader).kill();
    pb::ebikes_client::EbikesClient::new(channel(first.grpc).await)
        .register_ebike(as_role(
            &keys,
            "registration-clerk",
            None,
            registration(100, "ouhai"),
        ))
        .await
        .expect("registered through the election");
    let mut after_the_kill = expected();
    *after_the_kill.get_mut("ebikes_registered").unwrap() += 1;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while city_figures(first.http).await != after_the_kill {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            city_figures(first.http).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Stopped (saving its book, replicated on the two nodes left) and
    // started again: the same figures, nothing counted twice.
    first.terminate();
    let second = serve_all();
    assert_eq!(city_figures(second.http).await, after_the_kill);
    second.terminate();
}

/// A person forgotten through the privacy target of one process reads as
/// forgotten on another vehicle-iot process that had their data key in its
/// cache: every process follows `privacy.PersonForgotten`. And the read on
/// the one is listed by the other: the read audit is the mesh's
/// (`MS_AUDIT`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_forgotten_through_one_process_is_forgotten_on_another() {
    use minsheng_proto::privacy::v1 as privacy;
    let nats = NatsServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = support::deployment_keys(dir.path());
    let officer_desk = serve(dir.path(), &nats.url(), "privacy", "officer-desk");
    let counter = serve(dir.path(), &nats.url(), "vehicle-iot", "counter");

    let bikes = channel(counter.grpc).await;
    let mut ebikes = pb::ebikes_client::EbikesClient::new(bikes);
    ebikes
        .register_ebike(as_role(
            &keys,
            "registration-clerk",
            None,
            support::city::registration(7, "ouhai"),
        ))
        .await
        .unwrap();
    let get = || {
        as_role(
            &keys,
            "officer",
            None,
            pb::GetEbikeRequest {
                tag_id: support::city::tag(7),
            },
        )
    };
    // Read once: the counter now holds the owner's data key in its cache.
    let before = ebikes.get_ebike(get()).await.unwrap().into_inner();
    assert!(!before.owner_forgotten);

    let mut desk = privacy::privacy_client::PrivacyClient::new(channel(officer_desk.grpc).await);
    let reads = desk
        .list_reads(as_role(
            &keys,
            "operator",
            None,
            privacy::ListReadsRequest {
                resident_id: "11010519491231002X".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .reads;
    let read: Vec<(&str, &str)> = reads
        .iter()
        .map(|r| (r.what.as_str(), r.id.as_str()))
        .collect();
    assert_eq!(read, [("ebike", support::city::tag(7).as_str())]);
    let forget = || {
        as_role(
            &keys,
            "data-protection-officer",
            None,
            privacy::ForgetRequest {
                resident_id: "11010519491231002X".into(),
            },
        )
    };
    // The registration was acknowledged: the owner's data key exists.
    let forgotten = desk.forget(forget()).await.unwrap().into_inner();
    assert!(forgotten.had_key, "the owner's key was destroyed");
    minsheng_testkit::eventually("the counter's cache drops the key", async || {
        ebikes
            .get_ebike(get())
            .await
            .unwrap()
            .into_inner()
            .owner_forgotten
    })
    .await;
    officer_desk.terminate();
    counter.terminate();
}
