//! What ends and what goes on: a deregistered bike frees its tag, a
//! retired reader's sightings are refused, a renewed card runs to its new
//! date, a tenant who checked out leaves room for another.

use minsheng_proto::vehicle::v1 as pb;
use tonic::Code;

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deregistered_bike_frees_its_tag_for_a_new_bike() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    let mut ebikes = app.ebikes().await;
    ebikes
        .register_ebike(as_role("registration-clerk", registration(CLEAN_TAG)))
        .await
        .unwrap();
    let taken = ebikes
        .register_ebike(as_role("registration-clerk", registration(CLEAN_TAG)))
        .await
        .unwrap_err();
    assert_eq!(taken.code(), Code::AlreadyExists, "{taken:?}");

    ebikes
        .deregister_ebike(as_role(
            "registration-clerk",
            pb::DeregisterEbikeRequest {
                tag_id: CLEAN_TAG.into(),
                reason: "scrapped".into(),
            },
        ))
        .await
        .unwrap();
    let gone = ebikes
        .get_ebike(as_role(
            "officer",
            pb::GetEbikeRequest {
                tag_id: CLEAN_TAG.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(gone.status(), pb::EbikeStatus::Deregistered);

    let mut next = registration(CLEAN_TAG);
    next.frame_number = "FRNEW0001".into();
    next.motor_number = "MONEW0001".into();
    ebikes
        .register_ebike(as_role("registration-clerk", next))
        .await
        .unwrap();
    let carried = ebikes
        .get_ebike(as_role(
            "officer",
            pb::GetEbikeRequest {
                tag_id: CLEAN_TAG.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (carried.status(), carried.frame_number.as_str()),
        (pb::EbikeStatus::Registered, "FRNEW0001")
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_readers_sightings_are_refused_and_its_id_is_not_used_again() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    city_with_a_stolen_bike(&app).await;
    app.readers()
        .await
        .retire_reader(as_role(
            "iot-admin",
            pb::RetireReaderRequest {
                reader_id: "RD-LC-0001".into(),
            },
        ))
        .await
        .unwrap();
    stolen_known(&app).await;
    let before = events_in(&app).await;
    let summary = seen_by(&app, TAG, "RD-LC-0001").await;
    assert_eq!((summary.refused, summary.hits), (1, 0), "{summary:?}");
    assert_eq!(events_in(&app).await, before, "no hit recorded");

    let reinstalled = app
        .readers()
        .await
        .install_reader(as_role("iot-admin", reader("RD-LC-0001", "lucheng")))
        .await
        .unwrap_err();
    assert_eq!(reinstalled.code(), Code::FailedPrecondition);
    assert!(reinstalled.message().contains("retired"), "{reinstalled:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_is_renewed_only_to_a_later_date_and_a_checked_out_tenant_frees_the_room() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    let in_days = |days: i64| prost_types::Timestamp {
        seconds: now().seconds + 86_400 * days,
        nanos: 0,
    };
    let card = app
        .cards()
        .await
        .issue_card(as_role(
            "registration-clerk",
            pb::IssueCardRequest {
                resident_id: RESIDENT.into(),
                phone: "13912345678".into(),
                district: "ouhai".into(),
                valid_until: Some(in_days(365)),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let renew = |days: i64| {
        as_role(
            "registration-clerk",
            pb::RenewCardRequest {
                card_id: card.id.clone(),
                valid_until: Some(in_days(days)),
            },
        )
    };
    let renewed = app.cards().await.renew_card(renew(730)).await.unwrap();
    assert_eq!(renewed.into_inner().version, card.version + 1);
    let earlier = app.cards().await.renew_card(renew(400)).await.unwrap_err();
    assert_eq!(earlier.code(), Code::FailedPrecondition, "{earlier:?}");

    let room = app
        .rooms()
        .await
        .register_room(as_role(
            "registration-clerk",
            pb::RegisterRoomRequest {
                landlord_resident_id: RESIDENT.into(),
                address: "3F, 12 Wuma Street".into(),
                district: "lucheng".into(),
                capacity: 1,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let tenant = |who: &str| (room.id.clone(), who.to_owned());
    let (first, second) = (tenant("110105195001010012"), tenant("11010519491231002X"));
    let mut rooms = app.rooms().await;
    rooms
        .check_in(as_role(
            "registration-clerk",
            pb::CheckInRequest {
                room_id: first.0.clone(),
                tenant_resident_id: first.1.clone(),
            },
        ))
        .await
        .unwrap();
    rooms
        .check_out(as_role(
            "registration-clerk",
            pb::CheckOutRequest {
                room_id: first.0.clone(),
                tenant_resident_id: first.1.clone(),
            },
        ))
        .await
        .unwrap();
    let not_in = rooms
        .check_out(as_role(
            "registration-clerk",
            pb::CheckOutRequest {
                room_id: first.0,
                tenant_resident_id: first.1,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(not_in.code(), Code::FailedPrecondition, "{not_in:?}");
    rooms
        .check_in(as_role(
            "registration-clerk",
            pb::CheckInRequest {
                room_id: second.0,
                tenant_resident_id: second.1,
            },
        ))
        .await
        .expect("the room has space again");
    app.stop().await;
}
