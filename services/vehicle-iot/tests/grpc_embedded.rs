//! The vehicle-iot services end to end over gRPC, in embedded mode: a real
//! process on port 0 with its SQLite store, real clients, real tokens.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use futures::StreamExt;
use minsheng_eventstore::{Context, Position};
use minsheng_proto::vehicle::v1 as pb;
use support::{
    App, as_role, now, reader, registration, sighting, spawn_embedded, theft, with_request_id,
};
use tonic::Code;

const TAG: &str = "E20000172211010218905BD1";
const CLEAN_TAG: &str = "E20000172211010218905BD2";

async fn events_in(app: &App) -> usize {
    app.store
        .read_all(
            &Context::parse("vehicle").unwrap(),
            Position::START,
            100_000,
        )
        .await
        .unwrap()
        .len()
}

/// A reader in Lucheng, two bikes, one of them reported stolen.
async fn city_with_a_stolen_bike(app: &App) {
    app.readers()
        .await
        .install_reader(as_role("iot-admin", reader("RD-LC-0001", "lucheng")))
        .await
        .unwrap();
    let mut ebikes = app.ebikes().await;
    ebikes
        .register_ebike(as_role("registration-clerk", registration(TAG)))
        .await
        .unwrap();
    ebikes
        .register_ebike(as_role("registration-clerk", registration(CLEAN_TAG)))
        .await
        .unwrap();
    ebikes
        .report_stolen(as_role("officer", theft(TAG)))
        .await
        .unwrap();
}

async fn wait_for<F: AsyncFnMut() -> bool>(what: &str, mut probe: F) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !probe().await {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the live read models have seen every event written so far.
async fn stolen_known(app: &App) {
    let head = app
        .store
        .head(&Context::parse("vehicle").unwrap())
        .await
        .unwrap();
    wait_for("the live view caught up", async || {
        let (_, metrics) = support::http_get(app.http, "/metrics").await;
        let prefix = "minsheng_subscription_position{consumer=\"vehicle-live\"} ";
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|position| position >= head.0)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stolen_bike_seen_by_a_reader_raises_one_hit_that_reaches_the_dispatch_console() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    city_with_a_stolen_bike(&app).await;
    stolen_known(&app).await;
    let mut watch = app
        .sightings()
        .await
        .watch_hits(as_role(
            "officer",
            pb::HitFilter {
                district: "lucheng".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();

    let before = events_in(&app).await;
    let base_station = futures::stream::iter(vec![
        sighting(TAG, "RD-LC-0001"),
        sighting(TAG, "RD-LC-0001"),
        sighting(CLEAN_TAG, "RD-LC-0001"),
        sighting(CLEAN_TAG, "RD-NOWHERE"),
    ]);
    let summary = app
        .sightings()
        .await
        .record_sightings(as_role("iot-reader", base_station))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            summary.received,
            summary.hits,
            summary.repeated,
            summary.counted,
            summary.refused
        ),
        (4, 1, 1, 1, 1),
        "{summary:?}"
    );
    assert!(
        summary.refusals[0].contains("unknown reader"),
        "{:?}",
        summary.refusals
    );
    assert_eq!(
        events_in(&app).await,
        before + 1,
        "one hit stored, nothing else"
    );

    let hit = tokio::time::timeout(Duration::from_secs(20), watch.next())
        .await
        .expect("the hit arrives")
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            hit.tag_id.as_str(),
            hit.reader_id.as_str(),
            hit.district.as_str()
        ),
        (TAG, "RD-LC-0001", "lucheng")
    );
    assert_eq!(hit.case_id, "WZ-2015-0001");

    let listed = app
        .sightings()
        .await
        .list_hits(as_role(
            "officer",
            pb::ListHitsRequest {
                district: "lucheng".into(),
                from: Some(prost_types::Timestamp {
                    seconds: now().seconds - 3600,
                    nanos: 0,
                }),
                to: Some(prost_types::Timestamp {
                    seconds: now().seconds + 3600,
                    nanos: 0,
                }),
                limit: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.hits.len(), 1);

    let bike = app
        .ebikes()
        .await
        .get_ebike(as_role(
            "officer",
            pb::GetEbikeRequest { tag_id: TAG.into() },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bike.status, pb::EbikeStatus::Stolen as i32);
    assert_eq!(bike.hits, 1);
    assert_eq!(bike.owner_phone_masked, "138****5678");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovered_bike_goes_back_to_its_owner_and_its_sightings_are_only_counted() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    city_with_a_stolen_bike(&app).await;
    let mut ebikes = app.ebikes().await;
    ebikes
        .record_recovery(as_role(
            "officer",
            pb::RecordRecoveryRequest {
                tag_id: TAG.into(),
                place: "a repair shop".into(),
            },
        ))
        .await
        .unwrap();
    ebikes
        .return_to_owner(as_role(
            "officer",
            pb::ReturnToOwnerRequest { tag_id: TAG.into() },
        ))
        .await
        .unwrap();
    let solved = ebikes
        .record_case_solved(as_role(
            "officer",
            pb::RecordCaseSolvedRequest {
                tag_id: TAG.into(),
                suspects: 2,
                theft_and_resale_ring: true,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(solved.version, 5);
    let again = ebikes
        .record_case_solved(as_role(
            "officer",
            pb::RecordCaseSolvedRequest {
                tag_id: TAG.into(),
                suspects: 2,
                theft_and_resale_ring: true,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);

    // Wait until the desk has seen the recovery, then a sighting is only counted.
    let mut counted = false;
    for _ in 0..100 {
        let summary = app
            .sightings()
            .await
            .record_sighting_batch(as_role(
                "iot-reader",
                pb::SightingBatch {
                    sightings: vec![sighting(TAG, "RD-LC-0001")],
                },
            ))
            .await
            .unwrap()
            .into_inner();
        if summary.counted == 1 {
            counted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(counted);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_may_do_only_its_part() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    let refused = app
        .ebikes()
        .await
        .register_ebike(as_role("iot-reader", registration(TAG)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let refused = app
        .sightings()
        .await
        .record_sighting_batch(as_role(
            "registration-clerk",
            pb::SightingBatch { sightings: vec![] },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let refused = app
        .ebikes()
        .await
        .report_stolen(as_role("registration-clerk", theft(TAG)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let refused = app
        .ebikes()
        .await
        .register_ebike(tonic::Request::new(registration(TAG)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_its_field_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    city_with_a_stolen_bike(&app).await;
    let before = events_in(&app).await;
    let clerk = |r| as_role("registration-clerk", r);
    let mut cases: Vec<(&str, pb::RegisterEbikeRequest)> = Vec::new();
    let with = |f: fn(&mut pb::RegisterEbikeRequest)| {
        let mut r = registration("E20000172211010218905BD9");
        f(&mut r);
        r
    };
    cases.push(("tag_id", with(|r| r.tag_id = "E2000017".into())));
    cases.push((
        "owner_resident_id",
        with(|r| r.owner_resident_id = "110105194912310021".into()),
    ));
    cases.push((
        "owner_resident_id",
        with(|r| r.owner_resident_id = "11010519490231002X".into()),
    ));
    cases.push(("owner_phone", with(|r| r.owner_phone = "2381234567".into())));
    cases.push(("frame_number", with(|r| r.frame_number = "fr".into())));
    cases.push(("motor_number", with(|r| r.motor_number = "x".repeat(300))));
    cases.push(("plate", with(|r| r.plate = "浙c12345".into())));
    cases.push(("district", with(|r| r.district = "hangzhou".into())));
    for (field, request) in cases {
        let refused = app
            .ebikes()
            .await
            .register_ebike(clerk(request))
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            Code::InvalidArgument,
            "{field}: {refused:?}"
        );
        assert!(refused.message().contains(field), "{field}: {refused:?}");
        assert!(
            !refused.message().contains("110105"),
            "never echoes a resident ID"
        );
    }
    let far = pb::InstallReaderRequest {
        latitude: 31.2,
        ..reader("RD-SH-0001", "lucheng")
    };
    let refused = app
        .readers()
        .await
        .install_reader(as_role("iot-admin", far))
        .await
        .unwrap_err();
    assert!(refused.message().contains("latitude"), "{refused:?}");
    let future = pb::ReportStolenRequest {
        stolen_at: Some(prost_types::Timestamp {
            seconds: now().seconds + 86_400,
            nanos: 0,
        }),
        ..theft(CLEAN_TAG)
    };
    let refused = app
        .ebikes()
        .await
        .report_stolen(as_role("officer", future))
        .await
        .unwrap_err();
    assert!(refused.message().contains("stolen_at"), "{refused:?}");
    let refused = app
        .ebikes()
        .await
        .report_stolen(with_request_id(
            as_role("officer", theft(CLEAN_TAG)),
            "bad id with spaces",
        ))
        .await
        .unwrap_err();
    assert!(refused.message().contains("x-request-id"), "{refused:?}");
    let unknown_room = pb::CheckInRequest {
        room_id: "nope".into(),
        tenant_resident_id: support::RESIDENT.into(),
    };
    let refused = app
        .rooms()
        .await
        .check_in(as_role("registration-clerk", unknown_room))
        .await
        .unwrap_err();
    assert!(refused.message().contains("room_id"), "{refused:?}");
    let batch = pb::SightingBatch {
        sightings: vec![sighting(TAG, "RD-LC-0001"); 10_001],
    };
    let refused = app
        .sightings()
        .await
        .record_sighting_batch(as_role("iot-reader", batch))
        .await
        .unwrap_err();
    assert!(refused.message().contains("sightings"), "{refused:?}");
    assert_eq!(events_in(&app).await, before, "nothing written");

    // Rules broken: the tag is taken; the stolen bike cannot be registered again.
    let taken = app
        .ebikes()
        .await
        .register_ebike(clerk(registration(CLEAN_TAG)))
        .await
        .unwrap_err();
    assert_eq!(taken.code(), Code::AlreadyExists);
    let stolen = app
        .ebikes()
        .await
        .register_ebike(clerk(registration(TAG)))
        .await
        .unwrap_err();
    assert_eq!(stolen.code(), Code::FailedPrecondition);
    assert_eq!(events_in(&app).await, before, "nothing written");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_and_rooms_keep_their_rules_and_a_retried_creation_is_one_creation() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    let issue = || {
        with_request_id(
            as_role(
                "registration-clerk",
                pb::IssueCardRequest {
                    resident_id: support::RESIDENT.into(),
                    phone: "13912345678".into(),
                    district: "ouhai".into(),
                    valid_until: Some(prost_types::Timestamp {
                        seconds: now().seconds + 86_400 * 365,
                        nanos: 0,
                    }),
                },
            ),
            "card-request-1",
        )
    };
    let first = app
        .cards()
        .await
        .issue_card(issue())
        .await
        .unwrap()
        .into_inner();
    let retried = app
        .cards()
        .await
        .issue_card(issue())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (first.id.clone(), first.version),
        (retried.id, retried.version)
    );
    app.cards()
        .await
        .move_out(as_role(
            "registration-clerk",
            pb::MoveOutRequest {
                card_id: first.id.clone(),
            },
        ))
        .await
        .unwrap();

    let room = app
        .rooms()
        .await
        .register_room(as_role(
            "registration-clerk",
            pb::RegisterRoomRequest {
                landlord_resident_id: support::RESIDENT.into(),
                address: "3F, 12 Wuma Street".into(),
                district: "lucheng".into(),
                capacity: 1,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let check_in = |tenant: &str| {
        as_role(
            "registration-clerk",
            pb::CheckInRequest {
                room_id: room.id.clone(),
                tenant_resident_id: tenant.into(),
            },
        )
    };
    app.rooms()
        .await
        .check_in(check_in(support::RESIDENT))
        .await
        .unwrap();
    let full = app
        .rooms()
        .await
        .check_in(check_in("110105195001010012"))
        .await;
    let full = full.unwrap_err();
    assert_eq!(full.code(), Code::FailedPrecondition, "{full:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_process_still_knows_the_stolen_bikes() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    city_with_a_stolen_bike(&app).await;
    app.stop().await;

    let app = spawn_embedded(dir.path()).await;
    let summary = app
        .sightings()
        .await
        .record_sighting_batch(as_role(
            "iot-reader",
            pb::SightingBatch {
                sightings: vec![sighting(TAG, "RD-LC-0001")],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summary.hits, 1, "rebuilt before ready: {summary:?}");
    app.stop().await;
}
