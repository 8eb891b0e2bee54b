//! A small, known city fed through the real services over gRPC (bikes,
//! thefts, hits and solved cases; cards and rooms; fraud alerts,
//! stop-payments, blocked numbers and interceptions; returned fugitives),
//! and the figures those make, counted by hand: every one non-zero and
//! different from the others.

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
    keys.request_as("e2e-test", role, institution, message)
        .unwrap()
}

pub fn now() -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp(),
        nanos: 0,
    }
}

/// A resident ID for person `n` (0-999) born 1980-01-01 in Wenzhou, with
/// its GB 11643 check digit: people other than the city's own.
pub fn resident_id(n: u32) -> String {
    let body = format!("33030219800101{n:03}");
    let check = minsheng_vehicle_iot::domain::values::ResidentId::check_digit(&body).unwrap();
    format!("{body}{check}")
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

/// Feeds the known city through the services; [`expected`] is what it
/// adds up to. Every figure ends up non-zero and different from every
/// other, so a figure counted under another's name cannot pass.
pub async fn feed(ch: Channel, keys: &TokenKeys) {
    bikes(&ch, keys).await;
    people(&ch, keys).await;
    fraud_centre(&ch, keys).await;
    fugitives(&ch, keys).await;
}

/// Bikes 1-9 (1 and 2 in Lucheng, 3 in Ouhai, the rest in Rui'an); 1, 2
/// and 4-8 stolen; 1 seen by Ouhai's reader and all seven by Rui'an's (8
/// hits, 1 of them in Ouhai); 1, 2, 4, 5 and 6 recovered; the cases of 1,
/// 2 and 4-7 solved with 2, 3, 2, 3, 3 and 3 suspects, those of 1, 2, 4
/// and 5 a theft-and-resale ring.
async fn bikes(ch: &Channel, keys: &TokenKeys) {
    let mut readers = vehicle::readers_client::ReadersClient::new(ch.clone());
    for (reader_id, district) in [("RD-OH-0001", "ouhai"), ("RD-RA-0001", "ruian")] {
        readers
            .install_reader(as_role(
                keys,
                "iot-admin",
                None,
                vehicle::InstallReaderRequest {
                    reader_id: reader_id.into(),
                    latitude: 28.02,
                    longitude: 120.6,
                    district: district.into(),
                },
            ))
            .await
            .unwrap();
    }
    let mut ebikes = vehicle::ebikes_client::EbikesClient::new(ch.clone());
    for n in 1..=9 {
        let district = match n {
            1 | 2 => "lucheng",
            3 => "ouhai",
            _ => "ruian",
        };
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
    let stolen = [1, 2, 4, 5, 6, 7, 8];
    for n in stolen {
        ebikes
            .report_stolen(as_role(
                keys,
                "officer",
                None,
                vehicle::ReportStolenRequest {
                    tag_id: tag(n),
                    case_id: format!("WZ-KPI-{n}"),
                    stolen_at: Some(now()),
                    place: "a car park".into(),
                    owner_resident_id: String::new(),
                },
            ))
            .await
            .unwrap();
    }
    let sighting = |n: u32, reader_id: &str| vehicle::Sighting {
        tag_id: tag(n),
        reader_id: reader_id.into(),
        seen_at: Some(now()),
    };
    let mut seen = vec![sighting(1, "RD-OH-0001")];
    seen.extend(stolen.iter().map(|n| sighting(*n, "RD-RA-0001")));
    // A sighting raises its hit once the desk knows of the theft; sent
    // again, one already a hit is a repeat (same reader, within the
    // window), so the hits add up to one per sighting.
    let mut sightings = vehicle::sightings_client::SightingsClient::new(ch.clone());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut hits = 0;
    while hits < seen.len() as u64 {
        assert!(std::time::Instant::now() < deadline, "{hits} hits");
        if hits > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        hits += sightings
            .record_sighting_batch(as_role(
                keys,
                "iot-reader",
                None,
                vehicle::SightingBatch {
                    sightings: seen.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .hits;
    }
    for n in [1, 2, 4, 5, 6] {
        ebikes
            .record_recovery(as_role(
                keys,
                "officer",
                None,
                vehicle::RecordRecoveryRequest {
                    tag_id: tag(n),
                    place: "Ouhai".into(),
                },
            ))
            .await
            .unwrap();
    }
    for (n, suspects) in [(1, 2), (2, 3), (4, 2), (5, 3), (6, 3), (7, 3)] {
        ebikes
            .record_case_solved(as_role(
                keys,
                "officer",
                None,
                vehicle::RecordCaseSolvedRequest {
                    tag_id: tag(n),
                    suspects,
                    theft_and_resale_ring: n <= 5,
                },
            ))
            .await
            .unwrap();
    }
}

/// 12 residence cards and 13 rental rooms, in Rui'an.
async fn people(ch: &Channel, keys: &TokenKeys) {
    let mut cards = vehicle::resident_cards_client::ResidentCardsClient::new(ch.clone());
    for _ in 0..12 {
        cards
            .issue_card(as_role(
                keys,
                "registration-clerk",
                None,
                vehicle::IssueCardRequest {
                    resident_id: "11010519491231002X".into(),
                    phone: "13912345678".into(),
                    district: "ruian".into(),
                    valid_until: Some(prost_types::Timestamp {
                        seconds: now().seconds + 86_400 * 365,
                        nanos: 0,
                    }),
                },
            ))
            .await
            .unwrap();
    }
    let mut rooms = vehicle::rental_rooms_client::RentalRoomsClient::new(ch.clone());
    for _ in 0..13 {
        rooms
            .register_room(as_role(
                keys,
                "registration-clerk",
                None,
                vehicle::RegisterRoomRequest {
                    landlord_resident_id: "11010519491231002X".into(),
                    address: "3F, 12 Wuma Street".into(),
                    district: "ruian".into(),
                    capacity: 2,
                },
            ))
            .await
            .unwrap();
    }
}

/// 10 alerts (736,000 fen, then 9 of 100,000) naming 15 numbers in all
/// (blocked by the firewall); 11 stop-payments, the first frozen at
/// 400,000 fen; 14 interceptions reported by a telecom.
async fn fraud_centre(ch: &Channel, keys: &TokenKeys) {
    let mut alerts = fraud::alerts_client::AlertsClient::new(ch.clone());
    let mut alert_ids = Vec::new();
    for a in 0..10u32 {
        let fraud_numbers = match a {
            0 => vec!["17012345678".to_owned()],
            1..=7 => (0..2)
                .map(|k| format!("1390000{:04}", a * 10 + k))
                .collect(),
            _ => vec![],
        };
        let id = alerts
            .report_alert(as_role(
                keys,
                "fraud-analyst",
                None,
                fraud::ReportAlertRequest {
                    victim_resident_id: "11010519491231002X".into(),
                    amount_fen: if a == 0 { 736_000 } else { 100_000 },
                    channel: fraud::FraudChannel::PhoneCall as i32,
                    transferred_at: Some(now()),
                    accounts: vec![fraud::ReceivingAccount {
                        account: "6222020200112233445".into(),
                        institution: "icbc".into(),
                    }],
                    fraud_numbers,
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .id;
        alert_ids.push(id);
    }
    let mut stops = fraud::stop_payments_client::StopPaymentsClient::new(ch.clone());
    let mut stop_ids = Vec::new();
    // The first alert's request, then one on each other alert and a second
    // on alert 1: 11.
    let asked = std::iter::once((0, 500_000))
        .chain((1..10).map(|a| (a, 50_000)))
        .chain(std::iter::once((1, 50_000)));
    for (alert, amount_fen) in asked {
        let id = stops
            .request_stop_payment(as_role(
                keys,
                "fraud-analyst",
                None,
                fraud::RequestStopPaymentRequest {
                    alert_id: alert_ids[alert].clone(),
                    account_index: 0,
                    amount_fen,
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .id;
        stop_ids.push(id);
    }
    stops
        .answer_stop_payment(as_role(
            keys,
            "partner",
            Some("icbc"),
            fraud::AnswerStopPaymentRequest {
                stop_payment_id: stop_ids[0].clone(),
                outcome: fraud::StopOutcome::Frozen as i32,
                amount_fen: 400_000,
                reason: String::new(),
            },
        ))
        .await
        .unwrap();
    let mut firewall = fraud::firewall_client::FirewallClient::new(ch.clone());
    for _ in 0..14 {
        firewall
            .report_interception(as_role(
                keys,
                "partner",
                Some("telecom"),
                fraud::ReportInterceptionRequest {
                    number: "17012345678".into(),
                    intercepted_at: Some(now()),
                },
            ))
            .await
            .unwrap();
    }
}

/// Six fugitives returned: 1 repatriated, 2 persuaded, 3 captured.
async fn fugitives(ch: &Channel, keys: &TokenKeys) {
    let mut fugitives = fraud::fugitives_client::FugitivesClient::new(ch.clone());
    let ways = [
        fraud::ReturnWay::Repatriated,
        fraud::ReturnWay::PersuadedToReturn,
        fraud::ReturnWay::PersuadedToReturn,
        fraud::ReturnWay::Captured,
        fraud::ReturnWay::Captured,
        fraud::ReturnWay::Captured,
    ];
    for (n, way) in ways.into_iter().enumerate() {
        let id = fugitives
            .list_fugitive(as_role(
                keys,
                "officer",
                None,
                fraud::ListFugitiveRequest {
                    resident_id: "110105195001010012".into(),
                    case_id: format!("WZ-EC-{n:04}"),
                    country: String::new(),
                    fled_on: "2001-03-01".into(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .id;
        fugitives
            .record_return(as_role(
                keys,
                "officer",
                None,
                fraud::RecordReturnRequest {
                    fugitive_id: id,
                    way: way as i32,
                    returned_on: "2015-06-01".into(),
                },
            ))
            .await
            .unwrap();
    }
}

/// What the events above must add up to, counted by hand.
pub fn expected() -> BTreeMap<String, i64> {
    [
        ("fugitives_repatriated", 1),
        ("fugitives_persuaded_to_return", 2),
        ("fugitives_captured", 3),
        ("theft_and_resale_cases", 4),
        ("bikes_recovered", 5),
        ("cases_solved", 6),
        ("thefts_reported", 7),
        ("hits", 8),
        ("ebikes_registered", 9),
        ("fraud_alerts", 10),
        ("stop_payments", 11),
        ("resident_cards_issued", 12),
        ("rental_rooms_registered", 13),
        ("interceptions", 14),
        ("numbers_blocked", 15),
        ("suspects", 16),
        ("amount_reported_fen", 736_000 + 9 * 100_000),
        ("amount_stopped_fen", 400_000),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
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
