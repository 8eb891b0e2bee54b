//! The vehicle-iot rules, as the bureau would state them.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use minsheng_eventstore::Aggregate;
use minsheng_vehicle_iot::domain::card::{CardCommand, CardRule, ResidentCard};
use minsheng_vehicle_iot::domain::ebike::{
    Ebike, EbikeCommand, EbikeRule, EbikeStatus, Registration,
};
use minsheng_vehicle_iot::domain::events::VehicleEvent;
use minsheng_vehicle_iot::domain::reader::{Reader, ReaderCommand, ReaderRule};
use minsheng_vehicle_iot::domain::room::{RentalRoom, RoomCommand, RoomRule};
use minsheng_vehicle_iot::domain::sighting::{SightingDesk, SightingRefusal, Verdict};
use minsheng_vehicle_iot::domain::values::{District, Location, PersonKey, Phone, Text};
use proptest::prelude::*;

const TAG: &str = "E20000172211010218905BD1";
const OTHER_TAG: &str = "E20000172211010218905BD2";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 6, 1, 9, 0, 0).unwrap()
}

fn registration() -> Registration {
    Registration {
        owner: PersonKey::from_hash("0f".repeat(16)),
        owner_phone: Phone::parse("owner_phone", "13812345678").unwrap(),
        frame_number: "FRAME123456".into(),
        motor_number: "MOTOR654321".into(),
        plate: "浙C12345".into(),
        district: District::parse("district", "lucheng").unwrap(),
    }
}

fn text(s: &str) -> Text {
    Text::parse("place", s).unwrap()
}

/// Runs commands against a bike, applying what each decides; returns the
/// bike and the outcome of the last command.
fn bike_after(commands: &[EbikeCommand]) -> (Ebike, Result<Vec<VehicleEvent>, EbikeRule>) {
    let mut bike = Ebike::default();
    let mut last = Ok(Vec::new());
    for command in commands {
        last = bike.decide(command);
        if let Ok(events) = &last {
            events.iter().for_each(|e| bike.apply(e));
        }
    }
    (bike, last)
}

fn stolen() -> EbikeCommand {
    EbikeCommand::ReportStolen {
        case_id: "WZ-2015-0001".into(),
        stolen_at: now(),
        place: text("outside the Lucheng night market"),
    }
}

fn sighting() -> EbikeCommand {
    EbikeCommand::RecordSighting {
        reader_id: "RD-LC-0001".into(),
        district: District::parse("district", "lucheng").unwrap(),
        location: Location::parse(28.0, 120.65).unwrap(),
        seen_at: now(),
    }
}

fn recovered() -> EbikeCommand {
    EbikeCommand::RecordRecovery {
        officer: "officer-7".into(),
        place: text("a repair shop in Ouhai"),
    }
}

#[test]
fn a_stolen_bike_seen_by_a_reader_raises_a_hit_and_a_registered_one_does_not() {
    let (_, outcome) = bike_after(&[EbikeCommand::Register(registration()), sighting()]);
    assert_eq!(outcome, Ok(vec![]), "only counted");
    let (bike, outcome) =
        bike_after(&[EbikeCommand::Register(registration()), stolen(), sighting()]);
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [VehicleEvent::StolenEbikeSighted { .. }]
    ));
    assert_eq!(bike.hits, 1);
}

#[test]
fn a_recovered_bike_is_no_longer_stolen_and_its_sighting_is_only_counted() {
    let (bike, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        recovered(),
        sighting(),
    ]);
    assert_eq!(bike.status, EbikeStatus::Recovered);
    assert_eq!(outcome, Ok(vec![]));
}

#[test]
fn one_tag_belongs_to_one_live_bike() {
    let (_, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        EbikeCommand::Register(registration()),
    ]);
    assert_eq!(outcome, Err(EbikeRule::TagInUse));
    let deregister = EbikeCommand::Deregister {
        reason: text("scrapped"),
    };
    let (bike, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        deregister,
        EbikeCommand::Register(registration()),
    ]);
    assert!(outcome.is_ok(), "a deregistered tag may carry a new bike");
    assert_eq!(bike.status, EbikeStatus::Registered);
}

#[test]
fn a_stolen_bike_cannot_be_registered_again_nor_deregistered() {
    let (_, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        EbikeCommand::Register(registration()),
    ]);
    assert_eq!(outcome, Err(EbikeRule::StolenCannotBeReRegistered));
    let (_, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        EbikeCommand::Deregister {
            reason: text("gone"),
        },
    ]);
    assert_eq!(outcome, Err(EbikeRule::AlreadyStolen));
}

#[test]
fn a_bike_goes_back_to_its_owner_only_after_recovery_and_its_case_is_solved_once() {
    let (_, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        EbikeCommand::ReturnToOwner,
    ]);
    assert_eq!(outcome, Err(EbikeRule::NotRecovered));
    let solved = EbikeCommand::RecordCaseSolved {
        suspects: 2,
        theft_and_resale_ring: true,
    };
    let (bike, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        recovered(),
        EbikeCommand::ReturnToOwner,
        solved.clone(),
    ]);
    assert!(outcome.is_ok());
    assert_eq!(bike.status, EbikeStatus::Registered);
    let (_, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        solved.clone(),
        solved,
    ]);
    assert_eq!(outcome, Err(EbikeRule::CaseAlreadySolved));
    let (_, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        EbikeCommand::RecordCaseSolved {
            suspects: 1,
            theft_and_resale_ring: false,
        },
    ]);
    assert_eq!(outcome, Err(EbikeRule::NoCase));
}

#[test]
fn readers_are_installed_once_and_not_brought_back_once_retired() {
    let mut reader = Reader::default();
    let install = ReaderCommand::Install {
        location: Location::parse(28.0, 120.65).unwrap(),
        district: District::parse("district", "lucheng").unwrap(),
    };
    assert_eq!(
        reader.decide(&ReaderCommand::Retire),
        Err(ReaderRule::NotInstalled)
    );
    reader
        .decide(&install)
        .unwrap()
        .iter()
        .for_each(|e| reader.apply(e));
    assert_eq!(reader.decide(&install), Err(ReaderRule::AlreadyInstalled));
    reader
        .decide(&ReaderCommand::Retire)
        .unwrap()
        .iter()
        .for_each(|e| reader.apply(e));
    assert_eq!(reader.decide(&install), Err(ReaderRule::Retired));
}

#[test]
fn a_room_holds_at_most_its_declared_capacity() {
    let mut room = RentalRoom::default();
    let register = RoomCommand::Register {
        landlord: PersonKey::from_hash("aa".repeat(16)),
        address: text("3F, 12 Wuma Street"),
        district: District::parse("district", "lucheng").unwrap(),
        capacity: 2,
    };
    room.decide(&register)
        .unwrap()
        .iter()
        .for_each(|e| room.apply(e));
    for n in 0..2 {
        let tenant = PersonKey::from_hash(format!("{n:032x}"));
        room.decide(&RoomCommand::CheckIn(tenant))
            .unwrap()
            .iter()
            .for_each(|e| room.apply(e));
    }
    let third = PersonKey::from_hash(format!("{:032x}", 3));
    assert_eq!(
        room.decide(&RoomCommand::CheckIn(third.clone())),
        Err(RoomRule::Full)
    );
    assert_eq!(
        room.decide(&RoomCommand::CheckOut(third)),
        Err(RoomRule::NotIn)
    );
    let first = PersonKey::from_hash(format!("{:032x}", 0));
    room.decide(&RoomCommand::CheckOut(first))
        .unwrap()
        .iter()
        .for_each(|e| room.apply(e));
    let third = PersonKey::from_hash(format!("{:032x}", 3));
    assert!(
        room.decide(&RoomCommand::CheckIn(third)).is_ok(),
        "room again"
    );
}

#[test]
fn a_card_is_renewed_only_to_a_later_date_and_not_after_moving_out() {
    let mut card = ResidentCard::default();
    let issue = CardCommand::Issue {
        holder: PersonKey::from_hash("bb".repeat(16)),
        phone: Phone::parse("phone", "13912345678").unwrap(),
        district: District::parse("district", "ouhai").unwrap(),
        valid_until: now() + Duration::days(365),
        now: now(),
    };
    card.decide(&issue)
        .unwrap()
        .iter()
        .for_each(|e| card.apply(e));
    let earlier = CardCommand::Renew {
        valid_until: now() + Duration::days(100),
    };
    assert_eq!(card.decide(&earlier), Err(CardRule::ValidityNotLater));
    card.decide(&CardCommand::MoveOut)
        .unwrap()
        .iter()
        .for_each(|e| card.apply(e));
    let later = CardCommand::Renew {
        valid_until: now() + Duration::days(700),
    };
    assert_eq!(card.decide(&later), Err(CardRule::MovedOut));
}

// ------------------------------------------------------------ the sighting desk

fn desk() -> SightingDesk {
    let mut desk = SightingDesk::new(Duration::minutes(5));
    desk.apply(
        "RD-LC-0001",
        &VehicleEvent::ReaderInstalled {
            location: Location::parse(28.0, 120.65).unwrap(),
            district: District::parse("district", "lucheng").unwrap(),
        },
    );
    desk.apply(
        "RD-LC-0002",
        &VehicleEvent::ReaderInstalled {
            location: Location::parse(28.01, 120.66).unwrap(),
            district: District::parse("district", "lucheng").unwrap(),
        },
    );
    desk.apply(
        TAG,
        &VehicleEvent::EbikeReportedStolen {
            case_id: "WZ-2015-0001".into(),
            stolen_at: now(),
            place: text("a car park"),
        },
    );
    desk
}

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
        &VehicleEvent::EbikeRecovered {
            officer: "officer-7".into(),
            place: text("Ouhai"),
        },
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

// ------------------------------------------------------------ properties

fn any_command() -> impl Strategy<Value = EbikeCommand> {
    prop_oneof![
        Just(EbikeCommand::Register(registration())),
        Just(stolen()),
        Just(sighting()),
        Just(recovered()),
        Just(EbikeCommand::ReturnToOwner),
        (0u32..5, any::<bool>()).prop_map(|(suspects, ring)| EbikeCommand::RecordCaseSolved {
            suspects,
            theft_and_resale_ring: ring
        }),
        Just(EbikeCommand::Deregister {
            reason: text("scrapped")
        }),
    ]
}

proptest! {
    /// Whatever officers and readers do, a bike's history stays coherent:
    /// its version only grows, it is never stolen and recovered at once, hits
    /// happen only while stolen, and the desk's stolen list agrees with the
    /// bike.
    #[test]
    fn any_sequence_of_commands_keeps_a_bike_coherent(commands in prop::collection::vec(any_command(), 0..40)) {
        let mut bike = Ebike::default();
        let mut desk = desk();
        desk.apply(TAG, &VehicleEvent::EbikeRecovered { officer: "x".into(), place: text("reset") });
        let mut version = 0u64;
        let tag = minsheng_vehicle_iot::domain::values::TagId::parse("tag", TAG).unwrap();
        for command in &commands {
            let before = bike.status;
            if let Ok(events) = bike.decide(command) {
                for event in &events {
                    if matches!(event, VehicleEvent::StolenEbikeSighted { .. }) {
                        prop_assert_eq!(before, EbikeStatus::Stolen);
                    }
                    bike.apply(event);
                    desk.apply(TAG, event);
                    let next = version + 1;
                    prop_assert!(next > version);
                    version = next;
                }
            }
            let stolen = bike.status == EbikeStatus::Stolen;
            prop_assert_eq!(desk.is_stolen(tag), stolen);
            prop_assert!(!(stolen && bike.status == EbikeStatus::Recovered));
        }
    }
}
