//! Wrong callers and bad input: refused naming the field, nothing written.

use minsheng_proto::vehicle::v1 as pb;
use tonic::Code;

use super::support::*;

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
        tenant_resident_id: RESIDENT.into(),
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
