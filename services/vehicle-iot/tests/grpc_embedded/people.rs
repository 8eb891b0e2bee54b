//! Resident cards and rental rooms: their rules, and a retried creation
//! that stays one.

use minsheng_proto::vehicle::v1 as pb;
use tonic::Code;

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_and_rooms_keep_their_rules_and_a_retried_creation_is_one_creation() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    let issue = || {
        with_request_id(
            as_role(
                "registration-clerk",
                pb::IssueCardRequest {
                    resident_id: RESIDENT.into(),
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
                landlord_resident_id: RESIDENT.into(),
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
        .check_in(check_in(RESIDENT))
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
