//! A driver's points, their cycle, and study to reduce them.

use minsheng_licensing::domain::driver::{Driver, DriverCommand, DriverRule, StudyPolicy};

use super::*;

fn licensed() -> DriverCommand {
    DriverCommand::StartCycles { on: day(0) }
}

fn points(violation: &str, points: u8) -> DriverCommand {
    DriverCommand::AddPoints {
        violation: violation.into(),
        points,
        on: day(30),
    }
}

fn study(unhandled: u32) -> DriverCommand {
    DriverCommand::Study {
        on: day(40),
        unhandled,
        policy: StudyPolicy::default(),
    }
}

fn settled(violation: &str) -> DriverCommand {
    DriverCommand::SettleFine {
        violation: violation.into(),
    }
}

fn cycle_end() -> DriverCommand {
    DriverCommand::EndCycle {
        on: NaiveDate::from_ymd_opt(2016, 3, 1).unwrap(),
    }
}

#[test]
fn twelve_points_withhold_the_licence() {
    let (driver, outcome) = after::<Driver>(&[licensed(), points("V1", 6), points("V2", 9)]);
    assert_eq!(driver.points, 12, "never more than 12");
    assert!(driver.withheld);
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [
            LicensingEvent::PointsAdded { total: 12, .. },
            LicensingEvent::LicenceWithheld { .. }
        ]
    ));
}

#[test]
fn a_violation_counts_its_points_once() {
    let (driver, outcome) = after::<Driver>(&[licensed(), points("V1", 6), points("V1", 6)]);
    assert_eq!(outcome, Ok(vec![]));
    assert_eq!(driver.points, 6);
}

#[test]
fn study_takes_two_points_off_up_to_four_a_cycle() {
    let (driver, _) = after::<Driver>(&[licensed(), points("V1", 6), study(0)]);
    assert_eq!(driver.points, 4);
    let (driver, outcome) =
        after::<Driver>(&[licensed(), points("V1", 6), study(0), study(0), study(0)]);
    assert_eq!(outcome.unwrap_err(), DriverRule::CapReached { cap: 4 });
    assert_eq!(driver.points, 2);
}

#[test]
fn study_never_takes_points_below_zero() {
    let (driver, _) = after::<Driver>(&[licensed(), points("V1", 1), study(0)]);
    assert_eq!(driver.points, 0);
    let (_, outcome) = after::<Driver>(&[licensed(), points("V1", 1), study(0), study(0)]);
    assert_eq!(outcome.unwrap_err(), DriverRule::NoPoints);
}

#[test]
fn a_driver_at_twelve_points_cannot_study_points_off() {
    let (_, outcome) = after::<Driver>(&[licensed(), points("V1", 12), study(0)]);
    assert_eq!(outcome.unwrap_err(), DriverRule::AtTwelvePoints);
}

#[test]
fn a_driver_with_violations_not_handled_cannot_study_points_off() {
    let (_, outcome) = after::<Driver>(&[licensed(), points("V1", 3), study(2)]);
    assert_eq!(
        outcome.unwrap_err(),
        DriverRule::UnhandledViolations { count: 2 }
    );
}

#[test]
fn points_clear_at_the_cycles_end_but_those_of_unpaid_fines() {
    let (driver, _) = after::<Driver>(&[
        licensed(),
        points("V1", 3),
        points("V2", 2),
        settled("V1"),
        cycle_end(),
    ]);
    assert_eq!(driver.points, 2, "V2's fine is unpaid");
    assert_eq!(
        driver.cycle_start,
        NaiveDate::from_ymd_opt(2016, 3, 1),
        "the next cycle"
    );
    let (driver, _) = after::<Driver>(&[licensed(), points("V1", 3), settled("V1"), cycle_end()]);
    assert_eq!(driver.points, 0);
}

#[test]
fn a_cycle_ends_on_its_day_not_before() {
    let early = DriverCommand::EndCycle {
        on: NaiveDate::from_ymd_opt(2016, 2, 29).unwrap(),
    };
    let (_, outcome) = after::<Driver>(&[licensed(), early]);
    assert_eq!(
        outcome.unwrap_err(),
        DriverRule::CycleNotOver {
            end: NaiveDate::from_ymd_opt(2016, 3, 1).unwrap()
        }
    );
}

#[test]
fn a_withheld_licence_keeps_its_points_past_the_cycle_until_the_re_exam() {
    let (driver, _) = after::<Driver>(&[licensed(), points("V1", 12), settled("V1"), cycle_end()]);
    assert_eq!(driver.points, 12);
    assert!(driver.withheld);
    let (driver, _) = after::<Driver>(&[
        licensed(),
        points("V1", 12),
        DriverCommand::PassReExam { on: day(60) },
    ]);
    assert_eq!((driver.points, driver.withheld), (0, false));
}

#[test]
fn no_points_before_a_licence() {
    let (_, outcome) = after::<Driver>(&[points("V1", 3)]);
    assert_eq!(outcome.unwrap_err(), DriverRule::NotADriver);
}
