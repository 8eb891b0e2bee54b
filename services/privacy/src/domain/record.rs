//! The record of what the officers did about a person: one stream per
//! person, `privacy.person.<person key>`. Every request is recorded, a
//! refusal too; nothing here refuses (the holds are decided before, from
//! [`super::files`]).

use minsheng_contracts::privacy::{ForgetRefused, PersonForgotten, PersonalDataExported};
use minsheng_eventstore::{Aggregate, DomainEvent};
use minsheng_values::PersonKey;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum PrivacyEvent {
    PersonForgotten(PersonForgotten),
    ForgetRefused(ForgetRefused),
    PersonalDataExported(PersonalDataExported),
}

impl DomainEvent for PrivacyEvent {
    const CONTEXT: &'static str = "privacy";
}

/// How many times a person was forgotten, refused and exported.
#[derive(Clone, Debug, Default)]
pub struct PersonRecord {
    pub forgotten: u32,
    pub refused: u32,
    pub exported: u32,
}

#[derive(Clone, Debug)]
pub enum RecordCommand {
    RecordForgotten {
        person: PersonKey,
        had_key: bool,
    },
    RecordRefusal {
        person: PersonKey,
        holds: Vec<String>,
    },
    RecordExport {
        person: PersonKey,
        events: u32,
    },
}

impl Aggregate for PersonRecord {
    type Event = PrivacyEvent;
    type Command = RecordCommand;
    /// Nothing is refused once it reaches the record.
    type Error = std::convert::Infallible;

    fn apply(&mut self, event: &PrivacyEvent) {
        match event {
            PrivacyEvent::PersonForgotten(_) => self.forgotten += 1,
            PrivacyEvent::ForgetRefused(_) => self.refused += 1,
            PrivacyEvent::PersonalDataExported(_) => self.exported += 1,
        }
    }

    fn decide(&self, command: &RecordCommand) -> Result<Vec<PrivacyEvent>, Self::Error> {
        Ok(vec![match command {
            RecordCommand::RecordForgotten { person, had_key } => {
                PrivacyEvent::PersonForgotten(PersonForgotten {
                    person: person.clone(),
                    had_key: *had_key,
                })
            }
            RecordCommand::RecordRefusal { person, holds } => {
                PrivacyEvent::ForgetRefused(ForgetRefused {
                    person: person.clone(),
                    holds: holds.clone(),
                })
            }
            RecordCommand::RecordExport { person, events } => {
                PrivacyEvent::PersonalDataExported(PersonalDataExported {
                    person: person.clone(),
                    events: *events,
                })
            }
        }])
    }
}
