//! The city's figures, end to end: events fed through the real services
//! over gRPC (vehicle-iot and fraud), the metrics target projecting them,
//! every figure checked against a count made here; a restart changes
//! nothing, and the HTTP API says the same.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use minsheng_proto::fraud::v1 as fraud;
use minsheng_proto::metrics::v1 as metrics;
use minsheng_proto::vehicle::v1 as vehicle;
use minsheng_runtime::auth::TokenKeys;
use minsheng_runtime::local::{self, LocalProcess};
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_runtime::target::Target;
use tonic::Request;
use tonic::transport::Channel;

fn keys() -> TokenKeys {
    TokenKeys::from_secret(b"the kpi test's signing key......")
}

/// A process running the three targets on one embedded store.
async fn spawn(dir: &std::path::Path) -> LocalProcess {
    let store =
        minsheng_runtime::store::open(&format!("sqlite://{}", dir.join("events.db").display()), 1)
            .await
            .unwrap();
    let targets: Vec<Arc<dyn Target>> = vec![
        Arc::new(minsheng_vehicle_iot::VehicleIotTarget::default()),
        Arc::new(minsheng_fraud::FraudTarget::default()),
        Arc::new(minsheng_metrics::MetricsTarget),
    ];
    let person_keys = PersonKeys::from_secret(b"the kpi test's person key.......");
    local::start(store, &targets, keys(), person_keys)
        .await
        .unwrap()
}

trait Figures {
    async fn channel(&self) -> Channel;
    async fn figures(&self, district: &str) -> BTreeMap<String, i64>;
}

impl Figures for LocalProcess {
    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.grpc))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }
    async fn figures(&self, district: &str) -> BTreeMap<String, i64> {
        let answer = metrics::kpis_client::KpisClient::new(self.channel().await)
            .get_kpis(as_role(
                "viewer",
                None,
                metrics::GetKpisRequest {
                    period: String::new(),
                    district: district.into(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        answer
            .figures
            .into_iter()
            .map(|f| (f.name, f.value))
            .collect()
    }
}

fn as_role<T>(role: &str, institution: Option<&str>, message: T) -> Request<T> {
    let token = keys()
        .mint_for(
            "kpi-test",
            &[role.to_owned()],
            institution,
            Duration::from_secs(600),
        )
        .unwrap();
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn now() -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp(),
        nanos: 0,
    }
}

fn tag(n: u32) -> String {
    format!("E2000017221101021890{n:04X}")
}

async fn feed(app: &LocalProcess) {
    let ch = app.channel().await;
    vehicle::readers_client::ReadersClient::new(ch.clone())
        .install_reader(as_role(
            "iot-admin",
            None,
            vehicle::InstallReaderRequest {
                reader_id: "RD-OH-0001".into(),
                latitude: 28.02,
                longitude: 120.6,
                district: "ouhai".into(),
            },
        ))
        .await
        .unwrap();
    let mut ebikes = vehicle::ebikes_client::EbikesClient::new(ch.clone());
    for (n, district) in [(1, "lucheng"), (2, "lucheng"), (3, "ouhai")] {
        ebikes
            .register_ebike(as_role(
                "registration-clerk",
                None,
                vehicle::RegisterEbikeRequest {
                    tag_id: tag(n),
                    owner_resident_id: "11010519491231002X".into(),
                    owner_phone: "13812345678".into(),
                    frame_number: format!("FRAME{n:06}"),
                    motor_number: format!("MOTOR{n:06}"),
                    plate: "浙C12345".into(),
                    district: district.into(),
                },
            ))
            .await
            .unwrap();
    }
    ebikes
        .report_stolen(as_role(
            "officer",
            None,
            vehicle::ReportStolenRequest {
                tag_id: tag(1),
                case_id: "WZ-KPI-1".into(),
                stolen_at: Some(now()),
                place: "a car park".into(),
            },
        ))
        .await
        .unwrap();
    // The sighting raises a hit once the desk knows of the theft.
    let mut sightings = vehicle::sightings_client::SightingsClient::new(ch.clone());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let summary = sightings
            .record_sighting_batch(as_role(
                "iot-reader",
                None,
                vehicle::SightingBatch {
                    sightings: vec![vehicle::Sighting {
                        tag_id: tag(1),
                        reader_id: "RD-OH-0001".into(),
                        seen_at: Some(now()),
                    }],
                },
            ))
            .await
            .unwrap()
            .into_inner();
        if summary.hits == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no hit");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ebikes
        .record_recovery(as_role(
            "officer",
            None,
            vehicle::RecordRecoveryRequest {
                tag_id: tag(1),
                place: "Ouhai".into(),
            },
        ))
        .await
        .unwrap();
    ebikes
        .record_case_solved(as_role(
            "officer",
            None,
            vehicle::RecordCaseSolvedRequest {
                tag_id: tag(1),
                suspects: 2,
                theft_and_resale_ring: true,
            },
        ))
        .await
        .unwrap();

    let alert = fraud::alerts_client::AlertsClient::new(ch.clone())
        .report_alert(as_role(
            "fraud-analyst",
            None,
            fraud::ReportAlertRequest {
                victim_resident_id: "11010519491231002X".into(),
                amount_fen: 736_000,
                channel: fraud::FraudChannel::PhoneCall as i32,
                transferred_at: Some(now()),
                accounts: vec![fraud::ReceivingAccount {
                    account: "6222020200112233445".into(),
                    institution: "icbc".into(),
                }],
                fraud_numbers: vec!["17012345678".into()],
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .id;
    let mut stops = fraud::stop_payments_client::StopPaymentsClient::new(ch);
    let stop = stops
        .request_stop_payment(as_role(
            "fraud-analyst",
            None,
            fraud::RequestStopPaymentRequest {
                alert_id: alert,
                account_index: 0,
                amount_fen: 500_000,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .id;
    stops
        .answer_stop_payment(as_role(
            "partner",
            Some("icbc"),
            fraud::AnswerStopPaymentRequest {
                stop_payment_id: stop,
                outcome: fraud::StopOutcome::Frozen as i32,
                amount_fen: 400_000,
                reason: String::new(),
            },
        ))
        .await
        .unwrap();
}

/// What the events above must add up to, counted by hand.
fn expected() -> BTreeMap<String, i64> {
    let mut figures: BTreeMap<String, i64> = [
        ("ebikes_registered", 3),
        ("thefts_reported", 1),
        ("hits", 1),
        ("bikes_recovered", 1),
        ("cases_solved", 1),
        ("suspects", 2),
        ("theft_and_resale_cases", 1),
        ("fraud_alerts", 1),
        ("amount_reported_fen", 736_000),
        ("stop_payments", 1),
        ("amount_stopped_fen", 400_000),
        ("numbers_blocked", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for zero in [
        "resident_cards_issued",
        "rental_rooms_registered",
        "interceptions",
        "fugitives_captured",
        "fugitives_persuaded_to_return",
        "fugitives_repatriated",
    ] {
        figures.insert(zero.to_owned(), 0);
    }
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_figure_is_what_the_services_did_and_a_restart_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path()).await;
    feed(&app).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app.figures("").await != expected() {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            app.figures("").await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A watcher gets the figures at once, then again when they change.
    let mut watch = metrics::kpis_client::KpisClient::new(app.channel().await)
        .watch_kpis(as_role(
            "viewer",
            None,
            metrics::GetKpisRequest {
                period: String::new(),
                district: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    let value = |figures: &metrics::KpiFigures, name: &str| {
        figures
            .figures
            .iter()
            .find(|f| f.name == name)
            .unwrap()
            .value
    };
    assert_eq!(value(&first, "fraud_alerts"), 1);
    let mut alerts = fraud::alerts_client::AlertsClient::new(app.channel().await);
    alerts
        .report_alert(as_role(
            "fraud-analyst",
            None,
            fraud::ReportAlertRequest {
                victim_resident_id: "11010519491231002X".into(),
                amount_fen: 100,
                channel: fraud::FraudChannel::Sms as i32,
                transferred_at: Some(now()),
                accounts: vec![fraud::ReceivingAccount {
                    account: "6222020200112233446".into(),
                    institution: "icbc".into(),
                }],
                fraud_numbers: vec![],
            },
        ))
        .await
        .unwrap();
    let changed = tokio::time::timeout(Duration::from_secs(20), watch.message())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(value(&changed, "fraud_alerts"), 2);
    drop(watch);
    let mut expected = expected();
    expected.insert("fraud_alerts".into(), 2);
    expected.insert("amount_reported_fen".into(), 736_100);
    let lucheng = app.figures("lucheng").await;
    assert_eq!((lucheng["ebikes_registered"], lucheng["hits"]), (2, 0));
    assert_eq!(
        app.figures("ouhai").await["hits"],
        1,
        "a hit counts where its reader is"
    );
    app.stop().await.unwrap();

    let app = spawn(dir.path()).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app.figures("").await != expected {
        assert!(
            std::time::Instant::now() < deadline,
            "after a restart: {:?}",
            app.figures("").await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Stays so: nothing is counted twice once the projection has caught up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.figures("").await, expected);

    let http = app.http;
    let (status, body) =
        tokio::task::spawn_blocking(move || minsheng_testkit::http_get(http, "/api/v1/kpis"))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let from_http: BTreeMap<String, i64> = json["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                f["value"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(from_http, expected);
    let (status, _) = tokio::task::spawn_blocking(move || {
        minsheng_testkit::http_get(http, "/api/v1/kpis?period=2015-13")
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(status, 400);
    let (_, prometheus) =
        tokio::task::spawn_blocking(move || minsheng_testkit::http_get(http, "/metrics"))
            .await
            .unwrap()
            .unwrap();
    for line in [
        r#"minsheng_kpi{kpi="ebikes_registered",period="year",district="all"} 3"#,
        r#"minsheng_kpi{kpi="ebikes_registered",period="year",district="lucheng"} 2"#,
        r#"minsheng_kpi{kpi="amount_stopped_fen",period="month",district="all"} 400000"#,
    ] {
        assert!(
            prometheus.lines().any(|l| l == line),
            "{line} not in {prometheus}"
        );
    }
    app.stop().await.unwrap();
}
