//! An e-bike's life: registered, stolen, sighted, recovered, returned.

use super::*;
use minsheng_contracts::vehicle::{EbikeReportedStolen, StolenEbikePresented};

#[test]
fn a_stolen_bike_seen_by_a_reader_raises_a_hit_and_a_registered_one_does_not() {
    let (_, outcome) = bike_after(&[EbikeCommand::Register(registration()), sighting()]);
    assert_eq!(outcome, Ok(vec![]), "only counted");
    let (bike, outcome) =
        bike_after(&[EbikeCommand::Register(registration()), stolen(), sighting()]);
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [VehicleEvent::StolenEbikeSighted(_)]
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
fn a_theft_report_carries_the_bikes_frame_and_motor_numbers() {
    let (_, outcome) = bike_after(&[EbikeCommand::Register(registration()), stolen()]);
    let events = outcome.unwrap();
    let [
        VehicleEvent::EbikeReportedStolen(EbikeReportedStolen {
            frame_number,
            motor_number,
            ..
        }),
    ] = events.as_slice()
    else {
        panic!("one theft report")
    };
    assert_eq!(
        (frame_number.as_str(), motor_number.as_str()),
        ("FRAME123456", "MOTOR654321")
    );
}

#[test]
fn a_presentation_of_a_stolen_bike_is_recorded_only_while_it_is_stolen() {
    let presented = EbikeCommand::RecordPresentation {
        presented_by: PersonKey::from_hash("1e".repeat(16)),
        on_tag: OTHER_TAG.into(),
        district: District::parse("district", "ouhai").unwrap(),
        presented_at: now(),
    };
    let (_, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        presented.clone(),
    ]);
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [VehicleEvent::StolenEbikePresented(StolenEbikePresented { on_tag, .. })] if on_tag == OTHER_TAG
    ));
    let (_, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        recovered(),
        presented,
    ]);
    assert_eq!(outcome, Err(EbikeRule::NotStolen));
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
