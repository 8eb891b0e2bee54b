//! A session's seats: published ahead, never oversold, one seat per
//! candidate, closed for weather.

use super::*;

fn published(capacity: u32) -> Published {
    Published {
        subject: Subject::FieldSkills,
        date: day(20),
        site: "WZ-LC-01".into(),
        serves: vec![district("lucheng")],
        capacity,
        examiner: "examiner-3".into(),
    }
}

fn publish(capacity: u32, today: NaiveDate) -> SessionCommand {
    SessionCommand::Publish {
        published: published(capacity),
        today,
        policy: ExamPolicy::default(),
    }
}

fn seat(n: u8) -> SessionCommand {
    SessionCommand::TakeSeat {
        candidate: person(n),
        today: day(5),
    }
}

#[test]
fn a_session_is_published_at_least_ten_days_ahead() {
    let (_, outcome) = after::<Session>(&[publish(2, day(11))]);
    assert_eq!(outcome.unwrap_err(), SessionRule::TooSoon { days: 10 });
    let (session, outcome) = after::<Session>(&[publish(2, day(10))]);
    assert!(outcome.is_ok());
    assert_eq!(session.free(), 2);
}

#[test]
fn a_session_is_never_oversold() {
    let (session, outcome) = after::<Session>(&[publish(2, day(0)), seat(1), seat(2), seat(3)]);
    assert_eq!(outcome.unwrap_err(), SessionRule::Full);
    assert_eq!(session.seated.len(), 2);
    assert_eq!(session.free(), 0);
}

#[test]
fn a_candidate_holds_one_seat_of_a_session() {
    let (_, outcome) = after::<Session>(&[publish(5, day(0)), seat(1), seat(1)]);
    assert_eq!(outcome.unwrap_err(), SessionRule::AlreadySeated);
}

#[test]
fn a_released_seat_can_be_taken_again() {
    let release = SessionCommand::ReleaseSeat {
        candidate: person(1),
    };
    let (session, outcome) =
        after::<Session>(&[publish(1, day(0)), seat(1), release.clone(), seat(2)]);
    assert!(outcome.is_ok());
    assert_eq!(session.seated.iter().collect::<Vec<_>>(), [&person(2)]);
    let (_, twice) = after::<Session>(&[publish(1, day(0)), seat(1), release.clone(), release]);
    assert_eq!(twice, Ok(vec![]), "released once");
}

#[test]
fn a_closed_session_takes_no_seat_and_has_none_free() {
    let close = SessionCommand::Close {
        reason: Text::parse("reason", "typhoon Chan-hom").unwrap(),
    };
    let (session, outcome) = after::<Session>(&[publish(3, day(0)), close, seat(1)]);
    assert_eq!(outcome.unwrap_err(), SessionRule::Closed);
    assert_eq!(session.free(), 0);
}

#[test]
fn a_session_on_its_day_can_no_longer_be_booked() {
    let late = SessionCommand::TakeSeat {
        candidate: person(1),
        today: day(20),
    };
    let (_, outcome) = after::<Session>(&[publish(3, day(0)), late]);
    assert_eq!(outcome.unwrap_err(), SessionRule::TooLate);
}

#[test]
fn a_session_has_seats_an_examiner_can_examine_and_a_district_it_serves() {
    let (_, none) = after::<Session>(&[publish(0, day(0))]);
    assert_eq!(none.unwrap_err(), SessionRule::NoSeats);
    let (_, too_many) = after::<Session>(&[publish(101, day(0))]);
    assert_eq!(
        too_many.unwrap_err(),
        SessionRule::OverExaminerMaximum { maximum: 100 }
    );
    let nowhere = SessionCommand::Publish {
        published: Published {
            serves: vec![],
            ..published(3)
        },
        today: day(0),
        policy: ExamPolicy::default(),
    };
    let (_, outcome) = after::<Session>(&[nowhere]);
    assert_eq!(outcome.unwrap_err(), SessionRule::ServesNoDistrict);
}
