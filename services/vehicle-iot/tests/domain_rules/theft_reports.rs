//! Who may flag a bike stolen, and its owner's answer.

use super::*;

fn owners_report(person: PersonKey) -> EbikeCommand {
    EbikeCommand::ReportStolen {
        case_id: "R1506010900-E20000172211010218905BD1".into(),
        stolen_at: now(),
        place: text("outside the Lucheng night market"),
        by: Reporter::Owner(person),
    }
}

fn someone_else() -> PersonKey {
    PersonKey::from_hash("1e".repeat(16))
}

#[test]
fn an_owner_may_report_their_own_bike_and_needs_no_confirmation() {
    let (bike, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        owners_report(owner()),
    ]);
    assert!(outcome.is_ok());
    assert_eq!(bike.status, EbikeStatus::Stolen);
    assert_eq!(bike.confirmation, Some(Confirmation::ByOwner));
}

#[test]
fn no_one_may_report_a_bike_as_its_owner_but_the_owner() {
    let (bike, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        owners_report(someone_else()),
    ]);
    assert_eq!(outcome, Err(EbikeRule::NotTheOwner));
    assert_eq!(bike.status, EbikeStatus::Registered);
}

#[test]
fn an_officers_report_waits_for_the_owner_who_confirms_it() {
    let (bike, _) = bike_after(&[EbikeCommand::Register(registration()), stolen()]);
    assert_eq!(
        bike.confirmation,
        Some(Confirmation::AwaitingOwner {
            until: now() + Duration::hours(48)
        })
    );
    let (bike, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        EbikeCommand::ConfirmTheft { owner: owner() },
    ]);
    assert_eq!(
        outcome,
        Ok(vec![VehicleEvent::TheftReportConfirmedByOwner {}])
    );
    assert_eq!(bike.confirmation, Some(Confirmation::ByOwner));
}

#[test]
fn only_the_owner_answers_and_only_a_report_waiting_for_them() {
    let (_, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        EbikeCommand::ConfirmTheft {
            owner: someone_else(),
        },
    ]);
    assert_eq!(outcome, Err(EbikeRule::NotTheOwner));
    let (_, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        owners_report(owner()),
        EbikeCommand::DisputeTheft { owner: owner() },
    ]);
    assert_eq!(outcome, Err(EbikeRule::NothingForTheOwnerToAnswer));
    let (_, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        EbikeCommand::ConfirmTheft { owner: owner() },
    ]);
    assert_eq!(outcome, Err(EbikeRule::NothingForTheOwnerToAnswer));
}

#[test]
fn a_report_unanswered_by_its_time_goes_to_review_once() {
    let due = now() + Duration::hours(48);
    let (bike, early) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        EbikeCommand::ReviewIfUnconfirmed {
            now: due - Duration::seconds(1),
        },
    ]);
    assert_eq!(early, Ok(vec![]), "not yet due");
    assert!(matches!(
        bike.confirmation,
        Some(Confirmation::AwaitingOwner { .. })
    ));
    let review = EbikeCommand::ReviewIfUnconfirmed { now: due };
    let (bike, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        review.clone(),
    ]);
    assert_eq!(
        outcome,
        Ok(vec![VehicleEvent::TheftReportUnderReview {
            case_id: "WZ-2015-0001".into(),
            reason: ReviewReason::NotConfirmedInTime,
        }])
    );
    assert_eq!(
        bike.confirmation,
        Some(Confirmation::UnderReview(ReviewReason::NotConfirmedInTime))
    );
    let (_, again) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        review.clone(),
        review,
    ]);
    assert_eq!(again, Ok(vec![]), "a deadline fired twice reviews once");
}

#[test]
fn a_report_the_owner_answered_in_time_never_goes_to_review() {
    let (bike, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        EbikeCommand::ConfirmTheft { owner: owner() },
        EbikeCommand::ReviewIfUnconfirmed {
            now: now() + Duration::days(3),
        },
    ]);
    assert_eq!(outcome, Ok(vec![]));
    assert_eq!(bike.confirmation, Some(Confirmation::ByOwner));
}

#[test]
fn an_owner_who_disputes_sends_the_report_to_review_and_may_confirm_later() {
    let (bike, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        EbikeCommand::DisputeTheft { owner: owner() },
    ]);
    assert!(matches!(
        outcome.as_deref(),
        Ok([VehicleEvent::TheftReportUnderReview {
            reason: ReviewReason::DisputedByOwner,
            ..
        }])
    ));
    assert_eq!(
        bike.confirmation,
        Some(Confirmation::UnderReview(ReviewReason::DisputedByOwner))
    );
    let (bike, _) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        EbikeCommand::DisputeTheft { owner: owner() },
        EbikeCommand::ConfirmTheft { owner: owner() },
    ]);
    assert_eq!(bike.confirmation, Some(Confirmation::ByOwner));
}

#[test]
fn a_report_from_before_owners_confirmed_reads_as_unrecorded_and_is_never_reviewed() {
    let payload = fixtures::ALL
        .iter()
        .find(|f| f.event_type == "vehicle.EbikeReportedStolen" && f.version == 1)
        .unwrap();
    let old: EbikeReportedStolen = minsheng_contracts::decode(payload.json, 1).unwrap();
    let mut bike = Ebike::default();
    bike.apply(&VehicleEvent::EbikeRegistered(
        minsheng_contracts::vehicle::EbikeRegistered {
            owner: owner(),
            owner_phone: registration().owner_phone,
            frame_number: "FRAME123456".into(),
            motor_number: "MOTOR654321".into(),
            plate: "浙C12345".into(),
            district: District::parse("district", "lucheng").unwrap(),
        },
    ));
    bike.apply(&VehicleEvent::EbikeReportedStolen(old));
    assert_eq!(bike.confirmation, Some(Confirmation::Unrecorded));
    let review = EbikeCommand::ReviewIfUnconfirmed {
        now: now() + Duration::days(30),
    };
    assert_eq!(bike.decide(&review), Ok(vec![]));
}

#[test]
fn a_recovered_bike_has_no_report_to_answer() {
    let (bike, outcome) = bike_after(&[
        EbikeCommand::Register(registration()),
        stolen(),
        recovered(),
        EbikeCommand::ConfirmTheft { owner: owner() },
    ]);
    assert_eq!(outcome, Err(EbikeRule::NothingForTheOwnerToAnswer));
    assert_eq!(bike.confirmation, None);
}
