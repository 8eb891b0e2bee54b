//! An emergency stop-payment request: the centre asks the bank or platform
//! holding one receiving account of an alert to stop the transfer. Exactly
//! one outcome: stopped, frozen, failed, or expired when the deadline
//! passed with no answer. Speed is the point: the request records when the
//! alert came and when it was asked, the outcome when it was answered.

use chrono::{DateTime, Utc};
use minsheng_contracts::fraud::{FundsFrozen, PaymentStopped, StopPaymentRequested};
use minsheng_eventstore::Aggregate;

use super::events::{FraudEvent, ReceivingAccount};
use super::values::{Fen, Institution, Text};

#[derive(Clone, Debug, PartialEq)]
pub struct Requested {
    pub institution: Institution,
    pub amount: Fen,
    pub requested_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Stopped,
    Frozen,
    Failed,
    Expired,
}

#[derive(Clone, Debug, Default)]
pub struct StopPayment {
    pub requested: Option<Requested>,
    pub outcome: Option<Outcome>,
}

#[derive(Clone, Debug)]
pub enum Answer {
    Stopped(Fen),
    Frozen(Fen),
    Failed(Text),
}

#[derive(Clone, Debug)]
pub enum StopCommand {
    Request {
        alert_id: String,
        account: ReceivingAccount,
        amount: Fen,
        alert_reported_at: DateTime<Utc>,
        now: DateTime<Utc>,
        deadline: DateTime<Utc>,
    },
    /// A partner's answer; `institution` is the partner's own, from its token.
    Answer {
        institution: Institution,
        answer: Answer,
        now: DateTime<Utc>,
    },
    /// The deadline timer: expires the request if it is still unanswered.
    Expire { now: DateTime<Utc> },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StopRule {
    #[error("this stop-payment is already requested")]
    AlreadyRequested,
    #[error("no stop-payment request with this id")]
    NotRequested,
    #[error("this request is addressed to another institution")]
    NotYours,
    #[error("this request already has its answer")]
    AlreadyAnswered,
    #[error("the deadline has passed: the request has expired")]
    Expired,
    #[error("the amount stopped or frozen cannot exceed the amount requested")]
    OverRequested,
    #[error("the deadline must be after the request")]
    BadDeadline,
}

impl Aggregate for StopPayment {
    type Event = FraudEvent;
    type Command = StopCommand;
    type Error = StopRule;

    fn apply(&mut self, event: &FraudEvent) {
        match event {
            FraudEvent::StopPaymentRequested(StopPaymentRequested {
                account,
                amount,
                requested_at,
                deadline,
                ..
            }) => {
                self.requested = Some(Requested {
                    institution: account.institution.clone(),
                    amount: *amount,
                    requested_at: *requested_at,
                    deadline: *deadline,
                });
            }
            FraudEvent::PaymentStopped(_) => self.outcome = Some(Outcome::Stopped),
            FraudEvent::FundsFrozen(_) => self.outcome = Some(Outcome::Frozen),
            FraudEvent::StopPaymentFailed { .. } => self.outcome = Some(Outcome::Failed),
            FraudEvent::StopPaymentExpired { .. } => self.outcome = Some(Outcome::Expired),
            _ => {}
        }
    }

    fn decide(&self, command: &StopCommand) -> Result<Vec<FraudEvent>, StopRule> {
        match (command, &self.requested) {
            (StopCommand::Request { .. }, Some(_)) => Err(StopRule::AlreadyRequested),
            (
                StopCommand::Request {
                    alert_id,
                    account,
                    amount,
                    alert_reported_at,
                    now,
                    deadline,
                },
                None,
            ) => {
                if deadline <= now {
                    return Err(StopRule::BadDeadline);
                }
                Ok(vec![FraudEvent::StopPaymentRequested(
                    StopPaymentRequested {
                        alert_id: alert_id.clone(),
                        account: account.clone(),
                        amount: *amount,
                        alert_reported_at: *alert_reported_at,
                        requested_at: *now,
                        deadline: *deadline,
                    },
                )])
            }
            (_, None) => Err(StopRule::NotRequested),
            (StopCommand::Expire { now }, Some(requested)) => {
                if self.outcome.is_some() || *now < requested.deadline {
                    return Ok(vec![]);
                }
                Ok(vec![FraudEvent::StopPaymentExpired {
                    at: requested.deadline,
                }])
            }
            (
                StopCommand::Answer {
                    institution,
                    answer,
                    now,
                },
                Some(requested),
            ) => {
                if *institution != requested.institution {
                    return Err(StopRule::NotYours);
                }
                match self.outcome {
                    Some(Outcome::Expired) => return Err(StopRule::Expired),
                    Some(_) => return Err(StopRule::AlreadyAnswered),
                    None => {}
                }
                if *now >= requested.deadline {
                    return Err(StopRule::Expired);
                }
                let answered_at = *now;
                Ok(vec![match answer {
                    Answer::Stopped(amount) | Answer::Frozen(amount)
                        if *amount > requested.amount =>
                    {
                        return Err(StopRule::OverRequested);
                    }
                    Answer::Stopped(amount) => FraudEvent::PaymentStopped(PaymentStopped {
                        amount: *amount,
                        answered_at,
                    }),
                    Answer::Frozen(amount) => FraudEvent::FundsFrozen(FundsFrozen {
                        amount: *amount,
                        answered_at,
                    }),
                    Answer::Failed(reason) => FraudEvent::StopPaymentFailed {
                        reason: reason.clone(),
                        answered_at,
                    },
                }])
            }
        }
    }
}
