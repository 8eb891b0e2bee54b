//! A Fox Hunt fugitive: listed (under an exit restriction), located abroad,
//! then returned (captured, persuaded to return, repatriated) or delisted;
//! either lifts the restriction. Years at large are derived.

use chrono::NaiveDate;
use minsheng_contracts::exit::{ExitRestrictionImposed, ExitRestrictionLifted};
use minsheng_contracts::fraud::FugitiveReturned;
use minsheng_eventstore::Aggregate;

use super::events::{FraudEvent, RestrictionReason, ReturnWay};
use super::values::{PersonKey, Text};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FugitiveStatus {
    #[default]
    Unlisted,
    AtLarge,
    Located,
    Returned,
    Delisted,
}

#[derive(Clone, Debug, Default)]
pub struct Fugitive {
    pub status: FugitiveStatus,
    pub person: Option<PersonKey>,
    pub case_id: Option<String>,
    pub fled_on: Option<NaiveDate>,
    pub returned_on: Option<NaiveDate>,
    pub way: Option<ReturnWay>,
    pub country: Option<String>,
}

impl Fugitive {
    /// Whole years at large, to `today` or to the return.
    pub fn years_at_large(&self, today: NaiveDate) -> Option<u32> {
        let fled = self.fled_on?;
        let until = self.returned_on.unwrap_or(today);
        until.years_since(fled)
    }
}

#[derive(Clone, Debug)]
pub enum FugitiveCommand {
    List {
        person: PersonKey,
        case_id: String,
        country: Option<String>,
        fled_on: NaiveDate,
    },
    Locate {
        country: String,
    },
    Return {
        way: ReturnWay,
        on: NaiveDate,
    },
    Delist {
        reason: Text,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FugitiveRule {
    #[error("this fugitive is already listed")]
    AlreadyListed,
    #[error("no fugitive with this id")]
    NotListed,
    #[error("the fugitive has already returned or been delisted")]
    Closed,
    #[error("a return cannot come before the flight")]
    ReturnBeforeFlight,
}

impl Aggregate for Fugitive {
    type Event = FraudEvent;
    type Command = FugitiveCommand;
    type Error = FugitiveRule;

    fn apply(&mut self, event: &FraudEvent) {
        match event {
            FraudEvent::FugitiveListed {
                person,
                case_id,
                country,
                fled_on,
            } => {
                self.status = FugitiveStatus::AtLarge;
                self.person = Some(person.clone());
                self.case_id = Some(case_id.clone());
                self.country = country.clone();
                self.fled_on = Some(*fled_on);
            }
            FraudEvent::FugitiveLocated { country } => {
                self.status = FugitiveStatus::Located;
                self.country = Some(country.clone());
            }
            FraudEvent::FugitiveReturned(FugitiveReturned { way, on }) => {
                self.status = FugitiveStatus::Returned;
                self.way = Some(*way);
                self.returned_on = Some(*on);
            }
            FraudEvent::FugitiveDelisted { .. } => self.status = FugitiveStatus::Delisted,
            _ => {}
        }
    }

    fn decide(&self, command: &FugitiveCommand) -> Result<Vec<FraudEvent>, FugitiveRule> {
        use FugitiveStatus as S;
        let lifted = || -> Vec<FraudEvent> {
            match (&self.person, &self.case_id) {
                (Some(person), Some(case_id)) => {
                    vec![FraudEvent::ExitRestrictionLifted(ExitRestrictionLifted {
                        person: person.clone(),
                        case_id: case_id.clone(),
                    })]
                }
                _ => vec![],
            }
        };
        match (command, self.status) {
            (
                FugitiveCommand::List {
                    person,
                    case_id,
                    country,
                    fled_on,
                },
                S::Unlisted,
            ) => Ok(vec![
                FraudEvent::FugitiveListed {
                    person: person.clone(),
                    case_id: case_id.clone(),
                    country: country.clone(),
                    fled_on: *fled_on,
                },
                FraudEvent::ExitRestrictionImposed(ExitRestrictionImposed {
                    person: person.clone(),
                    reason: RestrictionReason::Fugitive,
                    case_id: case_id.clone(),
                }),
            ]),
            (FugitiveCommand::List { .. }, _) => Err(FugitiveRule::AlreadyListed),
            (_, S::Unlisted) => Err(FugitiveRule::NotListed),
            (_, S::Returned | S::Delisted) => Err(FugitiveRule::Closed),
            (FugitiveCommand::Locate { country }, _) => Ok(vec![FraudEvent::FugitiveLocated {
                country: country.clone(),
            }]),
            (FugitiveCommand::Return { way, on }, _) => {
                if self.fled_on.is_some_and(|fled| *on < fled) {
                    return Err(FugitiveRule::ReturnBeforeFlight);
                }
                let mut events = vec![FraudEvent::FugitiveReturned(FugitiveReturned {
                    way: *way,
                    on: *on,
                })];
                events.extend(lifted());
                Ok(events)
            }
            (FugitiveCommand::Delist { reason }, _) => {
                let mut events = vec![FraudEvent::FugitiveDelisted {
                    reason: reason.clone(),
                }];
                events.extend(lifted());
                Ok(events)
            }
        }
    }
}
