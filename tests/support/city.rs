//! A small, known city fed through the real services over gRPC: three
//! bikes (one stolen, sighted, recovered, its case solved), one fraud alert
//! with a stop-payment frozen in part; and the figures those make, counted
//! by hand.

use std::collections::BTreeMap;
use std::time::Duration;

use minsheng_proto::fraud::v1 as fraud;
use minsheng_proto::vehicle::v1 as vehicle;
use minsheng_runtime::auth::TokenKeys;
use tonic::Request;
use tonic::transport::Channel;

/// `message` with a bearer token for `role` (and a partner's `institution`).
pub fn as_role<T>(
    keys: &TokenKeys,
    role: &str,
    institution: Option<&str>,
    message: T,
) -> Request<T> {
    let token = keys
        .mint_for(
            "e2e-test",
            &[role.to_owned()],
            institution,
            Duration::from_secs(600),
        )
        .unwrap();
    let mut request = Request::new(message);
    minsheng_runtime::auth::attach_bearer(&mut request, &token).unwrap();
    request
}

pub fn now() -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp(),
        nanos: 0,
    }
}

pub fn tag(n: u32) -> String {
    format!("E2000017221101021890{n:04X}")
}

/// Bike `n` (tag [`tag`]`(n)`) registered in `district` to one owner.
pub fn registration(n: u32, district: &str) -> vehicle::RegisterEbikeRequest {
    vehicle::RegisterEbikeRequest {
        tag_id: tag(n),
        owner_resident_id: "11010519491231002X".into(),
        owner_phone: "13812345678".into(),
        frame_number: format!("FRAME{n:06}"),
        motor_number: format!("MOTOR{n:06}"),
        plate: "浙C12345".into(),
        district: district.into(),
    }
}

pub async fn feed(ch: Channel, keys: &TokenKeys) {
    vehicle::readers_client::ReadersClient::new(ch.clone())
        .install_reader(as_role(
            keys,
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
                keys,
                "registration-clerk",
                None,
                registration(n, district),
            ))
            .await
            .unwrap();
    }
    ebikes
        .report_stolen(as_role(
            keys,
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
                keys,
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
            keys,
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
            keys,
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
            keys,
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
            keys,
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
            keys,
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
pub fn expected() -> BTreeMap<String, i64> {
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

/// The figures of an `/api/v1/kpis` answer, by name.
pub fn figures_by_name(answer: &serde_json::Value) -> BTreeMap<String, i64> {
    answer["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                f["value"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// `GET /api/v1/kpis` (this year, the whole city) of the process at `http`.
pub async fn city_figures(http: std::net::SocketAddr) -> BTreeMap<String, i64> {
    let (status, body) = minsheng_testkit::http_get_async(http, "/api/v1/kpis")
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    figures_by_name(&serde_json::from_str(&body).unwrap())
}

/// Waits (up to 30 s) until the process at `http` shows what [`feed`] adds up to.
pub async fn until_the_figures_add_up(http: std::net::SocketAddr) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let figures = city_figures(http).await;
        if figures == expected() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the figures never added up: {figures:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
