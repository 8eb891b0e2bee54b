//! 114 move-car: the owner moves the car or the request goes to 122 after
//! 10 minutes; the caller rates it; malicious callers are barred.

use chrono::{DateTime, TimeZone, Utc};
use minsheng_licensing::domain::move_car::{
    Caller, CallerCommand, MoveCarCommand, MoveCarPolicy, MoveCarRequest, MoveCarRule,
    RequestStatus,
};
use minsheng_licensing::domain::values::{CarPlate, Stars};

use super::*;

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 3, 11, 8, 0, 0).unwrap() + Duration::minutes(minute)
}

fn requested_by(caller: PersonKey, barred_until: Option<DateTime<Utc>>) -> MoveCarCommand {
    MoveCarCommand::Request {
        caller,
        owner: person(9),
        plate: CarPlate::parse("plate", "浙C 3k58x").unwrap(),
        place: Text::parse("place", "outside No. 12 Gongyuan Road").unwrap(),
        now: at(0),
        barred_until,
        policy: MoveCarPolicy::default(),
    }
}

fn requested() -> MoveCarCommand {
    requested_by(person(1), None)
}

fn rate(stars: u32) -> MoveCarCommand {
    MoveCarCommand::Rate {
        stars: Stars::parse("stars", stars).unwrap(),
    }
}

#[test]
fn an_owner_who_moves_the_car_closes_the_request_and_the_caller_rates_it() {
    let (request, outcome) =
        after::<MoveCarRequest>(&[requested(), MoveCarCommand::Moved { now: at(6) }, rate(5)]);
    assert!(outcome.is_ok());
    assert_eq!(request.status, RequestStatus::Moved);
    assert!(request.rated);
}

#[test]
fn a_request_unanswered_for_ten_minutes_goes_to_the_traffic_police_once() {
    let escalate = |minute| MoveCarCommand::EscalateIfUnanswered { now: at(minute) };
    let (_, early) = after::<MoveCarRequest>(&[requested(), escalate(9)]);
    assert_eq!(early, Ok(vec![]), "not yet");
    let (request, outcome) = after::<MoveCarRequest>(&[requested(), escalate(10)]);
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [LicensingEvent::MoveCarEscalated { .. }]
    ));
    assert_eq!(request.status, RequestStatus::Escalated);
    let (_, twice) = after::<MoveCarRequest>(&[requested(), escalate(10), escalate(11)]);
    assert_eq!(twice, Ok(vec![]));
    let (_, moved) = after::<MoveCarRequest>(&[
        requested(),
        MoveCarCommand::Moved { now: at(4) },
        escalate(10),
    ]);
    assert_eq!(moved, Ok(vec![]), "answered in time");
    let (_, late) = after::<MoveCarRequest>(&[
        requested(),
        escalate(10),
        MoveCarCommand::Moved { now: at(12) },
    ]);
    assert_eq!(late.unwrap_err(), MoveCarRule::AlreadyClosed);
}

#[test]
fn a_request_is_rated_once_and_only_once_closed() {
    let (_, open) = after::<MoveCarRequest>(&[requested(), rate(4)]);
    assert_eq!(open.unwrap_err(), MoveCarRule::NotClosed);
    let (_, twice) = after::<MoveCarRequest>(&[
        requested(),
        MoveCarCommand::Moved { now: at(3) },
        rate(4),
        rate(5),
    ]);
    assert_eq!(twice.unwrap_err(), MoveCarRule::AlreadyRated);
    assert!(!Stars::parse("stars", 3).unwrap().is_satisfied());
    assert!(Stars::parse("stars", 4).unwrap().is_satisfied());
}

#[test]
fn a_rating_is_one_to_five_stars() {
    for bad in [0, 6, 100] {
        assert_eq!(Stars::parse("stars", bad).unwrap_err().field, "stars");
    }
}

#[test]
fn a_plate_is_zhejiang_c_and_five_letters_or_digits_never_i_or_o() {
    assert_eq!(
        CarPlate::parse("plate", "浙c 12345").unwrap().as_str(),
        "浙C12345"
    );
    for bad in [
        "浙C1234I",
        "浙C1O345",
        "浙A12345",
        "浙C1234",
        "浙C123456",
        "C12345",
        "",
    ] {
        assert_eq!(
            CarPlate::parse("plate", bad).unwrap_err().field,
            "plate",
            "{bad}"
        );
    }
}

#[test]
fn nothing_is_done_to_a_request_not_made_nor_is_one_made_twice() {
    let (_, outcome) = after::<MoveCarRequest>(&[MoveCarCommand::Moved { now: at(1) }]);
    assert_eq!(outcome.unwrap_err(), MoveCarRule::NoRequest);
    let (_, outcome) = after::<MoveCarRequest>(&[requested(), requested()]);
    assert_eq!(outcome.unwrap_err(), MoveCarRule::AlreadyRequested);
}

#[test]
fn a_caller_with_three_malicious_requests_in_thirty_days_is_barred_for_thirty() {
    let malicious = |day: i64| CallerCommand::RecordMalicious {
        now: at(0) + Duration::days(day),
        policy: MoveCarPolicy::default(),
    };
    let (caller, _) = after::<Caller>(&[malicious(0), malicious(10)]);
    assert_eq!(caller.barred_until, None, "two");
    let (caller, _) = after::<Caller>(&[malicious(0), malicious(40), malicious(50)]);
    assert_eq!(caller.barred_until, None, "the first is older than 30 days");
    let (caller, outcome) = after::<Caller>(&[malicious(0), malicious(10), malicious(20)]);
    let until = at(0) + Duration::days(50);
    assert_eq!(caller.barred_until, Some(until));
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [
            LicensingEvent::MaliciousRequestRecorded { .. },
            LicensingEvent::CallerBarred { .. }
        ]
    ));

    let (_, barred) = after::<MoveCarRequest>(&[requested_by(person(1), Some(until))]);
    assert_eq!(barred.unwrap_err(), MoveCarRule::CallerBarred { until });
    let (_, bar_over) = after::<MoveCarRequest>(&[requested_by(person(1), Some(at(0)))]);
    assert!(bar_over.is_ok(), "a bar that has ended bars nothing");
}

#[test]
fn a_request_marked_malicious_names_its_caller_once() {
    let (request, outcome) = after::<MoveCarRequest>(&[requested(), MoveCarCommand::MarkMalicious]);
    assert!(request.malicious);
    assert_eq!(
        outcome.unwrap(),
        vec![LicensingEvent::MoveCarMarkedMalicious { caller: person(1) }]
    );
    let (_, twice) = after::<MoveCarRequest>(&[
        requested(),
        MoveCarCommand::MarkMalicious,
        MoveCarCommand::MarkMalicious,
    ]);
    assert_eq!(twice, Ok(vec![]));
}
