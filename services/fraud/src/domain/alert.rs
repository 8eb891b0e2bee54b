//! A fraud alert: a victim's loss reported to the centre, with where the
//! money went and which numbers called. Triaged, linked to a case, suspects
//! named (each under an exit restriction), closed (lifting them).

use chrono::{DateTime, Utc};
use minsheng_contracts::exit::{ExitRestrictionImposed, ExitRestrictionLifted};
use minsheng_contracts::fraud::{AlertClosed, AlertReported};
use minsheng_eventstore::Aggregate;

use super::events::{FraudEvent, ReceivingAccount, RestrictionReason};
use super::values::{Channel, Fen, Number, PersonKey, Text};

/// Accounts and numbers one alert may name.
pub const MAX_ACCOUNTS: usize = 20;
pub const MAX_NUMBERS: usize = 20;

#[derive(Clone, Debug, Default)]
pub struct Alert {
    pub reported: Option<Reported>,
    pub urgent: bool,
    pub case_id: Option<String>,
    pub suspects: Vec<PersonKey>,
    pub closed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Reported {
    pub victim: PersonKey,
    pub amount: Fen,
    pub channel: Channel,
    pub reported_at: DateTime<Utc>,
    pub accounts: Vec<ReceivingAccount>,
}

#[derive(Clone, Debug)]
pub enum AlertCommand {
    Report {
        victim: PersonKey,
        amount: Fen,
        channel: Channel,
        transferred_at: DateTime<Utc>,
        /// Now: when the centre received the report.
        now: DateTime<Utc>,
        accounts: Vec<ReceivingAccount>,
        fraud_numbers: Vec<Number>,
    },
    Triage {
        urgent: bool,
    },
    LinkToCase {
        case_id: String,
    },
    NameSuspect {
        person: PersonKey,
    },
    Close {
        reason: Text,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AlertRule {
    #[error("this alert is already reported")]
    AlreadyReported,
    #[error("no alert with this id")]
    NotReported,
    #[error("the alert is closed")]
    Closed,
    #[error("an alert names 1 to 20 receiving accounts and at most 20 numbers")]
    TooMany,
    #[error("link the alert to a case before naming suspects")]
    NoCase,
    #[error("the alert is already linked to another case")]
    OtherCase,
    #[error("this person is already named")]
    AlreadyNamed,
}

/// An alert names 1 to [`MAX_ACCOUNTS`] receiving accounts and at most
/// [`MAX_NUMBERS`] numbers (checked again at the edge before the accounts
/// are sealed).
pub fn counts_allowed(accounts: usize, numbers: usize) -> Result<(), AlertRule> {
    if accounts == 0 || accounts > MAX_ACCOUNTS || numbers > MAX_NUMBERS {
        return Err(AlertRule::TooMany);
    }
    Ok(())
}

impl Aggregate for Alert {
    type Event = FraudEvent;
    type Command = AlertCommand;
    type Error = AlertRule;

    fn apply(&mut self, event: &FraudEvent) {
        match event {
            FraudEvent::AlertReported(AlertReported {
                victim,
                amount,
                channel,
                reported_at,
                accounts,
                ..
            }) => {
                self.reported = Some(Reported {
                    victim: victim.clone(),
                    amount: *amount,
                    channel: *channel,
                    reported_at: *reported_at,
                    accounts: accounts.clone(),
                });
            }
            FraudEvent::AlertTriaged { urgent } => self.urgent = *urgent,
            FraudEvent::AlertLinkedToCase { case_id } => self.case_id = Some(case_id.clone()),
            FraudEvent::SuspectNamed { person } => self.suspects.push(person.clone()),
            FraudEvent::AlertClosed(_) => self.closed = true,
            _ => {}
        }
    }

    fn decide(&self, command: &AlertCommand) -> Result<Vec<FraudEvent>, AlertRule> {
        if let AlertCommand::Report {
            victim,
            amount,
            channel,
            transferred_at,
            now,
            accounts,
            fraud_numbers,
        } = command
        {
            if self.reported.is_some() {
                return Err(AlertRule::AlreadyReported);
            }
            counts_allowed(accounts.len(), fraud_numbers.len())?;
            return Ok(vec![FraudEvent::AlertReported(AlertReported {
                victim: victim.clone(),
                amount: *amount,
                channel: *channel,
                transferred_at: *transferred_at,
                reported_at: *now,
                accounts: accounts.clone(),
                fraud_numbers: fraud_numbers.clone(),
            })]);
        }
        if self.reported.is_none() {
            return Err(AlertRule::NotReported);
        }
        if self.closed {
            return Err(AlertRule::Closed);
        }
        let events = match command {
            AlertCommand::Report { .. } => return Err(AlertRule::AlreadyReported),
            AlertCommand::Triage { urgent } => vec![FraudEvent::AlertTriaged { urgent: *urgent }],
            AlertCommand::LinkToCase { case_id } => match &self.case_id {
                Some(linked) if linked == case_id => vec![],
                Some(_) => return Err(AlertRule::OtherCase),
                None => vec![FraudEvent::AlertLinkedToCase {
                    case_id: case_id.clone(),
                }],
            },
            AlertCommand::NameSuspect { person } => {
                let case_id = self.case_id.clone().ok_or(AlertRule::NoCase)?;
                if self.suspects.contains(person) {
                    return Err(AlertRule::AlreadyNamed);
                }
                vec![
                    FraudEvent::SuspectNamed {
                        person: person.clone(),
                    },
                    FraudEvent::ExitRestrictionImposed(ExitRestrictionImposed {
                        person: person.clone(),
                        reason: RestrictionReason::Suspect,
                        case_id,
                    }),
                ]
            }
            AlertCommand::Close { reason } => {
                let mut events = vec![FraudEvent::AlertClosed(AlertClosed {
                    reason: reason.clone(),
                })];
                if let Some(case_id) = &self.case_id {
                    events.extend(self.suspects.iter().map(|person| {
                        FraudEvent::ExitRestrictionLifted(ExitRestrictionLifted {
                            person: person.clone(),
                            case_id: case_id.clone(),
                        })
                    }));
                }
                events
            }
        };
        Ok(events)
    }
}
