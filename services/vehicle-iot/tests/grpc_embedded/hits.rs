//! Stolen bikes: a reader's sighting raises one hit for the console, a
//! recovered bike goes home, a restart forgets nothing.

use std::time::Duration;

use futures::StreamExt;
use minsheng_proto::vehicle::v1 as pb;
use minsheng_vehicle_iot::domain::ebike::EbikeRule;
use tonic::Code;

use super::support::*;

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

    // Once the desk has seen the recovery, a sighting is only counted.
    stolen_known(&app).await;
    let summary = seen_by(&app, TAG, "RD-LC-0001").await;
    assert_eq!((summary.counted, summary.hits), (1, 0), "{summary:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_process_still_knows_the_stolen_bikes() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    city_with_a_stolen_bike(&app).await;
    app.stop().await;

    let app = spawn_embedded(dir.path()).await;
    let summary = seen_by(&app, TAG, "RD-LC-0001").await;
    assert_eq!(summary.hits, 1, "rebuilt before ready: {summary:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stolen_bike_presented_under_a_new_tag_is_refused_and_the_attempt_goes_on_its_case() {
    const NEW_TAG: &str = "E20000172211010218905BD3";
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    city_with_a_stolen_bike(&app).await;
    stolen_known(&app).await;

    // The stolen bike's frame, on a fresh card, registered by a buyer.
    let stolen = registration(TAG);
    let resold = pb::RegisterEbikeRequest {
        tag_id: NEW_TAG.into(),
        owner_resident_id: "330302199001011235".into(),
        motor_number: "MOTOR000777".into(),
        district: "ouhai".into(),
        ..stolen.clone()
    };
    for attempt in 0..2 {
        let refused = app
            .ebikes()
            .await
            .register_ebike(with_request_id(
                as_role("registration-clerk", resold.clone()),
                "resale-1",
            ))
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            Code::FailedPrecondition,
            "attempt {attempt}"
        );
        assert_eq!(
            refused.message(),
            EbikeRule::NumbersOfAStolenBike.to_string(),
            "{refused:?}"
        );
    }
    let not_registered = app
        .ebikes()
        .await
        .get_ebike(as_role(
            "officer",
            pb::GetEbikeRequest {
                tag_id: NEW_TAG.into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(not_registered.code(), Code::NotFound);

    // One lead on the stolen bike (the retry with the same request id adds
    // none), naming the new tag and a person key, never the resident ID.
    let stream = minsheng_eventstore::StreamName::parse(&format!("vehicle.ebike.{TAG}")).unwrap();
    let history = app.store.read_stream(&stream, 1, 100).await.unwrap();
    let leads: Vec<_> = history
        .iter()
        .filter(|e| e.event_type == "vehicle.StolenEbikePresented")
        .collect();
    assert_eq!(leads.len(), 1, "{history:?}");
    let payload = leads[0].payload.to_string();
    assert!(
        payload.contains(NEW_TAG) && payload.contains("ouhai"),
        "{payload}"
    );
    assert!(!payload.contains("330302199001011235"), "{payload}");

    // A bike with numbers of its own is registered as ever.
    app.ebikes()
        .await
        .register_ebike(as_role("registration-clerk", registration(NEW_TAG)))
        .await
        .unwrap();
    app.stop().await;
}
