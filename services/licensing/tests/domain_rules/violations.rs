//! A violation from the camera to the paid fine.

use minsheng_licensing::domain::violation::{
    FinePolicy, Offence, ServiceChannel, Violation, ViolationCommand, ViolationRule, Witness,
    late_fee,
};

use super::*;

fn running_a_red_light() -> Offence {
    Offence {
        code: "1625".into(),
        points: 6,
        fine_fen: 20_000,
    }
}

fn recorded() -> ViolationCommand {
    ViolationCommand::Record {
        plate: "浙C12345".into(),
        place: Text::parse("place", "Xueyuan Road at Chezhan Avenue").unwrap(),
        on: day(0),
        offence: running_a_red_light(),
        witness: Witness::Camera,
    }
}

fn handled_on(on: NaiveDate) -> ViolationCommand {
    ViolationCommand::Handle {
        driver: person(1),
        channel: ServiceChannel::Online,
        on,
        policy: FinePolicy::default(),
    }
}

fn pay(fen: u64, on: NaiveDate) -> ViolationCommand {
    ViolationCommand::Pay {
        fen,
        on,
        policy: FinePolicy::default(),
    }
}

#[test]
fn a_fine_is_due_fifteen_days_after_the_decision() {
    let (violation, _) = after::<Violation>(&[recorded(), handled_on(day(3))]);
    assert_eq!(violation.decision.unwrap().due, day(18));
}

#[test]
fn a_fine_paid_by_its_due_date_has_no_late_fee() {
    let (violation, outcome) =
        after::<Violation>(&[recorded(), handled_on(day(3)), pay(20_000, day(18))]);
    assert!(outcome.is_ok());
    assert!(violation.paid);
}

#[test]
fn each_day_late_adds_three_percent_of_the_fine() {
    let (_, short) = after::<Violation>(&[recorded(), handled_on(day(3)), pay(20_000, day(20))]);
    assert_eq!(
        short.unwrap_err(),
        ViolationRule::WrongAmount {
            due: 21_200,
            late_fee: 1_200
        },
        "two days late: 6 %"
    );
    let (violation, outcome) =
        after::<Violation>(&[recorded(), handled_on(day(3)), pay(21_200, day(20))]);
    assert!(outcome.is_ok());
    assert!(violation.paid);
}

#[test]
fn a_late_fee_never_exceeds_the_fine() {
    let policy = FinePolicy::default();
    assert_eq!(late_fee(20_000, day(0), day(33), policy), 19_800);
    assert_eq!(late_fee(20_000, day(0), day(34), policy), 20_000);
    assert_eq!(late_fee(20_000, day(0), day(4000), policy), 20_000);
    assert_eq!(late_fee(20_000, day(10), day(0), policy), 0, "paid early");
    assert_eq!(late_fee(u64::MAX, day(0), day(4000), policy), u64::MAX);
}

#[test]
fn a_fine_falls_overdue_once_and_not_once_paid() {
    let overdue = ViolationCommand::MarkOverdue { today: day(19) };
    let (violation, outcome) =
        after::<Violation>(&[recorded(), handled_on(day(3)), overdue.clone()]);
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [LicensingEvent::FineOverdue { since }] if *since == day(18)
    ));
    assert!(violation.overdue);
    let (_, again) = after::<Violation>(&[
        recorded(),
        handled_on(day(3)),
        overdue.clone(),
        overdue.clone(),
    ]);
    assert_eq!(again, Ok(vec![]));
    let (_, paid) = after::<Violation>(&[
        recorded(),
        handled_on(day(3)),
        pay(20_000, day(10)),
        overdue,
    ]);
    assert_eq!(paid, Ok(vec![]));
}

#[test]
fn a_violation_is_handled_once_and_paid_once() {
    let (_, twice) = after::<Violation>(&[recorded(), handled_on(day(3)), handled_on(day(4))]);
    assert_eq!(twice.unwrap_err(), ViolationRule::AlreadyHandled);
    let (_, unhandled) = after::<Violation>(&[recorded(), pay(20_000, day(4))]);
    assert_eq!(unhandled.unwrap_err(), ViolationRule::NotHandled);
    let (_, again) = after::<Violation>(&[
        recorded(),
        handled_on(day(3)),
        pay(20_000, day(4)),
        pay(20_000, day(4)),
    ]);
    assert_eq!(again.unwrap_err(), ViolationRule::AlreadyPaid);
}
