//! Two real `minsheng serve` processes sharing one testkit nats-server:
//! what one records, the other's read models see (a stolen bike's hit
//! reaches a console on the other; a number blocked on one is screened as
//! blocked on the other).

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures::StreamExt;
use minsheng_proto::vehicle::v1 as pb;
use minsheng_runtime::auth::TokenKeys;
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_testkit::NatsServer;
use tonic::Request;
use tonic::transport::Channel;

const TAG: &str = "E20000172211010218905BD1";

struct Serving {
    child: Child,
    grpc: SocketAddr,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data_dir: &std::path::Path, nats: &str, target: &str) -> Serving {
    let mut child = Command::new(env!("CARGO_BIN_EXE_minsheng"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--target", target, "--store", nats])
        .args([
            "--grpc-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
            "--drain-delay",
            "0s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut grpc = None;
    for line in lines.map_while(Result::ok) {
        if let Some(rest) = line.split_once("gRPC on ").map(|(_, r)| r) {
            grpc = rest.split_whitespace().next().and_then(|a| a.parse().ok());
            break;
        }
    }
    Serving {
        child,
        grpc: grpc.expect("the process prints its gRPC address"),
    }
}

async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(10))
        .connect()
        .await
        .unwrap()
}

fn as_role<T>(keys: &TokenKeys, role: &str, message: T) -> Request<T> {
    let token = keys
        .mint("test-1", &[role.to_owned()], Duration::from_secs(600))
        .unwrap();
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn now() -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
        nanos: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hit_recorded_by_one_process_reaches_a_console_on_another() {
    let nats = NatsServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (keys, _) = TokenKeys::load_or_create(&dir.path().join("jwt.key")).unwrap();
    PersonKeys::load_or_create(&dir.path().join("person.key")).unwrap();
    let recorder = serve(dir.path(), &nats.url(), "vehicle-iot");
    let dispatch = serve(dir.path(), &nats.url(), "vehicle-iot");

    let ch = channel(recorder.grpc).await;
    pb::readers_client::ReadersClient::new(ch.clone())
        .install_reader(as_role(
            &keys,
            "iot-admin",
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
            pb::ReportStolenRequest {
                tag_id: TAG.into(),
                case_id: "WZ-2015-0042".into(),
                stolen_at: Some(now()),
                place: "Ouhai market".into(),
            },
        ))
        .await
        .unwrap();

    let mut watch = pb::sightings_client::SightingsClient::new(channel(dispatch.grpc).await)
        .watch_hits(as_role(
            &keys,
            "officer",
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
            .record_sighting_batch(as_role(&keys, "iot-reader", batch))
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
    let (keys, _) = TokenKeys::load_or_create(&dir.path().join("jwt.key")).unwrap();
    PersonKeys::load_or_create(&dir.path().join("person.key")).unwrap();
    let centre = serve(dir.path(), &nats.url(), "fraud");
    let gateway = serve(dir.path(), &nats.url(), "fraud");

    fraud::firewall_client::FirewallClient::new(channel(centre.grpc).await)
        .block_number(as_role(
            &keys,
            "fraud-analyst",
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
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {partner}").parse().unwrap(),
        );
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
