//! The anti-fraud centre's rules, as the centre would state them (the
//! refusals the stories here do not reach have their cases in `refusals`).

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use minsheng_contracts::exit::{ExitRestrictionImposed, ExitRestrictionLifted};
use minsheng_contracts::fraud::NumberBlocked;
use minsheng_eventstore::Aggregate;
use minsheng_fraud::domain::alert::{Alert, AlertCommand, AlertRule};
use minsheng_fraud::domain::events::{
    BlockCategory, FraudEvent, ReceivingAccount, RestrictionReason, ReturnWay,
};
use minsheng_fraud::domain::firewall::Blocklist;
use minsheng_fraud::domain::fugitive::{Fugitive, FugitiveCommand, FugitiveRule};
use minsheng_fraud::domain::number::{BlockedNumber, NumberCommand, NumberRule};
use minsheng_fraud::domain::stop_payment::{Answer, StopCommand, StopPayment, StopRule};
use minsheng_fraud::domain::totals::CentreTotals;
use minsheng_fraud::domain::values::{Channel, Fen, Institution, Number, PersonKey, Text};
use proptest::prelude::*;

mod published;
mod refusals;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 12, 25, 10, 0, 0).unwrap()
}

fn fen(n: i64) -> Fen {
    Fen::parse("amount", n).unwrap()
}

fn bank() -> Institution {
    Institution::parse("institution", "icbc").unwrap()
}

fn account() -> ReceivingAccount {
    ReceivingAccount {
        account: minsheng_contracts::fixtures::sealed(&person(1)),
        institution: bank(),
    }
}

fn text(s: &str) -> Text {
    Text::parse("reason", s).unwrap()
}

fn person(n: u8) -> PersonKey {
    PersonKey::from_hash(format!("{n:032x}"))
}

/// Runs commands, applying what each decides; returns the state and the
/// last command's outcome.
fn after<A: Aggregate>(commands: &[A::Command]) -> (A, Result<Vec<A::Event>, A::Error>) {
    let mut state = A::default();
    let mut last = Ok(Vec::new());
    for command in commands {
        last = state.decide(command);
        if let Ok(events) = &last {
            events.iter().for_each(|e| state.apply(e));
        }
    }
    (state, last)
}

fn request(amount: i64) -> StopCommand {
    StopCommand::Request {
        alert_id: "a1".into(),
        account: account(),
        amount: fen(amount),
        alert_reported_at: now(),
        now: now() + Duration::minutes(3),
        deadline: now() + Duration::hours(2),
    }
}

fn answer(answer: Answer, minutes: i64) -> StopCommand {
    StopCommand::Answer {
        institution: bank(),
        answer,
        now: now() + Duration::minutes(minutes),
    }
}

#[test]
fn a_stop_payment_answered_twice_keeps_the_first_answer_and_rejects_the_second() {
    let (stop, outcome) = after::<StopPayment>(&[
        request(270_000_000),
        answer(Answer::Frozen(fen(270_000_000)), 10),
        answer(Answer::Failed(text("too late")), 11),
    ]);
    assert_eq!(outcome.unwrap_err(), StopRule::AlreadyAnswered);
    assert_eq!(
        stop.outcome,
        Some(minsheng_fraud::domain::stop_payment::Outcome::Frozen)
    );
}

#[test]
fn an_expired_request_cannot_then_be_stopped() {
    let expire = StopCommand::Expire {
        now: now() + Duration::hours(3),
    };
    let (_, outcome) =
        after::<StopPayment>(&[request(100), expire, answer(Answer::Stopped(fen(100)), 200)]);
    assert_eq!(outcome.unwrap_err(), StopRule::Expired);
    // Even before the timer fired, an answer after the deadline is refused.
    let (_, outcome) =
        after::<StopPayment>(&[request(100), answer(Answer::Stopped(fen(100)), 180)]);
    assert_eq!(outcome.unwrap_err(), StopRule::Expired);
}

#[test]
fn the_deadline_timer_expires_only_what_is_unanswered_and_only_once_due() {
    let early = StopCommand::Expire {
        now: now() + Duration::minutes(30),
    };
    assert_eq!(
        after::<StopPayment>(&[request(100), early]).1.unwrap(),
        vec![]
    );
    let due = StopCommand::Expire {
        now: now() + Duration::hours(2),
    };
    let (_, outcome) = after::<StopPayment>(&[
        request(100),
        answer(Answer::Stopped(fen(50)), 5),
        due.clone(),
    ]);
    assert_eq!(outcome.unwrap(), vec![], "answered: nothing to expire");
    let (_, outcome) = after::<StopPayment>(&[request(100), due]);
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [FraudEvent::StopPaymentExpired { .. }]
    ));
}

#[test]
fn the_amount_stopped_never_exceeds_the_amount_requested() {
    let (_, outcome) = after::<StopPayment>(&[request(100), answer(Answer::Stopped(fen(101)), 5)]);
    assert_eq!(outcome.unwrap_err(), StopRule::OverRequested);
    let (_, outcome) = after::<StopPayment>(&[request(100), answer(Answer::Stopped(fen(100)), 5)]);
    assert!(outcome.is_ok());
}

#[test]
fn a_partner_answers_only_the_requests_addressed_to_it() {
    let other = StopCommand::Answer {
        institution: Institution::parse("institution", "alipay").unwrap(),
        answer: Answer::Stopped(fen(1)),
        now: now() + Duration::minutes(5),
    };
    assert_eq!(
        after::<StopPayment>(&[request(100), other]).1.unwrap_err(),
        StopRule::NotYours
    );
}

fn report() -> AlertCommand {
    AlertCommand::Report {
        victim: person(1),
        amount: fen(736_000),
        channel: Channel::PhoneCall,
        transferred_at: now(),
        now: now(),
        accounts: vec![account()],
        fraud_numbers: vec![Number::parse("number", "17012345678").unwrap()],
    }
}

#[test]
fn naming_a_suspect_restricts_their_exit_and_closing_the_alert_lifts_it() {
    let (_, outcome) = after::<Alert>(&[report(), AlertCommand::NameSuspect { person: person(9) }]);
    assert_eq!(outcome.unwrap_err(), AlertRule::NoCase);
    let (_, outcome) = after::<Alert>(&[
        report(),
        AlertCommand::LinkToCase {
            case_id: "WZ-FR-0001".into(),
        },
        AlertCommand::NameSuspect { person: person(9) },
    ]);
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [
            FraudEvent::SuspectNamed { .. },
            FraudEvent::ExitRestrictionImposed(ExitRestrictionImposed {
                reason: RestrictionReason::Suspect,
                ..
            })
        ]
    ));
    let (alert, outcome) = after::<Alert>(&[
        report(),
        AlertCommand::LinkToCase {
            case_id: "WZ-FR-0001".into(),
        },
        AlertCommand::NameSuspect { person: person(9) },
        AlertCommand::Close {
            reason: text("solved"),
        },
    ]);
    assert!(alert.closed);
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [
            FraudEvent::AlertClosed(_),
            FraudEvent::ExitRestrictionLifted(ExitRestrictionLifted { .. })
        ]
    ));
}

/// The alert of [`report`], naming these accounts and numbers instead.
fn report_naming(accounts: Vec<ReceivingAccount>, numbers: Vec<Number>) -> AlertCommand {
    match report() {
        AlertCommand::Report {
            victim,
            amount,
            channel,
            transferred_at,
            now,
            ..
        } => AlertCommand::Report {
            victim,
            amount,
            channel,
            transferred_at,
            now,
            accounts,
            fraud_numbers: numbers,
        },
        other => other,
    }
}

#[test]
fn an_alert_names_at_least_one_receiving_account() {
    let number = Number::parse("number", "17012345678").unwrap();
    let empty = report_naming(vec![], vec![number]);
    assert_eq!(after::<Alert>(&[empty]).1.unwrap_err(), AlertRule::TooMany);
}

#[test]
fn a_number_blocked_twice_is_one_block_and_only_a_blocked_number_is_unblocked() {
    let number = Number::parse("number", "17012345678").unwrap();
    let block = NumberCommand::Block {
        number,
        category: BlockCategory::FraudAlert,
        alert_id: Some("a1".into()),
        reason: None,
        now: now(),
    };
    assert_eq!(
        after::<BlockedNumber>(&[block.clone(), block]).1.unwrap(),
        vec![]
    );
    let unblock = NumberCommand::Unblock {
        number,
        reason: text("a bank's own line"),
        now: now(),
    };
    assert_eq!(
        after::<BlockedNumber>(&[unblock]).1.unwrap_err(),
        NumberRule::NotBlocked
    );
}

#[test]
fn a_partner_screening_learns_since_when_and_why_and_nothing_else() {
    let mut blocklist = Blocklist::new();
    let number = Number::parse("number", "17012345678").unwrap();
    assert_eq!(blocklist.screen(number), None);
    blocklist.apply(&FraudEvent::NumberBlocked(NumberBlocked {
        number,
        category: BlockCategory::FraudAlert,
        alert_id: Some("a1".into()),
        reason: None,
        at: now(),
    }));
    let verdict = blocklist.screen(number).unwrap();
    assert_eq!(
        (verdict.since, verdict.category),
        (now(), BlockCategory::FraudAlert)
    );
    blocklist.apply(&FraudEvent::NumberUnblocked {
        number,
        reason: text("cleared"),
        at: now(),
    });
    assert_eq!(blocklist.screen(number), None);
}

#[test]
fn a_fugitive_returned_after_fourteen_years_has_their_restriction_lifted() {
    let fled = NaiveDate::from_ymd_opt(2001, 3, 1).unwrap();
    let list = FugitiveCommand::List {
        person: person(7),
        case_id: "WZ-EC-0007".into(),
        country: None,
        fled_on: fled,
    };
    let (_, outcome) = after::<Fugitive>(std::slice::from_ref(&list));
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [
            FraudEvent::FugitiveListed { .. },
            FraudEvent::ExitRestrictionImposed(ExitRestrictionImposed { .. })
        ]
    ));
    let back = NaiveDate::from_ymd_opt(2015, 6, 1).unwrap();
    let (fugitive, outcome) = after::<Fugitive>(&[
        list.clone(),
        FugitiveCommand::Locate {
            country: "CA".into(),
        },
        FugitiveCommand::Return {
            way: ReturnWay::Repatriated,
            on: back,
        },
    ]);
    assert!(matches!(
        outcome.unwrap().as_slice(),
        [
            FraudEvent::FugitiveReturned(_),
            FraudEvent::ExitRestrictionLifted(ExitRestrictionLifted { .. })
        ]
    ));
    assert_eq!(
        fugitive.years_at_large(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
        Some(14)
    );
    let (_, outcome) = after::<Fugitive>(&[
        list,
        FugitiveCommand::Return {
            way: ReturnWay::Captured,
            on: back,
        },
        FugitiveCommand::Delist {
            reason: text("returned"),
        },
    ]);
    assert_eq!(outcome.unwrap_err(), FugitiveRule::Closed);
}

// ------------------------------------------------------------ properties

#[derive(Clone, Debug)]
enum Step {
    Alert(i64),
    Request(usize, i64),
    Answer(usize, i64, bool),
    Expire(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1i64..10_000_000).prop_map(Step::Alert),
        (0usize..8, 1i64..10_000_000).prop_map(|(i, a)| Step::Request(i, a)),
        (0usize..8, 1i64..10_000_000, any::<bool>()).prop_map(|(i, a, f)| Step::Answer(i, a, f)),
        (0usize..8).prop_map(Step::Expire),
    ]
}

proptest! {
    /// Whatever the centre and its partners do: the total reported is the
    /// sum of the alerts; no request is stopped for more than it asked; the
    /// money kept never exceeds what was requested, nor what was reported
    /// when requests ask no more than their alert.
    #[test]
    fn totals_add_up_and_stopped_never_exceeds_requested(steps in prop::collection::vec(step(), 0..60)) {
        let mut totals = CentreTotals::default();
        let mut alerts: Vec<i64> = Vec::new();
        let mut requests: Vec<(StopPayment, i64)> = Vec::new();
        let mut requested_sum: u64 = 0;
        for step in steps {
            let mut events = Vec::new();
            match step {
                Step::Alert(amount) => {
                    alerts.push(amount);
                    events.extend(after::<Alert>(&[AlertCommand::Report {
                        victim: person(1),
                        amount: fen(amount),
                        channel: Channel::Online,
                        transferred_at: now(),
                        now: now(),
                        accounts: vec![account()],
                        fraud_numbers: vec![],
                    }]).1.unwrap());
                }
                Step::Request(i, amount) => {
                    // A request asks at most its alert's amount.
                    let Some(&cap) = alerts.get(i % alerts.len().max(1)) else { continue };
                    let amount = amount.min(cap);
                    let mut stop = StopPayment::default();
                    let decided = stop.decide(&request(amount)).unwrap();
                    decided.iter().for_each(|e| stop.apply(e));
                    requested_sum += amount as u64;
                    events.extend(decided);
                    requests.push((stop, amount));
                }
                Step::Answer(i, amount, freeze) => {
                    let n = requests.len().max(1);
                    let Some((stop, asked)) = requests.get_mut(i % n) else { continue };
                    let given = if freeze { Answer::Frozen(fen(amount)) } else { Answer::Stopped(fen(amount)) };
                    if let Ok(decided) = stop.decide(&answer(given, 10)) {
                        prop_assert!(amount <= *asked);
                        decided.iter().for_each(|e| stop.apply(e));
                        events.extend(decided);
                    }
                }
                Step::Expire(i) => {
                    let n = requests.len().max(1);
                    let Some((stop, _)) = requests.get_mut(i % n) else { continue };
                    let decided = stop.decide(&StopCommand::Expire { now: now() + Duration::hours(5) }).unwrap();
                    decided.iter().for_each(|e| stop.apply(e));
                    events.extend(decided);
                }
            }
            events.iter().for_each(|e| totals.apply(e));
            prop_assert_eq!(totals.reported_fen, alerts.iter().map(|a| *a as u64).sum::<u64>());
            prop_assert!(totals.stopped_fen <= requested_sum);
            prop_assert!(totals.stopped + totals.frozen + totals.failed + totals.expired <= totals.stop_payments);
        }
    }
}
