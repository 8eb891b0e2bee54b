//! Each refusal on its own: what the centre, a partner or an officer is
//! told, and that nothing is decided.

use super::*;

fn linked(case_id: &str) -> AlertCommand {
    AlertCommand::LinkToCase {
        case_id: case_id.into(),
    }
}

fn close() -> AlertCommand {
    AlertCommand::Close {
        reason: text("no further leads"),
    }
}

#[test]
fn an_alert_is_reported_once() {
    let (_, outcome) = after::<Alert>(&[report(), report()]);
    assert_eq!(outcome.unwrap_err(), AlertRule::AlreadyReported);
}

#[test]
fn an_alert_never_reported_cannot_be_triaged() {
    let (_, outcome) = after::<Alert>(&[AlertCommand::Triage { urgent: true }]);
    assert_eq!(outcome.unwrap_err(), AlertRule::NotReported);
}

#[test]
fn a_closed_alert_takes_no_more_work() {
    for command in [
        AlertCommand::Triage { urgent: true },
        linked("WZ-FR-0002"),
        AlertCommand::NameSuspect { person: person(9) },
        close(),
    ] {
        let (_, outcome) = after::<Alert>(&[report(), close(), command.clone()]);
        assert_eq!(outcome.unwrap_err(), AlertRule::Closed, "{command:?}");
    }
}

#[test]
fn an_alert_linked_to_one_case_is_not_moved_to_another() {
    let (alert, outcome) = after::<Alert>(&[report(), linked("WZ-FR-0001"), linked("WZ-FR-0002")]);
    assert_eq!(outcome.unwrap_err(), AlertRule::OtherCase);
    assert_eq!(alert.case_id.as_deref(), Some("WZ-FR-0001"));
    // The same case again is no change, not a refusal.
    let (_, outcome) = after::<Alert>(&[report(), linked("WZ-FR-0001"), linked("WZ-FR-0001")]);
    assert_eq!(outcome.unwrap(), vec![]);
}

#[test]
fn a_suspect_is_named_once_on_an_alert() {
    let name = AlertCommand::NameSuspect { person: person(9) };
    let (alert, outcome) = after::<Alert>(&[report(), linked("WZ-FR-0001"), name.clone(), name]);
    assert_eq!(outcome.unwrap_err(), AlertRule::AlreadyNamed);
    assert_eq!(alert.suspects.len(), 1);
}

#[test]
fn an_alert_names_at_most_twenty_accounts_and_twenty_numbers() {
    let number = Number::parse("number", "17012345678").unwrap();
    for too_many in [
        report_naming(vec![account(); 21], vec![number]),
        report_naming(vec![account()], vec![number; 21]),
    ] {
        assert_eq!(
            after::<Alert>(&[too_many]).1.unwrap_err(),
            AlertRule::TooMany
        );
    }
    let twenty_each = report_naming(vec![account(); 20], vec![number; 20]);
    assert!(after::<Alert>(&[twenty_each]).1.is_ok());
}

#[test]
fn a_stop_payment_is_requested_once() {
    let (_, outcome) = after::<StopPayment>(&[request(100), request(100)]);
    assert_eq!(outcome.unwrap_err(), StopRule::AlreadyRequested);
}

#[test]
fn a_stop_payment_never_requested_cannot_be_answered() {
    let (_, outcome) = after::<StopPayment>(&[answer(Answer::Stopped(fen(1)), 5)]);
    assert_eq!(outcome.unwrap_err(), StopRule::NotRequested);
}

#[test]
fn a_stop_payments_deadline_must_come_after_the_request() {
    for deadline in [now(), now() - Duration::minutes(1)] {
        let command = StopCommand::Request {
            alert_id: "a1".into(),
            account: account(),
            amount: fen(100),
            alert_reported_at: now(),
            now: now(),
            deadline,
        };
        assert_eq!(
            after::<StopPayment>(&[command]).1.unwrap_err(),
            StopRule::BadDeadline
        );
    }
}

#[test]
fn another_institution_hears_not_yours_whatever_became_of_the_request() {
    let other = || StopCommand::Answer {
        institution: Institution::parse("institution", "alipay").unwrap(),
        answer: Answer::Stopped(fen(1)),
        now: now() + Duration::minutes(30),
    };
    let answered = answer(Answer::Frozen(fen(100)), 10);
    let expired = StopCommand::Expire {
        now: now() + Duration::hours(3),
    };
    for history in [vec![request(100), answered], vec![request(100), expired]] {
        let mut commands = history;
        commands.push(other());
        assert_eq!(
            after::<StopPayment>(&commands).1.unwrap_err(),
            StopRule::NotYours
        );
    }
}

fn listed() -> FugitiveCommand {
    FugitiveCommand::List {
        person: person(7),
        case_id: "WZ-EC-0007".into(),
        country: None,
        fled_on: NaiveDate::from_ymd_opt(2001, 3, 1).unwrap(),
    }
}

#[test]
fn a_fugitive_is_listed_once() {
    let (_, outcome) = after::<Fugitive>(&[listed(), listed()]);
    assert_eq!(outcome.unwrap_err(), FugitiveRule::AlreadyListed);
}

#[test]
fn a_fugitive_never_listed_cannot_be_located() {
    let locate = FugitiveCommand::Locate {
        country: "CA".into(),
    };
    assert_eq!(
        after::<Fugitive>(&[locate]).1.unwrap_err(),
        FugitiveRule::NotListed
    );
}

#[test]
fn a_fugitive_cannot_return_before_they_fled() {
    let back_too_early = FugitiveCommand::Return {
        way: ReturnWay::Captured,
        on: NaiveDate::from_ymd_opt(2001, 2, 28).unwrap(),
    };
    let (fugitive, outcome) = after::<Fugitive>(&[listed(), back_too_early]);
    assert_eq!(outcome.unwrap_err(), FugitiveRule::ReturnBeforeFlight);
    assert_eq!(fugitive.returned_on, None);
    // The day they fled is not before it.
    let same_day = FugitiveCommand::Return {
        way: ReturnWay::Captured,
        on: NaiveDate::from_ymd_opt(2001, 3, 1).unwrap(),
    };
    assert!(after::<Fugitive>(&[listed(), same_day]).1.is_ok());
}
