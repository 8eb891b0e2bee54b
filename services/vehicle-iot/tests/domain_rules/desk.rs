//! The sighting desk: hits, counts, refusals, and stolen bikes' numbers.

use super::*;
use minsheng_contracts::vehicle::EbikeRecovered;

#[test]
fn a_stolen_tag_at_a_reader_is_one_hit_and_a_second_sighting_within_the_window_is_not() {
    let mut desk = desk();
    let first = desk.classify(TAG, "RD-LC-0001", now(), now()).unwrap();
    assert!(matches!(first, Verdict::Hit(ref hit) if hit.reader_id == "RD-LC-0001"));
    let again = desk.classify(
        TAG,
        "RD-LC-0001",
        now() + Duration::minutes(4),
        now() + Duration::minutes(4),
    );
    assert_eq!(again, Ok(Verdict::Repeated));
    let elsewhere = desk.classify(
        TAG,
        "RD-LC-0002",
        now() + Duration::minutes(4),
        now() + Duration::minutes(4),
    );
    assert!(
        matches!(elsewhere, Ok(Verdict::Hit(_))),
        "another reader is another hit"
    );
    let later = desk.classify(
        TAG,
        "RD-LC-0001",
        now() + Duration::minutes(6),
        now() + Duration::minutes(6),
    );
    assert!(
        matches!(later, Ok(Verdict::Hit(_))),
        "after the window, a new hit"
    );
}

#[test]
fn a_bike_not_stolen_is_only_counted_per_reader_and_minute() {
    let mut desk = desk();
    for s in 0..3 {
        let at = now() + Duration::seconds(s);
        assert_eq!(
            desk.classify(OTHER_TAG, "RD-LC-0001", at, at),
            Ok(Verdict::Counted)
        );
    }
    assert_eq!(desk.reader_activity("RD-LC-0001"), Some((3, 0)));
    let next_minute = now() + Duration::seconds(61);
    desk.classify(OTHER_TAG, "RD-LC-0001", next_minute, next_minute)
        .unwrap();
    assert_eq!(desk.reader_activity("RD-LC-0001"), Some((1, 3)));
}

#[test]
fn a_recovered_bike_seen_again_is_only_counted() {
    let mut desk = desk();
    desk.apply(
        TAG,
        &VehicleEvent::EbikeRecovered(EbikeRecovered {
            officer: "officer-7".into(),
            place: text("Ouhai"),
        }),
    );
    assert_eq!(
        desk.classify(TAG, "RD-LC-0001", now(), now()),
        Ok(Verdict::Counted)
    );
}

#[test]
fn unknown_and_retired_readers_bad_tags_and_odd_times_are_refused() {
    let mut desk = desk();
    assert_eq!(
        desk.classify(TAG, "RD-NOWHERE", now(), now()),
        Err(SightingRefusal::UnknownReader)
    );
    desk.apply("RD-LC-0002", &VehicleEvent::ReaderRetired {});
    assert_eq!(
        desk.classify(TAG, "RD-LC-0002", now(), now()),
        Err(SightingRefusal::RetiredReader)
    );
    let bad_tag = desk.classify("not-a-tag", "RD-LC-0001", now(), now());
    assert!(matches!(bad_tag, Err(SightingRefusal::Invalid(ref f)) if f.field == "tag_id"));
    let future = desk.classify(TAG, "RD-LC-0001", now() + Duration::hours(1), now());
    assert!(matches!(future, Err(SightingRefusal::Invalid(ref f)) if f.field == "seen_at"));
    let stale = desk.classify(TAG, "RD-LC-0001", now() - Duration::hours(25), now());
    assert_eq!(stale, Err(SightingRefusal::TooOld));
}

#[test]
fn the_desk_knows_a_stolen_bike_by_its_frame_or_motor_number_until_it_is_recovered() {
    let mut desk = desk();
    let tag = TagId::parse("tag_id", TAG).unwrap();
    assert_eq!(
        desk.stolen_bike_numbered("FRAME123456", "MOTOR000000"),
        Some(tag),
        "the frame"
    );
    assert_eq!(
        desk.stolen_bike_numbered("FRAME000000", "MOTOR654321"),
        Some(tag),
        "the motor"
    );
    assert_eq!(
        desk.stolen_bike_numbered("MOTOR654321", "FRAME123456"),
        None,
        "a frame number is not a motor number"
    );
    desk.apply(
        TAG,
        &VehicleEvent::EbikeRecovered(EbikeRecovered {
            officer: "officer-7".into(),
            place: text("Ouhai"),
        }),
    );
    assert_eq!(
        desk.stolen_bike_numbered("FRAME123456", "MOTOR654321"),
        None
    );
}

#[test]
fn a_theft_reported_before_the_numbers_were_recorded_matches_no_number() {
    let old_report = serde_json::json!({
        "type": "EbikeReportedStolen",
        "data": {"case_id": "WZ-2014-0001", "stolen_at": "2014-06-01T09:00:00Z", "place": "a car park"}
    });
    let event: VehicleEvent = serde_json::from_value(old_report).unwrap();
    let mut desk = SightingDesk::new(Duration::minutes(5));
    desk.apply(OTHER_TAG, &event);
    assert!(desk.is_stolen(TagId::parse("tag_id", OTHER_TAG).unwrap()));
    assert_eq!(desk.stolen_bike_numbered("", ""), None);
}

#[test]
fn a_hit_that_could_not_be_recorded_is_raised_again() {
    let mut desk = desk();
    let Ok(Verdict::Hit(hit)) = desk.classify(TAG, "RD-LC-0001", now(), now()) else {
        panic!("a hit")
    };
    desk.forget_hit(&hit);
    assert!(matches!(
        desk.classify(TAG, "RD-LC-0001", now(), now()),
        Ok(Verdict::Hit(_))
    ));
}
