//! The refusals that follow from an order of things: nothing is done to a
//! candidate, a session, a violation or a driver that does not exist yet,
//! and nothing that exists is made again.

use minsheng_licensing::domain::driver::{Driver, DriverCommand, DriverRule};
use minsheng_licensing::domain::violation::{
    FinePolicy, Offence, ServiceChannel, Violation, ViolationCommand, ViolationRule, Witness,
};

use super::*;

fn enrol() -> CandidateCommand {
    CandidateCommand::Enrol {
        class: VehicleClass::SmallManual,
        district: district("lucheng"),
    }
}

#[test]
fn a_candidate_enrols_once_and_books_only_once_enrolled() {
    let book = CandidateCommand::Book {
        session: session("S1", Subject::Theory, day(20)),
        today: day(1),
        policy: ExamPolicy::default(),
    };
    let (_, outcome) = after::<Candidate>(std::slice::from_ref(&book));
    assert_eq!(outcome.unwrap_err(), CandidateRule::NotEnrolled);
    let (_, outcome) = after::<Candidate>(&[enrol(), enrol()]);
    assert_eq!(outcome.unwrap_err(), CandidateRule::AlreadyEnrolled);
}

#[test]
fn a_session_is_booked_before_its_day() {
    let on_the_day = CandidateCommand::Book {
        session: session("S1", Subject::Theory, day(20)),
        today: day(20),
        policy: ExamPolicy::default(),
    };
    let (_, outcome) = after::<Candidate>(&[enrol(), on_the_day]);
    assert_eq!(outcome.unwrap_err(), CandidateRule::SessionNotAhead);
}

#[test]
fn nothing_is_cancelled_that_was_not_booked() {
    let cancel = CandidateCommand::Cancel {
        subject: Subject::Theory,
        today: day(1),
    };
    let (_, outcome) = after::<Candidate>(&[enrol(), cancel]);
    assert_eq!(outcome.unwrap_err(), CandidateRule::NoBooking);
}

#[test]
fn a_session_is_published_once_and_booked_only_once_published() {
    let published = Published {
        subject: Subject::Theory,
        date: day(20),
        site: "WZ-LC-01".into(),
        serves: vec![district("lucheng")],
        capacity: 10,
        examiner: "examiner-3".into(),
    };
    let publish = SessionCommand::Publish {
        published,
        today: day(0),
        policy: ExamPolicy::default(),
    };
    let (_, outcome) = after::<Session>(&[publish.clone(), publish]);
    assert_eq!(outcome.unwrap_err(), SessionRule::AlreadyPublished);
    let seat = SessionCommand::TakeSeat {
        candidate: person(1),
        today: day(1),
    };
    let (_, outcome) = after::<Session>(&[seat]);
    assert_eq!(outcome.unwrap_err(), SessionRule::NotPublished);
}

#[test]
fn a_violation_is_recorded_once_and_handled_only_once_recorded() {
    let record = ViolationCommand::Record {
        plate: "浙C12345".into(),
        place: Text::parse("place", "Wenzhou Avenue").unwrap(),
        on: day(0),
        offence: Offence {
            code: "1039".into(),
            points: 3,
            fine_fen: 15_000,
        },
        witness: Witness::Officer,
    };
    let (_, outcome) = after::<Violation>(&[record.clone(), record]);
    assert_eq!(outcome.unwrap_err(), ViolationRule::AlreadyRecorded);
    let handle = ViolationCommand::Handle {
        driver: person(1),
        channel: ServiceChannel::Counter,
        on: day(1),
        policy: FinePolicy::default(),
    };
    let (_, outcome) = after::<Violation>(&[handle]);
    assert_eq!(outcome.unwrap_err(), ViolationRule::NotRecorded);
}

#[test]
fn a_drivers_cycles_start_once_and_a_re_exam_reinstates_only_a_withheld_licence() {
    let start = DriverCommand::StartCycles { on: day(0) };
    let (_, outcome) = after::<Driver>(&[start.clone(), start.clone()]);
    assert_eq!(outcome.unwrap_err(), DriverRule::AlreadyADriver);
    let (_, outcome) = after::<Driver>(&[start, DriverCommand::PassReExam { on: day(9) }]);
    assert_eq!(outcome.unwrap_err(), DriverRule::NotWithheld);
}
