//! A stolen flag cannot be used to follow someone: an officer's report is
//! put to the owner, an owner reports through their gateway, and a report
//! the owner disputes or leaves unanswered goes to review, where its
//! bike's sightings are no longer shown as hits.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use minsheng_proto::vehicle::v1 as pb;
use tonic::Code;

use super::support::*;
use minsheng_testkit::eventually;

const GATEWAY: &str = "owner-gateway";
/// A resident who owns no bike here.
const SOMEONE_ELSE: &str = "110105198001010016";

fn at(time: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: 0,
    }
}

fn answer(owner: &str) -> pb::OwnerAnswer {
    pb::OwnerAnswer {
        tag_id: TAG.into(),
        owner_resident_id: owner.into(),
    }
}

fn owners_report(owner: &str) -> pb::ReportStolenRequest {
    pb::ReportStolenRequest {
        case_id: String::new(),
        owner_resident_id: owner.into(),
        ..theft(TAG)
    }
}

/// A reader in Lucheng and the bike on [`TAG`], registered to [`RESIDENT`].
async fn a_registered_bike(app: &App) {
    app.readers()
        .await
        .install_reader(as_role("iot-admin", reader("RD-LC-0001", "lucheng")))
        .await
        .unwrap();
    app.ebikes()
        .await
        .register_ebike(as_role("registration-clerk", registration(TAG)))
        .await
        .unwrap();
}

async fn bike(app: &App) -> pb::Ebike {
    app.ebikes()
        .await
        .get_ebike(as_role(
            "officer",
            pb::GetEbikeRequest { tag_id: TAG.into() },
        ))
        .await
        .unwrap()
        .into_inner()
}

/// Waits until the bike's report stands as `expected` (a deadline fires
/// on its own task).
async fn confirmation_becomes(app: &App, expected: pb::TheftConfirmation) -> pb::Ebike {
    eventually(&format!("the report became {expected:?}"), async || {
        bike(app).await.theft_confirmation() == expected
    })
    .await;
    bike(app).await
}

/// The bike's owner confirms its theft report through the gateway.
async fn the_owner_confirms(app: &App) {
    app.ebikes()
        .await
        .confirm_theft_report(as_role(GATEWAY, answer(RESIDENT)))
        .await
        .unwrap();
}

/// The theft reports under review, as the data-protection officer lists them.
async fn under_review(app: &App) -> Vec<pb::TheftReview> {
    app.ebikes()
        .await
        .list_theft_reviews(as_role(
            "data-protection-officer",
            pb::ListTheftReviewsRequest { limit: 0 },
        ))
        .await
        .unwrap()
        .into_inner()
        .reviews
}

/// The hits shown to officers, for the whole test's span.
async fn hits_shown(app: &App, around: chrono::DateTime<chrono::Utc>) -> usize {
    app.sightings()
        .await
        .list_hits(as_role(
            "officer",
            pb::ListHitsRequest {
                district: String::new(),
                from: Some(at(around - chrono::Duration::days(10))),
                to: Some(at(around + chrono::Duration::days(10))),
                limit: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .hits
        .len()
}

async fn seen_at(app: &App, time: chrono::DateTime<chrono::Utc>) -> pb::SightingSummary {
    app.sightings()
        .await
        .record_sighting_batch(as_role(
            "iot-reader",
            pb::SightingBatch {
                sightings: vec![pb::Sighting {
                    tag_id: TAG.into(),
                    reader_id: "RD-LC-0001".into(),
                    seen_at: Some(at(time)),
                }],
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officers_report_reaches_the_owner_through_the_gateway_and_the_owner_confirms_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    a_registered_bike(&app).await;
    let mut notices = app
        .ebikes()
        .await
        .watch_owner_notices(as_role(
            GATEWAY,
            pb::WatchOwnerNoticesRequest {
                district: "lucheng".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();

    app.ebikes()
        .await
        .report_stolen(as_role("officer", theft(TAG)))
        .await
        .unwrap();
    let notice = tokio::time::timeout(Duration::from_secs(20), notices.next())
        .await
        .expect("the owner is notified")
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            notice.tag_id.as_str(),
            notice.case_id.as_str(),
            notice.plate.as_str(),
            notice.owner_phone.as_str(),
        ),
        (TAG, "WZ-2015-0001", "浙C12345", "13812345678"),
        "what the gateway needs to reach the owner"
    );
    let reported = bike(&app).await;
    assert_eq!(
        reported.theft_confirmation(),
        pb::TheftConfirmation::AwaitingOwner
    );

    // A gateway that connects later is told of the report still waiting.
    let waiting = app
        .ebikes()
        .await
        .watch_owner_notices(as_role(GATEWAY, pb::WatchOwnerNoticesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .next()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(waiting.case_id, "WZ-2015-0001");

    let not_theirs = app
        .ebikes()
        .await
        .confirm_theft_report(as_role(GATEWAY, answer(SOMEONE_ELSE)))
        .await
        .unwrap_err();
    assert_eq!(not_theirs.code(), Code::FailedPrecondition);
    assert!(not_theirs.message().contains("owner"), "{not_theirs:?}");
    assert_eq!(
        bike(&app).await.version,
        reported.version,
        "nothing written"
    );

    the_owner_confirms(&app).await;
    assert_eq!(
        bike(&app).await.theft_confirmation(),
        pb::TheftConfirmation::ByOwner
    );
    let twice = app
        .ebikes()
        .await
        .confirm_theft_report(as_role(GATEWAY, answer(RESIDENT)))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition, "{twice:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_reports_their_own_bike_through_the_gateway_and_no_one_else_can() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    a_registered_bike(&app).await;
    let before = bike(&app).await.version;

    let someone_else = app
        .ebikes()
        .await
        .report_stolen(as_role(GATEWAY, owners_report(SOMEONE_ELSE)))
        .await
        .unwrap_err();
    assert_eq!(someone_else.code(), Code::FailedPrecondition);
    // An officer cannot say they are the owner; a gateway must name one.
    let officer_as_owner = app
        .ebikes()
        .await
        .report_stolen(as_role("officer", owners_report(RESIDENT)))
        .await
        .unwrap_err();
    assert_eq!(officer_as_owner.code(), Code::InvalidArgument);
    assert!(officer_as_owner.message().contains("owner_resident_id"));
    let nobody_named = app
        .ebikes()
        .await
        .report_stolen(as_role(GATEWAY, theft(TAG)))
        .await
        .unwrap_err();
    assert_eq!(nobody_named.code(), Code::InvalidArgument);
    assert!(nobody_named.message().contains("owner_resident_id"));
    assert_eq!(bike(&app).await.version, before, "nothing written");

    app.ebikes()
        .await
        .report_stolen(as_role(GATEWAY, owners_report(RESIDENT)))
        .await
        .unwrap();
    let stolen = bike(&app).await;
    assert_eq!(stolen.theft_confirmation(), pb::TheftConfirmation::ByOwner);
    assert!(
        stolen.case_id.starts_with('R') && stolen.case_id.ends_with(TAG),
        "the case numbered for the owner: {}",
        stolen.case_id
    );
    caught_up(&app).await;
    let summary = seen_by(&app, TAG, "RD-LC-0001").await;
    assert_eq!(summary.hits, 1, "{summary:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_its_owner_leaves_unanswered_goes_to_review_and_its_sightings_are_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    let start = chrono::Utc::now();
    let clock = ManualClock::starting_at(start);
    let app = spawn_embedded_on_clock(dir.path(), Arc::new(clock.clone())).await;
    a_registered_bike(&app).await;
    app.ebikes()
        .await
        .report_stolen(as_role("officer", theft(TAG)))
        .await
        .unwrap();
    caught_up(&app).await;
    // While the owner may still answer, a sighting is a hit.
    assert_eq!(seen_at(&app, start).await.hits, 1);
    caught_up(&app).await;
    assert_eq!(hits_shown(&app, start).await, 1);

    clock.advance(chrono::Duration::hours(47));
    assert_eq!(
        bike(&app).await.theft_confirmation(),
        pb::TheftConfirmation::AwaitingOwner,
        "not yet due"
    );
    clock.advance(chrono::Duration::hours(1));
    confirmation_becomes(&app, pb::TheftConfirmation::UnderReview).await;
    caught_up(&app).await;
    let reviews = under_review(&app).await;
    assert_eq!(reviews.len(), 1);
    assert_eq!(
        (
            reviews[0].tag_id.as_str(),
            reviews[0].reason(),
            reviews[0].reported_by.as_str()
        ),
        (TAG, pb::ReviewReason::NotConfirmedInTime, "officer-1")
    );

    // Under review: the sighting is recorded, not shown.
    let later = start + chrono::Duration::hours(48);
    assert_eq!(
        seen_at(&app, later).await.hits,
        1,
        "recorded for the review"
    );
    caught_up(&app).await;
    assert_eq!(
        hits_shown(&app, start).await,
        1,
        "the new sighting is withheld"
    );

    // The owner confirms late: the bike's sightings are hits again.
    the_owner_confirms(&app).await;
    caught_up(&app).await;
    clock.advance(chrono::Duration::hours(1));
    seen_at(&app, later + chrono::Duration::hours(1)).await;
    caught_up(&app).await;
    assert_eq!(hits_shown(&app, start).await, 2);
    let reviews = under_review(&app).await;
    assert!(reviews.is_empty(), "{reviews:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_who_says_the_bike_is_not_stolen_sends_the_report_to_review() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_embedded(dir.path()).await;
    a_registered_bike(&app).await;
    app.ebikes()
        .await
        .report_stolen(as_role("officer", theft(TAG)))
        .await
        .unwrap();
    app.ebikes()
        .await
        .dispute_theft_report(as_role(GATEWAY, answer(RESIDENT)))
        .await
        .unwrap();
    assert_eq!(
        bike(&app).await.theft_confirmation(),
        pb::TheftConfirmation::UnderReview
    );
    caught_up(&app).await;
    let reviews = under_review(&app).await;
    assert_eq!(reviews[0].reason(), pb::ReviewReason::DisputedByOwner);
    assert_eq!(seen_by(&app, TAG, "RD-LC-0001").await.hits, 1, "recorded");
    caught_up(&app).await;
    assert_eq!(hits_shown(&app, chrono::Utc::now()).await, 0, "not shown");
    app.stop().await;
}
